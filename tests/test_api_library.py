"""The API over the real library engine (Suggester, kNN classifier, corpus store) on HashEmbedder.

No model is loaded: HashEmbedder keeps this fast, while every layer below the routes
is the production code, so the incremental corpus update is tested end to end.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records
from jixiao.models.classifier.examples import examples_from_tables
from jixiao.models.classifier.knn import KnnClassifier
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.suggest import Suggester
from jixiao.service.app import create_app
from jixiao.service.deps import LibraryEngine
from jixiao.settings import Settings

KEY = "lib-key"


@pytest.fixture(scope="module")
def parts():
    tables, _ = read_records(EXTERNAL_TABLES)
    emb = HashEmbedder(dim=256)
    clf = KnnClassifier(embedder=emb, k=10, tau=0.05, prior=0.2).fit(*examples_from_tables(tables))
    return tables, emb, clf


@pytest.fixture
def client(tmp_path, parts):
    tables, emb, clf = parts
    settings = Settings(home=tmp_path / "home", api_keys=(KEY,))
    engine = LibraryEngine(settings, clf, Suggester.from_tables(tables, emb), tables, emb.model_name)
    with TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as c:
        c.headers["X-API-Key"] = KEY
        yield c


def test_health_reports_the_real_index(client, parts):
    body = client.get("/v1/health").json()
    tables = parts[0]
    assert body["model"] == "hash-256" and body["classifier"] == "KnnClassifier"
    assert body["corpus_tables"] == len(tables)
    assert body["index_size"] == sum(len(t.indicators) for t in tables)


def test_classify_explains_with_neighbours(client):
    r = client.post("/v1/classify", json={"rows": [{"name": "服务对象满意度", "value": "≥90%"}]})
    assert r.status_code == 200, r.text
    pred = r.json()["results"][0]["prediction"]
    assert pred["code"] in {"11", "12", "13", "14", "21", "22", "23", "24", "31"}
    assert pred["explanation"]["neighbors"] and 0 < pred["confidence"] <= 1


def test_added_table_is_stored_indexed_and_suggested(client, tmp_path):
    table = {
        "id": "tide-2025",
        "project": "潮汐能电站巡检维护项目",
        "annual_goal": "完成潮汐能电站设备巡检维护，保障发电安全",
        "indicators": [
            {"name": "潮汐机组巡检次数", "level1": "产出指标", "level2": "数量指标", "annual_value": "≥48次"},
            {"name": "潮汐机组完好率", "level1": "产出指标", "level2": "质量指标", "annual_value": "≥98%"},
            {
                "name": "沿海居民满意度",
                "level1": "满意度指标",
                "level2": "服务对象满意度",
                "annual_value": "≥90%",
            },
        ],
    }
    before = client.get("/v1/health").json()
    r = client.post("/v1/corpus/tables", json={"tables": [table]})
    assert r.status_code == 201, r.text
    assert r.json()["added"] == ["added-tide-2025"]
    assert r.json()["index_size"] == before["index_size"] + 3
    from jixiao.corpus.store import load_corpus

    stored = [t for t in load_corpus(client.app.state.settings) if "tide-2025" in t.id]
    assert [t.id for t in stored] == ["added-tide-2025"]
    s = client.post("/v1/suggest", json={"name": "潮汐能电站巡检维护", "goal": "保障潮汐能电站发电安全"})
    assert s.status_code == 200, s.text
    body = s.json()
    assert body["similar_projects"][0]["table_id"] == "added-tide-2025"
    evidence = {e["table_id"] for items in body["tiers"].values() for x in items for e in x["evidence"]}
    assert "added-tide-2025" in evidence
