"""Scanned PDF pages read by OCR (the optional extra ``pip install 'jixiao[ocr]'``).

The engine is RapidOCR (``rapidocr`` on PyPI): PP-OCR detection and recognition
models run by ONNX Runtime, shipped inside its wheel, so nothing is downloaded at run
time. The table structure comes from the page's rules (``ocr_layout``): each cell's
text lines are recognised on their own and put in the cell they were printed in, so
the page becomes the same cell grid a PDF with a text layer gives, and the one grid
parser reads it. An unruled page falls back to detection + recognition over the page,
with boxes clustered into rows and columns.

Bounded like every other upload: at most ``MAX_OCR_PAGES`` image pages, each
rendered no larger than ``MAX_OCR_SIDE`` pixels (a hostile page size cannot make a
huge bitmap), a wall-clock cap per file, and one ONNX thread. It runs inside the
parser worker process, which is terminated at the request deadline anyway.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from typing import Any

import numpy as np

from jixiao.corpus.parsers.cells import clean_text, join_wrapped
from jixiao.corpus.parsers.ocr_layout import (
    TextBox,
    boxes_to_grid,
    cells_to_grid,
    ink_mask,
    table_cells,
    text_lines,
)
from jixiao.corpus.parsers.vocab import Grid
from jixiao.errors import ArchiveTooLarge

log = logging.getLogger("jixiao.corpus")

#: A goal table is one or two pages; a scanned submission a handful. More image pages
#: than this are refused rather than recognised for minutes.
MAX_OCR_PAGES = 8
#: Render resolution for OCR: 11 pt text is about 30 px high, which recognition reads well.
OCR_DPI = 200
#: Longest side of a rendered page (pixels): an A4 page at 200 dpi is 2339; a page
#: declared 5 m wide renders at a lower resolution instead of as a gigapixel bitmap.
MAX_OCR_SIDE = 2400
#: Wall time for recognising one file's pages, inside the request's 60 s.
MAX_OCR_SECONDS = 40.0
#: Padding (pixels) around a text line cut out for recognition.
_PAD = 4
#: What to tell the user when a PDF has no text layer and the extra is missing.
INSTALL_HINT = "pip install 'jixiao[ocr]'"

_engine: Any = None
_engine_lock = threading.Lock()


def ocr_available() -> bool:
    """The extra is installed (its engine imports lazily, on the first scanned page)."""
    return importlib.util.find_spec("rapidocr") is not None


def _get_engine() -> Any:
    """One RapidOCR per process, single-threaded (two parser workers share two cores)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr import RapidOCR

            for name in ("RapidOCR", "rapidocr"):
                logging.getLogger(name).setLevel(logging.ERROR)
            _engine = RapidOCR(
                params={
                    "Global.log_level": "error",
                    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                }
            )
        return _engine


def render_page(pdf_page: Any) -> np.ndarray:
    """A pypdfium2 page as a greyscale array, at ``OCR_DPI`` or less so no side exceeds ``MAX_OCR_SIDE``."""
    width, height = pdf_page.get_size()  # points
    scale = min(OCR_DPI / 72, MAX_OCR_SIDE / max(width, height, 1.0))
    bitmap = pdf_page.render(scale=scale, grayscale=True)
    try:
        return np.array(bitmap.to_numpy()[:, :, 0] if bitmap.to_numpy().ndim == 3 else bitmap.to_numpy())
    finally:
        bitmap.close()


def _crop(gray: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    """A text line with white padding, as the 3-channel image the recogniser takes."""
    piece = gray[y0 : y1 + 1, x0 : x1 + 1]
    canvas = np.full((piece.shape[0] + 2 * _PAD, piece.shape[1] + 2 * _PAD), 255, dtype=np.uint8)
    canvas[_PAD : _PAD + piece.shape[0], _PAD : _PAD + piece.shape[1]] = piece
    return np.repeat(canvas[:, :, None], 3, axis=2)


def _recognise(crops: list[np.ndarray]) -> list[str]:
    if not crops:
        return []
    out = _get_engine().recognize_txt(crops)
    return [clean_text(t or "").strip() for t in out.txts]


def grid_from_ruled(gray: np.ndarray) -> Grid | None:
    """The page's ruled table as a grid (None when the page has no rules)."""
    found = table_cells(gray)
    if found is None:
        return None
    cells, nrows, ncols = found
    ink = ink_mask(gray)
    crops, owners = [], []
    for cell in cells:
        if cell.x1 - cell.x0 < 3 or cell.y1 - cell.y0 < 3:
            continue
        for x0, y0, x1, y1 in text_lines(ink[cell.y0 : cell.y1, cell.x0 : cell.x1]):
            crops.append(_crop(gray, cell.x0 + x0, cell.y0 + y0, cell.x0 + x1, cell.y0 + y1))
            owners.append((cell.row, cell.col))
    lines: dict[tuple[int, int], list[str]] = {}
    for owner, text in zip(owners, _recognise(crops), strict=True):
        if text:
            lines.setdefault(owner, []).append(text)
    texts = {k: join_wrapped("\n".join(v)) for k, v in lines.items()}
    return cells_to_grid(cells, texts, nrows, ncols)


def grid_from_boxes(gray: np.ndarray) -> Grid:
    """An unruled page: detection + recognition, boxes clustered into rows and columns."""
    result = _get_engine()(np.repeat(gray[:, :, None], 3, axis=2))
    if result.boxes is None or result.txts is None:
        return []
    boxes = [
        TextBox(clean_text(t).strip(), float(b[:, 0].min()), float(b[:, 1].min()), float(b[:, 0].max()), float(b[:, 1].max()))
        for b, t in zip(np.asarray(result.boxes), result.txts, strict=True)
    ]
    return boxes_to_grid(boxes)


def ocr_pages(data: bytes, page_numbers: list[int], source: str) -> Grid:
    """The grids of the given (image-only) pages of a PDF, stacked in page order."""
    import pypdfium2 as pdfium

    if len(page_numbers) > MAX_OCR_PAGES:
        raise ArchiveTooLarge(
            source, f"the PDF has {len(page_numbers)} scanned pages, more than the {MAX_OCR_PAGES} OCR reads: refused"
        )
    started = time.monotonic()
    grid: Grid = []
    doc = pdfium.PdfDocument(data)
    try:
        for number in page_numbers:
            if time.monotonic() - started > MAX_OCR_SECONDS:
                raise ArchiveTooLarge(
                    source, f"OCR of this PDF takes more than {MAX_OCR_SECONDS:.0f} s: refused (too many or too large pages)"
                )
            page = doc[number]
            try:
                gray = render_page(page)
            finally:
                page.close()
            page_grid = grid_from_ruled(gray)
            if page_grid is None:
                page_grid = grid_from_boxes(gray)
            log.info("%s: OCR page %d: %d rows", source, number + 1, len(page_grid))
            grid.extend(page_grid)
    finally:
        doc.close()
    return grid
