"""The API on the shipped engine (real embedding model, index and classifier). Slow: it may
convert the model, build the index and train the classifier on first use."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from jixiao.corpus.data_paths import seed_files
from jixiao.service.app import create_app
from jixiao.settings import get_settings


@pytest.mark.slow
def test_shipped_engine_classifies_and_reviews_a_seed_upload():
    settings = get_settings()
    with TestClient(create_app(settings)) as c:
        health = c.get("/v1/health").json()
        assert health["index_size"] > 0 and health["corpus_tables"] > 0
        path = seed_files()[0]
        r = c.post("/v1/tables/upload", files={"file": (path.name, path.read_bytes())})
        assert r.status_code == 200, r.text
        tables = r.json()["tables"]
        rows = [c for t in tables for c in t["classifications"]]
        assert len(rows) == sum(len(t["table"]["indicators"]) for t in tables) > 10
        declared = [c for c in rows if c["declared_code"]]
        # seed 000 prints both levels: the shipped model should agree with most of them
        assert sum(c["agrees"] for c in declared) / len(declared) >= 0.7
        s = c.post(
            "/v1/suggest", json={"name": "医疗救助专项经费", "goal": "提高医疗救助对象对政策的知晓程度"}
        )
        assert s.status_code == 200 and {"1", "2", "3"} <= {code[0] for code in s.json()["tiers"]}
