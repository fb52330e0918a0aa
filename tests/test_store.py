"""The corpus store on real databases: SQLite always, PostgreSQL when configured."""

from __future__ import annotations

import threading

import pytest
from db_urls import BACKENDS, make_url_for

from jixiao.corpus.corrections import CorrectionError
from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.db.connection import DatabaseError, create_db_engine
from jixiao.corpus.records import read_records
from jixiao.corpus.store import build_from_package, load_corpus, open_store
from jixiao.settings import Settings


@pytest.fixture(params=BACKENDS)
def settings(request, tmp_path):
    url, drop = make_url_for(request.param, tmp_path)
    yield Settings(home=tmp_path / "home", database_url=url)
    drop()


def _table(tid: str, project: str, name: str = "巡检次数", value: str = "≥12次"):
    from jixiao.corpus.records import make_indicator
    from jixiao.corpus.schema import GoalTable

    return GoalTable(
        id=tid,
        project=project,
        year=2025,
        indicators=[make_indicator(name, "产出指标", "数量指标", annual_value=value)],
    )


def test_an_empty_store_is_filled_from_the_package_once(settings):
    store = open_store(settings)
    snap = store.snapshot()
    package = build_from_package().tables
    assert [t.id for t in snap.tables] == [t.id for t in package]
    assert snap.tables == package  # lossless: the record JSON reads back as it was stored
    assert snap.version == 1 and snap.base_version == 1
    open_store(settings).ensure_filled()
    assert store.state().version == 1 and store.count() == len(package)


def test_additions_get_prefixed_unique_ids_and_a_growing_version(settings):
    store = open_store(settings)
    v0 = store.state().version
    a = store.add([_table("x", "河道清淤")]).stored
    b = store.add([_table("x", "河道清淤二期"), _table("x", "河道清淤三期")]).stored
    assert [t.id for t in a + b] == ["added-x", "added-x-2", "added-x-3"]
    assert store.state().version == v0 + 2
    since = store.tables_since(v0 + 1)
    assert [t.id for t in since.tables] == ["added-x-2", "added-x-3"] and since.version == v0 + 2
    assert [t.id for t in load_corpus(settings)][-3:] == ["added-x", "added-x-2", "added-x-3"]


def test_exact_duplicates_are_skipped_when_asked(settings):
    store = open_store(settings)
    first = store.add([_table("a", "校舍维修")], skip_duplicates=True)
    again = store.add([_table("b", "校舍维修"), _table("c", "校舍维修", value="≥13次")], skip_duplicates=True)
    assert len(first.stored) == 1
    assert [t.project for t in again.duplicates] == ["校舍维修"]
    assert [t.indicators[0].annual_value for t in again.stored] == ["≥13次"]


def test_an_old_jsonl_store_is_migrated_on_first_start(settings, caplog):
    tables, _ = read_records(EXTERNAL_TABLES)
    settings.corpus_dir.mkdir(parents=True)
    (settings.corpus_dir / "tables.jsonl").write_text(
        "".join(t.model_dump_json() + "\n" for t in tables[:5]), encoding="utf-8"
    )
    added = _table("added-old", "农村公路养护")
    (settings.corpus_dir / "added.jsonl").write_text(added.model_dump_json() + "\n", encoding="utf-8")
    with caplog.at_level("WARNING"):
        got = load_corpus(settings)
    assert [t.id for t in got] == [t.id for t in tables[:5]] + ["added-old"]
    assert "迁移" in caplog.text and "6 张表" in caplog.text


def test_corrections_change_the_labels_and_keep_the_original(settings):
    store = open_store(settings)
    t = store.add([_table("r", "农村公路养护", name="公路养护里程", value="≥30公里")]).stored[0]
    v = store.state().version
    made = store.correct(t.id, 0, {"code": "12", "annual_value": "≥32公里"}, who="alice")
    assert [(c.field, c.old, c.new, c.who) for c in made] == [
        ("code", "11", "12", "alice"),
        ("annual_value", "≥30公里", "≥32公里", "alice"),
    ]
    assert store.state().version == v + 1
    fixed = next(x for x in load_corpus(settings) if x.id == t.id).indicators[0]
    assert (fixed.code, fixed.level2, fixed.annual_value, fixed.parsed.number) == ("12", "质量指标", "≥32公里", 32)
    orig = next(x for x in load_corpus(settings, corrected=False) if x.id == t.id).indicators[0]
    assert (orig.code, orig.annual_value) == ("11", "≥30公里")
    store.correct(t.id, 0, {"code": "社会效益指标"}, who="bob")
    assert [c.who for c in store.corrections(table_id=t.id)] == ["bob", "alice", "alice"]
    orig = next(x for x in load_corpus(settings, corrected=False) if x.id == t.id).indicators[0]
    assert orig.code == "11"  # the original survives a second correction


@pytest.mark.parametrize(
    "table_id, position, wanted, message",
    [
        ("nope", 0, {"code": "11"}, "没有目标表"),
        (None, 5, {"code": "11"}, "没有第 5 行"),
        (None, 0, {"code": "99-火星指标"}, "无法识别"),
        (None, 0, {"code": "11"}, "相同"),
        (None, 0, {"colour": "red"}, "不能更正"),
    ],
)
def test_bad_corrections_change_nothing(settings, table_id, position, wanted, message):
    store = open_store(settings)
    t = store.add([_table("bad", "河道清淤")]).stored[0]
    v = store.state().version
    with pytest.raises(CorrectionError, match=message):
        store.correct(table_id or t.id, position, wanted, who="alice")
    assert store.state().version == v and store.corrections() == []


def test_rebuilding_the_package_keeps_added_tables(settings):
    store = open_store(settings)
    store.add([_table("keep", "校舍维修")])
    n = store.count()
    store.rebuild_package()
    state = store.state()
    assert store.count() == n and state.base_version == state.version
    assert "added-keep" in {t.id for t in store.snapshot().tables}


def test_concurrent_writers_lose_nothing(settings):
    store = open_store(settings)
    before = store.count()
    errors = []

    def write(w: int) -> None:
        try:
            for i in range(5):
                store.add([_table(f"w{w}-{i}", f"项目{w}-{i}")])
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count() == before + 80
    assert store.state().version == 1 + 80


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgresql+psycopg://alice:s3cret@127.0.0.1:1/nowhere", "无法连接"),
        ("postgresql+nosuchdriver://alice:s3cret@127.0.0.1/x", "缺少驱动"),
        ("not a url", "无效"),
    ],
)
def test_a_database_that_cannot_be_used_is_one_chinese_line_without_the_password(url, expected):
    with pytest.raises(DatabaseError) as e:
        create_db_engine(url)
    msg = str(e.value)
    assert expected in msg and "s3cret" not in msg and "\n" not in msg


def test_the_migrations_build_exactly_the_declared_schema(settings):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jixiao.corpus.db.schema import metadata

    store = open_store(settings)
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn)
        assert ctx.get_current_revision() == "0001"
        assert compare_metadata(ctx, metadata) == []
