"""PDF tables as cell grids, with tables printed over several pages by column joined back.

A wide sheet exported with LibreOffice's default page setup prints its left columns
(levels, names) on page 1 and the rest (values) on page 2. Stacking the pages' tables
made the header row of page 2 an indicator and every row level-less. A column
continuation is recognised by geometry and content: its rows sit at the same heights
as rows of a table on an earlier page, and it carries no level column (no 一级/二级/
三级指标 header, no category name in its first column), while its rows are values.
Rows that continue a merged cell off the right edge of the page (``项目名称 | 农村公路
养护工程`` merged across the sheet) have no cell on the page; their text is taken from
the words in the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jixiao.corpus.parsers.cells import join_wrapped
from jixiao.corpus.parsers.grid import category_cell, header_role
from jixiao.corpus.parsers.vocab import L1, L2, L3, Grid

#: Row edges of two pages' tables within this many points are the same printed row.
ROW_TOLERANCE = 1.5



@dataclass
class TablePart:
    """One ruled table found on one page: its cells and each row's top and bottom."""

    page: int
    rows: list[list[str | None]]
    tops: list[float]
    bottoms: list[float]
    continued_on: int = -1  # the last page a column continuation was joined from
    width: int = field(default=0)

    def __post_init__(self) -> None:
        self.width = max((len(r) for r in self.rows), default=0)


def table_part(page, table, page_number: int) -> TablePart:  # noqa: ANN001 - pdfplumber Page and Table
    """The table's cells (wrapped lines joined), open-ended merged rows filled from words."""
    rows = [[join_wrapped(c) for c in row] for row in table.extract()]
    tops, bottoms = [], []
    words = None
    for i, row in enumerate(table.rows):
        top, bottom = row.bbox[1], row.bbox[3]
        tops.append(top)
        bottoms.append(bottom)
        cells = row.cells
        last = max((j for j, c in enumerate(cells) if c is not None), default=-1)
        if 0 <= last < len(cells) - 1 and i < len(rows):
            words = words if words is not None else page.extract_words()
            x1 = cells[last][2]
            text = " ".join(
                w["text"] for w in words if w["x0"] >= x1 - 1 and top <= (w["top"] + w["bottom"]) / 2 <= bottom
            )
            if text.strip():
                rows[i][last + 1] = text.strip()
    return TablePart(page_number, rows, tops, bottoms)


def _aligned(later: TablePart, earlier: TablePart) -> dict[int, int] | None:
    """Row of ``later`` → row of ``earlier`` printed at the same height; None unless all align."""
    mapping = {}
    for i, (top, bottom) in enumerate(zip(later.tops, later.bottoms, strict=True)):
        match = next(
            (
                k
                for k, (t, b) in enumerate(zip(earlier.tops, earlier.bottoms, strict=True))
                if abs(t - top) <= ROW_TOLERANCE and abs(b - bottom) <= ROW_TOLERANCE
            ),
            None,
        )
        if match is None:
            return None
        mapping[i] = match
    return mapping


def _has_levels(part: TablePart) -> bool:
    """A level header cell anywhere, or a category name in the first column."""
    for row in part.rows:
        if any(header_role(c) in (L1, L2, L3) for c in row if c):
            return True
        if row and row[0] and category_cell(row[0]):
            return True
    return False


def join_parts(parts: list[TablePart]) -> list[Grid]:
    """Grids in reading order, each column continuation appended to its table's rows."""
    tables: list[TablePart] = []
    for part in parts:
        host = None
        if len(part.rows) >= 2 and not _has_levels(part):
            for earlier in tables:
                if earlier.page < part.page and earlier.continued_on < part.page:
                    mapping = _aligned(part, earlier)
                    if mapping is not None:
                        host = earlier
                        break
        if host is None:
            tables.append(part)
            continue
        width = host.width
        extra = part.width
        for i, row in enumerate(host.rows):
            host.rows[i] = row + [None] * (width - len(row))
        for i, k in mapping.items():
            host.rows[k] = host.rows[k] + part.rows[i] + [None] * (extra - len(part.rows[i]))
        for k, row in enumerate(host.rows):
            if len(row) < width + extra:
                host.rows[k] = row + [None] * (width + extra - len(row))
        host.width = width + extra
        host.continued_on = part.page
    return [t.rows for t in tables]
