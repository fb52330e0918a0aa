"""Numbered-indicator layout (seeds 000 and 002): Guangdong unit tables with coded tiers.

A project row (``    机构运行辅助经费 7.00 7.00``, name sometimes wrapped above its
amounts), then the goal text, then indicators written as numbered items
``1、1-产出指标；11-数量指标；NAME；实施周期指标值：V；年度指标值：V。``. The items
either sit one per line (000) or run on as one paragraph (002); in both the PDF
wraps anywhere, even inside codes (``22-社`` / ``会效益``) and numbers. So items are
found in the joined text, never line by line. Rows that get no goal and no items
are totals: ``合计`` is dropped, a unit-total row names the unit of the projects below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.parsers.wrapped_text import (
    amount_unit,
    department,
    join_wrapped,
    spaced,
    table_id,
    table_type,
    title_year,
)
from jixiao.corpus.records import finalize, make_indicator
from jixiao.corpus.schema import GoalTable, Indicator, ParseResult, ParseWarning
from jixiao.corpus.values import parse_amount
from jixiao.errors import UnknownCategoryError

_AMOUNT = r"-?\d{1,3}(?:,\d{3})*\.\d{1,2}|-?\d+\.\d{1,2}"
_AMOUNT_TAIL = re.compile(rf"^(?P<name>.*?)\s*(?P<amounts>(?:(?:^|\s)(?:{_AMOUNT}))+)\s*$")
_ITEM_START_LINE = re.compile(r"^\s*\d{1,2}\s*、")
# An item number: not the tail of a longer number, followed by a coded level 1 (``1-产出``).
_ITEM_START = re.compile(r"(?<![\d.])(\d{1,2})\s*、\s*(?=\d\s*-\s*[\u4e00-\u9fff])")
_CODED = re.compile(
    r"^\s*(?P<l1>\d\s*-\s*[^；;]*?)\s*[；;]\s*(?P<l2>\d\s*\d\s*-\s*[^；;]*?)\s*[；;]\s*(?P<rest>.*)$", re.S
)
_PERIOD_LABEL = re.compile(spaced("实施周期指标值") + r"\s*[:：]")
_ANNUAL_LABEL = re.compile(spaced("年度指标值") + r"\s*[:：]")
_HEADER = re.compile(r"^\s*项目名称.*(总计|绩效目标|绩效指标|财政拨款)")
_SEPARATORS = " \t；;。"


def detect(text: str) -> float:
    """Coded numbered items are unmistakable; two of them settle it."""
    flat = re.sub(r"\s+", "", text)
    hits = len(re.findall(r"\d{1,2}、\d-[\u4e00-\u9fff]{2,6}[；;]\d\d-", flat))
    if hits >= 2:
        return 0.95
    return 0.6 if hits == 1 else 0.0


@dataclass
class _Row:
    """One amount row and what follows it until the next row."""

    line: int
    name_parts: list[str]
    amounts: list[str] = field(default_factory=list)
    goal_parts: list[str] = field(default_factory=list)
    item_parts: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return normalize_text(join_wrapped(self.name_parts))

    @property
    def is_total(self) -> bool:
        return not self.goal_parts and not self.item_parts


def _amounts(text: str) -> list[str]:
    return re.findall(_AMOUNT, text)


def _inside_value(item_parts: list[str]) -> bool:
    """Is the last item still inside a value (labelled, not yet closed by ``。``)?"""
    tail = "".join(item_parts).rsplit("。", 1)[-1]
    return "指标值" in re.sub(r"\s+", "", tail)


def _take_dangling(row: _Row) -> list[str]:
    """Lines after the last closed item of ``row``: the wrapped name of the next project.

    Without indentation, a name wrapped above its amounts reads like item text; the
    amounts-only line below it shows where it belongs.
    """
    parts = row.item_parts
    closed = [k for k, p in enumerate(parts) if p.endswith("。")]
    if not closed or closed[-1] == len(parts) - 1:
        return []
    cut = closed[-1] + 1
    row.item_parts, dangling = parts[:cut], parts[cut:]
    return dangling


def _rows(lines: list[str]) -> tuple[list[str], list[_Row]]:
    """Split lines into the head (title, unit header) and amount rows with their text."""
    head: list[str] = []
    rows: list[_Row] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or _HEADER.match(stripped):
            i += 1
            continue
        tail = _AMOUNT_TAIL.match(stripped)
        indented = line[:1].isspace() and not _ITEM_START_LINE.match(line)
        # A wrapped value that happens to be a bare number (``≤`` / ``1.50``) is not a new row.
        open_item = bool(rows and _inside_value(rows[-1].item_parts))
        if (tail and not _ITEM_START_LINE.match(stripped) and not open_item) or indented:
            row = _Row(line=i + 1, name_parts=[])
            if tail:
                if not tail.group("name") and rows:
                    row.name_parts.extend(_take_dangling(rows[-1]))
                row.name_parts.append(tail.group("name"))
                row.amounts = _amounts(tail.group("amounts"))
                i += 1
            else:
                # A wrapped name: collect pieces until the amounts line (at most three lines on).
                row.name_parts.append(stripped)
                j = i + 1
                seen = 0
                while j < len(lines) and seen < 4:
                    nxt = lines[j].strip()
                    j += 1
                    if not nxt:
                        continue
                    seen += 1
                    t = _AMOUNT_TAIL.match(nxt)
                    if t:
                        if t.group("name"):
                            row.name_parts.append(t.group("name"))
                        row.amounts = _amounts(t.group("amounts"))
                        break
                    if _ITEM_START_LINE.match(nxt):
                        break
                    row.name_parts.append(nxt)
                if row.amounts:
                    i = j
                else:
                    row.name_parts = [stripped]
                    i += 1
            rows.append(row)
            continue
        if not rows:
            head.append(stripped)
        elif rows[-1].item_parts or _ITEM_START_LINE.match(stripped):
            rows[-1].item_parts.append(stripped)
        else:
            rows[-1].goal_parts.append(stripped)
        i += 1
    return head, rows


def _clean_value(v: str) -> str | None:
    v = normalize_text(v.strip(_SEPARATORS))
    return v or None


def _split_item(body: str) -> tuple[str, str, str, str | None, str | None] | None:
    m = _CODED.match(body)
    if not m:
        return None
    rest = m.group("rest")
    pm = _PERIOD_LABEL.search(rest)
    am = _ANNUAL_LABEL.search(rest, pm.end() if pm else 0)
    if pm:
        name, period = rest[: pm.start()], rest[pm.end() : am.start() if am else len(rest)]
    else:
        name, period = rest[: am.start() if am else len(rest)], None
    annual = rest[am.end() :] if am else None
    if not pm and not am:
        name = re.split(r"[；;]", rest, maxsplit=1)[0]
    return (
        m.group("l1"),
        m.group("l2"),
        name.strip(_SEPARATORS),
        _clean_value(period) if period is not None else None,
        _clean_value(annual) if annual is not None else None,
    )


def parse_items(
    text: str, source: str, line: int | None = None
) -> tuple[list[Indicator], list[ParseWarning]]:
    """Indicators from the joined item text of one project."""
    flat = re.sub(r"\s*\n\s*", "", text)
    starts = list(_ITEM_START.finditer(flat))
    indicators: list[Indicator] = []
    warnings: list[ParseWarning] = []
    if not starts and flat.strip():
        warnings.append(ParseWarning(source=source, line=line, text=flat[:80], problem="no numbered items"))
    for k, m in enumerate(starts):
        body = flat[m.end() : starts[k + 1].start() if k + 1 < len(starts) else len(flat)]
        parts = _split_item(body)
        if parts is None:
            warnings.append(
                ParseWarning(source=source, line=line, text=body[:80], problem="item without coded levels")
            )
            continue
        l1, l2, name, period, annual = parts
        try:
            ind = make_indicator(
                name,
                normalize_text(l1),
                normalize_text(l2),
                period_value=period,
                annual_value=annual,
                raw=normalize_text(m.group(0) + body),
            )
        except UnknownCategoryError as e:
            warnings.append(ParseWarning(source=source, line=line, text=body[:80], problem=str(e)))
            continue
        indicators.append(ind)
    return indicators, warnings


def parse(text: str, source: str) -> ParseResult:
    lines = text.split("\n")
    head, rows = _rows(lines)
    head_text = "\n".join(head)
    unit_of_amount = amount_unit(head_text)
    dept = department(head_text)
    year = title_year(head_text)
    kind = table_type(head_text)
    tables: list[GoalTable] = []
    warnings: list[ParseWarning] = []
    unit: str | None = None
    for row in rows:
        name = row.name
        if row.is_total:
            if name and not re.fullmatch(r"(合\s*计|总\s*计)", name):
                unit = name
            continue
        amount_raw = row.amounts[0] if row.amounts else None
        indicators, item_warnings = parse_items("\n".join(row.item_parts), source, row.line)
        warnings.extend(item_warnings)
        table = GoalTable(
            id=table_id(source, len(tables) + 1),
            source=source,
            department=dept,
            unit=unit,
            project=name,
            amount=parse_amount(amount_raw, unit_of_amount or "元") if amount_raw else None,
            amount_raw=f"{amount_raw}{unit_of_amount or ''}" if amount_raw else None,
            year=year,
            annual_goal=normalize_text(join_wrapped(row.goal_parts)) or None,
            indicators=indicators,
            table_type=kind,
        )
        tables.append(finalize(table))
    return ParseResult(tables=tables, warnings=warnings, layout="numbered")
