"""Uploads: writers → files → parse_file gives back the gold tables; sniffing and safety.

The gold tables are the hand-checked seed fixtures (and a few labeled external
records, which carry full-width operators), written in every format the service
accepts and read back through the same entry point the CLI and HTTP upload use.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from jixiao.corpus import writers
from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.parsers import cells, parse_bytes, parse_file, zipsafe
from jixiao.corpus.parsers.detect import decode_text
from jixiao.corpus.parsers.docx import read_docx
from jixiao.corpus.parsers.xlsx import cell_text
from jixiao.corpus.records import record_to_table
from jixiao.corpus.schema import GoalTable, ValueKind
from jixiao.errors import ParseError

SEEDS_GOLD = Path(__file__).resolve().parents[1] / "eval" / "fixtures" / "seeds.jsonl"
# External records with full-width / variant operators (≧, ═) and several level-2 blocks.
EXTERNAL_IDS = ("p002", "p050")


def _records() -> list[dict]:
    recs = []
    if SEEDS_GOLD.exists():
        recs += [json.loads(ln) for ln in SEEDS_GOLD.read_text(encoding="utf-8").splitlines() if ln.strip()]
    for ln in EXTERNAL_TABLES.read_text(encoding="utf-8").splitlines():
        rec = json.loads(ln)
        if rec["id"] in EXTERNAL_IDS:
            recs.append(rec)
    return recs


def _gold_tables() -> list[GoalTable]:
    # A table whose indicators print level 1 only cannot survive merged level cells
    # (a blank level 2 reads as "same as above"), so such tables are not round-trip gold.
    tables = [record_to_table(r) for r in _records()]
    return [t for t in tables if t.indicators and all(i.level2 for i in t.indicators)]


def loose(text: str | None) -> str:
    """Compare text as a reader does: normal form, whitespace ignored."""
    return re.sub(r"\s+", "", normalize_text(text or ""))


def assert_same_tables(parsed: list[GoalTable], gold: list[GoalTable], fmt: str) -> None:
    assert len(parsed) == len(gold), f"{fmt}: {len(parsed)} tables parsed, {len(gold)} written"
    for p, g in zip(parsed, gold, strict=True):
        where = f"{fmt} {g.id}"
        assert loose(p.project) == loose(g.project), where
        assert loose(p.department) == loose(g.department), where
        assert loose(p.unit) == loose(g.unit), where
        if g.amount is None:
            assert p.amount is None, where
        else:
            assert p.amount == pytest.approx(g.amount, rel=1e-9), where
        assert loose(p.annual_goal) == loose(g.annual_goal), where
        assert len(p.indicators) == len(g.indicators), f"{where}: indicator count"
        for k, (pi, gi) in enumerate(zip(p.indicators, g.indicators, strict=True)):
            row = f"{where} row {k} {gi.name}"
            assert (pi.level1, pi.level2, pi.code) == (gi.level1, gi.level2, gi.code), row
            assert loose(pi.name) == loose(gi.name), row
            assert loose(pi.period_value) == loose(gi.period_value), row
            assert loose(pi.annual_value) == loose(gi.annual_value), row


@pytest.fixture(scope="module")
def gold() -> list[GoalTable]:
    tables = _gold_tables()
    assert len(tables) >= 3
    return tables


@pytest.mark.parametrize(
    ("fmt", "encoding"),
    [("xlsx", None), ("docx", None), ("csv", "utf-8-sig"), ("csv", "gbk"), ("pdf", None)],
)
def test_round_trip(tmp_path: Path, gold: list[GoalTable], fmt: str, encoding: str | None) -> None:
    # Word merges and PDF font subsetting are slow, so those formats take a sample of
    # the gold (every 4th table: all seed layouts and the external records still occur).
    tables = gold[::4] + gold[-1:] if fmt in ("docx", "pdf") else gold
    path = tmp_path / f"tables.{fmt}"
    writers.write_tables(tables, path, fmt, encoding=encoding or "utf-8-sig")
    if encoding == "gbk":
        with pytest.raises(UnicodeDecodeError):
            path.read_bytes().decode("utf-8")
    result = parse_file(path)
    assert_same_tables(result.tables, tables, f"{fmt}/{encoding}")


def test_extension_is_ignored(tmp_path: Path, gold: list[GoalTable]) -> None:
    """An Excel file named .csv and a CSV file named .xlsx are parsed by content."""
    xlsx_named_csv = tmp_path / "really_excel.csv"
    writers.write_tables(gold[:1], xlsx_named_csv, "xlsx")
    csv_named_xlsx = tmp_path / "really_csv.xlsx"
    writers.write_tables(gold[:1], csv_named_xlsx, "csv")
    docx_named_pdf = tmp_path / "really_word.pdf"
    writers.write_tables(gold[:1], docx_named_pdf, "docx")
    for path in (xlsx_named_csv, csv_named_xlsx, docx_named_pdf):
        assert_same_tables(parse_file(path).tables, gold[:1], path.name)


def test_parse_bytes_equals_parse_file(tmp_path: Path, gold: list[GoalTable]) -> None:
    path = tmp_path / "t.xlsx"
    writers.write_tables(gold[:1], path)
    a = parse_file(path).tables
    b = parse_bytes(path.read_bytes(), str(path)).tables
    assert [t.model_dump() for t in a] == [t.model_dump() for t in b]


# --------------------------------------------------------------------------- hand-made workbooks


def _sheet(rows: list[list], merges: list[str] = (), formats: dict[str, str] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


META = [
    ["项目名称", "城乡居民医疗救助", None, None],
    ["主管部门", "某县医疗保障局", None, None],
    ["预算金额(万元)", 18514, None, None],
    ["年度目标", "资助困难群众参保全覆盖", None, None],
]


def test_merged_cells_carry_down_and_numbers(gold: list[GoalTable]) -> None:
    rows = META + [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "资助参保人次", 150000.0],
        [None, None, "住院救助人次", "≥2000人次"],
        [None, "质量指标", "救助比例", 0.95],
        ["满意度指标", "服务对象满意度指标", "救助对象满意度", 0.905],
    ]
    data = _sheet(rows, merges=["A6:A8", "B6:B7", "B1:D1"], formats={"D8": "0%", "D9": "0.0%"})
    (t,) = parse_bytes(data, "merged.xlsx").tables
    assert t.project == "城乡居民医疗救助"
    assert t.amount == pytest.approx(185_140_000)
    got = [(i.code, i.name, i.annual_value) for i in t.indicators]
    assert got == [
        ("11", "资助参保人次", "150000"),
        ("11", "住院救助人次", "≥2000人次"),
        ("12", "救助比例", "95%"),
        ("31", "救助对象满意度", "90.5%"),
    ]
    assert "level1" in t.indicators[1].inferred_levels and "level2" in t.indicators[1].inferred_levels
    assert "level1" in t.indicators[2].inferred_levels and "level2" not in t.indicators[2].inferred_levels


def test_full_width_operators_in_xlsx() -> None:
    rows = META + [
        ["一级指标", "二级指标", "三级指标", "指标值"],
        ["产出指标", "数量指标", "资助参保人次", "＞＝70000人"],
        ["产出指标", "质量指标", "救助比例", "≧75％"],
        ["满意度指标", "服务对象满意度指标", "满意度", "≦　100％"],
    ]
    (t,) = parse_bytes(_sheet(rows), "fullwidth.xlsx").tables
    parsed = [i.parsed for i in t.indicators]
    assert [(p.kind, p.operator, p.number, p.unit) for p in parsed] == [
        (ValueKind.NUMERIC, "≥", 70000.0, "人"),
        (ValueKind.NUMERIC, "≥", 75.0, "%"),
        (ValueKind.NUMERIC, "≤", 100.0, "%"),
    ]
    assert all("％" not in (i.annual_value or "") for i in t.indicators)


def test_traditional_characters_xlsx(tmp_path: Path, gold: list[GoalTable]) -> None:
    import opencc

    s2t = opencc.OpenCC("s2t").convert
    path = tmp_path / "trad.xlsx"
    writers.write_tables(gold[:1], path)
    wb = openpyxl.load_workbook(path)
    changed = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    new = s2t(c.value)
                    changed += new != c.value
                    c.value = new
    wb.save(path)
    assert changed > 10
    (t,) = parse_file(path).tables
    g = gold[0]
    assert [i.code for i in t.indicators] == [i.code for i in g.indicators]
    assert [loose(i.name) for i in t.indicators] == [loose(i.name) for i in g.indicators]
    assert loose(t.project) == loose(g.project)


# --------------------------------------------------------------------------- readers, unit level


def test_cell_text_numbers_and_dates() -> None:
    import datetime as dt

    assert cell_text(0.95, "0%") == "95%"
    assert cell_text(0.955, "0.00%") == "95.5%"
    assert cell_text(150000.0, "General") == "150000"
    assert cell_text(387664.62, "#,##0.00") == "387664.62"
    assert cell_text(0.1 + 0.2, "General") == "0.3"
    assert cell_text(3, '0"人次"') == "3人次"
    assert cell_text(dt.datetime(2024, 12, 31), "yyyy-mm-dd") == "2024-12-31"
    assert cell_text("  a\xa0b\r\nc\u200b ", "General") == "a b\nc"
    assert cell_text("   ", "General") is None


def test_docx_merged_cells_become_value_plus_blank() -> None:
    import docx

    d = docx.Document()
    table = d.add_table(rows=3, cols=3)
    for r in range(3):
        for c in range(3):
            table.cell(r, c).text = f"{r}{c}"
    table.cell(0, 0).merge(table.cell(2, 0))  # vertical
    table.cell(0, 1).merge(table.cell(0, 2))  # horizontal
    buf = io.BytesIO()
    d.save(buf)
    grid, _ = read_docx(buf.getvalue(), "m.docx")
    assert grid[0][0] is not None and grid[1][0] is None and grid[2][0] is None
    assert grid[0][1] is not None and grid[0][2] is None
    assert grid[1][1:] == ["11", "12"] and grid[2][1:] == ["21", "22"]


def test_decode_text_encodings() -> None:
    text = "项目名称：医疗救助\r\n一级指标≥95％\r产出"
    for data in (
        text.encode("utf-8"),
        text.encode("utf-8-sig"),
        text.encode("gbk"),
        text.encode("gb18030"),
        text.encode("utf-16"),
    ):
        assert decode_text(data, "x.txt") == "项目名称：医疗救助\n一级指标≥95％\n产出"
    assert decode_text("a\u00a0b".encode(), "x.txt") == "a b"


def test_damaged_utf8_csv_keeps_what_it_has(gold: list[GoalTable]) -> None:
    """A damaged multi-byte character costs that character, with a warning, not the file."""
    text = writers.csv_text(gold[:1])
    data = text.encode("utf-8")
    i = data.index(gold[0].annual_goal[:2].encode())
    damaged = data[:i] + data[i : i + 2] + data[i + 3 :]  # the goal's first character lost a byte
    result = parse_bytes(damaged, "damaged.csv")
    (t,) = result.tables
    assert t.project == gold[0].project and len(t.indicators) == len(gold[0].indicators)
    assert t.annual_goal.startswith("\ufffd") and t.annual_goal[1:] == gold[0].annual_goal[1:]
    assert "U+FFFD" in result.warnings[0].problem


def test_join_wrapped_pdf_cells() -> None:
    assert cells.join_wrapped("≥1000\n人次") == "≥1000人次"
    assert cells.join_wrapped("资助困难群众\n参保全覆盖") == "资助困难群众参保全覆盖"
    assert cells.join_wrapped("Word\nExcel") == "Word Excel"
    assert cells.join_wrapped("\n \n") is None


# --------------------------------------------------------------------------- safety


def test_docx_bad_or_huge_grid_span_is_clamped(gold: list[GoalTable]) -> None:
    buf = io.BytesIO()
    writers.write_tables(gold[:1], buf, "docx")
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    for span in (b"abc", b"100000000"):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for name in src.namelist():
                data = src.read(name)
                if name == "word/document.xml":
                    data = data.replace(b"<w:tcW ", b'<w:gridSpan w:val="' + span + b'"/><w:tcW ', 1)
                    data = data.replace(
                        b"<w:tr>", b'<w:tr><w:trPr><w:gridBefore w:val="' + span + b'"/></w:trPr>', 1
                    )
                dst.writestr(name, data)
        grid, _ = read_docx(out.getvalue(), "span.docx")
        assert grid and max(len(row) for row in grid) < 200


def test_xlsx_value_starting_with_equals_is_text_not_formula() -> None:
    t = record_to_table(
        {
            "id": "eq",
            "project": "p",
            "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "覆盖率", "value": "=100%"}],
        }
    )
    buf = io.BytesIO()
    writers.write_tables([t], buf, "xlsx")
    (back,) = parse_bytes(buf.getvalue(), "eq.xlsx").tables
    assert back.indicators[0].annual_value == "=100%"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb_ratio_refused() -> None:
    data = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * (4 * 1024 * 1024)})
    assert len(data) < 100_000
    with pytest.raises(ParseError, match="compression ratio"):
        parse_bytes(data, "bomb.xlsx")


def test_zip_caps_refused(monkeypatch: pytest.MonkeyPatch, gold: list[GoalTable]) -> None:
    buf = io.BytesIO()
    writers.write_tables(gold[:1], buf, "xlsx")
    data = buf.getvalue()
    parse_bytes(data, "ok.xlsx")  # within the default caps
    monkeypatch.setattr(zipsafe, "MAX_ZIP_ENTRIES", 3)
    with pytest.raises(ParseError, match="too many entries"):
        parse_bytes(data, "many.xlsx")
    monkeypatch.setattr(zipsafe, "MAX_ZIP_ENTRIES", 2000)
    monkeypatch.setattr(zipsafe, "MAX_UNCOMPRESSED_BYTES", 10_000)
    with pytest.raises(ParseError, match="uncompressed size"):
        parse_bytes(data, "big.xlsx")


def test_dtd_in_office_xml_refused(gold: list[GoalTable]) -> None:
    buf = io.BytesIO()
    writers.write_tables(gold[:1], buf, "xlsx")
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    entries = {n: src.read(n) for n in src.namelist()}
    entries["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        + entries.get("xl/sharedStrings.xml", b"<sst/>").split(b"?>", 1)[-1]
    )
    with pytest.raises(ParseError, match="DTD"):
        parse_bytes(_zip(entries), "xxe.xlsx")


def test_pdf_bomb_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import zlib

    from hostile_files import pdf_with_content

    from jixiao.corpus.parsers import pdf

    monkeypatch.setattr(pdf, "MAX_PDF_INFLATED_BYTES", 1024 * 1024)
    # The bomb is the page's content: a stream no page uses is never inflated at all.
    data = pdf_with_content(zlib.compress(b"\0" * (2 * 1024 * 1024)))
    with pytest.raises(ParseError, match="uncompressed"):
        parse_bytes(data, "bomb.pdf")


def test_zip_that_is_not_office_refused() -> None:
    with pytest.raises(ParseError, match="neither .xlsx nor .docx"):
        parse_bytes(_zip({"readme.txt": b"hello"}), "archive.xlsx")


def test_legacy_xls_refused() -> None:
    with pytest.raises(ParseError, match="legacy"):
        parse_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old.xls")


def test_html_exported_as_xls_in_gbk() -> None:
    """Budget systems export HTML tables named .xls, often GBK; spans become value + blank."""
    html = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head><body>
    <table border=1>
    <tr><td>项目名称</td><td colspan="3">城乡医疗救助</td></tr>
    <tr><td>预算金额（万元）</td><td colspan=3>18514</td></tr>
    <tr><th>一级指标</th><th>二级指标</th><th>三级指标</th><th>指标值</th></tr>
    <tr><td rowspan="3">产出指标</td><td rowspan="2">数量指标</td><td>资助参保人次</td><td>&gt;70000人</td></tr>
    <tr><td>住院救助<br>人次</td><td>&ge;150000人次</td></tr>
    <tr><td>质量指标</td><td>救助比例</td><td>≥75%</td></tr>
    <tr><td>满意度指标</td><td>服务对象满意度指标</td><td>满意度</td><td>≥90%</td></tr>
    </table></body></html>"""
    (t,) = parse_bytes(html.encode("gbk"), "export.xls").tables
    assert t.project == "城乡医疗救助" and t.amount == pytest.approx(185_140_000)
    assert [(i.code, loose(i.name), i.annual_value) for i in t.indicators] == [
        ("11", "资助参保人次", ">70000人"),
        ("11", "住院救助人次", "≥150000人次"),
        ("12", "救助比例", "≥75%"),
        ("31", "满意度", "≥90%"),
    ]
    assert t.indicators[1].inferred_levels == ["level1", "level2"]


