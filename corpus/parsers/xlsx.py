"""Excel workbooks (.xlsx): every sheet becomes a cell grid for the grid parser.

Budget systems export goal tables as .xlsx with merged level cells. openpyxl's
``read_only`` mode is faster but does not expose merged ranges, so the workbook is
opened normally, which is safe only because ``zipsafe`` capped the archive first.
Merged ranges then come as the value in the first cell and None elsewhere, which is
the grid parser's contract. Numbers are printed as the drafter sees them (percent
cells, integers without ``.0``).
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

from jixiao.corpus.errors import ParseError
from jixiao.corpus.parsers.cells import clean_cell, format_date, format_number, one_line, trim_grid
from jixiao.corpus.parsers.zipsafe import safe_office_zip

#: A sheet with more cells than this is not a goal table; refuse rather than burn memory.
MAX_SHEET_CELLS = 2_000_000

Grid = list[list[str | None]]


def cell_text(value: object, number_format: str | None = None) -> str | None:
    """One openpyxl cell value as display text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return format_number(value, number_format)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return format_date(value)
    return clean_cell(value)


def read_xlsx_grids(data: bytes, source: str) -> list[tuple[str, Grid]]:
    """(sheet title, grid) for every non-empty sheet, in workbook order."""
    _, kind = safe_office_zip(data, source)
    if kind != "xlsx":
        raise ParseError(source, "zip archive is not an Excel workbook (no xl/workbook.xml)")
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unknown extensions and styles
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except Exception as e:  # openpyxl raises many types on a damaged file
        raise ParseError(source, f"cannot read Excel workbook: {type(e).__name__}: {one_line(e)}") from e
    grids = []
    for ws in wb.worksheets:
        if ws.max_row * ws.max_column > MAX_SHEET_CELLS:
            raise ParseError(
                source, f"sheet {ws.title!r} has {ws.max_row}×{ws.max_column} cells, more than a goal table"
            )
        rows = [[cell_text(c.value, c.number_format) for c in row] for row in ws.iter_rows()]
        grid = trim_grid(rows)
        if grid:
            grids.append((ws.title, grid))
    wb.close()
    return grids
