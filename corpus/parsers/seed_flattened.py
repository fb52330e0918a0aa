"""Flattened-column layout (seed 001): a five-column table read out column by column.

Each table row comes out as the department cell's wrapped pieces, then the unit's,
the project's, the goal's, then the numbered indicators
``1、产出指标：NAME，年度指标值：V。`` — all as short lines. Nothing marks where a
cell ends, so the cells are recovered from what they are: a department or unit name
ends like an organisation (``…局``, ``…中心``), project pieces are narrow, goal pieces
are wide, and an indicator item runs until its value is closed by ``。`` or the next
item starts. Only level 1 is printed: level 2 stays empty unless level 1 fixes it
(满意度), and every row says so in ``inferred_levels``; the classifier fills the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.parsers.wrapped_text import ends_like_org, join_wrapped, spaced, table_id, table_type
from jixiao.corpus.records import finalize, make_indicator
from jixiao.corpus.schema import GoalTable, Indicator, ParseResult, ParseWarning
from jixiao.errors import UnknownCategoryError

_LEVEL1 = r"(?:产出|效益|效果|满意度|成本)指标"
_ITEM_START = re.compile(rf"^\s*\d{{1,2}}\s*、\s*{_LEVEL1}\s*[:：]")
_ANNUAL_LABEL = re.compile(spaced("年度指标值") + r"\s*[:：]")
_PERIOD_LABEL = re.compile(spaced("实施周期指标值") + r"\s*[:：]")
_ITEM = re.compile(rf"^\s*\d{{1,2}}\s*、\s*(?P<l1>{_LEVEL1})\s*[:：]\s*(?P<rest>.*)$", re.S)
_HEADER = re.compile(r"^主管部门.*绩效指标$|绩效目标表")
_MAX_ORG_PIECES = 4
# Project pieces are the narrow middle column; the goal column is about twice as wide.
_GOAL_MIN_WIDTH = 10


def detect(text: str) -> float:
    flat = re.sub(r"\s+", "", text)
    hits = len(re.findall(rf"\d{{1,2}}、{_LEVEL1}[:：][^，,。]{{1,80}}[，,]年度指标值[:：]", flat))
    if hits >= 2:
        return 0.9
    return 0.5 if hits == 1 else 0.0


@dataclass
class _Row:
    line: int
    department: list[str] = field(default_factory=list)
    unit: list[str] = field(default_factory=list)
    project: list[str] = field(default_factory=list)
    goal: list[str] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)


def _width(line: str) -> int:
    return len(re.sub(r"\s+", "", line))


def _item_closed(pieces: list[str]) -> bool:
    """An item is complete once its annual value has text and ends with ``。``."""
    text = join_wrapped(pieces)
    m = _ANNUAL_LABEL.search(text)
    return bool(m) and bool(text[m.end() :].strip()) and text.rstrip().endswith("。")


def _spells(lines: list[str], start: int, name: str) -> bool:
    """Do the lines from ``start`` spell ``name`` (a department repeating on the next row)?"""
    acc = ""
    for line in lines[start : start + _MAX_ORG_PIECES]:
        acc += re.sub(r"\s+", "", line)
        if acc == name:
            return True
        if not name.startswith(acc):
            return False
    return False


def _rows(lines: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    state = "new"
    row: _Row | None = None
    for i, line in enumerate(lines):
        if _HEADER.search(line):
            continue
        if state == "items" and row is not None:
            last_dept = join_wrapped(row.department)
            if _ITEM_START.match(line):
                row.items.append([line])
                continue
            if not _item_closed(row.items[-1]) and not _spells(lines, i, last_dept):
                row.items[-1].append(line)
                continue
            state = "new"
        if state == "new":
            row = _Row(line=i + 1)
            rows.append(row)
            state = "department"
        assert row is not None
        if _ITEM_START.match(line):
            row.items.append([line])
            state = "items"
        elif state == "department":
            row.department.append(line)
            if ends_like_org(join_wrapped(row.department)) or len(row.department) >= _MAX_ORG_PIECES:
                state = "unit"
        elif state == "unit":
            row.unit.append(line)
            if ends_like_org(join_wrapped(row.unit)) or len(row.unit) >= _MAX_ORG_PIECES:
                state = "project"
        elif state == "project" and _width(line) < _GOAL_MIN_WIDTH:
            row.project.append(line)
        else:
            state = "goal"
            row.goal.append(line)
    return rows


def _indicator(pieces: list[str], source: str, line: int) -> Indicator | ParseWarning:
    text = join_wrapped(pieces)
    m = _ITEM.match(text)
    if not m:
        return ParseWarning(source=source, line=line, text=text[:80], problem="item without level 1")
    rest = m.group("rest")
    am = _ANNUAL_LABEL.search(rest)
    pm = _PERIOD_LABEL.search(rest)
    first = min(x.start() for x in (am, pm) if x) if (am or pm) else len(rest)
    name = rest[:first].strip(" ，,；;")
    period = annual = None
    if pm:
        period = rest[pm.end() : am.start() if am and am.start() > pm.end() else len(rest)]
    if am:
        annual = rest[am.end() : pm.start() if pm and pm.start() > am.end() else len(rest)]
    try:
        return make_indicator(
            name,
            m.group("l1"),
            None,
            period_value=normalize_text(period.strip(" ，,；;。")) or None if period else None,
            annual_value=normalize_text(annual.strip(" ，,；;。")) or None if annual else None,
            raw=normalize_text(text),
            inferred_levels=["level2"],
        )
    except UnknownCategoryError as e:
        return ParseWarning(source=source, line=line, text=text[:80], problem=str(e))


def parse(text: str, source: str) -> ParseResult:
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    kind = table_type("\n".join(lines[:3]))
    tables: list[GoalTable] = []
    warnings: list[ParseWarning] = []
    for row in _rows(lines):
        if not row.items:
            leftover = join_wrapped(row.department + row.unit + row.project + row.goal)
            warnings.append(
                ParseWarning(source=source, line=None, text=leftover[:80], problem="row without indicators")
            )
            continue
        indicators = []
        for pieces in row.items:
            ind = _indicator(pieces, source, row.line)
            if isinstance(ind, ParseWarning):
                warnings.append(ind)
            else:
                indicators.append(ind)
        table = GoalTable(
            id=table_id(source, len(tables) + 1),
            source=source,
            department=normalize_text(join_wrapped(row.department)) or None,
            unit=normalize_text(join_wrapped(row.unit)) or None,
            project=normalize_text(join_wrapped(row.project)) or None,
            annual_goal=normalize_text(join_wrapped(row.goal)) or None,
            indicators=indicators,
            table_type=kind,
        )
        tables.append(finalize(table))
    return ParseResult(tables=tables, warnings=warnings, layout="flattened")