def test_html_span_bomb_refused() -> None:
    cells = '<td rowspan="1000" colspan="1000">x</td>' * 30
    html = f"<html><table><tr><th>一级指标</th></tr><tr>{cells}</tr></table></html>"
    with pytest.raises(ParseError, match="个单元格，不是绩效目标表"):
        parse_bytes(html.encode(), "bomb.html")


# --------------------------------------------------------------------------- text inside documents


def _seed_text_cases() -> list[Path]:
    from jixiao.corpus.data_paths import seed_files

    return seed_files()


def _rows(tables: list[GoalTable]) -> list[tuple]:
    return [(t.project, t.amount, [(i.code, i.name, i.annual_value) for i in t.indicators]) for t in tables]


@pytest.mark.parametrize("seed", _seed_text_cases(), ids=lambda p: p.name[:3])
def test_docx_without_tables_reads_paragraphs(seed: Path) -> None:
    """A Word file holding a seed's text as paragraphs parses like the text itself."""
    import docx

    from jixiao.corpus.parsers.text import parse_text

    text = seed.read_text(encoding="utf-8")
    d = docx.Document()
    for line in text.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    got = parse_bytes(buf.getvalue(), f"{seed.stem}.docx").tables
    assert _rows(got) == _rows(parse_text(text, seed.name).tables)
    assert got


def test_pdf_without_ruled_table_reads_page_text() -> None:
    """A text PDF (how the seeds were published) goes through parse_text."""
    from fpdf import FPDF

    from jixiao.corpus.data_paths import seed_files
    from jixiao.corpus.parsers.text import parse_text

    seed = seed_files()[0]
    text = seed.read_text(encoding="utf-8")
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("cjk", "", str(writers.pdf_font_path()))
    pdf.set_font("cjk", size=9)
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line or " ", new_x="LMARGIN", new_y="NEXT")
    got = parse_bytes(bytes(pdf.output()), f"{seed.stem}.pdf").tables
    assert got and _rows(got) == _rows(parse_text(text, seed.name).tables)
