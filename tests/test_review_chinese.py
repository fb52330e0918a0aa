"""Targets of the review on the five seeds and the upload fixtures: every finding names its row and
criterion, and no English word reaches a reviewer (JSON texts, workbooks, the page).

English is allowed only where the user's own table has it (an indicator named "GDP增长率" is
quoted as it is) and for the product name and file extensions on the page.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from api_fakes import FakeEngine
from openpyxl import load_workbook

from jixiao.corpus import writers
from jixiao.corpus.data_paths import EXTERNAL_TABLES, seed_files
from jixiao.corpus.records import read_records
from jixiao.service.analysis import TableReview
from jixiao.service.annotate import annotated_workbook
from jixiao.service.batch import BatchReview, review_files
from jixiao.service.summary import summary_workbook

ENGLISH = re.compile(r"[A-Za-z]{2,}")
STATIC = Path(__file__).resolve().parents[1] / "service" / "static"
PAGE_ALLOWED = {"jixiao", "xlsx", "docx", "csv", "txt", "md", "pdf", "zip", "Excel"}


def upload_fixtures() -> list[tuple[str, bytes]]:
    """The seeds as published, and labeled tables written in every upload format."""
    files = [(p.name, p.read_bytes()) for p in seed_files()]
    tables = [t for t in read_records(EXTERNAL_TABLES)[0][:8] if all(i.level2 for i in t.indicators)]
    for fmt in writers.FORMATS:
        buf = io.BytesIO()
        writers.write_tables(tables, buf, fmt)
        files.append((f"fixture.{fmt}", buf.getvalue()))
    return files


@pytest.fixture(scope="module")
def batch() -> BatchReview:
    return review_files(FakeEngine().classify, upload_fixtures())


def user_words(t: TableReview) -> set[str]:
    return set(ENGLISH.findall(t.table.model_dump_json()))


def test_every_fixture_file_is_reviewed(batch):
    assert all(f.ok and f.tables for f in batch.files), [(f.name, f.problem) for f in batch.files]
    assert sum(len(f.tables) for f in batch.files) > 38


def test_every_finding_names_its_row_and_criterion(batch):
    n = 0
    for f in batch.files:
        for t in f.tables:
            for x in t.findings:
                n += 1
                assert x.criterion is not None and x.criterion_title in (
                    "完整性",
                    "相关性",
                    "适当性",
                    "可行性",
                )
                if x.indicator_index is None:
                    assert x.location == "整表"
                else:
                    assert 0 <= x.indicator_index < len(t.table.indicators)
                    assert x.location.startswith(f"第 {x.indicator_index + 1} 行")
    assert n > 100


def test_no_english_in_review_texts(batch):
    for f in batch.files:
        for s in f.skipped:
            assert not ENGLISH.search(s.problem), s.problem
        for t in f.tables:
            allowed = user_words(t)
            texts = [t.grade.reason, t.grade.title, t.grade.action, *(s.title for s in t.grade.scores)]
            for x in t.findings:
                texts += [x.title, x.message, x.severity_title, x.criterion_title, x.location]
            texts += [c.declared_tier or "" for c in t.classifications]
            for text in texts:
                assert set(ENGLISH.findall(text)) <= allowed, text


def workbook_strings(data: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(data))
    out = list(wb.sheetnames)
    for ws in wb.worksheets:
        out += [c for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    return out


def test_no_english_in_the_workbooks(batch):
    tables = [t for f in batch.files for t in f.tables]
    allowed = set().union(*(user_words(t) for t in tables)) | {
        w for f in batch.files for w in ENGLISH.findall(f.name)
    }
    for data in (annotated_workbook(tables), summary_workbook(batch)):
        for text in workbook_strings(data):
            assert set(ENGLISH.findall(text)) <= allowed, text


def page_text(html: str) -> str:
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    shown = " ".join(re.findall(r'(?:placeholder|title)="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + shown


def test_no_english_on_the_page():
    words = set(ENGLISH.findall(page_text((STATIC / "index.html").read_text(encoding="utf-8"))))
    assert words <= PAGE_ALLOWED, words - PAGE_ALLOWED
    # Texts the review script writes into the page: every literal between tags, and labels.
    js = (STATIC / "review.js").read_text(encoding="utf-8")
    shown = re.findall(r">([^<>`${}\n]*[\u4e00-\u9fff][^<>`${}\n]*)<", js)
    shown += re.findall(r'"([^"\n]*[\u4e00-\u9fff][^"\n]*)"', js)
    assert shown
    for raw in shown:
        if "`" in raw:
            continue  # a fragment of a template literal: the browser test reads the rendered page
        text = re.sub(r"<[^>]*>", "", re.sub(r"\$\{[^}]*\}", "", raw))
        assert set(ENGLISH.findall(text)) <= PAGE_ALLOWED, text


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        ("unknown layout: no goal-table layout recognised (tried a, b)", "未识别出绩效目标表"),
        ("zip has too many entries (10001 > 2000): refused", "条目过多"),
        ("empty file", "为空"),
        ("no indicator name in this row", "没有指标名称"),
        ("the PDF has no text layer (a scan?): OCR it first", "文字层"),
        ("指标类别无法识别", "指标类别无法识别"),  # already Chinese: kept
        ("something nobody wrote a translation for", "无法识别该内容"),
    ],
)
def test_parser_problems_are_shown_in_chinese(problem, expected):
    from jixiao.corpus.problem_text import zh_problem

    shown = zh_problem(problem)
    assert expected in shown and not set(ENGLISH.findall(shown)) - PAGE_ALLOWED
