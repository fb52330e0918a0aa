"""Word documents (.docx): tables become one cell grid; a table-less document is text.

python-docx repeats a merged cell's object in every grid position it covers, which
would read as a level name printed on every row. The grid parser wants value + blank
(its carry-down records ``inferred_levels``), so the table XML is walked directly:
a cell's text goes in the first grid column it spans (``gridSpan``), the rest of the
span and the continuation rows of a vertical merge (``vMerge`` without ``restart``)
stay None. Tables are stacked in document order with a blank row between them,
because one goal table is often split over several Word tables (metadata table,
indicator table, a page break).
"""

from __future__ import annotations

import io
import warnings

from jixiao.corpus.parsers.cells import clean_cell, clean_text, one_line, trim_grid
from jixiao.corpus.parsers.vocab import Grid
from jixiao.corpus.parsers.zipsafe import safe_office_zip
from jixiao.errors import DamagedFile, ParseError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: Word tables have at most 63 columns; a larger span or offset is a damaged or hostile file.
MAX_SPAN = 63


def _p_text(p) -> str:  # noqa: ANN001 - a w:p element
    parts = []
    for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):
        parts.append(el.text or "" if el.tag == f"{_W}t" else (" " if el.tag == f"{_W}tab" else "\n"))
    return clean_text("".join(parts))


def _tc_text(tc) -> str | None:  # noqa: ANN001 - a w:tc element
    """Paragraphs of a cell, one a line (they are real breaks in Word, not wrapping)."""
    return clean_cell("\n".join(p for p in (_p_text(p).strip() for p in tc.iter(f"{_W}p")) if p))


def _val(el, tag: str) -> str | None:  # noqa: ANN001
    child = el.find(tag)
    return None if child is None else child.get(f"{_W}val")


def _count(el, tag: str, default: int) -> int:  # noqa: ANN001
    """A gridSpan/gridBefore count, clamped to 0..MAX_SPAN; ``default`` when absent or not a number."""
    text = _val(el, tag) if el is not None else None
    try:
        return min(max(int(text), 0), MAX_SPAN) if text else default
    except ValueError:
        return default


def table_grid(tbl) -> Grid:  # noqa: ANN001 - a w:tbl element
    """One Word table as a grid with merged cells as value + blank."""
    rows: Grid = []
    for tr in tbl.iterchildren(f"{_W}tr"):
        row: list[str | None] = [None] * _count(tr.find(f"{_W}trPr"), f"{_W}gridBefore", 0)
        for tc in tr.iterchildren(f"{_W}tc"):
            tcpr = tc.find(f"{_W}tcPr")
            span, vmerge = _count(tcpr, f"{_W}gridSpan", 1), None
            if tcpr is not None:
                vm = tcpr.find(f"{_W}vMerge")
                if vm is not None:
                    vmerge = vm.get(f"{_W}val") or "continue"
            text = None if vmerge == "continue" else _tc_text(tc)
            row.extend([text] + [None] * (max(span, 1) - 1))
        rows.append(row)
    return rows


def read_docx(data: bytes, source: str) -> tuple[Grid, str]:
    """(stacked grid of all body tables, paragraph text). Either may be empty."""
    _, kind = safe_office_zip(data, source)
    if kind != "docx":
        raise ParseError(source, "zip archive is not a Word document (no word/document.xml)")
    import docx

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises many types on a damaged file
        raise DamagedFile(source, f"cannot read Word document: {type(e).__name__}: {one_line(e)}") from e
    grid: Grid = []
    for table in document.tables:
        part = trim_grid(table_grid(table._tbl))
        if part:
            if grid:
                grid.append([])
            grid.extend(part)
    text = "\n".join(clean_text(p.text) for p in document.paragraphs)
    return trim_grid(grid), text


def docx_full_text(data: bytes) -> str:
    """Paragraphs and table rows (cells tab-separated) in document order, for ``parse_text``."""
    import docx

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    body = document.element.body
    for el in body.iterchildren():
        if el.tag == f"{_W}p":
            lines.append(_p_text(el))
        elif el.tag == f"{_W}tbl":
            for row in table_grid(el):
                lines.append("\t".join(c or "" for c in row))
    return "\n".join(lines)
