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
from functools import lru_cache

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.parsers.vocab import (
    IGNORE,
    ITEM_MARKER,
    L1,
    L2,
    L3,
    OP,
    PERIOD,
    SIGN_CLASS,
    STARTS_WITH_OPERATOR,
    UNIT,
    VALUE,
    is_operator,
)
from jixiao.corpus.parsers.wrapped_text import table_id
from jixiao.corpus.records import finalize, make_indicator
from jixiao.corpus.schema import GoalTable, Indicator, ParseResult, ParseWarning
from jixiao.corpus.taxonomy import LEVEL2_NAMES, is_level1_name, is_level2_name, split_combined
from jixiao.corpus.values import parse_amount
from jixiao.errors import UnknownCategoryError

# --- header roles -------------------------------------------------------------------


_HEADER_ROLES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^一级(指标)?$"), L1),
    (re.compile(r"^二级(指标)?$"), L2),
    (re.compile(r"^(三级指标|三级|指标名称|绩效指标名称|具体指标|指标内容)"), L3),
    (re.compile(r"(实际|完成值|完成情况|实现值|实际值|执行数|全年完成|实施进度)"), IGNORE),
    (re.compile(r"(分值|得分|权重|偏差|原因|改进|备注|评分|说明|解释|佐证|计算方法|描述|内容)"), IGNORE),
    (re.compile(r"(值类型|指标类型|性质|方向|运算符|符号)$"), OP),
    (re.compile(r"(实施周期|实施期|中长期|周期)(指标值|目标值|目标)?"), PERIOD),
    (re.compile(r"(指标值|目标值|目标|计划值|预期值|标准值|数值)|^年度$"), VALUE),
    (re.compile(r"^(指标)?(性质|方向|运算符|符号)"), OP),
    (re.compile(r"^(计量|度量)?单位$"), UNIT),
]


_LABEL_MAX = 40  # longer cells are names, values or prose, never labels


def _compact(text: str | None) -> str:
    """A cell as labels are compared: no spaces (PDF text spaces out ``一 级 指 标``)."""
    return _compact_cached(text or "")


@lru_cache(maxsize=4096)
def _compact_cached(text: str) -> str:
    t = normalize_text(text[:200])
    return re.sub(r"[\s:：]+", "", t).replace("（", "(").replace("）", ")")


def header_role(cell: str | None) -> str | None:
    """The role of a header cell (level, value, operator, unit, ignored), or None."""
    if not cell or len(cell) > _LABEL_MAX:
        return None
    c = re.sub(r"\(.*?\)", "", _compact(cell))
    if not c:
        return None
    for pat, role in _HEADER_ROLES:
        if pat.search(c):
            return role
    return None


_HEADER_HINT = re.compile(r"级|級|指标名称|指標名稱|具体指标|具體指標|指标内容|指標內容")


def header_roles(row: Sequence[str | None]) -> dict[int, str] | None:
    """Column → role for an indicator header row; None when the row is not one."""
    if not any(cell and _HEADER_HINT.search(cell) for cell in row):
        return None  # cheap test first: most rows are indicator rows
    roles = {j: r for j, cell in enumerate(row) if (r := header_role(cell))}
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
    (
        re.compile(r"^(主管部门|主管单位|部门名称|县级主管部门|主管部门及代码|主管部门\(?及代码\)?)$"),
        "department",
    ),
    (re.compile(r"^(实施单位|用款单位|预算单位|单位名称|项目单位|实施单位\(盖章\))$"), "unit"),
    (
        re.compile(r"^(年度资金总额|预算金额|项目资金总额|资金总额|年度预算|年度预算数|申请金额|项目金额)"),
        "amount",
    ),
    (re.compile(r"^(项目期|实施周期|项目周期|实施期限|项目实施期|专项起止时间|起止时间)$"), "period"),
    (re.compile(r"^(年度目标|年度绩效目标|绩效目标|年度总体目标|目标|总体绩效目标)$"), "annual_goal"),
    (re.compile(r"^(实施周期总目标|总体目标|中长期目标|中长期绩效目标|实施期目标|长期目标)$"), "period_goal"),
]
_NEW_TABLE_KEYS = {"project", "department", "unit"}
_FOOTER = re.compile(
    r"^(填报人|填表人|联系电话|联系人|审核|备注|说明|注[:：]|单位负责人|财务负责人|总分|合计|评价结论|自评结论"
    # the web page around a table that was copied with it
    r"|主办单位|承办单位|版权所有|网站标识码|网站地图|扫一扫|技术支持|打印本页|关闭窗口)"
)
_GOAL_SUBHEADER = re.compile(r"^(预期目标|年初设定目标|年度目标|目标)$")
_BUDGET_COLUMN = re.compile(r"(全年预算数|调整后预算|预算数)")
_YEAR = re.compile(r"[(（]\s*((?:19|20)\d{2})\s*年度?\s*[)）]|((?:19|20)\d{2})\s*年度")
_UNIT_NOTE = re.compile(r"^单\s*位\s*[:：]")
_AMOUNT_UNIT = re.compile(r"(亿元|万元|千元|元)")
_TITLE = re.compile(r"([\u4e00-\u9fff（）()]*?(绩效目标表|自评表|申报表|批复表|审批表|目标表))")


