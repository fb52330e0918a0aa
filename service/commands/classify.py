"""``jixiao classify FILE [--scheme A|B] [--json]``: the tier of every indicator in a file.

A reviewer's question is "is each indicator under the right category?", so next to the
predicted tier and its confidence we print the category the table declares and whether
the two agree. Each table is decoded as a whole (tiers come in blocks, in order, under the
printed level 1s; see ``models/classifier/table.py``). Input is anything ``jixiao parse``
reads, or labeled record JSONL.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jixiao.corpus.parsers import parse_file
from jixiao.corpus.records import read_records
from jixiao.corpus.review import declared_code, declared_level1
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import TIERS, Scheme, agrees, to_scheme
from jixiao.models.classifier import TierPrediction, inputs_from_table, load_shipped
from jixiao.models.classifier.table_predict import classify_table
from jixiao.service.commands.parse import display_width, format_warning, pad


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "classify",
        help="判断文件中每个指标的一级、二级类别，并与申报类别比对",
    )
    p.add_argument(
        "file", metavar="FILE", help="目标表文件（.xlsx .docx .pdf .csv .txt .md）或记录格式 JSONL"
    )
    p.add_argument(
        "--scheme",
        choices=["A", "B"],
        help="按口径 A（成本属产出指标）或 B（成本为一级指标）表示类别；默认沿用表格自身口径，否则为 A",
    )
    p.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
    p.set_defaults(func=run)


def read_tables(path: str) -> list[GoalTable]:
    """Labeled JSONL through the record reader (bad lines reported), anything else through the parsers."""
    p = Path(path)
    if p.suffix.lower() == ".jsonl":
        tables, problems = read_records(p)
        for prob in problems:
            print(f"警告：{p}:{prob.line}：记录无法读取", file=sys.stderr)
        if tables:
            return tables
    result = parse_file(p)
    for w in result.warnings:
        print(format_warning(w), file=sys.stderr)
    return result.tables


def declared(ind: Indicator, scheme: Scheme) -> str | None:
    """What the table prints, in the output scheme: a code, or a level-1 name when only that is printed."""
    if ind.code in TIERS:
        return to_scheme(TIERS[ind.code], scheme).code
    return ind.level1 or None


def agreement(ind: Indicator, pred: TierPrediction, table_scheme: Scheme | None) -> bool | None:
    """``taxonomy.agrees`` on what the row declares (code, else level 1), in the table's own scheme."""
    return agrees(pred.code, declared_code(ind), declared_level1(ind), table_scheme)


def classify_tables(tables: list[GoalTable], scheme: Scheme | None) -> list[dict[str, Any]]:
    model = load_shipped()
    out = []
    for t in tables:
        out_scheme = scheme or t.scheme or Scheme.A
        preds = classify_table(model, inputs_from_table(t), t.scheme) if t.indicators else []
        rows = []
        for ind, pred in zip(t.indicators, preds, strict=True):
            p = pred.in_scheme(out_scheme)
            rows.append(
                {
                    "name": ind.name,
                    "value": ind.value,
                    "declared": declared(ind, out_scheme),
                    "agrees": agreement(ind, p, t.scheme),
                    "prediction": p.model_dump(mode="json"),
                }
            )
        out.append({"table_id": t.id, "project": t.project, "scheme": out_scheme.value, "indicators": rows})
    return out


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [r for t in results for r in t["indicators"]]
    checked = [r for r in rows if r["agrees"] is not None]
    agree = sum(1 for r in checked if r["agrees"])
    return {
        "tables": len(results),
        "indicators": len(rows),
        "with_declared": len(checked),
        "agree": agree,
        "disagree": len(checked) - agree,
    }


def format_results(results: list[dict[str, Any]]) -> str:
    lines = []
    for t in results:
        lines.append(f"== {t['table_id']}  {t['project'] or ''}  （口径 {t['scheme'] or '未知'}）")
        rows = []
        for r in t["indicators"]:
            p = r["prediction"]
            mark = {True: "✓", False: "✗ 不一致", None: "-"}[r["agrees"]]
            rows.append(
                (
                    f"{p['code']} {p['level2']}",
                    f"{p['confidence']:.2f}",
                    r["declared"] or "-",
                    mark,
                    r["name"],
                )
            )
        header = ("模型判断", "置信度", "申报类别", "一致", "三级指标")
        widths = [max(display_width(x[i]) for x in [header, *rows]) for i in range(4)]
        for r in [header, *rows]:
            lines.append("  " + "  ".join(pad(r[i], widths[i]) for i in range(4)) + "  " + r[4])
        lines.append("")
    s = summary(results)
    lines.append(
        f"共 {s['tables']} 张表 {s['indicators']} 个指标；其中 {s['with_declared']} 个申报了类别："
        f"{s['agree']} 个与模型一致，{s['disagree']} 个不一致"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    tables = read_tables(args.file)
    scheme = Scheme(args.scheme) if args.scheme else None
    results = classify_tables(tables, scheme)
    if args.json:
        print(json.dumps({"summary": summary(results), "tables": results}, ensure_ascii=False, indent=1))
    else:
        print(format_results(results))
    return 0
