"""Timeouts that stop work: a timed-out upload frees its CPU, classification stops between chunks."""

from __future__ import annotations

import os
import time

import pytest
from api_fakes import FakeEngine
from slow_parsers import spin_forever
from test_api import assert_problem, make_client

from jixiao.corpus.data_paths import seed_files
from jixiao.errors import EmptyFile, ParseError
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.deadline import DeadlineExceeded, check_deadline, deadline_after
from jixiao.service import cancellable
from jixiao.service.engine import CLASSIFY_CHUNK, LibraryEngine
from jixiao.service.routes import tables
from jixiao.settings import Settings


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie counts as gone: it holds no CPU and no memory
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ", 1)[1][0] != "Z"


def test_subprocess_parse_gives_the_same_tables_and_errors() -> None:
    path = seed_files()[0]
    data = path.read_bytes()
    assert cancellable.parse_in_subprocess(data, path.name) == tables.parse_upload(data, path.name)
    with pytest.raises(EmptyFile):  # the typed refusal survives the process boundary (its type sets the status)
        cancellable.parse_in_subprocess(b"", "empty.csv")
    with pytest.raises(ParseError, match="unknown layout"):
        cancellable.parse_in_subprocess("名称,数值\n".encode(), "x.csv")


def test_a_parse_past_its_deadline_is_terminated(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    pool = cancellable.ParserPool(size=1)
    try:
        path = seed_files()[0]
        pool.parse(path.read_bytes(), path.name, timeout=60)  # the worker is up
        t0 = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            pool.parse(str(tmp_path / "pid").encode(), "slow.xlsx", timeout=0.5, parse=spin_forever)
        assert time.monotonic() - t0 < 2.0
        pid = int((tmp_path / "pid").read_text())
        assert not _alive(pid)
        # a fresh worker took its place, and parses the next upload
        assert pool.parse(path.read_bytes(), path.name, timeout=60).result.tables
    finally:
        pool.close()


def test_timed_out_upload_answers_504_and_frees_its_cpu(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = seed_files()[0]
    cancellable.parse_in_subprocess(path.read_bytes(), path.name)  # the workers are up
    monkeypatch.setattr(cancellable, "_default_parse", lambda: spin_forever)  # runs in the worker
    with make_client(tmp_path, engine=FakeEngine(), request_timeout_s=1.0) as c:
        r = c.post("/v1/tables/upload", files={"file": ("big.csv", str(tmp_path / "pid").encode())})
        assert_problem(r, 504)
        pid = int((tmp_path / "pid").read_text())
        end = time.monotonic() + 1.0  # the CPU is freed within a second of the answer
        while _alive(pid) and time.monotonic() < end:
            time.sleep(0.02)
        assert not _alive(pid)


class SlowClassifier:
    def __init__(self, delay: float):
        self.delay = delay
        self.calls = 0

    def predict(self, inputs):  # noqa: ANN001, ANN201
        self.calls += 1
        time.sleep(self.delay)
        return [None] * len(inputs)


def test_classification_stops_between_chunks_at_the_deadline(tmp_path) -> None:
    clf = SlowClassifier(0.2)
    engine = LibraryEngine(Settings(home=tmp_path), clf, None, [], "x")
    inputs = [ClassifyInput(name=f"指标{i}") for i in range(CLASSIFY_CHUNK * 4)]
    with deadline_after(0.1), pytest.raises(DeadlineExceeded):
        engine.classify(inputs)
    assert clf.calls == 1  # the first chunk ran, the other three never started
    assert len(engine.classify(inputs[:3])) == 3  # without a deadline, everything runs


def test_check_deadline_without_a_deadline_never_raises() -> None:
    check_deadline()
    with deadline_after(None):
        check_deadline()
    with deadline_after(0), pytest.raises(DeadlineExceeded):
        check_deadline()


def test_prediction_cache_classifies_each_distinct_row_once() -> None:
    from jixiao.service.prediction_cache import PredictionCache

    seen: list[str] = []

    def predict(rows):  # noqa: ANN001, ANN202
        seen.extend(r.name for r in rows)
        return [f"pred:{r.name}:{r.value}" for r in rows]

    cache = PredictionCache(max_items=3)
    clf = object()
    rows = [ClassifyInput(name="满意度", value="≥90%"), ClassifyInput(name="满意度", value="≥90%"), ClassifyInput(name="满意度")]
    assert cache.predict(clf, rows, predict) == ["pred:满意度:≥90%", "pred:满意度:≥90%", "pred:满意度:None"]
    assert seen == ["满意度", "满意度"]  # the duplicate row was predicted once
    assert cache.predict(clf, rows[:1], predict) == ["pred:满意度:≥90%"] and len(seen) == 2  # remembered
    cache.predict(object(), rows[:1], predict)  # another classifier: nothing remembered applies
    assert len(seen) == 3
    cache.predict(clf, [ClassifyInput(name=str(i)) for i in range(10)], predict)
    assert len(cache._items) <= 3  # bounded


def _worker_pids(pool: cancellable.ParserPool) -> set[int]:
    return {w.process.pid for w in list(pool._idle.queue)}


def test_a_worker_that_grew_is_replaced_after_its_reply() -> None:
    from slow_parsers import grow_and_refuse

    pool = cancellable.ParserPool(size=1)
    try:
        with pytest.raises(ParseError, match="pid"):
            pool.parse(b"1", "small.csv", timeout=60, parse=grow_and_refuse)  # +1 MB: kept
        (kept,) = _worker_pids(pool)
        with pytest.raises(ParseError, match=f"pid {kept}"):
            pool.parse(str(int(cancellable.MAX_WORKER_GROWTH_MB) + 60).encode(), "big.csv", timeout=60, parse=grow_and_refuse)
        (fresh,) = _worker_pids(pool)
        assert fresh != kept
        end = time.monotonic() + 2.0
        while _alive(kept) and time.monotonic() < end:
            time.sleep(0.02)
        assert not _alive(kept)  # its memory went with it
    finally:
        pool.close()


def test_a_parse_slower_than_its_cap_is_413_and_terminated(tmp_path) -> None:
    from jixiao.errors import ArchiveTooLarge

    pool = cancellable.ParserPool(size=1)
    try:
        t0 = time.monotonic()
        with pytest.raises(ArchiveTooLarge, match="parsing takes more than"):
            pool.parse(str(tmp_path / "pid").encode(), "slow.xlsx", timeout=60, parse=spin_forever, refuse_after=0.5)
        assert time.monotonic() - t0 < 5.0
        assert not _alive(int((tmp_path / "pid").read_text()))
    finally:
        pool.close()


def test_upload_whose_parse_overruns_the_parse_cap_answers_413(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = seed_files()[0]
    cancellable.parse_in_subprocess(path.read_bytes(), path.name)  # the workers are up
    monkeypatch.setattr(cancellable, "_default_parse", lambda: spin_forever)
    monkeypatch.setattr(cancellable, "MAX_PARSE_SECONDS", 0.5)
    with make_client(tmp_path, engine=FakeEngine(), request_timeout_s=30.0) as c:
        r = c.post("/v1/tables/upload", files={"file": ("big.xlsx", str(tmp_path / "pid").encode())})
        assert_problem(r, 413)
        assert "解析超过时限" in r.json()["detail"]


def test_large_bodies_hand_free_memory_back(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jixiao.service import limits

    calls = []
    monkeypatch.setattr(limits, "release_free_memory", lambda: calls.append(1))
    monkeypatch.setattr("jixiao.service.routes.tables.parse_in_subprocess", tables.parse_upload)
    with make_client(tmp_path, engine=FakeEngine()) as c:
        c.post("/v1/tables/upload", files={"file": ("a.csv", b"a,b\n")})
        assert calls == []  # a small body: nothing to give back
        c.post("/v1/tables/upload", files={"file": ("a.csv", b"a,b\n" * 100_000)})
        assert calls == [1]


def test_an_upload_past_the_json_table_limits_is_413_from_the_worker(tmp_path) -> None:
    from jixiao.service.input_limits import MAX_INDICATORS

    rows = ["一级指标,二级指标,三级指标,指标值"]
    rows += [f"产出指标,数量指标,养护路段{i},≥{i}公里" for i in range(MAX_INDICATORS + 1)]
    with make_client(tmp_path, engine=FakeEngine()) as c:
        r = c.post("/v1/tables/upload", files={"file": ("long.csv", "\n".join(rows).encode())})
        assert_problem(r, 413)
        assert f"{MAX_INDICATORS} 行的上限" in r.json()["detail"]