def _meta_key(cell: str | None) -> str | None:
    if not cell or len(cell) > _LABEL_MAX:
        return None
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
    if not text or len(text) > 30:
        return None
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


#: The web page's own footer, wherever it sits in a cell (``临邑县人民政府主办``, ``鲁ICP备…``).
_PAGE_CHROME = re.compile(r"ICP备|公网安备|网站标识码|版权所有|(主办|承办)$|(电话|邮箱|地址)[:：]")


def is_meta_label(cell: str) -> bool:
    """Whether a cell is a table-metadata label (项目名称, 主管部门…), a footer label or page chrome."""
    return (
        _meta_key(cell) is not None
        or bool(_FOOTER.match(_compact(cell[:12])))
        or bool(_PAGE_CHROME.search(cell[:60]))
    )


def _strong_category(cell: str) -> tuple[str | None, str | None] | None:
    """A category that cannot be a name: bare variants (资金成本, 经济) also name indicators."""
    cat = _category(cell)
    if cat is None:
        return None
    c = _compact(cell)
    return cat if re.search(r"指标(\(.*\))?$", c) or split_combined(cell) else None


_PLACEHOLDER = re.compile(
    rf"[(（]\s*{SIGN_CLASS}*\s*\*+\s*[^()（）]{{0,6}}[)）]|{SIGN_CLASS}\s*\*+\s*[^\s()（）\d]{{0,4}}$"
)
_NAME_PREFIX = re.compile(
    r"^\s*([★☆*＊]+|指标\s*\d+\s*([:：.、]|(?=[\u4e00-\u9fff]))|\d{1,2}\s*[.、．]\s*(?=[\u4e00-\u9fff]))+\s*"
)
_PLACEHOLDER_UNIT = re.compile(rf"[(（]\s*{SIGN_CLASS}*\s*\*+\s*([^()（）\d*\s]{{1,6}})[)）]")
_BARE_NUMBER = re.compile(rf"^{SIGN_CLASS}?\s*\d+(\.\d+)?$")
_TEMPLATE_NAME = re.compile(r"^(指标\s*\d*|[.…。·\s]+|[-—/\\]+|无)$")


def clean_name(name: str) -> str:
    """Drop template hints drafters leave in names: ★, ``指标1:``, ``(≥**人)``."""
    t = _PLACEHOLDER.sub("", name)
    t = _NAME_PREFIX.sub("", t)
    return normalize_text(t)


#: Header labels that a broken stream can put where a name goes; never an indicator's name.
_LABEL_NAME = re.compile(
    r"^(绩效指标|[一二三]级指标?|指标名称|(年度|年初)?(指标值|目标值)|(实际)?完成值|实际完成值分值|分值|得分|权重|备注)$"
)


