"""Key-value block layout (seed 004): one 项目绩效目标表 (表13) per project.

Each block prints ``项目名称 X``, ``主管部门 X``, ``实施周期 起始年度 2022 到期年度 2025``,
``2025年预算金额(元) 410000`` on their own lines, the two goal texts under their
headings, then the indicator grid with its cells space-separated. Merged category
cells come out on a line of their own above the rows they cover, so a row inherits
the levels it does not print (and says so in ``inferred_levels``). Long values wrap
onto lines of their own below the row: both value columns, one after the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.parsers.wrapped_text import join_wrapped, table_id
from jixiao.corpus.records import finalize, make_indicator
from jixiao.corpus.schema import GoalTable, Indicator, ParseResult, ParseWarning
from jixiao.corpus.taxonomy import is_level1_name, is_level2_name, level1_code, resolve
from jixiao.corpus.values import parse_amount
from jixiao.errors import UnknownCategoryError

_KEYS = {
    "项目名称": "project",
    "项目类型": "project_type",
    "项目等级": "project_level",
    "主管部门": "department",
    "用款单位": "unit",
    "实施单位": "unit",
    "资金使用单位": "unit",
}
_KEY_LINE = re.compile(
    r"^(项目名称|项目类型|项目等级|主管部门|用款单位|实施单位|资金使用单位)\s*[:：]?\s*(.*)$"
)
_PERIOD = re.compile(r"^实施周期\s*(?:起始年度\s*)?((?:19|20)\d{2})\D+((?:19|20)\d{2})")
_BUDGET = re.compile(
    r"^(?:(?P<year>(?:19|20)\d{2})\s*年)?\s*(?:年度)?预算金额\s*[(（]\s*(?P<unit>元|万元)\s*[)）]\s*[:：]?\s*(?P<num>[\d,]+(?:\.\d+)?)"
)
_PERIOD_GOAL = re.compile(r"^实施周期总目标$")
_ANNUAL_GOAL = re.compile(r"^(?:(?P<year>(?:19|20)\d{2})\s*)?年度目标$")
_GRID_HEADER = re.compile(r"^一级指标\s+二级指标\s+三级指标")
_SECTION_END = re.compile(r"^(绩效指标|总体绩效目标|表\s*\d+|项目绩效目标表)$")
_BLOCK_END = re.compile(r"^(表\s*\d+|\S*绩效目标表)$")


def detect(text: str) -> float:
    """The space-separated grid header decides; key lines and goal headings add to it.

    Tab- or pipe-separated grids print the same words and are another layout's.
    """
    if text.count("\t") > 5 or text.count("|") > 5:
        return 0.0
    if not re.search(r"^一级指标 +二级指标 +三级指标", text, re.M):
        return 0.0
    score = 0.5
    if re.search(r"^项目名称 +[^\s|]", text, re.M):
        score += 0.25
    if re.search(r"^实施周期总目标 *$|^(?:\d{4})?年度目标 *$", text, re.M):
        score += 0.2
    return score


@dataclass
class _Row:
    """An indicator row being read; values may still be arriving on the lines below."""

    line: int
    level1: str | None
    level2: str | None
    inferred: list[str]
    name: str
    values: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)


def _category_level(token: str, level1: str | None, next_token: str | None) -> str | None:
    """Is a leading cell a level 1, a level 2, or no category at all?

    ``满意度指标`` and ``成本指标`` are names of both levels: under a level 1 of the
    same kind (or cost under 产出, scheme A's 14) they are level 2; followed by one of
    their own level 2s (经济成本指标) or standing alone they open a level-1 block.
    """
    l1 = is_level1_name(token)
    l2 = is_level2_name(token)
    if not (l1 and l2):
        return "level1" if l1 else "level2" if l2 else None
    opens_block = (
        next_token is not None
        and is_level2_name(next_token)
        and not is_level1_name(next_token)
        and resolve(None, next_token).level1_code == level1_code(token)
    )
    if opens_block:
        return "level1"
    current = level1_code(level1) if level1 else None
    if current == level1_code(token) or (current == "1" and level1_code(token) == "4"):
        return "level2"
    return "level1"


def _is_category(token: str) -> bool:
    return is_level1_name(token) or is_level2_name(token)


def _merge_wrapped_categories(lines: list[str]) -> list[str]:
    """``生态环境成本指`` / ``标`` → one line: a category name wrapped in its cell."""
    out: list[str] = []
    for line in lines:
        if out and out[-1].split():
            tail = out[-1].split()[-1]
            head, _, rest = line.partition(" ")
            if not _is_category(tail) and _is_category(tail + head):
                out[-1] = f"{out[-1]}{head} {rest}".rstrip()
                continue
        out.append(line)
    return out


def _split_values(pieces: list[str]) -> tuple[str | None, str | None]:
    """Both value columns wrapped below the row: find where the period value ends."""
    if not pieces:
        return None, None
    whole = join_wrapped(pieces)
    half = len(whole) // 2
    if len(whole) % 2 == 0 and whole[:half] == whole[half:]:
        return whole[:half], whole[half:]
    for k in range(1, len(pieces)):
        a, b = join_wrapped(pieces[:k]), join_wrapped(pieces[k:])
        if a == b:
            return a, b
    k = (len(pieces) + 1) // 2
    return join_wrapped(pieces[:k]) or None, join_wrapped(pieces[k:]) or None


def _split_cells(tokens: list[str]) -> tuple[str, list[str]]:
    """Name and values of a row's cells: two equal value columns are the usual case."""
    if len(tokens) <= 1:
        return (tokens[0] if tokens else ""), []
    for cut in range(1, len(tokens)):
        rest = tokens[cut:]
        if len(rest) % 2 == 0 and rest[: len(rest) // 2] == rest[len(rest) // 2 :]:
            h = len(rest) // 2
            return " ".join(tokens[:cut]), [" ".join(rest[:h]), " ".join(rest[h:])]
    if len(tokens) == 2:
        return tokens[0], [tokens[1]]
    return " ".join(tokens[:-2]), tokens[-2:]


def _grid(lines: list[str], start: int, source: str) -> tuple[list[Indicator], list[ParseWarning]]:
    indicators: list[Indicator] = []
    warnings: list[ParseWarning] = []
    level1: str | None = None
    level2: str | None = None
    row: _Row | None = None

    def close() -> None:
        nonlocal row
        if row is None:
            return
        if row.pending:
            period, annual = _split_values(row.pending)
        elif len(row.values) >= 2:
            period, annual = row.values[0], row.values[1]
        else:
            period, annual = None, (row.values[0] if row.values else None)
        try:
            indicators.append(
                make_indicator(
                    row.name,
                    row.level1,
                    row.level2,
                    period_value=period,
                    annual_value=annual,
                    inferred_levels=row.inferred,
                )
            )
        except UnknownCategoryError as e:
            warnings.append(ParseWarning(source=source, line=row.line, text=row.name, problem=str(e)))
        row = None

    merged = _merge_wrapped_categories(lines)
    for offset, line in enumerate(merged):
        if _BLOCK_END.match(line):
            break
        tokens = line.split()
        following = merged[offset + 1].split()[:1] if offset + 1 < len(merged) else []
        printed: list[str] = []
        ahead = tokens[1] if len(tokens) > 1 else (following[0] if following else None)
        if tokens and _category_level(tokens[0], level1, ahead) == "level1":
            level1, level2 = normalize_text(tokens.pop(0)), None
            printed.append("level1")
        # ``资金成本 ≤1万元 ≤1万元``: a name that is also a category word, before its two values.
        name_before_values = len(tokens) == 3 and tokens[1] == tokens[2]
        if tokens and not name_before_values and _category_level(tokens[0], level1, None) == "level2":
            level2 = normalize_text(tokens.pop(0))
            printed.append("level2")
        if printed:
            close()
            if not tokens:
                continue
        elif row is not None and not row.values and len(tokens) == 1:
            row.pending.append(tokens[0])  # a value wrapped below its row
            continue
        close()
        name, values = _split_cells(tokens)
        inferred = [lv for lv in ("level1", "level2") if lv not in printed]
        row = _Row(start + offset + 1, level1, level2, inferred, name, values)
    close()
    return indicators, warnings


def _block(lines: list[str], source: str, index: int) -> tuple[GoalTable, list[ParseWarning]]:
    fields: dict[str, object] = {}
    period_goal: list[str] = []
    annual_goal: list[str] = []
    section: list[str] | None = None
    grid_start: int | None = None
    for i, line in enumerate(lines):
        if _GRID_HEADER.match(line):
            grid_start = i + 1
            break
        if m := _KEY_LINE.match(line):
            fields.setdefault(_KEYS[m.group(1)], normalize_text(m.group(2)) or None)
            section = None
        elif m := _PERIOD.match(line):
            fields["period"] = f"{m.group(1)}-{m.group(2)}"
            section = None
        elif m := _BUDGET.match(line):
            num, unit = m.group("num"), m.group("unit")
            fields["amount_raw"] = f"{num}{unit}"
            fields["amount"] = parse_amount(num, unit)
            if m.group("year"):
                fields["year"] = int(m.group("year"))
            section = None
        elif _PERIOD_GOAL.match(line):
            section = period_goal
        elif m := _ANNUAL_GOAL.match(line):
            section = annual_goal
            if m.group("year") and "year" not in fields:
                fields["year"] = int(m.group("year"))
        elif _SECTION_END.match(line):
            section = None
        elif section is not None:
            section.append(line)
    indicators, warnings = _grid(lines[grid_start:], grid_start, source) if grid_start else ([], [])
    table = GoalTable(
        id=table_id(source, index),
        source=source,
        period_goal=normalize_text(join_wrapped(period_goal)) or None,
        annual_goal=normalize_text(join_wrapped(annual_goal)) or None,
        indicators=indicators,
        table_type="项目绩效目标表",
        **fields,
    )
    return finalize(table), warnings


def parse(text: str, source: str) -> ParseResult:
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    starts = [i for i, ln in enumerate(lines) if re.match(r"^项目名称(\s|[:：])", ln)]
    tables: list[GoalTable] = []
    warnings: list[ParseWarning] = []
    for k, s in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        block = lines[s:end]
        table, block_warnings = _block(block, source, k + 1)
        tables.append(table)
        warnings.extend(block_warnings)
    return ParseResult(tables=tables, warnings=warnings, layout="blocks")
