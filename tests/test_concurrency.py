"""Real concurrency against real databases: worker processes, concurrent writers, kill -9.

Slow: each test starts processes (a ``jixiao serve`` trains its classifier on the hash
embedder, about 10-30 s). SQLite always; PostgreSQL when JIXIAO_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import importlib.util
import sys
import time

import httpx
import pytest
from db_urls import BACKENDS, PG_SKIP, PG_URL, make_url_for
from serve_process import BENCH, serve

pytestmark = pytest.mark.slow
KEY = "concurrency-key"


def _bench(name: str):  # noqa: ANN202 - a module
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path, monkeypatch):
    url, drop = make_url_for(request.param, tmp_path)
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JIXIAO_DATABASE_URL", url)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    yield url
    drop()


def test_two_workers_and_16_writers_lose_nothing(db, tmp_path, capsys):
    with serve(tmp_path / "home", workers=2, key=KEY, database_url=db) as base:
        rc = _bench("concurrent_writers").main(
            ["--url", base, "--api-key", KEY, "--writers", "16", "--additions", "5", "--json"]
        )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert '"acknowledged": 80' in out and '"lost": 0' in out and '"health_answers_behind": 0' in out


def test_kill_9_during_imports_loses_no_acknowledged_table(db, capsys):
    rc = _bench("import_crash").main(["--rounds", "3", "--files", "12", "--tables", "2", "--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert '"lost": 0' in out and '"index_load_failures": 0' in out


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
def test_two_serve_processes_on_one_postgresql_database(tmp_path):
    url, drop = make_url_for("postgresql", tmp_path)
    try:
        with (
            serve(tmp_path / "a" / "home", workers=1, key=KEY, database_url=url) as a,
            serve(tmp_path / "b" / "home", workers=1, key=KEY, database_url=url) as b,
        ):
            h = {"X-API-Key": KEY}
            before = httpx.get(f"{b}/v1/health", headers=h).json()
            table = {
                "id": "pg-shared",
                "project": "跨主机共享语料潮汐电站巡检项目",
                "indicators": [
                    {"name": "潮汐机组巡检次数", "level1": "产出指标", "level2": "数量指标", "annual_value": "≥48次"}
                ],
            }
            r = httpx.post(f"{a}/v1/corpus/tables", json={"tables": [table]}, headers=h, timeout=60)
            assert r.status_code == 201, r.text
            time.sleep(1.2)  # one poll interval
            after = httpx.get(f"{b}/v1/health", headers=h).json()
            assert after["corpus_tables"] == before["corpus_tables"] + 1
            assert int(after["corpus_version"]) > int(before["corpus_version"])
            s = httpx.post(f"{b}/v1/suggest", json={"name": "跨主机共享语料潮汐电站巡检项目"}, headers=h, timeout=60)
            assert "added-pg-shared" in [p["table_id"] for p in s.json()["similar_projects"]]
    finally:
        drop()