def _usable_name(name: str) -> bool:
    if _TEMPLATE_NAME.match(name) or _LABEL_NAME.match(_compact(name)):
        return False
    if len(re.findall(r"[\u4e00-\u9fffA-Za-z0-9]", name)) < 2:
        return False  # ``率``, ``标``: a fragment of a wrapped cell
    return not re.fullmatch(r"[\d.%\s]+", name)


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
        if self._starts_new_table(keys):
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
        if _FOOTER.match(_compact(first[:12])) or _PAGE_CHROME.search(first[:60]):
            self._close()
            return
        self._read_indicator(line, cells)

    def _starts_new_table(self, keys: set[str]) -> bool:
        """A project label after indicator rows, or one the current table already has."""
        if not keys:
            return False
        if self.roles is not None and self.cur.indicators:
            return True
        return bool(keys & _NEW_TABLE_KEYS) and (self.roles is not None or bool(keys & set(self.cur.meta)))

    def _note_context(self, cells: list[str]) -> None:
        joined = " ".join(c for c in cells if c)
        if len(joined) <= 60:
            m = _YEAR.search(joined)
            if m and not _meta_key(cells[0] if cells else ""):
                self.pending_year = int(m.group(1) or m.group(2))
            t = _TITLE.search(_compact(joined))
            if t and len(joined) <= 40:
                self.pending_title = re.sub(r"^\d+", "", t.group(1))
        u = re.search(r"(?:单位\s*[:：]\s*|(?:资金|金额|预算)\S{0,4}?\s*[(（]\s*)(亿元|万元|千元|元)", joined)
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
        cols = _Columns.of(roles)
        # Cells left of the level columns count too: a row whose merged cells the
        # source left out starts at column 0.
        items = [
            (j, c)
            for j, c in enumerate(cells)
            if c and not _is_row_label(c) and not (j < cols.c1 and _SERIAL.fullmatch(c))
        ]
        if not items or any(_UNIT_NOTE.match(c) for _, c in items):
            return  # nothing, or a ``单位：万元`` line between tables
        if len(items) == 1 and items[0][0] < min(cols.c1, cols.c2, cols.c3):
            # A lone cell left of the table: a title or a note between tables.
            if _TITLE.search(_compact(items[0][1])):
                self._close()
            return
        raw = " | ".join(c for _, c in items)
        if self._shifted_left(items, cols):
            items, cells = _right_align(items, cells, cols)
        l1, l2, unknown, idx = _read_levels(items, cols)
        if idx >= len(items) or roles.get(items[idx][0]) == IGNORE:
            self._set_levels(l1, l2, unknown)  # a category row opens a block
            return
        name_j, name = items[idx]
        parts = _read_values(items[idx + 1 :], cells, roles, name_j - cols.c3 if roles else 0, name_j)
        self._emit(line, raw, l1, l2, unknown, name, parts)

    def _shifted_left(self, items: list[tuple[int, str]], cols: _Columns) -> bool:
        """Its value column empty, its level-1 cell holding no level-1 name: shifted left."""
        first_j, first_c = items[0]
        first_cat = _category(first_c)
        return (
            bool(cols.value_cols)
            and not any(j >= cols.cv for j, _ in items)
            and first_j == cols.c1
            and cols.c1 < cols.c2
            and len(items) >= 2
            and (first_cat is None or first_cat[1] is not None)
            and _strong_category(items[1][1]) is None
            and not (self.levels.l1 is None and first_cat is None)
        )

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
        hint = _PLACEHOLDER_UNIT.search(name)
        marked = bool(ITEM_MARKER.match(name))
        name = clean_name(name)
        if hint and parts.get(VALUE) and _BARE_NUMBER.match(parts[VALUE].strip()) and UNIT not in parts:
            # ``公猪舍(≥**平方米)`` | ``22.8``: the template's placeholder carries the unit.
            parts[UNIT] = hint.group(1)
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
        value = _join_value(parts.get(OP), parts.get(VALUE), parts.get(UNIT))
        period = _join_value(parts.get(OP), parts.get(PERIOD), parts.get(UNIT)) if PERIOD in parts else None
        if level1 is None and level2 is None and unknown is None:
            if marked:
                # ``指标3:…`` is an indicator by its marker even where its category was lost:
                # kept without a tier (the classifier gives one), never given a guessed one.
                self._warn(line, raw, "indicator row before any category; kept without a tier")
                self.cur.indicators.append(
                    make_indicator(name, period_value=period, annual_value=value, raw=raw, inferred_levels=inferred)
                )
                return
            self._warn(line, raw, "indicator row before any category")
            return
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
                self.first_unknown = UnknownCategoryError(unknown, "level2", list(LEVEL2_NAMES))
            self._warn(line, raw, f"unknown category {unknown!r}; row kept without a tier")
        if ind.level1 and ind.code:
            # A level 2 under another level 1 than the carried one moves the block.
            self.levels.l1 = ind.level1
        self.cur.indicators.append(ind)

    def _warn(self, line: int | None, raw: str, problem: str) -> None:
        self.warnings.append(ParseWarning(source=self.source, line=line, text=raw[:200], problem=problem))

    # -- tables --------------------------------------------------------------------
    def _close(self) -> None:
        t = self.cur
        if t.indicators:
            self.tables.append(t)
        elif t.meta and self.roles is not None:
            self._warn(None, " ".join(t.meta.values())[:200], "goal table without indicator rows")
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


@dataclass(frozen=True)
class _Columns:
    """Where an indicator header puts level 1, level 2, the name and the first value."""

    c1: int
    c2: int
    c3: int
    cv: int
    last: int
    value_cols: tuple[int, ...]

    @classmethod
    def of(cls, roles: dict[int, str]) -> _Columns:
        first = {r: j for j, r in sorted(roles.items(), reverse=True)}
        c1 = first.get(L1, first.get(L2, 0))
        c2 = first.get(L2, c1 + 1)
        c3 = first.get(L3, c2 + 1)
        value_cols = tuple(sorted(j for j, r in roles.items() if r in (VALUE, PERIOD)))
        cv = value_cols[0] if value_cols else c3 + 1
        return cls(c1, c2, c3, cv, max(roles) if roles else cv, value_cols)


