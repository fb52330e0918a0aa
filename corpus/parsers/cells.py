"""What every file reader does to a cell before the grid parser sees it.

Readers differ in how they hand out cell content (openpyxl gives floats and dates,
Word and PDF give text with soft line breaks, CSV gives whatever the exporter wrote),
but the grid parser wants one thing: the text a person reads in the cell, or None
when the cell is blank. Width folding, traditional characters and LaTeX are left to
``normalize_text`` downstream; here we only undo what the file format added.
"""

from __future__ import annotations

import datetime as dt
import re

from jixiao.errors import ArchiveTooLarge

#: Cells of a padded grid. A goal table has a few hundred; a sparse sheet or a CSV row
#: of commas can ask for billions (A1, XFD1 and A20000 pad to 327 million cells).
MAX_GRID_CELLS = 2_000_000
#: Characters in one cell: Excel's own limit. A goal text is a few hundred; a cell of
#: megabytes is no table, and every later stage (classification, review, the annotated
#: workbook) would pay for it.
MAX_CELL_CHARS = 32_767

# Characters that file formats add and a reader never means: BOMs inside cells,
# zero-width joiners from web copy, soft hyphens.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_SPACES = str.maketrans({"\xa0": " ", "\u2007": " ", "\u202f": " "})
_LINE_BREAKS = re.compile(r"\r\n?|\u2028|\u2029|\x0b")
_ASCII_WORD = re.compile(r"[A-Za-z]")
#: Control characters no cell means (a workbook cannot even store them); tab and newline stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """One newline convention, no invisible characters, NBSP as a plain space."""
    text = _LINE_BREAKS.sub("\n", text)
    return text.translate(_INVISIBLE).translate(_SPACES)


def drop_controls(text: str) -> str:
    """Text without control characters (tab and newline stay): no reader means them, and
    no workbook can store them (openpyxl raises on ``\x01``)."""
    return _CONTROL.sub("", text)


def clean_cell(value: object) -> str | None:
    """A cell's text, stripped; None for a blank cell."""
    if value is None:
        return None
    text = drop_controls(clean_text(value if isinstance(value, str) else str(value))).strip()
    return text or None


def join_wrapped(text: str | None) -> str | None:
    """Undo line wrapping inside a cell (PDF, Word): Chinese lines join with nothing.

    A width-wrapped ``≥1000`` / ``人次`` must read ``≥1000人次``; two ASCII words, and an
    ASCII comma or semicolon before text, keep the space the wrap ate.
    """
    if text is None:
        return None
    lines = [ln.strip() for ln in clean_text(text).split("\n")]
    out = ""
    for ln in lines:
        if not ln:
            continue
        if out and (
            (_ASCII_WORD.match(out[-1]) and _ASCII_WORD.match(ln[0]))
            or (out[-1] in ",;" and not ln[0].isdigit())
        ):
            out += " "
        out += ln
    return out or None


def format_number(value: float | int, number_format: str | None = None) -> str:
    """A spreadsheet number as the drafter typed it: ``0.95`` in a percent cell is ``95%``.

    Integers print without ``.0``; float noise (``0.30000000000000004``) is rounded away;
    literal text of a custom format (``0"人次"``) is kept, since drafters put units there.
    """
    fmt = (number_format or "General").split(";")[0]
    percent = "%" in fmt.replace('"%"', "")
    x = float(value) * 100 if percent else float(value)
    text = _plain_number(x)
    prefix, suffix = _format_literals(fmt)
    return f"{prefix}{text}{'%' if percent else ''}{suffix}"


def _plain_number(x: float) -> str:
    x = round(x, 10)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    text = f"{x:.10f}".rstrip("0").rstrip(".")
    return text


def _format_literals(fmt: str) -> tuple[str, str]:
    """Quoted text before and after the digits of a number format."""
    if '"' not in fmt:
        return "", ""
    m = re.match(r'^((?:"[^"]*")*)(.*?)((?:"[^"]*")*)$', fmt)
    if not m:
        return "", ""
    return m.group(1).replace('"', ""), m.group(3).replace('"', "")


def format_date(value: dt.datetime | dt.date | dt.time) -> str:
    """ISO date for a date cell; the time only when there is one."""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    return value.isoformat()


def trim_grid(rows: list[list[str | None]], source: str = "") -> list[list[str | None]]:
    """Drop trailing blank rows and columns (spreadsheets keep styled empty cells).

    Refuses (ArchiveTooLarge) before padding when the rectangle would exceed
    MAX_GRID_CELLS or a cell MAX_CELL_CHARS; ``parse_bytes`` names the file when
    ``source`` is empty.
    """
    while rows and not any(c for c in rows[-1]):
        rows.pop()
    width = 0
    for row in rows:
        for i, c in enumerate(row):
            if c:
                width = max(width, i + 1)
                if len(c) > MAX_CELL_CHARS:
                    raise ArchiveTooLarge(
                        source, f"a cell holds {len(c)} characters, more than a spreadsheet cell can ({MAX_CELL_CHARS})"
                    )
    if width * len(rows) > MAX_GRID_CELLS:
        raise ArchiveTooLarge(
            source,
            f"a table of {len(rows)} rows × {width} columns exceeds {MAX_GRID_CELLS} cells: not a goal table",
        )
    return [row[:width] + [None] * (width - len(row[:width])) for row in rows]


_SEP = "\x1f"  # never in cell text (clean_text keeps it, but no exporter writes it)


def simplify_grid(rows: list[list[str | None]]) -> list[list[str | None]]:
    """Traditional → simplified over a whole grid in one conversion call.

    Labels and category cells (一級指標, 產出指標, 項目名稱) must be recognised before any
    normalisation downstream sees them; converting cell by cell would cost one
    dictionary pass per cell, so the cells travel through opencc joined by a separator
    that no conversion phrase can span.
    """
    from jixiao.corpus.normalize import to_simplified

    flat = [c for row in rows for c in row if c]
    if not flat or any(_SEP in c for c in flat):
        return rows
    converted = iter(to_simplified(_SEP.join(flat)).split(_SEP))
    return [[next(converted) if c else c for c in row] for row in rows]


def one_line(error: BaseException, limit: int = 200) -> str:
    """A library exception as one short line (CLI errors and HTTP problems are one line)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
