"""Text that is a table written out as text: tab rows, pipe rows, one cell per line.

PDF-to-markdown converters (seed 003) write tab-separated rows with merged cells left
blank; web pages copied as markdown write ``| a | b |`` rows; the corpus's stored page
excerpts write one cell per line, each ending in ``|``, with a lone ``|`` opening every
row and runs of ``|||`` for empty cells. Each form is turned back into a grid, and the
grid parser does the reading, so every layout shares one set of rules.
"""

from __future__ import annotations

import re

from jixiao.corpus.errors import UnknownCategoryError
from jixiao.corpus.normalize import to_simplified
from jixiao.corpus.parsers.grid import _header_role, category_cell, grid_to_tables, header_roles, is_meta_label
from jixiao.corpus.parsers.wrapped_text import normalize_newlines
from jixiao.corpus.schema import ParseResult

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

    The grid the text's form implies is read first; where that finds no indicator row
    (rows ran together, empty cells vanished), the cell stream is read instead, and
    of the two the reading with more indicator rows is kept.
    """
    text = readable(text)
    form, grid = to_grid(text)
    result = _safe_grid(grid, source)
    if form != "tab" or not _count(result):
        streamed = _safe_grid(stream_grid(stream_tokens(text, form)), source)
        if _count(streamed) > _count(result):
            streamed.layout = f"text-table ({form}, cell stream)"
            return streamed
    if result is None:
        return ParseResult(layout=f"text-table ({form})")
    result.layout = f"text-table ({form})"
    return result


def _count(result: ParseResult | None) -> int:
    """Indicator rows that read well: a tier, and a name that is no value."""
    if result is None:
        return 0
    return sum(1 for t in result.tables for i in t.indicators if i.code and not _VALUE_LIKE.match(i.name))


def _safe_grid(grid: Grid, source: str) -> ParseResult | None:
    try:
        return grid_to_tables(grid, source)
    except UnknownCategoryError:
        return None


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
_VALUE_LIKE = re.compile(r"^([≥≤><=＞＜≧≦＝═]|[-+]?\d|[—–\-/／]+$|(优|良|中|差|是|否|有|无|达标|合格)$)")
_UNIT_LIKE = re.compile(r"^(%|‰|[\u4e00-\u9fff]{1,3}|[\u4e00-\u9fff]{1,2}/[\u4e00-\u9fff]{1,2}|[a-zA-Z²³/]{1,5})$")
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
                or (_header_role(joined) and not _header_role(t) and len(tokens[i + 1]) <= 5)
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
        role = _header_role(t)
        if role in ("l1", "l2", "l3"):
            j = i
            labels = []
            while j < n and (_header_role(tokens[j]) or re.fullmatch(r"绩效指标", tokens[j])):
                labels.append(tokens[j])
                j += 1
            roles = [_header_role(x) for x in labels]
            if "l3" in roles or ("l1" in roles and "l2" in roles):
                after = labels[roles.index("l3") + 1 :] if "l3" in roles else labels[roles.index("l2") + 1 :]
                schedule = [(_header_role(x) or "", x) for x in after]
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
        if not in_table and category_cell(t) and i + 1 < n and not category_cell(tokens[i + 1]) is False:
            # No header in the excerpt (a fragment): the first category opens the table.
            if schedule is None and any(category_cell(x) for x in tokens[i : i + 3]):
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
    if _SECTION_HEADING.match(tokens[i]) or len(tokens[i]) > 60 or (len(tokens[i]) > 30 and tokens[i].endswith("。")):
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
            if _SECTION_HEADING.match(t):
                break
            if value is None or role == "value":
                value = t
            i += 1
        elif role == "unit":
            if _UNIT_LIKE.match(t) and not _VALUE_LIKE.match(t):
                unit = t
                i += 1
        elif role == "ignore":
            if _REASON_COLUMN.search(label):
                continue
            if _VALUE_LIKE.match(t) or len(t) <= 8:
                i += 1
    while i < n and _VALUE_LIKE.match(tokens[i]) and not category_cell(tokens[i]):
        i += 1
    if value is not None:
        if op and not re.match(r"^[≥≤><=＞＜≧≦＝═]|^(大于|小于|等于|不低于|不高于|不少于|不超过)", value):
            value = op + value
        if unit and not value.endswith(unit):
            value += unit
    rows.append(_cat_cells(cats) + [name, value])
    return i


def _names_a_row(tokens: list[str], i: int) -> bool:
    """A category word followed by a value is an indicator's name, not a category."""
    return i + 1 < len(tokens) and bool(_VALUE_LIKE.match(tokens[i + 1]))


def _cat_cells(cats: list[str]) -> list[str | None]:
    """Levels read from category tokens, as the level-1 and level-2 cells of a row."""
    from jixiao.corpus.taxonomy import is_level1_name, is_level2_name, split_combined

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
