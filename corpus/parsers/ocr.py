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
    TooManyRules,
    boxes_to_grid,
    cells_to_grid,
    deskew,
    ink_mask,
    table_cells,
    text_lines,
)
from jixiao.corpus.parsers.vocab import Grid
from jixiao.errors import ArchiveTooLarge, ParseError

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
MAX_OCR_SECONDS = 30.0
#: Text lines recognised per page at most (a dense goal table has a few hundred); noise
#: or a photo can look like thousands, which would take minutes.
MAX_OCR_LINES = 1500
#: A scanned document is mostly paper; a page with more ink than this is a photo or
#: noise, and recognising it only burns time.
MAX_INK_SHARE = 0.4
#: Text lines recognised per call, with the time cap checked between calls.
_REC_CHUNK = 64
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


class _Clock:
    """The file's OCR time cap, checked between pages and between recognition chunks."""

    def __init__(self, source: str, seconds: float):
        self.source = source
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.end:
            raise ArchiveTooLarge(
                self.source, f"OCR of this PDF takes more than {self.seconds:.0f} s: refused (too many or too large pages)"
            )


def _recognise(crops: list[np.ndarray], clock: _Clock) -> list[str]:
    if len(crops) > MAX_OCR_LINES:
        raise ArchiveTooLarge(
            clock.source, f"a scanned page has {len(crops)} text lines, more than the {MAX_OCR_LINES} OCR reads: refused"
        )
    texts: list[str] = []
    for i in range(0, len(crops), _REC_CHUNK):
        clock.check()
        out = _get_engine().recognize_txt(crops[i : i + _REC_CHUNK])
        texts += [clean_text(t or "").strip() for t in out.txts]
    return texts


def grid_from_ruled(gray: np.ndarray, clock: _Clock) -> Grid | None:
    """The page's ruled table as a grid (None when the page has no rules)."""
    try:
        found = table_cells(gray)
    except TooManyRules as e:
        raise ArchiveTooLarge(clock.source, f"a scanned page is ruled into too many cells ({e}): refused") from e
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
    for owner, text in zip(owners, _recognise(crops, clock), strict=True):
        if text:
            lines.setdefault(owner, []).append(text)
    texts = {k: join_wrapped("\n".join(v)) for k, v in lines.items()}
    return cells_to_grid(cells, texts, nrows, ncols)


def grid_from_boxes(gray: np.ndarray, clock: _Clock) -> Grid:
    """An unruled page: text detection, then each box recognised, boxes clustered into rows and columns."""
    found = _get_engine()(np.repeat(gray[:, :, None], 3, axis=2), use_cls=False, use_rec=False)
    if found.boxes is None or len(found.boxes) == 0:
        return []
    h, w = gray.shape
    rects = []
    for quad in np.asarray(found.boxes):
        x0, y0 = max(int(quad[:, 0].min()), 0), max(int(quad[:, 1].min()), 0)
        x1, y1 = min(int(quad[:, 0].max()), w - 1), min(int(quad[:, 1].max()), h - 1)
        if x1 > x0 and y1 > y0:
            rects.append((x0, y0, x1, y1))
    texts = _recognise([_crop(gray, *r) for r in rects], clock)
    return boxes_to_grid([TextBox(t, *r) for t, r in zip(texts, rects, strict=True)])


def ocr_pages(data: bytes, page_numbers: list[int], source: str) -> Grid:
    """The grids of the given (image-only) pages of a PDF, stacked in page order."""
    import pypdfium2 as pdfium

    if len(page_numbers) > MAX_OCR_PAGES:
        raise ArchiveTooLarge(
            source, f"the PDF has {len(page_numbers)} scanned pages, more than the {MAX_OCR_PAGES} OCR reads: refused"
        )
    clock = _Clock(source, MAX_OCR_SECONDS)
    grid: Grid = []
    doc = pdfium.PdfDocument(data)
    try:
        for number in page_numbers:
            clock.check()
            page = doc[number]
            try:
                gray = render_page(page)
            finally:
                page.close()
            if ink_mask(gray).mean() > MAX_INK_SHARE:
                raise ParseError(source, f"scanned page {number + 1} is mostly ink (a photo or noise, not a document)")
            gray = deskew(gray)
            page_grid = grid_from_ruled(gray, clock)
            if page_grid is None:
                page_grid = grid_from_boxes(gray, clock)
            log.info("%s：OCR 第 %d 页：%d 行", source, number + 1, len(page_grid))
            grid.extend(page_grid)
    finally:
        doc.close()
    return grid
