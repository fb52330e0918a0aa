"""Scanned PDFs: the OCR extra reads a scan made by other programs into the same GoalTable;
without it a scan is a clear Chinese refusal; table structure comes from the page's rules."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hostile_files import pdf_from_objects
from test_real_world_fixtures import EXPECTED

from jixiao.corpus.parsers import parse_bytes, parse_file
from jixiao.corpus.parsers.ocr import MAX_OCR_PAGES, MAX_OCR_SIDE, ocr_available
from jixiao.corpus.parsers.ocr_layout import TextBox, boxes_to_grid, table_cells, text_lines
from jixiao.errors import ArchiveTooLarge, ParseError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
needs_ocr = pytest.mark.skipif(not ocr_available(), reason="the OCR extra is not installed: pip install 'jixiao[ocr]'")


# ---- the real-world scan ------------------------------------------------------------------


@needs_ocr
def test_scanned_goal_table_parses_to_the_expected_rows() -> None:
    # LibreOffice → pdftoppm → JPEG with scanner grain → image-only PDF (make_fixtures.py).
    (t,) = parse_file(FIXTURES / "scanned_goal_table.pdf").tables
    rows = [(i.level1, i.level2, i.name, i.annual_value, i.period_value) for i in t.indicators]
    assert rows == EXPECTED
    assert t.project == "农村公路养护工程" and t.amount == 1_200_000
    assert t.annual_goal == "完成县乡道养护120公里，路况优良率达到85%以上"


@needs_ocr
@pytest.mark.slow
@pytest.mark.parametrize("degrees", [0.4, -1.5])
def test_a_scan_fed_in_askew_is_levelled_and_parses_the_same(degrees: float) -> None:
    import pypdfium2 as pdfium
    from PIL import Image

    page = pdfium.PdfDocument(str(FIXTURES / "scanned_goal_table.pdf"))[0].render(scale=150 / 72, grayscale=True)
    turned = page.to_pil().convert("L").rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255)
    buf = io.BytesIO()
    turned.save(buf, "PDF", resolution=150.0)
    (t,) = parse_bytes(buf.getvalue(), "askew.pdf").tables
    assert [(i.level1, i.level2, i.name, i.annual_value, i.period_value) for i in t.indicators] == EXPECTED


def test_scan_without_the_extra_is_a_chinese_422_naming_the_extra(monkeypatch) -> None:
    from api_fakes import FakeEngine
    from fastapi.testclient import TestClient

    import jixiao.service.routes.tables as tables_route
    from jixiao.service.app import create_app
    from jixiao.settings import Settings

    monkeypatch.setattr("jixiao.corpus.parsers.pdf.ocr_available", lambda: False)
    data = (FIXTURES / "scanned_goal_table.pdf").read_bytes()
    with pytest.raises(ParseError, match=r"no text layer.*jixiao\[ocr\]"):
        parse_bytes(data, "scan.pdf")
    # Parse in this process, where the patch applies (uploads are normally parsed in a worker process).
    monkeypatch.setattr("jixiao.service.routes.tables.parse_in_subprocess", tables_route.parse_upload)
    app = create_app(Settings(home=Path("/nonexistent")), engine=FakeEngine())
    with TestClient(app) as client:
        r = client.post("/v1/tables/upload", files={"file": ("scan.pdf", data)})
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "扫描件" in detail and "pip install 'jixiao[ocr]'" in detail


# ---- bounds ------------------------------------------------------------------------------


def _image_pdf(pages: int) -> bytes:
    from PIL import Image

    images = [Image.new("L", (60, 80), 255) for _ in range(pages)]
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=10.0)
    return buf.getvalue()


def _pdf_with_image(width: int, height: int) -> bytes:
    """One page drawing one declared-huge greyscale image (its data is one byte)."""
    content = b"q 200 0 0 200 0 0 cm /Im0 Do Q"
    objs = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Resources<</XObject<</Im0 5 0 R>>>>/Contents 4 0 R>>",
        b"<</Length " + str(len(content)).encode() + b">>stream\n" + content + b"\nendstream",
        f"<</Type/XObject/Subtype/Image/Width {width}/Height {height}/ColorSpace/DeviceGray"
        "/BitsPerComponent 8/Length 1>>stream\n".encode() + b"X\nendstream",
    ]
    return pdf_from_objects(objs)


@needs_ocr
def test_too_many_scanned_pages_are_refused_before_any_recognition() -> None:
    with pytest.raises(ArchiveTooLarge, match="scanned pages"):
        parse_bytes(_image_pdf(MAX_OCR_PAGES + 1), "many.pdf")
    from jixiao.service.problems import parse_problem

    try:
        parse_bytes(_image_pdf(MAX_OCR_PAGES + 1), "many.pdf")
    except ArchiveTooLarge as e:
        problem = parse_problem(e)
    assert problem.status == 413 and "扫描页过多" in problem.detail and "解压" not in problem.detail.split("（")[0]


@needs_ocr
def test_noise_and_hatching_are_refused_at_once_not_recognised_for_a_minute() -> None:
    import random
    import time

    from PIL import Image

    noise = Image.frombytes("L", (1200, 1600), random.Random(1).randbytes(1200 * 1600))
    grid = Image.new("L", (1200, 1600), 255)
    for i in range(0, 1600, 6):
        grid.paste(0, (0, i, 1200, i + 1))
        grid.paste(0, (i, 0, i + 1, 1600))
    for image, error, why in ((noise, ParseError, "mostly ink"), (grid, ArchiveTooLarge, "too many cells")):
        buf = io.BytesIO()
        image.save(buf, "PDF", resolution=144.0)
        t0 = time.monotonic()
        with pytest.raises(error, match=why):
            parse_bytes(buf.getvalue(), "noise.pdf")
        assert time.monotonic() - t0 < 10  # it took 60-120 s before these checks


def test_a_declared_gigapixel_scan_is_refused_unrendered() -> None:
    with pytest.raises(ArchiveTooLarge, match="million pixels"):
        parse_bytes(_pdf_with_image(100_000, 100_000), "huge.pdf")


def test_a_huge_page_renders_within_the_side_cap() -> None:
    import pypdfium2 as pdfium

    from jixiao.corpus.parsers.ocr import render_page

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(5000, 3000)  # points: 1.8 m wide
    gray = render_page(page)
    assert gray.ndim == 2 and max(gray.shape) <= MAX_OCR_SIDE


# ---- table structure from pixels (no OCR engine needed) -----------------------------------


def _ruled_page() -> np.ndarray:
    """Three rows × three columns; row 0's columns 1-2 merged, column 0's rows 1-2 merged."""
    g = np.full((140, 500), 255, dtype=np.uint8)
    for y in (10, 50, 90, 130):
        g[y : y + 2, 10:492] = 0
    g[90:92, 10:150] = 255  # no rule under column 0 between rows 1 and 2
    for x in (10, 150, 490):
        g[10:132, x : x + 2] = 0
    g[50:132, 300:302] = 0  # column rule 2 only below row 0
    g[20:40, 30:60] = 0  # text blobs
    g[65:82, 320:322] = 0  # a stroke inside one row band: 17 of 38 rows
    return g


def test_ruled_cells_with_merges() -> None:
    cells, nrows, ncols = table_cells(_ruled_page())
    assert (nrows, ncols) == (3, 3)
    spans = {(c.row, c.col): (c.x0, c.y0, c.x1, c.y1) for c in cells}
    assert set(spans) == {(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (2, 1), (2, 2)}
    assert spans[(0, 1)][2] >= 488  # merged across columns 1-2, up to the right border
    assert spans[(1, 0)][3] >= 128  # merged down rows 1-2


def test_a_page_ruled_like_graph_paper_is_refused() -> None:
    from jixiao.corpus.parsers.ocr_layout import TooManyRules

    g = np.full((600, 600), 255, dtype=np.uint8)
    g[::5, :] = 0
    g[:, ::5] = 0
    with pytest.raises(TooManyRules):
        table_cells(g)


@pytest.mark.parametrize("degrees", [0.0, 0.5, -2.0])
def test_skew_angle_finds_the_turn_that_levels_the_rules(degrees: float) -> None:
    from PIL import Image

    from jixiao.corpus.parsers.ocr_layout import skew_angle

    g = np.full((900, 1200), 255, dtype=np.uint8)
    for y in range(100, 800, 40):
        g[y : y + 2, 100:1100] = 0
    for x in (100, 400, 700, 1098):
        g[100:782, x : x + 2] = 0
    turned = np.asarray(Image.fromarray(g).rotate(degrees, resample=Image.Resampling.BICUBIC, fillcolor=255))
    assert abs(skew_angle(turned) + degrees) <= 0.1


def test_unruled_page_has_no_cells() -> None:
    g = np.full((100, 300), 255, dtype=np.uint8)
    g[40:60, 20:30] = 0
    assert table_cells(g) is None


def test_text_lines_keep_split_glyphs_whole() -> None:
    ink = np.zeros((60, 120), dtype=bool)
    ink[5:7, 10:40] = True  # 二: two strokes with blank rows between
    ink[16:18, 8:42] = True
    ink[5:22, 50:53] = True  # a full-height neighbour on the same line
    ink[32:52, 10:100] = True  # a second line
    lines = text_lines(ink)
    assert [(y0, y1) for _, y0, _, y1 in lines] == [(5, 21), (32, 51)]


def test_unruled_boxes_cluster_into_rows_and_columns() -> None:
    boxes = [
        TextBox("项目名称", 10, 10, 80, 30),
        TextBox("农村公路养护工程", 120, 11, 400, 29),
        TextBox("一级指标", 10, 50, 80, 70),
        TextBox("二级指标", 120, 51, 190, 69),
        TextBox("指标值", 300, 50, 360, 70),
        TextBox("产出指标", 10, 90, 80, 110),
        TextBox("数量指标", 121, 92, 190, 108),
        TextBox("≥120公里", 302, 90, 380, 110),
    ]
    assert boxes_to_grid(boxes) == [
        ["项目名称", "农村公路养护工程", None],
        ["一级指标", "二级指标", "指标值"],
        ["产出指标", "数量指标", "≥120公里"],
    ]


@needs_ocr
@pytest.mark.slow
def test_unruled_scan_falls_back_to_clustered_boxes() -> None:
    """The fixture with its rules painted out: rows and columns come from the text boxes."""
    import pypdfium2 as pdfium

    from jixiao.corpus.parsers.grid import grid_to_tables
    from jixiao.corpus.parsers.ocr import _Clock, grid_from_boxes, render_page
    from jixiao.corpus.parsers.ocr_layout import horizontal_rules, ink_mask

    gray = render_page(pdfium.PdfDocument(str(FIXTURES / "scanned_goal_table.pdf"))[0])
    ink = ink_mask(gray)
    for rule in horizontal_rules(ink):
        gray[rule.top : rule.bottom + 1, :] = 255
    gray[:, ink.mean(axis=0) > 0.2] = 255  # column rules: ink down most of the page's height
    assert table_cells(gray) is None
    (t,) = grid_to_tables(grid_from_boxes(gray, _Clock("unruled.pdf", 60)), "unruled.pdf").tables
    rows = [(i.level1, i.level2, i.name, i.annual_value, i.period_value) for i in t.indicators]
    assert rows == EXPECTED
    assert t.project == "农村公路养护工程"
