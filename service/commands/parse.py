"""``jixiao parse FILE [FILE…] [--json]``: what jixiao reads in a file, before any model runs.

A drafter checks here that an upload was understood (levels carried down from merged
cells, values not shifted) before trusting the review. Every file is tried even when
one fails: good files are printed, each bad one gets its one-line error, and the exit
code is 2 if any failed. Skipped lines go to stderr as one warning each.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata

from jixiao.corpus.parsers import parse_file
from jixiao.corpus.problem_text import zh_problem
from jixiao.corpus.schema import GoalTable, ParseWarning
from jixiao.errors import ParseError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "parse",
        help="解析文件并显示其中的绩效目标表（.xlsx .docx .pdf .csv .txt .md .jsonl）",
        description="从任一支持的文件解析绩效目标表；文件类型按内容判断。",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="要解析的文件")
    p.add_argument("--json", action="store_true", help="输出 GoalTable 对象的 JSON 列表")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    tables: list[GoalTable] = []
    failed = 0
    for path in args.files:
        try:
            result = parse_file(path)
        except ParseError as e:
            print(f"jixiao：错误：{e.source}：{zh_problem(e.problem)}", file=sys.stderr)
            failed += 1
            continue
        for w in result.warnings:
            print(format_warning(w), file=sys.stderr)
        tables.extend(result.tables)
        if not args.json:
            for t in result.tables:
                print(format_table(t))
    if args.json:
        dumps = [t.model_dump(mode="json") for t in tables]
        print(json.dumps(dumps, ensure_ascii=False, indent=1))
    return 2 if failed else 0


def format_warning(w: ParseWarning) -> str:
    """One Chinese line per skipped row: where, why (``zh_problem``), and the row's text."""
    where = f"{w.source}:{w.line}" if w.line else w.source
    text = f"：{w.text.strip()[:60]}" if w.text and w.text.strip() else ""
    return f"警告：{where}：{zh_problem(w.problem)}{text}"


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def format_amount(t: GoalTable) -> str:
    if t.amount is None:
        return t.amount_raw or "-"
    return f"{t.amount:,.2f} 元" + (f" ({t.amount_raw})" if t.amount_raw else "")


def format_table(t: GoalTable) -> str:
    """Header lines, then one aligned row per indicator: code level1/level2 | name | period | annual."""
    lines = [
        f"== {t.id}",
        f"project:    {t.project or '-'}",
        f"department: {t.department or '-'}",
        f"amount:     {format_amount(t)}",
        f"scheme:     {t.scheme.value if t.scheme else '-'}",
    ]
    if t.goal:
        lines.append(f"goal:       {t.goal}")
    rows = []
    for ind in t.indicators:
        levels = f"{ind.level1 or '?'}/{ind.level2 or '?'}"
        rows.append(
            (f"{ind.code or '--'} {levels}", ind.name, ind.period_value or "-", ind.annual_value or "-")
        )
    if rows:
        widths = [max(display_width(r[i]) for r in rows) for i in range(3)]
        for r in rows:
            lines.append(
                f"  {pad(r[0], widths[0])} | {pad(r[1], widths[1])} | {pad(r[2], widths[2])} | {r[3]}"
            )
    else:
        lines.append("  (no indicators)")
    lines.append("")
    return "\n".join(lines)
