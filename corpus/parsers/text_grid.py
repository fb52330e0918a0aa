"""Reader 1 of a text table: rows and columns as written (tabs, ``| a | b |`` rows,
one pipe-closed cell per line, or runs of spaces), as a grid for ``grid_to_tables``.

The most structure-keeping reading, tried first by ``text_tables.parse``.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.grid import category_cell, header_roles, is_meta_label
from jixiao.corpus.parsers.vocab import L3, VALUE_LIKE, Grid
from jixiao.corpus.parsers.wrapped_text import normalize_newlines

_PIPE_CELL_LINE = re.compile(r"^([^|]*\|+\s*|\s*\|+[^|]*)$")


def text_form(text: str) -> str:
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
    form = text_form(text)
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
    c3 = min((j for j, r in roles.items() if r == L3), default=width - 2)
    tail = width - c3 - 1
    while pos < len(tokens):
        while pos < len(tokens) and not tokens[pos]:
            pos += 1
        if pos >= len(tokens) or is_meta_label(tokens[pos]):
            return pos
        row: list[str | None] = []
        while pos < len(tokens) and tokens[pos] and len(row) < c3 and category_cell(tokens[pos]):
            if row and pos + 1 < len(tokens) and VALUE_LIKE.match(tokens[pos + 1]):
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
