"""PDF: ruled tables via pdfplumber become one cell grid; otherwise the page text.

Tables of all pages are stacked in page order, because a goal table that runs over a
page break continues its merged level cells on the next page. Lines inside a cell are
width wrapping, not content, so they are joined back (``≥1000`` / ``人次``). PDFs
without ruled tables (the seeds were such PDFs, as text) go to ``parse_text``.
"""

from __future__ import annotations

import io
import logging
import re
import zlib

from jixiao.corpus.errors import ParseError
from jixiao.corpus.parsers.cells import clean_text, join_wrapped, one_line, trim_grid

#: More pages than any goal-table document; bounds the work a hostile PDF can cause.
MAX_PDF_PAGES = 300
#: pdfminer inflates every stream whole in memory, so a 20 MB upload of Flate streams
#: could become gigabytes; the streams are inflated once here, within this budget.
MAX_PDF_INFLATED_BYTES = 200 * 1024 * 1024

_STREAM = re.compile(rb"stream\r?\n")

Grid = list[list[str | None]]


def check_inflated_size(data: bytes, source: str) -> None:
    """Refuse a PDF whose Flate streams inflate beyond MAX_PDF_INFLATED_BYTES (a PDF bomb)."""
    total = 0
    pos = 0
    while m := _STREAM.search(data, pos):
        end = data.find(b"endstream", m.end())
        if end < 0:
            break
        pos = end + 9
        d = zlib.decompressobj()
        buf = data[m.end() : end]
        try:
            while buf:
                out = d.decompress(buf, 1 << 20)
                total += len(out)
                if total > MAX_PDF_INFLATED_BYTES:
                    raise ParseError(
                        source,
                        f"PDF streams inflate beyond {MAX_PDF_INFLATED_BYTES // (1024 * 1024)} MB "
                        "uncompressed: refused (decompression bomb)",
                    )
                buf = d.unconsumed_tail
                if not out:
                    break
        except zlib.error:
            continue  # not a Flate stream (images, fonts in other filters)


def read_pdf(data: bytes, source: str) -> tuple[Grid, str]:
    """(stacked grid of all tables, page text joined by newlines)."""
    import pdfplumber

    check_inflated_size(data, source)

    for name in ("pdfminer", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.ERROR)
    grid: Grid = []
    texts: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PDF_PAGES:
                raise ParseError(
                    source, f"PDF has {len(pdf.pages)} pages, more than {MAX_PDF_PAGES}: refused"
                )
            for page in pdf.pages:
                for table in page.extract_tables():
                    part = trim_grid([[join_wrapped(c) for c in row] for row in table])
                    if part:
                        grid.extend(part)
                texts.append(clean_text(page.extract_text() or ""))
    except ParseError:
        raise
    except Exception as e:  # pdfminer raises many types on a damaged file
        raise ParseError(source, f"cannot read PDF: {type(e).__name__}: {one_line(e)}") from e
    return trim_grid(grid), "\n".join(texts)
