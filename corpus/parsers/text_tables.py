"""Text that is a table written out as text, in whatever shape the text took.

PDF-to-markdown converters (seed 003) write tab-separated rows with merged cells left
blank and cells sometimes shifted; web pages copied as markdown write ``| a | b |``
rows; the corpus's stored page excerpts write one cell per line ending in ``|``, or
cells separated by spaces, or, for OCR'd scans, no separators at all. The text is read
in up to four ways, from the most to the least structure it keeps:

1. as a grid (rows and columns as written), read by ``grid.grid_to_tables``;
2. as a stream of non-empty cells in reading order, for rows that ran together;
3. as glued rows (``产出指标数量指标补贴国有企业≥25个``), one per line;
4. as a flattened paragraph, where only names can still be cut out.

Every reading ends in the grid parser, so one set of rules decides categories, names
and values; of the readings tried, the one with the most well-formed rows (a tier, and
a name that is no value) wins. Later readings run only when the earlier ones come up
short, so a clean table is never second-guessed.
"""

from __future__ import annotations

import re

from jixiao.corpus.errors import UnknownCategoryError
from jixiao.corpus.normalize import to_simplified
from jixiao.corpus.parsers.grid import (
    category_cell,
    grid_to_tables,
    header_role,
    header_roles,
    is_meta_label,
)
from jixiao.corpus.parsers.wrapped_text import normalize_newlines
from jixiao.corpus.schema import ParseResult
from jixiao.corpus.taxonomy import is_level1_name, is_level2_name, split_combined

Grid = list[list[str | None]]

_PIPE_CELL_LINE = re.compile(r"^([^|]*\|+\s*|\s*\|+[^|]*)$")
_INDICATOR_HEADER = re.compile(r"一\s*级\s*指\s*标|二\s*级\s*指\s*标|三\s*级\s*指\s*标")


_PINYIN_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])\([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]{1,8}\)")


def readable(text: str) -> str:
    """One newline convention, simplified characters, no pinyin glosses.

    Pages scraped through a pinyin-annotating proxy print ``指標(biāo)``; the gloss
    would hide every label and category from the parser.
    """
    text = normalize_newlines(text)
    if "(" in text:
        text = _PINYIN_GLOSS.sub("", text)
    return to_simplified(text)


def detect(text: str) -> float:
    """How sure we are that ``text`` is a text table with an indicator header."""
    text = readable(text)
    form = _form(text)
    if not _INDICATOR_HEADER.search(text):
        # A fragment without its header: rows that start with printed categories.
        cats = sum(category_cell(t) for t in stream_tokens(text, form)[:2000])
        return 0.35 if cats >= 3 else 0.0
    return {"tab": 0.9, "pipe-rows": 0.85, "pipe-cells": 0.8, "spaces": 0.4}[form]


