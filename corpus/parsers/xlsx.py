"""Excel workbooks (.xlsx): every sheet becomes a cell grid for the grid parser.

Budget systems export goal tables as .xlsx with merged level cells. openpyxl's
``read_only`` mode does not expose merged ranges and its normal mode is slow with
them, so values are streamed read-only and the ranges are read from the sheet part
(``zipsafe`` has capped and DTD-checked the archive first; openpyxl parses through
defusedxml). Merged ranges come as the value in the first cell and None elsewhere,
which is the grid parser's contract. Numbers are printed as the drafter sees them (percent
cells, integers without ``.0``).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import warnings
import zipfile

from jixiao.corpus.parsers.cells import clean_cell, format_date, format_number, one_line, trim_grid
from jixiao.corpus.parsers.vocab import Grid
from jixiao.corpus.parsers.zipsafe import safe_office_zip
from jixiao.errors import ArchiveTooLarge, DamagedFile, ParseError

#: A sheet with more cells than this is not a goal table; refuse rather than burn memory.
MAX_SHEET_CELLS = 2_000_000



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


_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\"")


def merge_ranges(sheet_xml: bytes) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col), 1-based, of every merged range of a sheet part.

    A regex over the raw part, not an XML parse: the element is flat and always
    written this way, and reading it needs no parser at all.
    """
    from openpyxl.utils.cell import range_boundaries

    out = []
    for m in _MERGE_REF.finditer(sheet_xml):
        min_col, min_row, max_col, max_row = range_boundaries(m.group(1).decode())
        out.append((min_row, min_col, max_row, max_col))
    return out


def read_xlsx_grids(data: bytes, source: str) -> list[tuple[str, Grid]]:
    """(sheet title, grid) for every non-empty sheet, in workbook order.

    openpyxl's normal mode re-creates the borders of every merged cell, which costs
    more than everything else together; so the workbook is streamed in ``read_only``
    mode and the merged ranges are read from the sheet part and blanked here.
    """
    zf, kind = safe_office_zip(data, source)
    if kind != "xlsx":
        raise ParseError(source, "zip archive is not an Excel workbook (no xl/workbook.xml)")
    import openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about unknown extensions and styles
            wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=True)
            try:
                grids = []
                for ws in wb.worksheets:
                    grid = _sheet_grid(ws, zf, source)
                    if grid:
                        grids.append((ws.title, grid))
            finally:
                wb.close()  # read-only workbooks keep the archive open until closed
    except ParseError:
        raise
    except Exception as e:  # openpyxl raises many types on a damaged file
        raise DamagedFile(source, f"cannot read Excel workbook: {type(e).__name__}: {one_line(e)}") from e
    return grids


def _sheet_grid(ws, zf: zipfile.ZipFile, source: str) -> Grid:  # noqa: ANN001 - ReadOnlyWorksheet
    rows: Grid = []
    n_cells = 0
    # The <dimension> element is often wrong in exports (``A1``); read what is stored.
    ws.reset_dimensions()
    for row in ws.iter_rows():
        n_cells += max(len(row), 1)  # rows the file leaves out still become grid rows
        if n_cells > MAX_SHEET_CELLS:
            raise ArchiveTooLarge(
                source, f"sheet {ws.title!r} has more than {MAX_SHEET_CELLS} cells: not a goal table"
            )
        rows.append([cell_text(c.value, getattr(c, "number_format", None)) for c in row])
    path = getattr(ws, "_worksheet_path", None)
    merges = merge_ranges(zf.read(path)) if path and path in zf.namelist() else []
    for r0, c0, r1, c1 in merges:
        for r in range(r0 - 1, min(r1, len(rows))):
            row = rows[r]
            for c in range(c0 - 1, min(c1, len(row))):
                if (r, c) != (r0 - 1, c0 - 1):
                    row[c] = None
    return trim_grid(rows, source)
