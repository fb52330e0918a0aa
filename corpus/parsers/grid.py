"""Goal tables from a 2-D grid of cells, whatever file the grid came from.

Spreadsheets, Word and PDF tables and text tables all end up as rows of cell texts
with merged cells left blank, so one parser serves them all. Real grids are not
clean: PDF-to-text converters shift a row's cells a column left or right, split a
value over 指标方向 | 目标值 | 计量单位 columns, and self-evaluation tables add
实际完成值 / 分值 / 得分 columns that must never be read as the target. So the header
row only *suggests* where things are; which cell is a category, a name or a value is
decided by the cell's content first and its column second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from jixiao.corpus.errors import UnknownCategoryError
from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.parsers.wrapped_text import table_id
from jixiao.corpus.records import finalize, make_indicator
from jixiao.corpus.schema import GoalTable, Indicator, ParseResult, ParseWarning
from jixiao.corpus.taxonomy import (
    LEVEL1_NAMES,
    is_level1_name,
    is_level2_name,
    level1_code,
    resolve,
    split_combined,
)
from jixiao.corpus.values import parse_amount

Grid = Sequence[Sequence[str | None]]

# --- header roles -------------------------------------------------------------------

L1, L2, L3 = "l1", "l2", "l3"
VALUE, PERIOD, OP, UNIT, IGNORE = "value", "period", "op", "unit", "ignore"

_HEADER_ROLES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^一级(指标)?$"), L1),
    (re.compile(r"^二级(指标)?$"), L2),
    (re.compile(r"^(三级指标|三级|指标名称|绩效指标名称|具体指标|指标内容)"), L3),
    (re.compile(r"(实际|完成值|完成情况|实现值|实际值|执行数|全年完成|实施进度)"), IGNORE),
    (re.compile(r"(分值|得分|权重|偏差|原因|改进|备注|评分|说明|解释|佐证|计算方法)"), IGNORE),
    (re.compile(r"(实施周期|实施期|中长期|周期)(指标值|目标值|目标)?"), PERIOD),
    (re.compile(r"(指标值|目标值|目标|计划值|预期值|标准值)"), VALUE),
    (re.compile(r"^(指标)?(性质|方向|运算符|符号)"), OP),
    (re.compile(r"^(计量|度量)?单位$"), UNIT),
]


def _compact(text: str | None) -> str:
    """A cell as labels are compared: no spaces (PDF text spaces out ``一 级 指 标``)."""
    t = normalize_text(text or "")
    return re.sub(r"[\s:：]+", "", t).replace("（", "(").replace("）", ")")


def _header_role(cell: str | None) -> str | None:
    c = re.sub(r"\(.*?\)", "", _compact(cell))
    if not c:
        return None
    for pat, role in _HEADER_ROLES:
        if pat.search(c):
            return role
    return None


def header_roles(row: Sequence[str | None]) -> dict[int, str] | None:
    """Column → role for an indicator header row; None when the row is not one."""
    roles = {j: r for j, cell in enumerate(row) if (r := _header_role(cell))}
    levels = [j for j, r in roles.items() if r in (L1, L2, L3)]
    if not levels:
        return None
    # Left of the levels sit row labels (``年度绩效目标(80分)``), never value columns.
    roles = {j: r for j, r in roles.items() if j >= min(levels)}
    found = set(roles.values())
    if L3 not in found and not ({L1, L2} <= found):
        return None
    if not (found & {L1, L2}):
        return None
    if L3 not in found:
        # ``一级指标 | 二级指标 | 指标值``: the name sits between level 2 and the value.
        l2 = max(j for j, r in roles.items() if r == L2)
        roles[l2 + 1] = L3
    return roles


# --- metadata labels ----------------------------------------------------------------

_META_LABELS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(项目|专项|专项资金|资金|转移支付|项目\(资金\))名称$"), "project"),
    (re.compile(r"^(主管部门|主管单位|部门名称|县级主管部门|主管部门及代码|主管部门\(?及代码\)?)$"), "department"),
    (re.compile(r"^(实施单位|用款单位|预算单位|单位名称|项目单位|实施单位\(盖章\))$"), "unit"),
    (re.compile(r"^(年度资金总额|预算金额|项目资金总额|资金总额|年度预算|年度预算数|申请金额|项目金额)"), "amount"),
    (re.compile(r"^(项目期|实施周期|项目周期|实施期限|项目实施期|专项起止时间|起止时间)$"), "period"),
    (re.compile(r"^(年度目标|年度绩效目标|绩效目标|年度总体目标|目标|总体绩效目标)$"), "annual_goal"),
    (re.compile(r"^(实施周期总目标|总体目标|中长期目标|中长期绩效目标|实施期目标|长期目标)$"), "period_goal"),
]
_NEW_TABLE_KEYS = {"project", "department", "unit"}
_FOOTER = re.compile(r"^(填报人|填表人|联系电话|联系人|审核|备注|说明|注[:：]|单位负责人|财务负责人|总分|合计|评价结论|自评结论)")
_GOAL_SUBHEADER = re.compile(r"^(预期目标|年初设定目标|年度目标|目标)$")
_BUDGET_COLUMN = re.compile(r"(全年预算数|调整后预算|预算数)")
_YEAR = re.compile(r"[(（]\s*((?:19|20)\d{2})\s*年度?\s*[)）]|((?:19|20)\d{2})\s*年度")
_AMOUNT_UNIT = re.compile(r"(亿元|万元|千元|元)")
_TITLE = re.compile(r"([\u4e00-\u9fff（）()]*?(绩效目标表|自评表|申报表|批复表|审批表|目标表))")


def _meta_key(cell: str | None) -> str | None:
    c = _compact(cell).rstrip(":：")
    if not c or len(c) > 16:
        return None
    base = re.sub(r"\((万元|元|亿元)\)$", "", c)
    for pat, key in _META_LABELS:
        if pat.search(base):
            return key
    return None


# --- category cells -----------------------------------------------------------------


def _category(cell: str) -> tuple[str | None, str | None] | None:
    """(level1, level2) printed in one cell, or None when the cell is no category."""
    text = cell.strip()
    combined = split_combined(text)
    if combined:
        return combined
    if is_level2_name(text):
        if is_level1_name(text):  # 成本指标 / 满意度指标: the column decides
            return (text, text)
        return (None, text)
    if is_level1_name(text):
        return (text, None)
    return None


def category_cell(cell: str) -> bool:
    """Whether a cell prints a category (level 1, level 2 or both)."""
    return _category(cell) is not None


def is_meta_label(cell: str) -> bool:
    """Whether a cell is a table-metadata label (项目名称, 主管部门…) or a footer label."""
    return _meta_key(cell) is not None or bool(_FOOTER.match(_compact(cell)))


def _strong_category(cell: str) -> tuple[str | None, str | None] | None:
    """A category that cannot be a name: bare variants (资金成本, 经济) also name indicators."""
    cat = _category(cell)
    if cat is None:
        return None
    c = _compact(cell)
    return cat if re.search(r"指标(\(.*\))?$", c) or split_combined(cell) else None


_OPERATOR_CELL = re.compile(
    r"^(≥|≤|>|<|=|＞|＜|≧|≦|＝|>=|<=|大于等于|小于等于|大于|小于|等于|不低于|不高于|不少于|不多于|不超过|约|≈)$"
)
_PLACEHOLDER = re.compile(r"[(（]\s*[≥≤><=＞＜≧≦]*\s*\*+\s*[^()（）]{0,6}[)）]")
_NAME_PREFIX = re.compile(
    r"^\s*([★☆*＊]+|指标\s*\d+\s*([:：.、]|(?=[\u4e00-\u9fff]))|\d{1,2}\s*[.、．]\s*(?=[\u4e00-\u9fff]))+\s*"
)
_TEMPLATE_NAME = re.compile(r"^(指标\s*\d*|[.…。·\s]+|[-—/\\]+|无)$")


def clean_name(name: str) -> str:
    """Drop template hints drafters leave in names: ★, ``指标1:``, ``(≥**人)``."""
    t = _PLACEHOLDER.sub("", name)
    t = _NAME_PREFIX.sub("", t)
    return normalize_text(t)


def _usable_name(name: str) -> bool:
    if _TEMPLATE_NAME.match(name):
        return False
    return bool(re.search(r"[\u4e00-\u9fffA-Za-z0-9]", name)) and not re.fullmatch(r"[\d.%\s]+", name)


# --- table assembly -------------------------------------------------------------------


@dataclass
class _Table:
    meta: dict[str, str] = field(default_factory=dict)
    indicators: list[Indicator] = field(default_factory=list)
    year: int | None = None
    title: str | None = None
    amount_unit: str | None = None
    budget_col: int | None = None
    unknown: list[str] = field(default_factory=list)


@dataclass
class _Levels:
    """The categories carried down from merged cells."""

    l1: str | None = None
    l2: str | None = None
    l2_unknown: str | None = None


def _cells(row: Sequence[str | None]) -> list[str]:
    return [(c or "").strip() for c in row]


def grid_to_tables(rows: list[list[str | None]], source: str) -> ParseResult:
    """Every goal table in a grid (one sheet, one Word/PDF table, one text document).

    Raises UnknownCategoryError only when the grid has indicator rows and none of them
    carries a known category; otherwise unknown categories are warnings on kept rows.
    """
    parser = _GridParser(source)
    for i, row in enumerate(rows):
        parser.feed(i + 1, _cells(row))
    return parser.finish()


class _GridParser:
    def __init__(self, source: str):
        self.source = source
        self.tables: list[_Table] = []
        self.warnings: list[ParseWarning] = []
        self.cur = _Table()
        self.roles: dict[int, str] | None = None
        self.levels = _Levels()
        self.pending_year: int | None = None
        self.pending_title: str | None = None
        self.pending_unit: str | None = None
        self.goal_col: tuple[str, int] | None = None
        self.rows_seen = 0
        self.rows_unknown = 0
        self.first_unknown: UnknownCategoryError | None = None

    # -- rows --------------------------------------------------------------------
    def feed(self, line: int, cells: list[str]) -> None:
        if not any(cells):
            return
        self._note_context(cells)
        roles = header_roles(cells)
        if roles is not None:
            self.roles = roles
            self.levels = _Levels()
            return
        keys = self._meta_keys(cells)
        if keys and (self.roles is not None or (keys & _NEW_TABLE_KEYS and keys & set(self.cur.meta))):
            if keys & _NEW_TABLE_KEYS or self.roles is not None and self.cur.indicators:
                self._close()
        if keys:
            self._read_meta(cells, line)
            return
        if self.goal_col is not None:
            self._read_goal_below(cells)
        if self.roles is None:
            self._note_budget_header(cells)
            return
        first = next(c for c in cells if c)
        if _FOOTER.match(_compact(first)):
            self._close()
            return
        self._read_indicator(line, cells)

    def _note_context(self, cells: list[str]) -> None:
        joined = " ".join(c for c in cells if c)
        if len(joined) <= 60:
            m = _YEAR.search(joined)
            if m and not _meta_key(cells[0] if cells else ""):
                self.pending_year = int(m.group(1) or m.group(2))
            t = _TITLE.search(_compact(joined))
            if t and len(joined) <= 40:
                self.pending_title = re.sub(r"^\d+", "", t.group(1))
        u = re.search(r"(?:单位\s*[:：]\s*|(?:资金|金额|预算)\s*[(（]\s*)(亿元|万元|千元|元)", joined)
        if u:
            self.pending_unit = u.group(1)
            if self.cur.meta and "amount" not in self.cur.meta:
                self.cur.amount_unit = u.group(1)

    def _meta_keys(self, cells: list[str]) -> set[str]:
        keys = set()
        for c in cells:
            k = _meta_key(c)
            if k:
                keys.add(k)
        return keys

    def _start_table_context(self) -> None:
        if not self.cur.meta and not self.cur.indicators:
            self.cur.year = self.cur.year or self.pending_year
            self.cur.title = self.cur.title or self.pending_title
            self.cur.amount_unit = self.cur.amount_unit or self.pending_unit

    def _read_meta(self, cells: list[str], line: int) -> None:
        self._start_table_context()
        for j, c in enumerate(cells):
            key = _meta_key(c)
            if not key:
                continue
            unit = _AMOUNT_UNIT.search(_compact(c))
            if key == "amount":
                # The unit is printed in the label, here or in the row's first cell.
                unit = unit or _AMOUNT_UNIT.search(_compact(cells[0]))
                if unit:
                    self.cur.amount_unit = unit.group(1)
            value, vj = self._value_right_of(cells, j, key)
            if key in ("annual_goal", "period_goal") and value and _GOAL_SUBHEADER.match(_compact(value)):
                self.goal_col = (key, vj)
                continue
            if value and key not in self.cur.meta:
                self.cur.meta[key] = value

    def _value_right_of(self, cells: list[str], j: int, key: str) -> tuple[str | None, int]:
        if key == "amount" and self.cur.budget_col is not None and self.cur.budget_col > j:
            v = cells[self.cur.budget_col] if self.cur.budget_col < len(cells) else ""
            if v:
                return v, self.cur.budget_col
        for k in range(j + 1, len(cells)):
            c = cells[k]
            if not c:
                continue
            if _meta_key(c):
                return None, k
            return c, k
        return None, j

    def _read_goal_below(self, cells: list[str]) -> None:
        assert self.goal_col is not None
        key, col = self.goal_col
        self.goal_col = None
        filled = [c for c in cells if c]
        text = cells[col] if col < len(cells) and len(filled) >= col + 1 else ""
        if not text:
            text = next((c for c in cells if c), "")
        if text and key not in self.cur.meta:
            self.cur.meta[key] = text

    def _note_budget_header(self, cells: list[str]) -> None:
        for j, c in enumerate(cells):
            if _BUDGET_COLUMN.search(_compact(c)) and "执行" not in c:
                self.cur.budget_col = j
                return

    # -- indicator rows ------------------------------------------------------------
    def _read_indicator(self, line: int, cells: list[str]) -> None:
        roles = self.roles or {}
        col = {r: j for j, r in sorted(roles.items(), reverse=True)}  # first column per role
        c1 = col.get(L1, col.get(L2, 0))
        c2 = col.get(L2, c1 + 1)
        c3 = col.get(L3, c2 + 1)
        # Cells left of the level columns count too: a row whose merged cells the
        # source left out starts at column 0.
        items = [(j, c) for j, c in enumerate(cells) if c and not _is_row_label(c)]
        if not items:
            return
        if len(items) == 1 and items[0][0] < min(c1, c2, c3):
            # A lone cell left of the table: a title or a note between tables.
            if _TITLE.search(_compact(items[0][1])):
                self._close()
            return
        raw = " | ".join(c for _, c in items)
        value_cols = [j for j, r in roles.items() if r in (VALUE, PERIOD)]
        cv = min(value_cols) if value_cols else c3 + 1
        last_role_col = max(roles) if roles else cv
        l1 = l2 = None
        unknown: str | None = None
        name_j: int | None = None
        shift = 0

        # A row shifted left: its value column is empty, its level-1 cell holds something
        # that is no level-1 name. Right-align its cells into level 2 | name | value.
        beyond = [j for j, _ in items if j >= cv]
        first_j, first_c = items[0]
        first_cat = _category(first_c)
        second_cat = _strong_category(items[1][1]) if len(items) > 1 else None
        if (
            not beyond
            and value_cols
            and first_j == c1
            and c1 < c2
            and len(items) >= 2
            and (first_cat is None or first_cat[1] is not None)
            and second_cat is None
            and not (self.levels.l1 is None and first_cat is None)
        ):
            packed = [c for _, c in items][-3:]
            value_text = packed[-1]
            name = packed[-2]
            if len(packed) == 3:
                cat = _category(packed[0])
                if cat is None:
                    unknown = packed[0]
                else:
                    l2 = cat[1] or cat[0]
            self._emit(line, raw, l1, l2, unknown, name, {VALUE: value_text})
            return

        idx = 0
        while idx < len(items):
            j, c = items[idx]
            cat = _category(c)
            rest = items[idx + 1 :]
            if cat is None:
                # A non-category in a category column, with the name column filled too:
                # a category this parser does not know.
                if j in (c1, c2) and j < c3 and any(k == c3 for k, _ in rest) and unknown is None and not l2:
                    unknown = c
                    idx += 1
                    continue
                break
            if l2 is not None or unknown is not None:
                break
            if j >= c3 and (len(rest) < 1 or not any(k > last_role_col for k, _ in rest)):
                break  # a name that happens to equal a category name
            cl1, cl2 = cat
            if cl1 and cl2 and cl1 == cl2:  # 成本指标 / 满意度指标: level 1 in the level-1 column
                if j <= c1 and l1 is None and (not rest or _category(rest[0][1]) is not None) or j <= c1 and l1 is None and not rest:
                    cl2 = None
                else:
                    cl1 = None
            if cl1 and l1 is None and cl2 is None and j <= c2:
                l1 = cl1
            elif cl1 and cl2:
                l1, l2 = cl1, cl2
            elif cl2:
                l2 = cl2
            else:
                break
            idx += 1
        if idx >= len(items):
            self._set_levels(l1, l2, unknown)
            return
        name_j, name = items[idx]
        if j_is_ignored(roles, name_j):
            self._set_levels(l1, l2, unknown)
            return
        shift = name_j - c3 if roles else 0
        parts: dict[str, str] = {}
        for role in (VALUE, PERIOD, OP, UNIT):
            for rj, r in sorted(roles.items()):
                if r != role:
                    continue
                k = rj + shift
                if 0 <= k < len(cells) and cells[k] and k > name_j:
                    parts[role] = (parts[role] + " " if role in parts else "") + cells[k] if role == OP else cells[k]
                    if role != OP:
                        break
        if VALUE not in parts and PERIOD not in parts:
            for k, c in items[idx + 1 :]:
                if roles.get(k - shift) in (IGNORE, UNIT, OP):
                    continue
                parts[VALUE] = c
                break
        self._emit(line, raw, l1, l2, unknown, name, parts)

    def _set_levels(self, l1: str | None, l2: str | None, unknown: str | None) -> None:
        """A category-only row: it opens a block for the rows below."""
        if l1:
            self.levels = _Levels(l1=l1)
        if l2:
            self.levels.l2 = l2
            self.levels.l2_unknown = None
        if unknown:
            self.levels.l2 = None
            self.levels.l2_unknown = unknown

    def _emit(
        self,
        line: int,
        raw: str,
        l1: str | None,
        l2: str | None,
        unknown: str | None,
        name: str,
        parts: dict[str, str],
    ) -> None:
        name = clean_name(name)
        if not _usable_name(name):
            self._warn(line, raw, "no indicator name in this row")
            self._set_levels(l1, l2, unknown)
            return
        inferred = []
        self._set_levels(l1, l2, unknown)
        if not l1:
            inferred.append("level1")
        if not l2 and not unknown:
            inferred.append("level2")
        lv = self.levels
        level1, level2 = lv.l1, lv.l2
        unknown = unknown or lv.l2_unknown
        self.rows_seen += 1
        if level1 is None and level2 is None and unknown is None:
            self._warn(line, raw, "indicator row before any category")
            return
        value = _join_value(parts.get(OP), parts.get(VALUE), parts.get(UNIT))
        period = _join_value(parts.get(OP), parts.get(PERIOD), parts.get(UNIT)) if PERIOD in parts else None
        try:
            ind = make_indicator(
                name,
                level1,
                None if unknown else level2,
                period_value=period,
                annual_value=value,
                raw=raw,
                inferred_levels=inferred,
            )
        except UnknownCategoryError as e:
            self.first_unknown = self.first_unknown or e
            self.rows_unknown += 1
            self._warn(line, raw, f"unknown category: {e}")
            ind = make_indicator(name, None, None, period_value=period, annual_value=value, raw=raw)
            self.cur.indicators.append(ind)
            return
        if unknown:
            self.rows_unknown += 1
            if self.first_unknown is None:
                self.first_unknown = UnknownCategoryError(unknown, "level2", _accepted_level2())
            self._warn(line, raw, f"unknown category {unknown!r}; row kept without a tier")
        if ind.level1 and ind.code:
            # A level 2 under another level 1 than the carried one moves the block.
            self.levels.l1 = ind.level1
        self.cur.indicators.append(ind)

    def _warn(self, line: int, raw: str, problem: str) -> None:
        self.warnings.append(ParseWarning(source=self.source, line=line, text=raw[:200], problem=problem))

    # -- tables --------------------------------------------------------------------
    def _close(self) -> None:
        t = self.cur
        if t.indicators:
            self.tables.append(t)
        elif t.meta and self.roles is not None:
            self._warn(None, " ".join(t.meta.values())[:200], "goal table without indicator rows")  # type: ignore[arg-type]
        self.cur = _Table()
        self.roles = None
        self.levels = _Levels()
        self.goal_col = None

    def finish(self) -> ParseResult:
        self._close()
        if self.rows_seen and self.rows_unknown == self.rows_seen and self.first_unknown is not None:
            raise self.first_unknown
        out = []
        for n, t in enumerate(self.tables, 1):
            out.append(_to_goal_table(t, self.source, n))
        return ParseResult(tables=out, warnings=self.warnings, layout="grid")


def j_is_ignored(roles: dict[int, str], j: int) -> bool:
    return roles.get(j) == IGNORE


def _is_row_label(cell: str) -> bool:
    """The merged left label ``绩效指标`` that some layouts print on the first rows."""
    return _compact(cell) in ("绩效指标", "年度绩效指标", "指标")


def _accepted_level2() -> list[str]:
    from jixiao.corpus.taxonomy import TIERS

    return sorted({t.level2 for t in TIERS.values()})


def _join_value(op: str | None, value: str | None, unit: str | None) -> str | None:
    """``大于等于 | 98 | %`` → ``大于等于98%``; operator cells that are no operator are dropped."""
    if value is None:
        return None
    v = value.strip()
    if op:
        ops = [o for o in op.split() if _OPERATOR_CELL.match(o)]
        if ops and not re.match(r"^[≥≤><=＞＜≧≦＝约]|^(大于|小于|等于|不低于|不高于|不少于|不超过)", v):
            v = ops[-1] + v
    if unit and unit.strip() and not v.endswith(unit.strip()) and unit.strip() not in ("/", "-", "——"):
        v = v + unit.strip()
    return v


def _to_goal_table(t: _Table, source: str, n: int) -> GoalTable:
    meta = t.meta
    amount_raw = meta.get("amount")
    if amount_raw is not None:
        amount_raw = normalize_text(amount_raw)
        if t.amount_unit and not _AMOUNT_UNIT.search(amount_raw) and re.search(r"\d", amount_raw):
            amount_raw = amount_raw + t.amount_unit
    period = meta.get("period")
    table = GoalTable(
        id=table_id(source, n),
        source=source,
        project=_clean_meta(meta.get("project")),
        department=_clean_meta(meta.get("department")),
        unit=_clean_meta(meta.get("unit")),
        amount_raw=amount_raw,
        amount=parse_amount(amount_raw) if amount_raw else None,
        period=normalize_text(period) or None if period else None,
        year=t.year,
        annual_goal=_clean_meta(meta.get("annual_goal")),
        period_goal=_clean_meta(meta.get("period_goal")),
        indicators=t.indicators,
    )
    if t.title:
        table.table_type = t.title  # type: ignore[attr-defined]
    return finalize(table)


def _clean_meta(text: str | None) -> str | None:
    if text is None:
        return None
    return normalize_text(text) or None


__all__ = ["grid_to_tables", "header_roles", "clean_name", "LEVEL1_NAMES", "level1_code", "resolve"]
