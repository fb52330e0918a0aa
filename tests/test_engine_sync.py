"""Workers following one database: two engines on one store, in one process (fast).

The real multi-process version (``jixiao serve --workers 2``) is in test_concurrency.py.
"""

from __future__ import annotations

import time

import pytest
from db_urls import BACKENDS, make_url_for

from jixiao.corpus.records import make_indicator
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.store import open_store
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.index_sync import sync_index
from jixiao.models.suggest import Suggester
from jixiao.models.suggest_schema import ProjectQuery
from jixiao.service.engine import LibraryEngine
from jixiao.settings import Settings


@pytest.fixture(params=BACKENDS)
def settings(request, tmp_path):
    url, drop = make_url_for(request.param, tmp_path)
    yield Settings(home=tmp_path / "home", database_url=url, corpus_poll_s=0.2)
    drop()


def worker(settings: Settings) -> tuple[LibraryEngine, str]:
    store = open_store(settings)
    snap = store.snapshot()
    emb = HashEmbedder(64)
    result = sync_index(settings.index_dir, emb, snap, kind="flat")
    suggester = Suggester(result.index, emb, settings=settings)
    engine = LibraryEngine(settings, None, suggester, snap.tables, emb.model_name, store=store, version=snap.version)
    return engine, result.how


def table(tid: str, project: str) -> GoalTable:
    return GoalTable(
        id=tid,
        project=project,
        indicators=[make_indicator("潮汐机组巡检次数", "产出指标", "数量指标", annual_value="≥48次")],
    )


def test_a_second_worker_serves_an_addition_within_one_poll(settings):
    a, how_a = worker(settings)
    b, how_b = worker(settings)
    assert (how_a, how_b) == ("rebuilt", "loaded")
    n = b.status().corpus_tables
    stored = a.add_tables([table("tide", "潮汐能电站巡检维护项目")], who="alice")
    assert a.status().corpus_tables == n + 1  # the writer serves it at once
    time.sleep(0.25)
    status = b.status()
    assert status.corpus_tables == n + 1 and status.corpus_version == a.status().corpus_version
    top = b.suggest(ProjectQuery(name="潮汐能电站巡检维护项目"), k=5).similar_projects[0].table_id
    assert top == stored[0].id


def test_a_restart_catches_the_saved_index_up_with_the_store(settings):
    a, _ = worker(settings)
    open_store(settings).add([table("late", "河道清淤疏浚项目")])  # e.g. committed, then the worker died
    _, how = worker(settings)
    assert how == "caught up"
    c, how = worker(settings)
    assert how == "loaded" and "added-late" in c.suggester.index.tables.ids


def test_a_rebuilt_corpus_is_reloaded_by_running_workers(settings):
    a, _ = worker(settings)
    store = open_store(settings)
    store.add([table("keep", "校舍维修项目")])
    store.rebuild_package()
    time.sleep(0.25)
    status = a.status()
    assert status.corpus_version == str(store.state().version)
    assert "added-keep" in a.suggester.index.tables.ids


def test_a_worker_keeps_serving_when_the_database_is_away(settings, monkeypatch):
    from sqlalchemy.exc import OperationalError

    b, _ = worker(settings)
    n = b.status().corpus_tables

    def down():  # noqa: ANN202
        raise OperationalError("SELECT version", {}, Exception("connection refused"))

    monkeypatch.setattr(b._store, "state", down)
    time.sleep(0.25)
    assert b.status().corpus_tables == n
    assert b.suggest(ProjectQuery(name="医疗救助"), k=3).similar_projects
