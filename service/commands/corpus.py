"""``jixiao corpus build|stats|import``: the store every other command reads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jixiao.corpus.store import BuildReport, build_store, load_corpus, open_store, origin
from jixiao.corpus.taxonomy import TIERS
from jixiao.errors import JixiaoError
from jixiao.service.commands.parse import format_warning
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("corpus", help="构建、查看语料库，或批量导入目标表")
    csub = p.add_subparsers(dest="corpus_command", metavar="操作", required=True)
    b = csub.add_parser("build", help="重新解析随包附带的样例与标注表格并写入语料库")
    b.add_argument("--top-duplicates", type=int, default=15, help="列出多少个重复出现的指标名称")
    b.set_defaults(func=_build)
    s = csub.add_parser("stats", help="当前语料库的统计（首次使用时自动构建）")
    s.set_defaults(func=_stats)
    i = csub.add_parser(
        "import",
        help="从文件和文件夹批量导入目标表（.xlsx .docx .csv .txt .md .pdf .jsonl，含子文件夹）",
    )
    i.add_argument("paths", nargs="+", metavar="PATH", help="文件或文件夹")
    i.add_argument("--source", default="import", help="这批表格的来源名称（作为出处保存）")
    i.add_argument("--dry-run", action="store_true", help="只解析并报告，不写入")
    i.add_argument("--report", metavar="FILE.xlsx", help="同时把逐文件报告写成 .xlsx")
    i.add_argument("--no-index", action="store_true", help="导入后不更新检索索引")
    i.add_argument("--quiet", action="store_true", help="不显示进度条")
    i.set_defaults(func=_import)


def _print_counts(tables, per_source, per_tier, duplicates, top: int, version: str) -> None:  # noqa: ANN001
    n_ind = sum(len(t.indicators) for t in tables)
    print(f"语料库版本 {version}：{len(tables)} 张表，{n_ind} 个指标")
    print("\n按来源")
    for src, n in sorted(per_source.items()):
        rows = sum(len(t.indicators) for t in tables if origin(t) == src)
        print(f"  {src:<10} {n:>4} 张表 {rows:>5} 个指标")
    print("\n按类别")
    for code, n in sorted(per_tier.items()):
        name = TIERS[code].label if code in TIERS else "（未填二级指标）"
        print(f"  {name:<14} {n:>5}")
    print(f"\n重复名称：{len(duplicates)} 个指标名称出现在不止一张表中")
    for name, n in duplicates[:top]:
        print(f"  {n:>3} × {name}")


def _build(args: argparse.Namespace) -> int:
    settings = get_settings()
    built = build_store(settings)
    for w in built.warnings:
        print(format_warning(w), file=sys.stderr)
    r = BuildReport(load_corpus(settings))
    store = open_store(settings)
    print(f"已重新写入随包附带的表格：{store.engine.url.render_as_string(hide_password=True)}")
    version = str(store.state().version)
    _print_counts(r.tables, r.per_source, r.per_tier, r.duplicates, args.top_duplicates, version)
    return 0


def _stats(args: argparse.Namespace) -> int:
    snap = open_store().snapshot()
    r = BuildReport(snap.tables)
    _print_counts(snap.tables, r.per_source, r.per_tier, r.duplicates, 15, str(snap.version))
    return 0


def _import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from jixiao.corpus.importer import collect_paths, import_items, path_items
    from jixiao.service.import_report import render_table, report_xlsx

    if args.report and not args.report.lower().endswith(".xlsx"):
        raise JixiaoError(f"--report {args.report}: 报告文件名须以 .xlsx 结尾")
    settings = get_settings()
    paths, missing = collect_paths(args.paths)
    if not paths and missing:
        raise JixiaoError(f"没有可导入的文件：{missing[0].file} 不存在")
    store = open_store(settings)
    with tqdm(total=len(paths), desc="导入", unit="文件", file=sys.stderr, disable=args.quiet) as bar:

        def step(fr) -> None:  # noqa: ANN001 - a FileReport
            bar.update(1)
            bar.set_postfix(表=fr.tables, refresh=False)

        report = import_items(
            path_items(paths), store, source=args.source, who=_cli_user(), dry_run=args.dry_run, on_file=step
        )
    report.files = missing + report.files
    print(render_table(report))
    if args.report:
        Path(args.report).write_bytes(report_xlsx(report))
        print(f"报告已写入 {args.report}", file=sys.stderr)
    if report.tables and not args.dry_run and not args.no_index:
        _update_index(settings)
    return 0


def _cli_user() -> str:
    """Who ran the import, for the import log: the login name on this machine."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"[:100]
    except (OSError, KeyError):
        return "cli"


def _update_index(settings) -> None:  # noqa: ANN001
    """Catch the saved index up with the new tables, when there is one to catch up."""
    from jixiao.models.corpus_index import CorpusIndex
    from jixiao.models.suggest import Suggester

    try:
        CorpusIndex.read_meta(settings.index_dir)
    except JixiaoError:
        print("尚无索引：下次启动 `jixiao serve` 或运行 `jixiao index build` 时会建立", file=sys.stderr)
        return
    Suggester.load(settings, progress=True)
