"""``jixiao eval classify|suggest``: offline scores for the tier classifier and the suggester.

Either on a labeled fixture file (tables the models never saw; ones they did are set
aside and named) or by grouped cross-validation over the project corpus. Tables on
stdout by default; ``--json`` prints one object with every number, for CI and notebooks.
"""

from __future__ import annotations

import argparse
import json
import sys

from jixiao.errors import JixiaoError
from jixiao.eval import classify_runner, suggest_runner
from jixiao.eval.fixture_sets import load_fixtures, project_corpus
from jixiao.eval.text_report import render_classify, render_suggest

# Indirections the tests replace with fakes (the real ones need trained models).
load_corpus = project_corpus


def load_original_corpus() -> list:
    """The project corpus with the labels as first stored, before reviewers' corrections."""
    return project_corpus(corrected=False)

shipped_classifier = classify_runner.shipped_classifier
select_approaches = classify_runner.select_approaches
suggester_factory = suggest_runner.real_suggester_factory


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} 不是整数") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"至少为 1，实际为 {n}")
    return n


def _common(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--fixtures", metavar="F.jsonl", help="记录格式（tables.jsonl）的标注表格"
    )
    src.add_argument("--cv", action="store_true", help="在项目语料上按来源文档分组交叉验证")
    p.add_argument(
        "--folds",
        type=_positive,
        default=5,
        help="交叉验证折数，不超过来源文档数（默认 5）",
    )
    p.add_argument("--seed", type=int, default=0, help="分折随机种子（默认 0）")
    p.add_argument(
        "--strict-cost", action="store_true", help="把 14 与 41-43 视为不同类别评分（默认合并）"
    )
    p.add_argument("--report", metavar="DIR", help="把 index.html 和 PNG 图表写到此文件夹")
    p.add_argument("--json", action="store_true", help="输出包含全部指标的一个 JSON 对象")
    p.add_argument("--no-progress", action="store_true", help="不在标准错误输出显示进度条")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="离线评估分类器或起草效果")
    tasks = p.add_subparsers(dest="eval_task", metavar="任务")
    c = tasks.add_parser(
        "classify", help="评估指标类别分类（在标注集上评估已发布模型，或交叉验证各方法）"
    )
    _common(c)
    c.add_argument(
        "--approach", default=None, help="与 --cv 同用：方法名称，或 all 比较全部方法（默认：已发布的方法）"
    )
    c.add_argument(
        "--embedder",
        default=None,
        help="各方法使用的嵌入模型（默认 $JIXIAO_EMBEDDING_MODEL）；hash 用于快速试跑",
    )
    corr = c.add_mutually_exclusive_group()
    corr.add_argument(
        "--with-corrections",
        dest="corrections",
        action="store_true",
        default=True,
        help="以应用审核人员更正后的标签评分（默认）",
    )
    corr.add_argument(
        "--without-corrections",
        dest="corrections",
        action="store_false",
        help="以最初保存的标签评分，忽略审核人员的更正",
    )
    c.add_argument(
        "--corrections-effect",
        action="store_true",
        help="与 --cv 同用：在相同分折上分别用不含和含审核人员更正的标签训练，"
        "都按更正后的标签评分（被留出表格的更正留在其所在折中）",
    )
    c.set_defaults(func=run_classify)
    s = tasks.add_parser("suggest", help="将起草建议与已编制的目标表比对评分")
    _common(s)
    s.add_argument("--k", type=_positive, default=20, help="评估前 k 条建议（默认 20）")
    s.add_argument(
        "--embedder",
        default=None,
        help="嵌入模型（默认 $JIXIAO_EMBEDDING_MODEL）；hash 用于快速试跑",
    )
    s.add_argument(
        "--llm",
        action="store_true",
        help="同时用已配置的大模型（JIXIAO_LLM_*）润色每份草稿并报告其各项比率",
    )
    s.set_defaults(func=run_suggest)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _emit(result, args: argparse.Namespace, render, write_report) -> int:
    if args.report:
        from pathlib import Path

        files = write_report(result, Path(args.report))
        print(f"jixiao：报告已写入 {files[0]}（{len(files) - 1} 张图）", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print(render(result))
    return 0


def _corpus(args: argparse.Namespace) -> list:
    """The project corpus with or without reviewers' corrections (``--without-corrections``)."""
    if getattr(args, "corrections", True):
        return load_corpus()
    return load_original_corpus()


def with_recorded_corrections(tables: list) -> list:
    """Fixture tables with the corrections reviewers recorded for the same table ids."""
    from jixiao.corpus.corrections import apply_correction
    from jixiao.corpus.store import open_store

    recorded = open_store().corrections(limit=1_000_000)
    by_table: dict[str, list] = {}
    for c in reversed(recorded):  # oldest first, so the latest correction wins
        by_table.setdefault(c.table_id, []).append(c)
    out = []
    for t in tables:
        for c in by_table.get(t.id, []):
            if c.position < len(t.indicators) and getattr(t.indicators[c.position], c.field, None) != c.new:
                t = apply_correction(t, c.position, {c.field: c.new})[0]
        out.append(t)
    return out


def run_classify(args: argparse.Namespace) -> int:
    from jixiao.eval.report import write_classify_report

    merge = not args.strict_cost
    if args.fixtures:
        if args.corrections_effect:
            raise JixiaoError("--corrections-effect 只用于交叉验证：请与 --cv 同用")
        if args.approach:
            raise JixiaoError("--approach 只用于 --cv；--fixtures 评估的是已发布的模型（`jixiao train` 训练的）")
        # Unseen means unseen by the model being scored: check against what it was
        # trained on (a model trained with --holdout), else against the whole corpus.
        from jixiao.models.classifier.shipped import shipped_training_tables

        fixtures = load_fixtures(args.fixtures, shipped_training_tables() or _corpus(args))
        if args.corrections:
            fixtures.tables[:] = with_recorded_corrections(fixtures.tables)
        classifier = shipped_classifier() if fixtures.tables else None
        name = f"shipped ({getattr(classifier, 'approach', '?')})" if classifier is not None else "shipped"
        result = classify_runner.evaluate_fixtures(fixtures, classifier, approach=name, merge_cost=merge)
    elif args.corrections_effect:
        if not args.corrections:
            raise JixiaoError("--corrections-effect 已同时比较含/不含更正的训练，不能与 --without-corrections 同用")
        result = classify_runner.corrections_effect(
            load_corpus(),
            load_original_corpus(),
            select_approaches(args.approach, args.embedder),
            folds=args.folds,
            seed=args.seed,
            merge_cost=merge,
            progress=not args.no_progress,
        )
    else:
        approaches = select_approaches(args.approach, args.embedder)
        result = classify_runner.cross_validate(
            _corpus(args),
            approaches,
            folds=args.folds,
            seed=args.seed,
            merge_cost=merge,
            progress=not args.no_progress,
        )
    return _emit(result, args, render_classify, write_classify_report)


def run_suggest(args: argparse.Namespace) -> int:
    from jixiao.eval.report import write_suggest_report

    merge = not args.strict_cost
    corpus = load_corpus()
    if args.llm:
        return _run_suggest_llm(args, corpus, merge)
    if args.fixtures:
        fixtures = load_fixtures(args.fixtures, corpus)
        make = suggester_factory(args.embedder) if fixtures.tables else None
        result = suggest_runner.evaluate_fixtures(
            fixtures, corpus, make, k=args.k, merge_cost=merge, progress=not args.no_progress
        )
    else:
        result = suggest_runner.cross_validate(
            corpus,
            suggester_factory(args.embedder),
            folds=args.folds,
            seed=args.seed,
            k=args.k,
            merge_cost=merge,
            progress=not args.no_progress,
        )
    return _emit(result, args, render_suggest, write_suggest_report)


def _run_suggest_llm(args: argparse.Namespace, corpus, merge: bool) -> int:  # noqa: ANN001
    """Grounded and LLM-polished drafts of the same held-out tables, side by side, plus the model's rates."""
    from jixiao.eval import llm_eval
    from jixiao.eval.report import write_suggest_report
    from jixiao.models.llm.assist import shared_chat_model
    from jixiao.settings import get_settings

    settings = get_settings()
    chat, reason = shared_chat_model(settings)
    if chat is None:
        raise JixiaoError(f"--llm: {reason}")
    if not args.cv:
        raise JixiaoError("--llm is measured by cross-validation: use --cv")
    records: list = []
    result = suggest_runner.cross_validate(
        corpus,
        llm_eval.llm_factory(suggester_factory(args.embedder), settings, records),
        folds=args.folds,
        seed=args.seed,
        k=args.k,
        merge_cost=merge,
        progress=not args.no_progress,
    )
    both = llm_eval.LLMEvalResult(
        llm=result,
        grounded=llm_eval.grounded_result(result, records, corpus),
        rates=llm_eval.rates(records),
        model=chat.name,
        records=records,
    )
    return _emit(both, args, llm_eval.render, lambda r, out: write_suggest_report(r.llm, out))
