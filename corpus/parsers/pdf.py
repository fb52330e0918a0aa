"""PDF: ruled tables via pdfplumber become one cell grid; otherwise the page text.

Tables of all pages are stacked in page order, because a goal table that runs over a
page break continues its merged level cells on the next page; a table printed over
pages by column is joined back first (``pdf_tables``). Lines inside a cell are
width wrapping, not content, so they are joined back (``≥1000`` / ``人次``). PDFs
without ruled tables (the seeds were such PDFs, as text) go to ``parse_text``.

Pages without a text layer (scans) are read by OCR when the extra is installed
(``ocr.py``, ``pip install 'jixiao[ocr]'``); their grids join the others in page order.
Without the extra, a PDF that is all scan is refused with the install hint.
"""

from __future__ import annotations

import io
import logging

from jixiao.corpus.parsers.cells import clean_text, one_line, trim_grid
from jixiao.corpus.parsers.ocr import INSTALL_HINT, ocr_available, ocr_pages
from jixiao.corpus.parsers.pdf_budget import BudgetExceeded, inflate_budget
from jixiao.corpus.parsers.pdf_tables import join_parts, table_part
from jixiao.corpus.parsers.vocab import Grid
from jixiao.errors import ArchiveTooLarge, DamagedFile, ParseError

#: More pages than any goal-table document; bounds the work a hostile PDF can cause.
MAX_PDF_PAGES = 300
#: pdfminer inflates every stream whole in memory, so a 1 MB upload could become
#: gigabytes; its decoders are bounded to this total per file (``pdf_budget``).
MAX_PDF_INFLATED_BYTES = 200 * 1024 * 1024
#: Page content pdfminer may interpret per file. A goal table's page has 10-100 KB; at
#: worst (one token per byte) pdfminer needs ~16 µs a byte, so this keeps a hostile
#: file under ~50 s of CPU, inside the request timeout.
MAX_PDF_CONTENT_BYTES = 3 * 1024 * 1024
#: Wall time for reading one PDF, below the service's 60 s request timeout: a hostile
#: structure that slips past the byte budgets still ends in a 413, not a 504.
MAX_PDF_SECONDS = 25.0
#: Pixels of one embedded image on a scanned page (declared size): the renderer decodes
#: images whole, outside the inflate budget, so a 100k × 100k image is refused unread.
MAX_SCAN_IMAGE_PIXELS = 60_000_000


def read_pdf(data: bytes, source: str) -> tuple[Grid, str]:
    """(stacked grid of all tables, page text joined by newlines)."""
    import pdfplumber

    for name in ("pdfminer", "pdfplumber"):
        logging.getLogger(name).setLevel(logging.ERROR)
    grid: Grid = []
    texts: list[str] = []
    scanned: list[int] = []  # pages without a text layer but with an image
    budget = None
    try:
        with (
            inflate_budget(MAX_PDF_INFLATED_BYTES, MAX_PDF_CONTENT_BYTES, MAX_PDF_SECONDS) as budget,
            pdfplumber.open(io.BytesIO(data)) as pdf,
        ):
            if len(pdf.pages) > MAX_PDF_PAGES:
                raise ArchiveTooLarge(
                    source, f"PDF has {len(pdf.pages)} pages, more than {MAX_PDF_PAGES}: refused"
                )
            parts = []
            for number, page in enumerate(pdf.pages):
                parts += [table_part(page, table, number) for table in page.find_tables()]
                texts.append(clean_text(page.extract_text() or ""))
                if not texts[-1].strip() and page.images:
                    _check_scan_images(page.images, source)
                    scanned.append(number)
                budget.check_time()  # table finding on a crowded page runs outside pdfminer
                if budget.exceeded:  # pdfminer swallowed the refusal somewhere
                    raise BudgetExceeded
        for table_grid in join_parts(parts):
            grid.extend(trim_grid(table_grid, source))
        if scanned and ocr_available():
            grid.extend(trim_grid(ocr_pages(data, scanned, source), source))
    except ParseError:
        raise
    except Exception as e:  # pdfminer raises many types on a damaged file
        if budget is not None and budget.timed_out:
            raise ArchiveTooLarge(
                source, f"reading this PDF takes more than {MAX_PDF_SECONDS:.0f} s: refused (too complex)"
            ) from e
        if budget is not None and budget.exceeded:  # BudgetExceeded, or what pdfminer made of it
            raise ArchiveTooLarge(
                source,
                f"PDF streams inflate beyond {MAX_PDF_INFLATED_BYTES // (1024 * 1024)} MB uncompressed, "
                f"or its pages hold more than {MAX_PDF_CONTENT_BYTES // (1024 * 1024)} MB of content: "
                "refused (decompression bomb)",
            ) from e
        raise DamagedFile(source, f"cannot read PDF: {type(e).__name__}: {one_line(e)}") from e
    if not grid and not any(t.strip() for t in texts):
        if scanned and ocr_available():
            raise ParseError(source, "OCR of the scanned pages found no table and no text")
        hint = "" if ocr_available() else f": install the OCR extra to read scans ({INSTALL_HINT})"
        raise ParseError(source, f"the PDF has no text layer (a scan?){hint}")
    return trim_grid(grid, source), "\n".join(texts)


def _check_scan_images(images: list[dict], source: str) -> None:
    for image in images:
        width, height = image.get("srcsize") or (0, 0)
        if float(width) * float(height) > MAX_SCAN_IMAGE_PIXELS:
            raise ArchiveTooLarge(
                source,
                f"a scanned page holds a {int(width)}×{int(height)} image, more than "
                f"{MAX_SCAN_IMAGE_PIXELS // 1_000_000} million pixels: refused",
            )
