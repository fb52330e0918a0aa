"""Corrections and imports over HTTP and the CLI, on a real SQLite store (and PostgreSQL when set)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta

import pytest
from api_fakes import FakeEngine
from db_urls import BACKENDS, make_url_for
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records
from jixiao.corpus.store import load_corpus, open_store
from jixiao.corpus.writers import write_xlsx
from jixiao.models.classifier import examples_from_tables
from jixiao.service.app import create_app
from jixiao.service.cli import main
from jixiao.settings import Settings, parse_api_keys

ALICE, BOB = "alice-key-123", "bob-key-456"


@pytest.fixture(params=BACKENDS)
def settings(request, tmp_path):
    url, drop = make_url_for(request.param, tmp_path)
    yield Settings(home=tmp_path / "home", database_url=url, api_keys=(f"alice:{ALICE}", f"bob:{BOB}", "plain-k"))
    drop()


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings, engine=FakeEngine()), raise_server_exceptions=False) as c:
        yield c


def _xlsx(tables) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    write_xlsx(tables, buf)
    return buf.getvalue()


def test_api_keys_have_names_and_plain_keys_are_numbered():
    keys = parse_api_keys(("alice:k1", "plain", "bad name:k3"))
    assert [k.name for k in keys] == ["alice", "key2", "key3"]
    assert keys[2].key == "bad name:k3" and "k1" not in repr(keys[0])


def test_a_correction_records_who_when_and_the_old_value(client, settings):
    table = load_corpus(settings)[40]
    old = table.indicators[0].code
    new = "22" if old != "22" else "21"
    r = client.patch(
        f"/v1/corpus/tables/{table.id}/indicators/0", json={"code": new}, headers={"X-API-Key": BOB}
    )
    assert r.status_code == 200, r.text
    c = r.json()["corrections"][0]
    assert (c["field"], c["old"], c["new"], c["who"]) == ("code", old, new, "bob")
    listed = client.get("/v1/corpus/corrections", headers={"X-API-Key": ALICE}).json()["corrections"]
    assert [(x["table_id"], x["who"]) for x in listed] == [(table.id, "bob")]
    # An RFC 3339 date-time, as the spec says (schemathesis: SQLite gave it back without its offset).
    assert datetime.fromisoformat(listed[0]["at"]).utcoffset() == timedelta(0)
    # Training reads the store's labels: the corrected one, not the original.
    corrected = next(t for t in load_corpus(settings) if t.id == table.id)
    assert corrected.indicators[0].code == new
    _, y = examples_from_tables([corrected])
    assert y[0][:2] == new[:2]
    original = next(t for t in load_corpus(settings, corrected=False) if t.id == table.id)
    assert original.indicators[0].code == old


@pytest.mark.parametrize(
    "path, body, key, status",
    [
        ("/v1/corpus/tables/nope/indicators/0", {"code": "11"}, ALICE, 404),
        ("/v1/corpus/tables/{id}/indicators/999", {"code": "11"}, ALICE, 404),
        ("/v1/corpus/tables/{id}/indicators/0", {"code": "火星指标"}, ALICE, 422),
        ("/v1/corpus/tables/{id}/indicators/0", {}, ALICE, 422),
        ("/v1/corpus/tables/{id}/indicators/0", {"colour": "red"}, ALICE, 422),
        ("/v1/corpus/tables/{id}/indicators/0", {"code": "11"}, "wrong", 401),
        ("/v1/corpus/tables/{id}/indicators/-1", {"code": "11"}, ALICE, 422),
    ],
)
def test_bad_corrections_are_chinese_4xx_and_change_nothing(client, settings, path, body, key, status):
    table = load_corpus(settings)[40]
    before = open_store(settings).state().version
    r = client.patch(path.format(id=table.id), json=body, headers={"X-API-Key": key})
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["detail"])
    assert open_store(settings).state().version == before


def test_import_route_takes_a_file_or_a_zip_and_skips_duplicates(client, settings):
    tables, _ = read_records(EXTERNAL_TABLES)
    fresh = [t.model_copy(update={"id": f"n{i}", "project": f"新项目{i}"}) for i, t in enumerate(tables[:3])]
    one = client.post(
        "/v1/corpus/import?source=某市财政局",
        files={"file": ("a.xlsx", _xlsx(fresh[:1]))},
        headers={"X-API-Key": ALICE},
    )
    assert one.status_code == 201, one.text
    assert one.json()["tables"] == 1 and one.json()["files"][0]["sha256"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("dir/a.xlsx", _xlsx(fresh[:1]))  # a duplicate of the first import
        z.writestr("dir/b.xlsx", _xlsx(fresh[1:]))
        z.writestr("dir/readme.txt", "这不是目标表")
    r = client.post("/v1/corpus/import", files={"file": ("batch.zip", buf.getvalue())}, headers={"X-API-Key": BOB})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["tables"], body["duplicates"], body["failures"]) == (2, 1, 1)
    failed = next(f for f in body["files"] if f["failure"])
    assert failed["file"].endswith("readme.txt")
    assert "未识别出绩效目标表" in failed["failure"], failed  # the parser's reason, in Chinese
    imported = [t for t in load_corpus(settings) if t.id.startswith("imported-")]
    assert sorted(t.project for t in imported) == ["新项目0", "新项目1", "新项目2"]


def test_import_route_needs_a_write_key(client):
    r = client.post("/v1/corpus/import", files={"file": ("a.txt", b"x")})
    assert r.status_code == 401


def test_cli_import_reports_per_file_and_writes_xlsx(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("JIXIAO_HOME", str(home))
    monkeypatch.delenv("JIXIAO_DATABASE_URL", raising=False)
    tables, _ = read_records(EXTERNAL_TABLES)
    src = tmp_path / "in" / "deep"
    src.mkdir(parents=True)
    (src / "good.xlsx").write_bytes(_xlsx([t.model_copy(update={"project": "河道清淤"}) for t in tables[:2]]))
    (src / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated")
    (src / "ignored.png").write_bytes(b"\x89PNG")
    report = tmp_path / "r.xlsx"
    assert main(["corpus", "import", str(tmp_path / "in"), "--dry-run", "--quiet"]) == 0
    dry = capsys.readouterr().out
    assert "试运行" in dry and not any(t.id.startswith("imported-") for t in load_corpus())
    assert main(["corpus", "import", str(tmp_path / "in"), "--quiet", "--report", str(report), "--no-index"]) == 0
    out = capsys.readouterr().out
    assert "good.xlsx" in out and "broken.xlsx" in out and "失败" in out and "png" not in out
    rows = list(load_workbook(report).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("文件", "导入表数", "指标行数")
    assert {r[0].rsplit("/", 1)[-1]: r[1] for r in rows[1:3]} == {"broken.xlsx": "0", "good.xlsx": "2"}
    assert main(["corpus", "import", str(tmp_path / "in"), "--quiet", "--no-index"]) == 0
    assert "重复跳过 2 张" in capsys.readouterr().out  # a second run adds nothing
    assert main(["corpus", "import", str(tmp_path / "missing")]) == 2


def test_a_bad_database_url_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    monkeypatch.setenv("JIXIAO_DATABASE_URL", "postgresql+psycopg://u:topsecret@127.0.0.1:1/x")
    assert main(["corpus", "stats"]) == 2
    err = capsys.readouterr().err
    assert "无法连接语料库数据库" in err and "topsecret" not in err and err.count("\n") == 1


def test_eval_classify_scores_with_or_without_corrections(tmp_path, monkeypatch):
    from jixiao.service.cli import build_parser
    from jixiao.service.commands import eval as eval_cmd

    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    monkeypatch.delenv("JIXIAO_DATABASE_URL", raising=False)
    store = open_store()
    t = store.snapshot().tables[50]
    new = "24" if t.indicators[0].code != "24" else "23"
    store.correct(t.id, 0, {"code": new}, who="alice")

    def code_of(argv: list[str]) -> str:
        args = build_parser().parse_args(["eval", "classify", "--cv", *argv])
        return next(x for x in eval_cmd._corpus(args) if x.id == t.id).indicators[0].code

    assert code_of([]) == code_of(["--with-corrections"]) == new
    assert code_of(["--without-corrections"]) == t.indicators[0].code
    # A fixture table with the same id gets the recorded correction too (with), not without.
    assert eval_cmd.with_recorded_corrections([t])[0].indicators[0].code == new


def test_a_database_that_goes_away_gives_503_not_500(client, settings, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from jixiao.corpus.store import CorpusStore

    def down(*a, **kw):  # noqa: ANN002, ANN003
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    open_store(settings)  # opened while the database is up
    monkeypatch.setattr(CorpusStore, "correct", down)
    monkeypatch.setattr(CorpusStore, "corrections", down)
    r = client.patch("/v1/corpus/tables/x/indicators/0", json={"code": "11"}, headers={"X-API-Key": ALICE})
    assert r.status_code == 503 and "数据库" in r.json()["detail"]
    assert client.get("/v1/corpus/corrections", headers={"X-API-Key": ALICE}).status_code == 503


def test_an_offset_past_64_bits_is_a_422_not_a_500(client):
    # schemathesis, fuzz seed 1201: offset=10172187892423879865401344 overflowed the database driver.
    r = client.get("/v1/corpus/corrections?offset=10172187892423879865401344", headers={"X-API-Key": ALICE})
    assert r.status_code == 422, r.text
    ok = client.get(f"/v1/corpus/corrections?offset={2**62}", headers={"X-API-Key": ALICE})
    assert ok.status_code == 200 and ok.json()["corrections"] == []