def _right_align(
    items: list[tuple[int, str]], cells: list[str], cols: _Columns
) -> tuple[list[tuple[int, str]], list[str]]:
    """Move a left-shifted row's cells so that its last cell sits in the value column."""
    slots = list(range(cols.c1, cols.cv + 1))
    if len(items) > len(slots):
        return items, cells
    moved = slots[len(slots) - len(items) :]
    cells = [""] * max(len(cells), cols.cv + 1)
    for k, (_, c) in zip(moved, items, strict=True):
        cells[k] = c
    return [(k, c) for k, (_, c) in zip(moved, items, strict=True)], cells


def _read_levels(
    items: list[tuple[int, str]], cols: _Columns
) -> tuple[str | None, str | None, str | None, int]:
    """The categories a row prints before its name: (level 1, level 2, unknown, name index)."""
    l1 = l2 = unknown = None
    idx = 0
    while idx < len(items):
        j, c = items[idx]
        cat = _category(c)
        rest = items[idx + 1 :]
        if cat is None:
            # A non-category in a category column, with the name column filled too:
            # a category this parser does not know.
            if (
                j in (cols.c1, cols.c2)
                and j < cols.c3
                and any(k == cols.c3 for k, _ in rest)
                and not (unknown or l2)
            ):
                unknown = c
                idx += 1
                continue
            break
        if l2 is not None or unknown is not None:
            break
        if j >= cols.c3 and not any(k > cols.last for k, _ in rest):
            break  # a name that happens to equal a category name
        cl1, cl2 = cat
        if cl1 and cl1 == cl2:  # 成本指标 / 满意度指标: level 1 only in the level-1 column
            if j <= cols.c1 and l1 is None and (not rest or _category(rest[0][1]) is not None):
                cl2 = None
            else:
                cl1 = None
        if cl1 and cl2:
            l1, l2 = cl1, cl2
        elif cl1 and l1 is None and j <= cols.c2:
            l1 = cl1
        elif cl2:
            l2 = cl2
        else:
            break
        idx += 1
    return l1, l2, unknown, idx


def _read_values(
    after: list[tuple[int, str]], cells: list[str], roles: dict[int, str], shift: int, name_j: int
) -> dict[str, str]:
    """Value parts right of the name, in the header's columns moved by the row's shift.

    Operator cells accumulate (指标性质 | 指标方向); when the value column is empty the
    next cell that is no self-evaluation, unit or operator cell is taken.
    """
    parts: dict[str, str] = {}
    for role in (VALUE, PERIOD, OP, UNIT):
        for rj in sorted(j for j, r in roles.items() if r == role):
            k = rj + shift
            if not (name_j < k < len(cells) and cells[k]):
                continue
            if role == OP:
                parts[OP] = f"{parts[OP]} {cells[k]}" if OP in parts else cells[k]
                continue
            parts[role] = cells[k]
            break
    if VALUE not in parts and PERIOD not in parts:
        for k, c in after:
            if roles.get(k - shift) not in (IGNORE, UNIT, OP):
                parts[VALUE] = c
                break
    return parts


#: A row number in a 序号 column left of the levels (``1``, ``2.``, ``(3)``): never a name.
_SERIAL = re.compile(r"[(（]?\d{1,4}[)）.、]?")


def _is_row_label(cell: str) -> bool:
    """The merged left label ``绩效指标`` that some layouts print on the first rows."""
    return len(cell) <= 12 and _compact(cell) in ("绩效指标", "年度绩效指标", "指标")


_NO_UNIT = {"/", "-", "——", "—", "无", "空"}


def _join_value(op: str | None, value: str | None, unit: str | None) -> str | None:
    """``大于等于 | 98 | %`` → ``大于等于98%``; operator cells that are no operator are dropped."""
    if value is None:
        return None
    v = value.strip()
    if op:
        ops = [o for o in op.split() if is_operator(o)]
        if ops and not STARTS_WITH_OPERATOR.match(v):
            v = ops[-1] + v
    if unit and unit.strip() and not v.endswith(unit.strip()) and unit.strip() not in _NO_UNIT:
        v = v + unit.strip()
    return v


def _to_goal_table(t: _Table, source: str, n: int) -> GoalTable:
    meta = t.meta
    amount_raw = meta.get("amount")
    if amount_raw is not None:
        amount_raw = normalize_text(amount_raw)
        if t.amount_unit and not _AMOUNT_UNIT.search(amount_raw) and re.search(r"\d", amount_raw):
            amount_raw = amount_raw + t.amount_unit
    table = GoalTable(
        id=table_id(source, n),
        source=source,
        project=_clean_meta(meta.get("project")),
        department=_clean_meta(meta.get("department")),
        unit=_clean_meta(meta.get("unit")),
        amount_raw=amount_raw,
        amount=parse_amount(amount_raw) if amount_raw else None,
        period=_clean_meta(meta.get("period")),
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


__all__ = ["category_cell", "clean_name", "grid_to_tables", "header_role", "header_roles", "is_meta_label"]
