"""The HTTP API over a model-free engine: every route, every error, problem details throughout."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from api_fakes import FakeEngine
from fastapi.testclient import TestClient

from jixiao.corpus.data_paths import seed_files
from jixiao.service.app import create_app
from jixiao.settings import Settings

KEY = "test-key-1"
PROBLEM = "application/problem+json"


def make_client(tmp_path: Path, keys: tuple[str, ...] = (), engine=None, **kw) -> TestClient:  # noqa: ANN001
    settings = Settings(home=tmp_path / "home", api_keys=keys, **kw)
    app = create_app(settings, engine=engine or FakeEngine())
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path):
    with make_client(tmp_path) as c:
        yield c


@pytest.fixture
def keyed(tmp_path):
    with make_client(tmp_path, keys=(KEY, "other-key")) as c:
        yield c


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert (
        body["status"] == status and body["type"].startswith("https://") and body["title"] and body["detail"]
    )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"])  # the detail is in Chinese
    return body


# ---- meta -------------------------------------------------------------------------------


def test_health_reports_model_corpus_and_index(client):
    body = client.get("/v1/health").json()
    assert body["model"] == "fake-rules" and body["corpus_tables"] == 20
    assert len(body["corpus_version"]) == 16 and body["index_size"] > 0


def test_web_page_is_served_and_calls_the_api(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "绩效目标表" in r.text
    scripts = re.findall(r'<script src="(/static/[a-z]+\.js)"', r.text)
    assert scripts, "the page loads its scripts from /static"
    code = ""
    for src in scripts:
        js = client.get(src)
        assert js.status_code == 200, src
        code += js.text
    for route in ("/v1/suggest", "/v1/tables/upload"):
        assert route in code


def test_taxonomy_lists_both_schemes(client):
    body = client.get("/v1/taxonomy").json()
    codes = {t["code"]: t for t in body["tiers"]}
    assert set(codes) == {"11", "12", "13", "14", "21", "22", "23", "24", "31", "41", "42", "43"}
    assert codes["14"]["schemes"] == ["A"] and codes["41"]["level1"] == "成本指标"
    assert body["required_level1"]["B"] == ["1", "4", "2", "3"]


def test_openapi_documents_every_route(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "cdn." not in docs.text  # offline sites have no CDN
    js = next(line.split('"')[1] for line in docs.text.splitlines() if "swagger-ui-bundle.js" in line)
    assert client.get(js).status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/v1/suggest", "/v1/classify", "/v1/tables/upload", "/v1/review", "/v1/corpus/tables"):
        assert "post" in paths[p]
    assert "multipart/form-data" in paths["/v1/tables/upload"]["post"]["requestBody"]["content"]


def test_unknown_route_and_method_are_problems(client):
    assert_problem(client.get("/v1/nothing"), 404)
    assert_problem(client.get("/v1/classify"), 405)


# ---- suggest ----------------------------------------------------------------------------


def test_suggest_returns_a_table_from_the_most_similar_project(client):
    r = client.post("/v1/suggest", json={"name": "雨露计划就学补助项目", "k": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["query"]["name"] == "雨露计划就学补助项目"
    assert body["similar_projects"][0]["project"] == "2023年雨露计划就学补助项目"
    assert body["tiers"] and all(s["code"] == code for code, items in body["tiers"].items() for s in items)


@pytest.mark.parametrize(
    "payload",
    [{}, {"name": ""}, {"name": "x", "k": 0}, {"name": "x", "k": 1000}, {"name": "x", "scheme": "C"}],
)
def test_suggest_bad_input_is_422(client, payload):
    body = assert_problem(client.post("/v1/suggest", json=payload), 422)
    assert body["errors"]


# ---- classify ---------------------------------------------------------------------------


def test_classify_reports_agreement_with_the_declared_tier(client):
    rows = [
        {"name": "服务对象满意度", "value": "≥90%", "level1": "满意度指标", "level2": "服务对象满意度"},
        {"name": "群众满意度", "value": "≥90%", "level1": "产出指标", "level2": "11-数量指标"},
        {"name": "救助人次", "value": "≥1000人次"},
        {"name": "发放及时", "value": "12月底前", "level1": "产出指标"},
    ]
    r = client.post("/v1/classify", json={"rows": rows})
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["prediction"]["code"] for x in res] == ["31", "31", "11", "13"]
    assert [x["agrees"] for x in res] == [True, False, None, True]
    assert [x["declared_code"] for x in res] == ["31", "11", None, None]
    assert res[0]["prediction"]["explanation"]["rules"]
    assert abs(sum(res[0]["prediction"]["probabilities"].values()) - 1) < 1e-6


def test_classify_expresses_cost_in_the_requested_scheme(client):
    rows = [{"name": "人均救助标准", "value": "≤3000元", "level1": "成本指标", "level2": "经济成本指标"}]
    a = client.post("/v1/classify", json={"rows": rows}).json()
    b = client.post("/v1/classify", json={"rows": rows, "scheme": "B"}).json()
    assert a["results"][0]["prediction"]["code"] == "14" and b["results"][0]["prediction"]["code"] == "41"
    assert a["results"][0]["agrees"] is True and b["results"][0]["agrees"] is True


def test_classify_unknown_category_is_422_listing_accepted_names(client):
    body = assert_problem(
        client.post("/v1/classify", json={"rows": [{"name": "x", "level2": "火星指标"}]}), 422
    )
    assert "火星指标" in body["detail"] and "数量指标" in body["detail"]


@pytest.mark.parametrize(
    "payload",
    [
        {"rows": []},
        {"rows": [{"value": "1"}]},
        {"rows": [{"name": "x"}] * 501},
        {"rows": "x"},
        [1, 2],
    ],
)
def test_classify_bad_input_is_422(client, payload):
    assert_problem(client.post("/v1/classify", json=payload), 422)


def test_invalid_json_is_422_not_500(client):
    r = client.post("/v1/classify", content=b'{"rows": [', headers={"content-type": "application/json"})
    body = assert_problem(r, 422)
    assert "JSON" in body["detail"]


# ---- review -----------------------------------------------------------------------------


def review_payload():
    return {
        "id": "j1",
        "project": "医疗救助",
        "indicators": [
            {"name": "救助人次", "level1": "产出指标", "level2": "数量指标", "annual_value": "≥1000人次"},
            {"name": "群众满意度", "level1": "产出指标", "level2": "质量指标", "annual_value": "≥90%"},
            {"name": "服务水平", "level1": "效益指标", "level2": "社会效益", "annual_value": "有效提高"},
            {"name": "救助人次", "level1": "产出指标", "level2": "数量指标", "annual_value": "≥1000"},
        ],
    }


def test_review_reports_rule_and_classifier_findings(client):
    r = client.post("/v1/review", json=review_payload())
    assert r.status_code == 200, r.text
    body = r.json()
    got = {(f["rule"], f["indicator_index"]) for f in body["findings"]}
    assert {
        ("missing-level1", None),
        ("tier-disagreement", 1),
        ("vague-value", 2),
        ("duplicate-indicator", 3),
        ("missing-unit", 3),
    } <= got
    assert body["counts"]["error"] >= 1 and len(body["classifications"]) == 4
    quiet = client.post("/v1/review", params={"classify": "false"}, json=review_payload()).json()
    assert (
        "tier-disagreement" not in {f["rule"] for f in quiet["findings"]} and quiet["classifications"] == []
    )


def test_review_bad_input_is_422(client):
    assert_problem(client.post("/v1/review", json={"indicators": []}), 422)
    assert_problem(client.post("/v1/review", json={"id": "x", "indicators": [{"value": "1"}]}), 422)
    assert_problem(client.post("/v1/review", params={"threshold": "2"}, json=review_payload()), 422)


# ---- access control and the corpus ------------------------------------------------------


def new_table():
    return {
        "id": "river-2025",
        "project": "河道垃圾清漂保洁项目",
        "annual_goal": "完成辖区河道清漂保洁，水面无漂浮垃圾",
        "indicators": [
            {"name": "清漂河道长度", "level1": "产出指标", "level2": "数量指标", "annual_value": "≥35公里"},
            {"name": "水面保洁达标率", "level1": "产出指标", "level2": "质量指标", "annual_value": "≥95%"},
            {
                "name": "沿岸群众满意度",
                "level1": "满意度指标",
                "level2": "服务对象满意度指标",
                "annual_value": "≥90%",
            },
        ],
    }


def test_corpus_add_needs_a_key_and_the_table_is_suggested_next(keyed):
    h = {"X-API-Key": KEY}
    assert_problem(keyed.post("/v1/corpus/tables", json={"tables": [new_table()]}), 401)
    r = keyed.post("/v1/corpus/tables", json={"tables": [new_table()]}, headers={"X-API-Key": "wrong"})
    assert_problem(r, 401)
    before = keyed.get("/v1/health").json()
    r = keyed.post("/v1/corpus/tables", json={"tables": [new_table()]}, headers=h)
    assert r.status_code == 201, r.text
    added = r.json()
    assert added["added"] == ["added-river-2025"] and added["corpus_version"] != before["corpus_version"]
    s = keyed.post("/v1/suggest", json={"name": "河道清漂保洁", "goal": "水面无漂浮垃圾"}, headers=h).json()
    assert s["similar_projects"][0]["table_id"] == "added-river-2025"
    assert "清漂河道长度" in [x["name"] for x in s["tiers"]["11"]]


class _LoopCheckingEngine(FakeEngine):
    """Records whether status() ran on the event loop, where a lock wait would stall every request."""

    status_on_loop: list[bool] = []

    def status(self):  # noqa: ANN201
        import asyncio

        try:
            asyncio.get_running_loop()
            self.status_on_loop.append(True)
        except RuntimeError:
            self.status_on_loop.append(False)
        return super().status()


def test_corpus_add_reads_the_status_off_the_event_loop(tmp_path):
    engine = _LoopCheckingEngine()
    with make_client(tmp_path, keys=(KEY,), engine=engine) as c:
        r = c.post("/v1/corpus/tables", json={"tables": [new_table()]}, headers={"X-API-Key": KEY})
    assert r.status_code == 201, r.text
    assert engine.status_on_loop == [False]


@pytest.mark.parametrize(
    ("var", "value"),
    [("JIXIAO_MAX_UPLOAD_MB", "20MB"), ("JIXIAO_REQUEST_TIMEOUT", "0"), ("JIXIAO_MAX_CONCURRENCY", "x")],
)
def test_bad_numeric_environment_is_one_line_error(monkeypatch, tmp_path, var, value):
    from jixiao.errors import JixiaoError
    from jixiao.service.deps import LibraryEngine

    monkeypatch.setenv(var, value)
    with pytest.raises(JixiaoError, match=var):
        LibraryEngine(Settings(home=tmp_path), None, None, [], "m")


def test_corpus_add_is_disabled_without_configured_keys(client):
    body = assert_problem(client.post("/v1/corpus/tables", json={"tables": [new_table()]}), 401)
    assert "JIXIAO_API_KEYS" in body["detail"]


def test_corpus_add_rejects_tables_without_categories(keyed):
    t = new_table()
    t["indicators"][0]["level2"] = None
    t["indicators"][0]["level1"] = "产出指标"
    assert_problem(keyed.post("/v1/corpus/tables", json={"tables": [t]}, headers={"X-API-Key": KEY}), 422)
    empty = {**new_table(), "indicators": []}
    assert_problem(keyed.post("/v1/corpus/tables", json={"tables": [empty]}, headers={"X-API-Key": KEY}), 422)
    assert_problem(keyed.post("/v1/corpus/tables", json={"tables": []}, headers={"X-API-Key": KEY}), 422)


def test_reads_need_a_key_once_keys_are_configured(keyed):
    for method, path, payload in [
        ("get", "/v1/taxonomy", None),
        ("post", "/v1/suggest", {"name": "培训"}),
        ("post", "/v1/classify", {"rows": [{"name": "x"}]}),
        ("post", "/v1/review", review_payload()),
    ]:
        kw = {"json": payload} if payload else {}
        r = getattr(keyed, method)(path, **kw)
        assert_problem(r, 401)
        assert r.headers["www-authenticate"] == "ApiKey"
        assert getattr(keyed, method)(path, headers={"X-API-Key": "other-key"}, **kw).status_code == 200
    assert keyed.get("/v1/health").status_code == 200  # probes need no key
    assert_problem(keyed.post("/v1/tables/upload", files={"file": ("a.txt", b"x")}), 401)


# ---- upload -------------------------------------------------------------------------------


def seed_bytes(i: int = 0) -> tuple[str, bytes]:
    path = seed_files()[i]
    return path.name, path.read_bytes()


def test_upload_seed_classifies_every_indicator_and_reviews(client):
    name, data = seed_bytes(0)
    r = client.post("/v1/tables/upload", files={"file": (name, data, "text/plain")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["filename"] == name and len(body["tables"]) > 1
    total = 0
    for t in body["tables"]:
        n = len(t["table"]["indicators"])
        assert n > 0 and [c["index"] for c in t["classifications"]] == list(range(n))
        assert all(c["prediction"]["code"] for c in t["classifications"])
        total += n
    assert total > 10
    findings = [f for t in body["tables"] for f in t["findings"]]
    assert findings and all(f["message"] for f in findings)
    assert sum(body["counts"].values()) == len(findings)


def test_upload_xlsx_format_returns_an_annotated_workbook(client):
    from openpyxl import load_workbook

    name, data = seed_bytes(0)
    json_body = client.post("/v1/tables/upload", files={"file": (name, data)}).json()
    r = client.post("/v1/tables/upload", params={"format": "xlsx"}, files={"file": (name, data)})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    tables = json_body["tables"]
    assert len(wb.sheetnames) == len(tables) + 2
    assert wb.sheetnames[0] == "审核结论" and wb.sheetnames[-1] == "审核意见"
    verdict = list(wb["审核结论"].iter_rows(values_only=True))
    assert verdict[0][3:9] == ("等级", "得分", "完整性", "相关性", "适当性", "可行性")
    assert [row[3] for row in verdict[1:]] == [t["grade"]["title"] for t in tables]
    for ws, t in zip(wb.worksheets[1:], tables, strict=False):
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
        rows = list(ws.iter_rows(values_only=True))
        header = next(i for i, row in enumerate(rows) if row[:3] == ("一级指标", "二级指标", "三级指标"))
        assert ws.print_title_rows == f"${header + 1}:${header + 1}"
        assert rows[header][5:9] == ("审核意见", "模型判断类别", "置信度", "与申报一致")
        body = rows[header + 1 : header + 1 + len(t["table"]["indicators"])]
        assert [row[2] for row in body] == [i["name"] for i in t["table"]["indicators"]]
        assert [row[6] for row in body] == [
            f"{c['prediction']['level1']}-{c['prediction']['level2']}" for c in t["classifications"]
        ]
        row_findings = [f for f in t["findings"] if f["indicator_index"] is not None]
        for f in row_findings:
            assert f["message"] in (body[f["indicator_index"]][5] or "")
        # a highlighted cell in the indicator rows always has a finding on its row
        with_findings = {f["indicator_index"] for f in row_findings}
        for k in range(len(body)):
            cells = [ws.cell(row=header + 2 + k, column=c) for c in range(1, 7)]
            coloured = [c for c in cells if c.fill.fill_type == "solid"]
            assert bool(coloured) == (k in with_findings), (ws.title, k)
        assert all(not c.comment for row in ws.iter_rows() for c in row)  # comments overlap rows in LibreOffice
        table_level = [f["message"] for f in t["findings"] if f["indicator_index"] is None]
        notes = [row[1] for row in rows if row[0] == "整表意见"]
        assert [n.split("] ", 1)[1] for n in notes] == table_level
        amount = next(row[1] for row in rows if row[0] == "预算金额")
        assert amount == (t["table"]["amount_raw"] or t["table"]["amount"])
    n_findings = sum(len(t["findings"]) for t in tables)
    assert n_findings and wb["审核意见"].max_row - 1 == n_findings


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "csv", "pdf"])
def test_upload_each_office_format(client, fmt):
    from jixiao.corpus.data_paths import EXTERNAL_TABLES
    from jixiao.corpus.records import read_records
    from jixiao.corpus.writers import write_tables

    tables = read_records(EXTERNAL_TABLES)[0][:2]
    buf = io.BytesIO()
    write_tables(tables, buf, fmt)
    r = client.post("/v1/tables/upload", files={"file": (f"upload.{fmt}", buf.getvalue())})
    assert r.status_code == 200, r.text
    got = r.json()["tables"]
    assert [t["table"]["project"] for t in got] == [t.project for t in tables]
    for t, orig in zip(got, tables, strict=True):
        assert [i["name"] for i in t["table"]["indicators"]] == [i.name for i in orig.indicators]
        assert len(t["classifications"]) == len(orig.indicators)


def test_upload_too_large_is_413(tmp_path):
    with make_client(tmp_path, max_upload_mb=0.01) as c:
        assert_problem(c.post("/v1/tables/upload", files={"file": ("a.txt", b"a" * 20_000)}), 413)
        big = b"a" * 200_000  # beyond the multipart allowance: refused from Content-Length
        assert_problem(c.post("/v1/tables/upload", files={"file": ("a.txt", big)}), 413)


def test_streamed_body_over_the_limit_is_413_without_content_length(tmp_path):
    with make_client(tmp_path, max_upload_mb=0.01) as c:

        def chunks():
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
            for _ in range(50):
                yield b"a" * 10_000

        r = c.post(
            "/v1/tables/upload",
            content=chunks(),
            headers={"content-type": "multipart/form-data; boundary=b"},
        )
        assert_problem(r, 413)


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("a.xlsx", bytes(range(256)) * 10),  # binary garbage named like a workbook
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),  # legacy Office
        ("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
    ],
)
def test_unsupported_type_by_content_is_415(client, filename, data):
    assert_problem(client.post("/v1/tables/upload", files={"file": (filename, data)}), 415)


def test_zip_that_is_not_office_is_415(client):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    assert_problem(client.post("/v1/tables/upload", files={"file": ("a.xlsx", buf.getvalue())}), 415)


def test_zip_bomb_is_refused_with_4xx(client):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (20 * 1024 * 1024))  # inflates ~1000:1
    data = buf.getvalue()
    assert len(data) < 2_000_000
    r = client.post("/v1/tables/upload", files={"file": ("bomb.xlsx", data)})
    assert assert_problem(r, 413)["type"].endswith("/zip-bomb")


@pytest.mark.parametrize(
    ("files", "data", "status"),
    [
        ({"file": ("empty.txt", b"")}, None, 422),
        ({"other": ("a.txt", b"abc")}, None, 422),
        ({"file": (None, b"not a file")}, None, 422),
        ({"file": ("broken.xlsx", b"PK\x03\x04" + b"\x00" * 50)}, None, 422),
    ],
)
def test_upload_bad_forms(client, files, data, status):
    assert_problem(client.post("/v1/tables/upload", files=files, data=data), status)


def test_multipart_content_type_is_case_insensitive(client):
    seed = seed_files()[0]
    body, ctype = httpx_multipart(seed.name, seed.read_bytes())
    r = client.post(
        "/v1/tables/upload",
        content=body,
        headers={"content-type": ctype.replace("multipart/form-data", "Multipart/Form-Data")},
    )
    assert r.status_code == 200, r.text


def httpx_multipart(name: str, data: bytes) -> tuple[bytes, str]:
    import httpx

    req = httpx.Request("POST", "http://x/", files={"file": (name, data)})
    return req.read(), req.headers["content-type"]


def test_upload_not_multipart_is_415(client):
    r = client.post("/v1/tables/upload", content=b"hello", headers={"content-type": "text/plain"})
    assert_problem(r, 415)


def test_unparseable_text_is_422(client):
    r = client.post("/v1/tables/upload", files={"file": ("x.txt", "今天天气很好。\n没有表格。\n".encode())})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:  # a parser may answer "no tables" with warnings instead
        assert r.json()["tables"] == []
    else:
        assert_problem(r, 422)


# ---- limits ------------------------------------------------------------------------------


def test_slow_work_times_out_with_504(tmp_path):
    with make_client(tmp_path, engine=FakeEngine(delay_s=1.0), request_timeout_s=0.2) as c:
        body = assert_problem(c.post("/v1/suggest", json={"name": "培训"}), 504)
        assert "0.2" in body["detail"]


def test_json_body_over_the_limit_is_413(client):
    rows = [{"name": "x" * 400, "value": "y" * 1900}] * 500
    payload = json.dumps({"rows": rows * 6}).encode()
    r = client.post("/v1/classify", content=payload, headers={"content-type": "application/json"})
    assert_problem(r, 413)


def test_engine_failure_is_a_500_problem_not_a_traceback(tmp_path):
    class Broken(FakeEngine):
        def classify(self, inputs):  # noqa: ANN001
            raise RuntimeError("boom")

    with make_client(tmp_path, engine=Broken()) as c:
        body = assert_problem(c.post("/v1/classify", json={"rows": [{"name": "x"}]}), 500)
        assert "boom" not in body["detail"]


def test_startup_loads_the_engine_through_the_factory(tmp_path):
    built = []

    def factory(settings):  # noqa: ANN001
        built.append(settings.home)
        return FakeEngine()

    app = create_app(Settings(home=tmp_path), engine_factory=factory)
    with TestClient(app) as c:
        assert c.get("/v1/health").status_code == 200
    assert built == [tmp_path]


def test_startup_fails_when_the_engine_cannot_load(tmp_path):
    from jixiao.errors import JixiaoError

    def factory(settings):  # noqa: ANN001
        raise JixiaoError("the index is empty; run `jixiao index build`")

    app = create_app(Settings(home=tmp_path), engine_factory=factory)
    with pytest.raises(JixiaoError, match="index build"), TestClient(app):
        pass


JUNK = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"\xff\xfe\x00",
    b'{"rows": [{"name": null}]}',
    b'{"tables": [{"id": 1, "indicators": "x"}]}',
    b'{"id": "x", "indicators": [{"name": "a", "parsed": {"kind": "nonsense"}}]}',
    b'{"name": "\\ud800"}',
]


@pytest.mark.parametrize("path", ["/v1/suggest", "/v1/classify", "/v1/review", "/v1/corpus/tables"])
@pytest.mark.parametrize("body", JUNK)
def test_junk_never_gives_a_500(tmp_path, path, body):
    with make_client(tmp_path, keys=(KEY,)) as c:
        r = c.post(path, content=body, headers={"content-type": "application/json", "X-API-Key": KEY})
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("multipart/form-data", b"abc"),
        ("multipart/form-data; boundary=xx", b"garbage"),
        (
            "multipart/form-data; boundary=xx",
            b'--xx\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nabc\r\n'
            b'--xx\r\nContent-Disposition: form-data; name="file"; filename="b.txt"\r\n\r\nabc\r\n--xx--\r\n',
        ),
    ],
)
def test_malformed_multipart_is_a_4xx_problem(client, ctype, body):
    r = client.post("/v1/tables/upload", content=body, headers={"content-type": ctype})
    assert_problem(r, 400)


def test_library_input_errors_are_422(tmp_path):
    from jixiao.errors import JixiaoError

    class Picky(FakeEngine):
        def suggest(self, query, k):  # noqa: ANN001
            if not query.name.strip():
                raise JixiaoError("empty project text")
            return super().suggest(query, k)

    with make_client(tmp_path, engine=Picky()) as c:
        body = assert_problem(c.post("/v1/suggest", json={"name": "   "}), 422)
        assert "empty project text" in body["detail"]


def test_waiting_writer_goes_before_readers_that_arrive_later():
    import threading
    import time

    from jixiao.service.deps import ReadWriteLock

    lock, order = ReadWriteLock(), []
    first_in, release_first = threading.Event(), threading.Event()

    def first_reader():
        with lock.read():
            first_in.set()
            release_first.wait(5)
            order.append("r1")

    def writer():
        with lock.write():
            order.append("w")

    def late_reader():
        with lock.read():
            order.append("r2")

    threads = [threading.Thread(target=first_reader)]
    threads[0].start()
    assert first_in.wait(5)
    for target in (writer, late_reader):
        threads.append(threading.Thread(target=target))
        threads[-1].start()
        time.sleep(0.1)
    release_first.set()
    for t in threads:
        t.join(5)
    assert order == ["r1", "w", "r2"]
