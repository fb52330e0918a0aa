"""HTML tables: what many budget systems export under an .xls name, and saved web pages.

Such a ".xls" is an HTML document whose ``<table>`` carries the goal table, merged
cells as ``rowspan``/``colspan``. The tables are laid out on a grid as a browser
would (a spanned position is None, the value sits in the first cell), which is the
grid parser's contract. The visible text is kept too, for ``parse_text`` when the
tables are not goal tables. Standard library only: no network, no script execution.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from jixiao.corpus.parsers.cells import clean_cell, trim_grid
from jixiao.corpus.parsers.vocab import Grid
from jixiao.errors import JixiaoError

#: Grid positions the tables of one document may cover together. Spans make a tiny
#: upload describe a huge grid (``rowspan=1000 colspan=1000`` is a million cells), so
#: the layout stops here; a goal table has a few thousand.
MAX_GRID_CELLS = 200_000

_BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_SKIP = {"script", "style", "head", "title"}
_HTML_START = re.compile(r"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|table|meta|head|body)\b", re.I | re.S)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:2000])) and "<table" in text.lower()


def _span(attrs: list[tuple[str, str | None]], name: str) -> int:
    for k, v in attrs:
        if k == name and v:
            m = re.match(r"\s*(\d+)", v)
            if m:
                return max(1, min(int(m.group(1)), 1000))
    return 1


class _Tables(HTMLParser):
    """Collects every table's rows as (text, rowspan, colspan) cells, and the page text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self._stack: list[list[list[tuple[str, int, int]]]] = []
        self._cell: list[str] | None = None
        self._cell_span = (1, 1)
        self._cell_stack: list[tuple[list[str] | None, tuple[int, int]]] = []
        self._skip = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag == "table":
            self._cell_stack.append((self._cell, self._cell_span))
            self._cell = None
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._stack[-1].append([])
        elif tag in ("td", "th") and self._stack:
            self._close_cell()
            if not self._stack[-1]:
                self._stack[-1].append([])
            self._cell = []
            self._cell_span = (_span(attrs, "rowspan"), _span(attrs, "colspan"))
        if tag in _BREAKS:
            self._write("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag == "table" and self._stack:
            self._close_cell()
            self.tables.append(self._stack.pop())
            self._cell, self._cell_span = self._cell_stack.pop() if self._cell_stack else (None, (1, 1))
        if tag in _BREAKS or tag in ("td", "th"):
            self._write("\n" if tag not in ("td", "th") else "\t")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._write(data)

    def _write(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data if data not in ("\t",) else " ")
        self.text.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None and self._stack and self._stack[-1]:
            text = re.sub(r"[ \t]*\n[ \t]*", "\n", re.sub(r"[ \t\r\f]+", " ", "".join(self._cell)))
            self._stack[-1][-1].append((text.strip("\n "), *self._cell_span))
        self._cell = None


def _layout(rows: list[list[tuple[str, int, int]]], limit: int = MAX_GRID_CELLS) -> Grid:
    """Place spanned cells as a browser does; covered positions stay None.

    Raises JixiaoError when the table would cover more than ``limit`` positions.
    """
    grid: dict[tuple[int, int], str | None] = {}
    n_rows = n_cols = 0
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in grid:
                c += 1
            n_rows, n_cols = max(n_rows, r + rowspan), max(n_cols, c + colspan)
            if len(grid) + rowspan * colspan > limit or n_rows * n_cols > limit:
                raise JixiaoError(f"HTML 表格超过 {MAX_GRID_CELLS} 个单元格，不是绩效目标表")
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = None
            grid[(r, c)] = clean_cell(text)
            c += colspan
    return [[grid.get((r, c)) for c in range(n_cols)] for r in range(n_rows)]


def read_html(text: str) -> tuple[Grid, str]:
    """(all tables stacked in document order, blank row between; the visible text)."""
    parser = _Tables()
    parser.feed(text)
    parser.close()
    stacked: Grid = []
    used = 0
    for rows in parser.tables:
        laid = _layout(rows, MAX_GRID_CELLS - used)
        used += sum(len(row) for row in laid)
        part = trim_grid(laid)
        if part:
            if stacked:
                stacked.append([])
            stacked.extend(part)
    visible = re.sub(r"\n[ \t]*\n+", "\n", "".join(parser.text))
    return trim_grid(stacked), visible
