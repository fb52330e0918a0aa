"""Batch review of a whole submission: library, HTTP route and CLI, with the bad inputs of the issue."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from api_fakes import FakeEngine
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from jixiao.corpus import writers
from jixiao.corpus.data_paths import EXTERNAL_TABLES, seed_files
from jixiao.corpus.parsers import zipsafe
from jixiao.corpus.records import read_records
from jixiao.corpus.review_rules import GRADE_ORDER, GRADE_TITLES
from jixiao.service.app import create_app
from jixiao.service.batch import expand, review_files
from jixiao.service.cli import main
from jixiao.settings import Settings

GRADE_RANK = {GRADE_TITLES[g]: i for i, g in enumerate(GRADE_ORDER)}


def xlsx_bytes(n: int = 3, start: int = 0) -> bytes:
    tables = read_records(EXTERNAL_TABLES)[0][start : start + n]
    buf = io.BytesIO()
    writers.write_xlsx(tables, buf)
    return buf.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def hostile_submission() -> list[tuple[str, bytes]]:
    """A good seed, a good xlsx, and a zip holding a nested zip, junk, a good file and a same-name file."""
    seed = seed_files()[4]
    inner = zip_of({"x.txt": b"hello"})
    big = zip_of({f"f{i}.txt": b"" for i in range(zipsafe.MAX_ZIP_ENTRIES + 1)})
    archive = zip_of(
        {
            "inner.zip": inner,
            "junk.bin": bytes(range(256)) * 4,
            "tables.xlsx": xlsx_bytes(2, 10),
            "notes.txt": "这不是绩效目标表，只是一段说明文字。".encode(),
        }
    )
    return [
        (seed.name, seed.read_bytes()),
        ("tables.xlsx", xlsx_bytes(3)),
        ("tables.xlsx", xlsx_bytes(2, 5)),  # the same name again
        ("submission.zip", archive),
        ("many.zip", big),
    ]


def test_every_bad_member_is_reported_and_the_batch_goes_on():
    batch = review_files(FakeEngine().classify, hostile_submission())
    by_name = {f.name: f for f in batch.files}
    assert by_name["tables.xlsx"].ok and len(by_name["tables.xlsx"].tables) == 3
    renamed = by_name["tables（2）.xlsx"]
    assert renamed.ok and len(renamed.tables) == 2 and "同名" in renamed.note
    assert "嵌套" in by_name["submission.zip/inner.zip"].problem
    assert not by_name["submission.zip/junk.bin"].ok and by_name["submission.zip/junk.bin"].problem
    assert not by_name["submission.zip/notes.txt"].ok  # a text that is no table
    assert by_name["submission.zip/tables.xlsx"].ok and len(by_name["submission.zip/tables.xlsx"].tables) == 2
    assert "条目过多" in by_name["many.zip"].problem
    n_tables = sum(len(f.tables) for f in batch.files)
    assert n_tables == sum(batch.grades.values()) and n_tables >= 7 + 5
    for f in batch.files:
        for t in f.tables:
            assert t.grade and len(t.classifications) == len(t.table.indicators)
            for finding in t.findings:
                assert finding.criterion and finding.location and finding.title


def test_tables_sort_by_grade():
    batch = review_files(None, hostile_submission())
    ranks = [GRADE_RANK[t.grade.title] for _, t in batch.tables()]
    assert ranks == sorted(ranks) and len(set(ranks)) > 1


def test_member_caps_apply_to_every_member():
    bomb = zip_of({"big.txt": b"0" * (zipsafe.MIN_RATIO_CHECK_BYTES * 2)})
    members = expand([("a.zip", bomb)])
    assert len(members) == 1 and members[0].data is None and "压缩比" in members[0].problem


def test_a_submission_cannot_add_up_to_a_bomb(monkeypatch):
    from jixiao.service import batch

    monkeypatch.setattr(batch, "MAX_BATCH_BYTES", 3000)
    members = expand([("a.zip", zip_of({"a.txt": b"1" * 2000})), ("b.zip", zip_of({"b.txt": b"2" * 2000}))])
    assert members[0].data is not None and members[1].data is None and "上限" in members[1].problem


def make_client(tmp_path: Path) -> TestClient:
    app = create_app(Settings(home=tmp_path / "home"), engine=FakeEngine())
    return TestClient(app, raise_server_exceptions=False)


def test_batch_route_json_and_summary_workbook(tmp_path):
    files = [("files", (name, data)) for name, data in hostile_submission()]
    with make_client(tmp_path) as c:
        r = c.post("/v1/review/batch", files=files)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["files"]) == 8 and sum(body["grades"].values()) >= 12
        assert {f["name"] for f in body["files"] if not f["ok"]} == {
            "submission.zip/inner.zip",
            "submission.zip/junk.bin",
            "submission.zip/notes.txt",
            "many.zip",
        }
        x = c.post("/v1/review/batch", params={"format": "xlsx"}, files=files)
        assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxmlformats")
        wb = load_workbook(io.BytesIO(x.content))
        n = sum(body["grades"].values())
        assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == n + 2 and wb.sheetnames[-1] == "审核意见"
        rows = list(wb["汇总"].iter_rows(values_only=True))
        head = rows[0]
        assert head[:9] == (
            "序号",
            "文件",
            "工作表",
            "主管部门",
            "实施单位",
            "项目名称",
            "预算金额",
            "等级",
            "得分",
        )
        table_rows = rows[1 : n + 1]
        assert [GRADE_RANK[r[7]] for r in table_rows] == sorted(GRADE_RANK[r[7]] for r in table_rows)
        assert all(r[2] in wb.sheetnames for r in table_rows)
        assert all(r[14] for r in table_rows if r[9] or r[10] or r[11] or r[12])  # top findings listed
        text = "\n".join(str(v) for row in rows for v in row if v)
        assert "未能审核的文件" in text and "many.zip" in text and "条目过多" in text


def test_batch_route_bad_forms(tmp_path):
    with make_client(tmp_path) as c:
        body = c.get("/openapi.json").json()["paths"]["/v1/review/batch"]["post"]["requestBody"]
        assert "multipart/form-data" in body["content"]
        r = c.post("/v1/review/batch", content=b"x", headers={"content-type": "text/plain"})
        assert r.status_code == 415 and "multipart" in r.json()["detail"]
        r = c.post("/v1/review/batch", data={"a": "b"}, files={"other": ("a.txt", b"x")})
        assert r.status_code == 422 and r.json()["detail"]


def test_cli_reviews_folders_and_zips_with_a_summary(tmp_path, capsys):
    folder = tmp_path / "提交"
    folder.mkdir()
    for name, data in hostile_submission()[:2]:
        (folder / name).write_bytes(data)
    (folder / "bad.bin").write_bytes(bytes(range(256)))
    zpath = tmp_path / "more.zip"
    zpath.write_bytes(zip_of({"a.xlsx": xlsx_bytes(2, 20)}))
    out = tmp_path / "汇总.xlsx"
    code = main(["review", str(folder), str(zpath), "--summary", str(out), "--no-model"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert "等级" in stdout and "共 " in stdout and "bad.bin" in stdout
    assert "张表" in stderr  # the progress bar
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "汇总" and wb["汇总"].max_row > 7
    code = main(["review", str(folder / "tables.xlsx"), "--json", "--no-model"])
    body = json.loads(capsys.readouterr().out)
    assert code == 0 and body["files"][0]["tables"][0]["grade"]["title"] in GRADE_RANK


def test_cli_without_any_table_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "a.txt"
    bad.write_text("只是一句话", encoding="utf-8")
    code = main(["review", str(bad), "--no-model"])
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "a.txt" in err


@pytest.mark.parametrize("missing", ["no-such-file.xlsx"])
def test_cli_missing_path(tmp_path, capsys, missing):
    code = main(["review", str(tmp_path / missing), "--no-model"])
    assert code == 2 and "不存在" in capsys.readouterr().err


def test_workbook_text_that_looks_like_a_formula_stays_text():
    from jixiao.corpus.records import make_indicator
    from jixiao.corpus.schema import GoalTable
    from jixiao.service.analysis import review_tables
    from jixiao.service.annotate import annotated_workbook

    t = GoalTable(
        id="f",
        project='=HYPERLINK("http://x","点我")',
        amount_raw="=1+1",
        indicators=[make_indicator("人次", "产出指标", "数量指标", annual_value="=100人次")],
    )
    wb = load_workbook(io.BytesIO(annotated_workbook(review_tables(None, [t]))))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value.startswith("=HYPERLINK") for c in cells)
    assert all(c.data_type == "s" for c in cells if c.value.startswith("="))