def _form(text: str) -> str:
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines:
        return "spaces"
    tabs = sum("\t" in ln for ln in lines)
    if tabs >= max(3, len(lines) // 5):
        return "tab"
    pipe_rows = sum(ln.count("|") >= 3 and bool(re.search(r"\|\s*[^|\s][^|]*\|", ln)) for ln in lines)
    pipe_cells = sum(bool(_PIPE_CELL_LINE.match(ln)) for ln in lines)
    if pipe_cells >= max(5, len(lines) // 3) and pipe_cells > 2 * pipe_rows:
        return "pipe-cells"
    if pipe_rows >= 3:
        return "pipe-rows"
    return "spaces"


def to_grid(text: str) -> tuple[str, Grid]:
    """The grid a text table stands for, and which form it was written in."""
    text = normalize_newlines(text)
    form = _form(text)
    if form == "tab":
        return form, [_row(ln.split("\t")) for ln in text.split("\n")]
    if form == "pipe-rows":
        return form, [_pipe_row(ln) for ln in text.split("\n")]
    if form == "pipe-cells":
        return form, _pipe_cell_grid(text)
    return form, [_row(re.split(r"\s+", ln.strip())) for ln in text.split("\n")]


def _row(cells: list[str]) -> list[str | None]:
    return [c.strip() or None for c in cells]


def _pipe_row(line: str) -> list[str | None]:
    s = line.strip()
    if "|" not in s:
        return [s or None]
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return _row(s.split("|"))


def _pipe_cell_grid(text: str) -> Grid:
    """One-cell-per-line pipe text → rows.

    These excerpts come from HTML tables: every ``|`` closes a cell except the one that
    opens a row, and a row leaves out the cells that a merged (rowspan) cell above
    covers. So row boundaries cannot be read from the pipes; below an indicator header
    a row is read as what it must be — categories, a name, then exactly as many cells
    as the header has right of the name — and is right-aligned to the header's width.
    """
    tokens = [t.strip() for t in "".join(ln.strip() for ln in text.split("\n") if ln.strip()).split("|")]
    rows: Grid = []
    pos = 0
    while pos < len(tokens):
        head = _header_span(tokens, pos)
        stop = head[0] if head else len(tokens)
        rows.extend(_loose_rows(tokens[pos:stop]))
        if head is None:
            break
        start, width = head
        rows.append([t or None for t in tokens[start : start + width]])
        pos = _indicator_rows(tokens, start + width, width, rows)
    return rows


def _loose_rows(tokens: list[str]) -> Grid:
    """Rows above a header: a run of two or more empty cells (a row's padding) ends a row."""
    rows: Grid = []
    cur: list[str | None] = []
    empties = 0
    for t in tokens:
        if t:
            if empties >= 2 and any(cur):
                rows.append(cur)
                cur = []
            cur.append(t)
            empties = 0
        else:
            empties += 1
            cur.append(None)
    if any(cur):
        rows.append(cur)
    return rows


def _indicator_rows(tokens: list[str], pos: int, width: int, rows: Grid) -> int:
    """Read indicator rows from ``pos`` until a metadata label; returns where it stopped."""
    header = tokens[pos - width : pos]
    roles = header_roles(header) or {}
    c3 = min((j for j, r in roles.items() if r == "l3"), default=width - 2)
    tail = width - c3 - 1
    while pos < len(tokens):
        while pos < len(tokens) and not tokens[pos]:
            pos += 1
        if pos >= len(tokens) or is_meta_label(tokens[pos]):
            return pos
        row: list[str | None] = []
        while pos < len(tokens) and tokens[pos] and len(row) < c3 and category_cell(tokens[pos]):
            if row and pos + 1 < len(tokens) and _VALUE_LIKE.match(tokens[pos + 1]):
                break
            row.append(tokens[pos])
            pos += 1
        row.extend(t or None for t in tokens[pos : pos + 1 + tail])
        pos += 1 + tail
        row = row[-width:]
        rows.append([None] * (width - len(row)) + row)
    return pos


def _header_span(tokens: list[str], pos: int = 0) -> tuple[int, int] | None:
    """Index of the next indicator header's first cell in the token stream, and its width."""
    for i in range(pos, len(tokens)):
        t = tokens[i]
        if not re.fullmatch(r"一\s*级\s*(指\s*标)?", t):
            continue
        start = i - 1 if i > 0 and re.fullmatch(r"绩\s*效\s*指\s*标", tokens[i - 1]) else i
        end = start
        while end < len(tokens) and tokens[end]:
            end += 1
        if header_roles(tokens[start:end]) is not None:
            return start, end - start
    return None


def parse(text: str, source: str) -> ParseResult:
    """Every goal table in a text table; the grid parser's warnings ride along.

    Raises UnknownCategoryError only when no reading finds a usable row and one of them
    found rows whose categories are all unknown (the grid parser's rule).
    """
    text = readable(text)
    form, grid = to_grid(text)
    errors: list[UnknownCategoryError] = []
    best = _read(grid, source, f"text-table ({form})", errors)
    if form != "tab" or not _count(best)[0]:
        readings = [(lambda: stream_grid(stream_tokens(text, form)), f"text-table ({form}, cell stream)")]
        if _GLUED_HEADER.search(re.sub(r"\s+", "", text)):
            readings.append((lambda: glued_grid(text), "text-table (glued rows)"))
            readings.append((lambda: flattened_grid(text), "text-table (flattened paragraph, names only)"))
        for make, layout in readings:
            other = _read(make(), source, layout, errors)
            if _count(other) > _count(best):
                best = other
    if best is None or not best.tables:
        if errors:
            raise errors[0]
        return best or ParseResult(layout=f"text-table ({form})")
    return best


def _read(grid: Grid, source: str, layout: str, errors: list[UnknownCategoryError]) -> ParseResult | None:
    try:
        result = grid_to_tables(grid, source)
    except UnknownCategoryError as e:
        errors.append(e)
        return None
    result.layout = layout
    return result


def _count(result: ParseResult | None) -> tuple[int, int]:
    """Indicator rows that read well (a tier, a name that is no value), then those with a value."""
    if result is None:
        return (0, 0)
    good = [i for t in result.tables for i in t.indicators if i.code and not _VALUE_LIKE.match(i.name)]
    return (len(good), sum(1 for i in good if i.value))


# --- cell streams ---------------------------------------------------------------------
#
# Many page excerpts lost their row structure altogether: rows run together on one
# line, empty cells vanished, a cell wrapped over two lines. What survives is the
# reading order of the non-empty cells. Read as a stream, a goal table is still
# regular: categories, a name, then the header's columns right of the name (an
# operator, the target, a unit, self-evaluation cells to skip). The stream is turned
# back into a plain four-column grid for the grid parser.

_SECTION_HEADING = re.compile(r"^([(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)")
_SYNTHETIC_HEADER: list[str | None] = ["一级指标", "二级指标", "三级指标", "指标值"]
_REASON_COLUMN = re.compile(r"(偏差|原因|改进|备注|说明|措施)")
# How indicator names end (人数, 覆盖率, 面积(万亩)) and values, without a digit, do not.
_NAME_SHAPED = re.compile(
    r"^(?!提高|提升|降低|减少|增加|保持|达到|确保|实现|完成)[^\d≥≤><=%]{3,}"
    r"(人数|户数|个数|次数|数量|面积|率|[(（](万?[人个次户家件项所座台套篇场期处亩吨元]|万亩|平方米|公里)[)）])$"
)
_STANDALONE_LABELS = {"分值", "得分", "权重", "备注", "单位", "性质", "方向"}
_TEXT_COLUMN = re.compile(r"(描述|内容|解释|依据)")  # always filled, with free text
_VALUE_LIKE = re.compile(r"^([≥≤><=＞＜≧≦＝═]|[-+]?\d|[—–\-/／]+$|(优|良|中|差|是|否|有|无|达标|合格)$)")
_UNIT_LIKE = re.compile(
    r"^(%|‰|[\u4e00-\u9fff]{1,3}|[\u4e00-\u9fff]{1,2}/[\u4e00-\u9fff]{1,2}|[a-zA-Z²³/]{1,5})$"
)
_OP_WORD = re.compile(
    r"^(≥|≤|>|<|=|＞|＜|≧|≦|＝|═|>=|<=|大于等于|小于等于|大于|小于|等于|不低于|不高于|不少于|不超过|约|≈|定性|定量|正向|反向)$"
)


def stream_tokens(text: str, form: str) -> list[str]:
    """The non-empty cells of a text, in reading order."""
    text = normalize_newlines(text)
    if form.startswith("pipe"):
        raw = [c.strip() for ln in text.split("\n") for c in ln.split("|")]
    else:
        raw = [c for ln in text.split("\n") for c in re.split(r"[ \t\u3000\xa0]+", ln.strip())]
    tokens: list[str] = []
    for t in raw:
        if not t:
            continue
        # ``扶持发展新型农业经营主体 (个)``: a parenthesised tail belongs to the cell before.
        if tokens and re.fullmatch(r"[(（][^()（）]{1,8}[)）]", t) and not _VALUE_LIKE.match(tokens[-1]):
            tokens[-1] += t
            continue
        tokens.append(t)
    return _merge_split_labels(tokens)


def _merge_split_labels(tokens: list[str]) -> list[str]:
    """``一级`` + ``指标`` and ``年度`` + ``指标值``: labels a wrap or a space cut in two."""

    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if i + 1 < len(tokens) and len(t) <= 6:
            joined = t + tokens[i + 1]
            if (
                (category_cell(joined) and (not category_cell(t) or tokens[i + 1] == "指标"))
                or (
                    header_role(joined)
                    and (not header_role(t) or (len(t) <= 2 and t not in _STANDALONE_LABELS))
                    and len(tokens[i + 1]) <= 5
                )
                or (re.fullmatch(r"[一二三]级", t) and tokens[i + 1].startswith("指标"))
            ):
                out.append(joined)
                i += 2
                continue
        out.append(t)
        i += 1
    return out


def stream_grid(tokens: list[str]) -> Grid:
    """A four-column grid (level 1 | level 2 | name | value) read from a cell stream."""

    rows: Grid = []
    i, n = 0, len(tokens)
    schedule: list[tuple[str, str]] | None = None
    in_table = False
    while i < n:
        t = tokens[i]
        role = header_role(t)
        if role in ("l1", "l2", "l3"):
            j = i
            labels = []
            while j < n and (header_role(tokens[j]) or re.fullmatch(r"绩效指标", tokens[j])):
                labels.append(tokens[j])
                j += 1
            roles = [header_role(x) for x in labels]
            if "l3" in roles or ("l1" in roles and "l2" in roles):
                after = labels[roles.index("l3") + 1 :] if "l3" in roles else labels[roles.index("l2") + 1 :]
                schedule = [(header_role(x) or "", x) for x in after]
                rows.append(list(_SYNTHETIC_HEADER))
                in_table = True
                i = j
                continue
        if is_meta_label(t):
            nxt = tokens[i + 1] if i + 1 < n and not is_meta_label(tokens[i + 1]) else None
            rows.append([t, nxt])
            in_table = False if schedule is not None and rows else in_table
            i += 2 if nxt is not None else 1
            continue
        if not in_table and schedule is None and category_cell(t):
            # No header in the excerpt (a fragment): the first category opens the table.
            rows.append(list(_SYNTHETIC_HEADER))
            schedule = []
            in_table = True
        if not in_table:
            rows.append([t])
            i += 1
            continue
        i = _stream_row(tokens, i, schedule or [], rows)
    return rows


def _stream_row(tokens: list[str], i: int, schedule: list[tuple[str, str]], rows: Grid) -> int:
    n = len(tokens)
    cats: list[str] = []
    while i < n and len(cats) < 2 and category_cell(tokens[i]) and not is_meta_label(tokens[i]):
        if cats and _names_a_row(tokens, i):
            break  # ``成本指标 | 成本 | 10万元``: a name that is also a category word
        cats.append(tokens[i])
        i += 1
    if i >= n or is_meta_label(tokens[i]) or (category_cell(tokens[i]) and not _names_a_row(tokens, i)):
        rows.append(_cat_cells(cats) + [None, None])
        return i
    if (
        _SECTION_HEADING.match(tokens[i])
        or len(tokens[i]) > 60
        or (len(tokens[i]) > 30 and tokens[i].endswith("。"))
    ):
        return i + 1  # prose (a goal text, a report paragraph) is no indicator row
    name = tokens[i]
    i += 1
    op = value = unit = None
    for role, label in schedule or [("op", ""), ("value", ""), ("unit", "")]:
        if i >= n or category_cell(tokens[i]) or is_meta_label(tokens[i]):
            break
        t = tokens[i]
        if role == "op":
            if _OP_WORD.match(t):
                op = t if not re.match(r"^(定性|定量|正向|反向)$", t) else op
                i += 1
        elif role in ("value", "period"):
            if _SECTION_HEADING.match(t) or _NAME_SHAPED.search(t):
                break  # the value cell is missing: this is the next row's name
            if value is None or role == "value":
                value = t
            i += 1
        elif role == "unit":
            if _UNIT_LIKE.match(t) and not _VALUE_LIKE.match(t):
                unit = t if t not in ("无", "空") else unit
                i += 1
        elif role == "ignore":
            if _REASON_COLUMN.search(label):
                continue
            if (
                _VALUE_LIKE.match(t)
                or len(t) <= 8
                or (_TEXT_COLUMN.search(label) and not _SECTION_HEADING.match(t))
            ):
                i += 1
    while i < n and _skippable(tokens[i]):
        i += 1
    if value is not None:
        if op and not re.match(r"^[≥≤><=＞＜≧≦＝═]|^(大于|小于|等于|不低于|不高于|不少于|不超过)", value):
            value = op + value
        if unit and not value.endswith(unit):
            value += unit
    rows.append(_cat_cells(cats) + [name, value])
    return i


def _skippable(token: str) -> bool:
    """A leftover self-evaluation cell (``100%``, ``8``, ``优``), never a name."""
    cjk = len(re.findall(r"[\u4e00-\u9fff]", token))
    return bool(_VALUE_LIKE.match(token)) and cjk <= 3 and len(token) <= 12 and not category_cell(token)


def _names_a_row(tokens: list[str], i: int) -> bool:
    """A category word followed by a value is an indicator's name, not a category."""
    return i + 1 < len(tokens) and bool(_VALUE_LIKE.match(tokens[i + 1]))


def _cat_cells(cats: list[str]) -> list[str | None]:
    """Levels read from category tokens, as the level-1 and level-2 cells of a row."""
    l1 = l2 = None
    for c in cats:
        combined = split_combined(c)
        if combined:
            l1, l2 = combined
        elif l1 is None and l2 is None and is_level1_name(c) and (len(cats) == 2 or not is_level2_name(c)):
            l1 = c
        elif is_level2_name(c):
            l2 = c
        elif is_level1_name(c):
            l1 = c
    return [l1, l2]


# --- glued rows -------------------------------------------------------------------------
#
# Some pages lost even the spaces between cells: ``产出指标数量指标补贴国有企业≥25个`` is
# one row. Categories ending in 指标 are unambiguous prefixes, and a target value
# starts at its operator or is the number (with unit) that ends the line.

_GLUED_HEADER = re.compile(r"一级指标[^|\t]{0,3}二级指标[^|\t]{0,3}三级指标")
_GLUED_VALUE_END = re.compile(r"^(?P<name>.*?[^\d\s.,])(?P<value>\d[\d.,]*\s*(%|‰|[\u4e00-\u9fff/]{1,5})?)$")


def glued_grid(text: str) -> Grid:
    """Rows below a glued header line, cut into level 1 | level 2 | name | value."""
    rows: Grid = []
    in_table = False
    for line in text.split("\n"):
        flat = re.sub(r"\s+", "", line)
        if not flat:
            continue
        if _GLUED_HEADER.search(flat):
            rows.append(list(_SYNTHETIC_HEADER))
            in_table = True
            continue
        if not in_table:
            rows.append([line.strip()])
            continue
        if len(flat) > 80 or is_meta_label(flat[:4]):
            in_table = False
            rows.append([line.strip()])
            continue
        cats, rest = _peel_categories(flat)
        name, value = _split_value(rest)
        rows.append(_cat_cells(cats) + [name or None, value])
    return rows


def _peel_categories(flat: str) -> tuple[list[str], str]:
    cats: list[str] = []
    while len(cats) < 2:
        m = re.match(r"^(.{1,10}?指标)(\(\d+分\))?", flat)
        if not m or not category_cell(m.group(0)):
            break
        cats.append(m.group(0))
        flat = flat[m.end() :]
    return cats, flat


def _split_value(rest: str) -> tuple[str, str | None]:
    m = re.search(r"[≥≤><=＞＜≧≦＝]", rest)
    if m and m.start() > 0:
        return rest[: m.start()], rest[m.start() :]
    m = _GLUED_VALUE_END.match(rest)
    if m:
        return m.group("name"), m.group("value")
    return rest, None


# --- flattened paragraphs -------------------------------------------------------------
#
# The worst pages (OCR of scanned sheets on document-sharing mirrors) run a whole table
# into one paragraph with scores glued to names: ``数量指标指标1免费发放原原种8550万粒``.
# Values cannot be told from the scores there, but the names can: a category or an
# ``指标1`` marker starts an item, and its name runs to the first digit.

_FLAT_SEPARATOR = re.compile(
    r"(?P<cat>[\u4e00-\u9fff]{2,10}?指标(?:\(\d+分\))?)|(?P<mark>指标\s*\d{1,2}\s*[:：]?)"
)
_FLAT_NAME = re.compile(r"^[^\d≥≤><=%]*")


def flattened_grid(text: str) -> Grid:
    """Level 1 | level 2 | name rows from a table run into one paragraph (values lost)."""
    flat = re.sub(r"\s+", "", text)
    rows: Grid = []
    for block in _GLUED_HEADER.split(flat)[1:]:
        rows.append(list(_SYNTHETIC_HEADER))
        cats: list[str] = []
        for piece, sep in _flat_pieces(block[:4000]):
            if sep and category_cell(sep):
                cats = [*cats, sep][-2:] if is_level2_name_only(sep) else [sep]
            name = _FLAT_NAME.match(re.sub(r"^\d(?=[\u4e00-\u9fff])", "", piece))
            text_name = name.group(0) if name else ""
            if len(re.findall(r"[\u4e00-\u9fff]", text_name)) >= 3 and not is_meta_label(text_name[:4]):
                rows.append([*_cat_cells(cats), text_name, None])
                cats = []  # the grid parser carries the levels down
            elif is_meta_label(piece[:4]):
                break
    return rows


def is_level2_name_only(cell: str) -> bool:
    return category_cell(cell) and not is_level1_name(cell)


def _flat_pieces(block: str) -> list[tuple[str, str | None]]:
    """(text, separator before it) pieces of a flattened table."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    sep: str | None = None
    for m in _FLAT_SEPARATOR.finditer(block):
        s, start = m.group("cat"), m.start()
        if s is not None and not category_cell(s):
            # ``亩质量指标``: the category is a suffix of what the pattern caught.
            k = next((k for k in range(1, len(s) - 1) if category_cell(s[k:])), None)
            if k is None:
                continue
            s, start = s[k:], start + k
        out.append((block[pos:start], sep))
        sep = s or ""
        pos = m.end()
    out.append((block[pos:], sep))
    return out
