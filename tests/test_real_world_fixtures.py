"""Files made by other programs (see tests/fixtures/make_fixtures.py), parsed exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from jixiao.corpus.parsers import parse_file
from jixiao.errors import ParseError

FIXTURES = Path(__file__).resolve().parent / "fixtures"

EXPECTED = [
    ("产出指标", "数量指标", "县乡道养护里程", "≥120公里", "≥360公里"),
    ("产出指标", "数量指标", "危桥改造数量", "≥3座", "≥9座"),
    ("产出指标", "质量指标", "路况优良率", "≥85%", "≥85%"),
    ("产出指标", "时效指标", "养护工程完工时间", "2024年11月底前", "2026年11月底前"),
    ("产出指标", "成本指标", "每公里养护成本", "≤1.2万元", "≤1.2万元"),
    ("效益指标", "社会效益指标", "群众出行条件", "明显改善", "明显改善"),
    ("效益指标", "可持续影响指标", "农村公路长效管护机制", "有效运行", "有效运行"),
    ("满意度指标", "服务对象满意度指标", "沿线群众满意度", "≥90%", "≥90%"),
]


def _rows(path: Path) -> tuple:
    (t,) = parse_file(path).tables
    rows = [(i.level1, i.level2, i.name, i.annual_value, i.period_value) for i in t.indicators]
    return t, rows


@pytest.mark.parametrize("name", ["quote_all_utf8.csv", "quote_all_gb18030.csv"])
def test_quote_all_csv_parses_exactly(name: str) -> None:
    t, rows = _rows(FIXTURES / name)
    assert rows == EXPECTED
    assert t.project == "农村公路养护工程"
    assert t.annual_goal and t.annual_goal.startswith("完成县乡道养护120公里")


def test_libreoffice_pdf_over_two_pages_by_column_parses_exactly() -> None:
    import pdfplumber

    path = FIXTURES / "libreoffice_two_pages.pdf"
    with pdfplumber.open(path) as pdf:
        assert len(pdf.pages) == 2  # the fixture really is split by column
    t, rows = _rows(path)
    assert rows == EXPECTED
    assert t.project == "农村公路养护工程" and t.amount == 1_200_000
    assert t.annual_goal == "完成县乡道养护120公里，路况优良率达到85%以上"


def test_scanned_pdf_without_ocr_is_a_clear_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the OCR extra installed the scan is read (tests/test_ocr.py); without it, refused.
    monkeypatch.setattr("jixiao.corpus.parsers.pdf.ocr_available", lambda: False)
    with pytest.raises(ParseError, match=r"no text layer.*jixiao\[ocr\]"):
        parse_file(FIXTURES / "scanned_table.pdf")
