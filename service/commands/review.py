"""``jixiao review PATH… [--summary OUT.xlsx] [--xlsx OUT] [--json]``: a whole submission, offline.

The same library calls as ``POST /v1/review/batch`` (parse, classify every row in the
table's scheme, review under the four criteria, grade), so a finance bureau can review
a folder or a zip of tables without running the server and get the same summary
workbook. A PATH is a file, a folder (every file in it, recursively) or a zip; labeled
record JSONL is read as tables. A file that cannot be read is reported on its own line
and the batch goes on; the command fails (exit 2) only when no table was found at all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from jixiao.corpus.records import read_records
from jixiao.corpus.review import DEFAULT_DISAGREEMENT_THRESHOLD
from jixiao.errors import JixiaoError
from jixiao.service.analysis import corpus_norms, review_tables
from jixiao.service.annotate import finding_line
from jixiao.service.batch import BatchReview, FileReview, review_files
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "review", help="审核目标表文件（或文件夹、zip 压缩包）：每张表的审核意见与等级"
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="目标表文件（.xlsx .docx .pdf .csv .txt .md，记录格式 JSONL）、文件夹或 .zip 压缩包",
    )
    p.add_argument(
        "--summary", metavar="OUT.xlsx", help="写出汇总工作簿（每张表一行、一个工作表）"
    )
    p.add_argument(
        "--xlsx", metavar="OUT", help="写出各表的批注工作簿（不含汇总表）"
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_DISAGREEMENT_THRESHOLD,
        help="置信度高于此值时，与申报类别不一致才会被标出",
    )
    p.add_argument("--no-model", action="store_true", help="不使用分类器审核（不检查类别）")
    p.add_argument(
        "--llm",
        action="store_true",
        help="用已配置的大模型为表述含糊或类别有误的行提出改写建议（经校验，不会自动采用）",
    )
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    p.set_defaults(func=run)


def collect(paths: list[str]) -> tuple[list[tuple[str, bytes]], list[Path]]:
    """(name, bytes) of every file under the paths, and the record-JSONL files among them."""
    files: list[tuple[str, bytes]] = []
    records: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise JixiaoError(f"{raw}：文件或文件夹不存在")
        found = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for f in found:
            name = str(f.relative_to(p.parent)) if p.is_dir() else f.name
            if f.suffix.lower() == ".jsonl":
                records.append(f)
                continue
            try:
                files.append((name, f.read_bytes()))
            except OSError as e:
                raise JixiaoError(f"{f}：无法读取（{e.strerror or e}）") from e
    return files, records


def _classifier(no_model: bool):  # noqa: ANN202 - a RowClassifier or None
    if no_model:
        return None
    from jixiao.models.classifier import load_shipped
    from jixiao.models.classifier.table_predict import TableAwareClassifier

    return TableAwareClassifier(load_shipped())


def review_paths(
    paths: list[str], threshold: float, no_model: bool = False, progress: bool = True
) -> BatchReview:
    files, records = collect(paths)
    classifier = _classifier(no_model)
    norms = corpus_norms(get_settings())
    bars: list[tqdm] = []

    def tick(done: int, total: int) -> None:
        if not progress:
            return
        if not bars:  # only once there is a table to review
            bars.append(tqdm(total=total, unit="张表", desc="审核", file=sys.stderr))
        bars[0].n = done
        bars[0].refresh()

    try:
        batch = review_files(classifier, files, threshold, norms, tick)
        for path in records:
            tables, problems = read_records(path)
            for prob in problems:
                print(f"警告：{path}:{prob.line}：记录无法读取", file=sys.stderr)
            reviewed = review_tables(classifier, tables, threshold, norms)
            batch.files.append(FileReview(name=path.name, ok=True, tables=reviewed))
            for t in reviewed:
                if t.grade:
                    batch.grades[t.grade.title] += 1
    finally:
        for bar in bars:
            bar.close()
    return batch


def propose_rewrites_for(batch: BatchReview, no_model: bool) -> None:
    """The LLM's validated rewrites of vague or mis-tiered rows, set beside each table (never applied)."""
    from jixiao.service.api_models import UploadedTable
    from jixiao.service.commands.llm_output import SuggestingEngine
    from jixiao.service.llm_review import propose_for_results

    settings = get_settings()
    for f in batch.files:
        f.tables = [UploadedTable(**dict(t)) for t in f.tables]
        if f.tables:
            engine = SuggestingEngine(_classifier(no_model))
            propose_for_results(f.tables, settings, engine, settings.llm_timeout_s)


def format_batch(batch: BatchReview) -> str:
    lines = []
    for name, t in batch.tables():
        g = t.grade
        lines.append(
            f"\n== {name} · {t.table.project or t.table.id} · 等级 {g.title}（{g.score} 分）" if g else ""
        )
        if g:
            lines.append(f"   {g.reason}")
            lines.append("   " + "  ".join(f"{s.title} {s.score}" for s in g.scores))
        for f in t.findings:
            lines.append("   " + finding_line(f, with_location=True))
        rewrites = getattr(t, "rewrites", None)
        if rewrites is not None:
            from jixiao.service.commands.llm_output import render_rewrites

            lines.append(render_rewrites(rewrites))
    for f in batch.files:
        if not f.ok:
            lines.append(f"\n!! {f.name}：{f.problem}")
        elif not f.tables:
            lines.append(f"\n!! {f.name}：文件中没有识别到绩效目标表")
        if f.note:
            lines.append(f"   {f.name}：{f.note}")
    total = sum(batch.grades.values())
    lines.append(f"\n共 {total} 张表：" + "，".join(f"{k} {v} 张" for k, v in batch.grades.items()))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    batch = review_paths(args.paths, args.threshold, args.no_model, progress=not args.json)
    if not any(f.tables for f in batch.files):
        problems = "；".join(f"{f.name}：{f.problem or '没有识别到绩效目标表'}" for f in batch.files)
        raise JixiaoError(f"没有找到可审核的绩效目标表（{problems}）")
    if args.llm:
        propose_rewrites_for(batch, args.no_model)
    if args.summary:
        from jixiao.service.summary import summary_workbook

        Path(args.summary).write_bytes(summary_workbook(batch))
        print(f"已写入汇总工作簿 {args.summary}", file=sys.stderr)
    if args.xlsx:
        from jixiao.service.annotate import annotated_workbook

        Path(args.xlsx).write_bytes(annotated_workbook([t for f in batch.files for t in f.tables]))
        print(f"已写入标注工作簿 {args.xlsx}", file=sys.stderr)
    if args.json:
        print(batch.model_dump_json(indent=1, serialize_as_any=True))  # rewrites ride on subclassed tables
    else:
        print(format_batch(batch))
    return 0
