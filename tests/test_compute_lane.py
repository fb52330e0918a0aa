"""The compute lane (``JIXIAO_WORK_THREADS``): CPU work waits its turn; health never does."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from api_fakes import FakeEngine

from jixiao.errors import JixiaoError
from jixiao.service.app import create_app
from jixiao.settings import Settings


class CountingEngine(FakeEngine):
    """Suggest takes ``delay_s`` and records how many suggests ran at once, and how many started."""

    def __init__(self, delay_s: float) -> None:
        super().__init__(delay_s=delay_s)
        self.active = self.most = self.started = 0
        self._count = threading.Lock()
        self.classifying = threading.Event()

    def classify(self, inputs):  # noqa: ANN001, ANN201
        self.classifying.set()
        return super().classify(inputs)

    def suggest(self, query, k):  # noqa: ANN001, ANN201
        with self._count:
            self.active += 1
            self.started += 1
            self.most = max(self.most, self.active)
        try:
            return super().suggest(query, k)
        finally:
            with self._count:
                self.active -= 1


async def _run(app, n_suggests: int, health_after_s: float = 0.05):  # noqa: ANN001, ANN202
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        suggests = [
            asyncio.create_task(client.post("/v1/suggest", json={"name": f"农村公路养护{i}"}))
            for i in range(n_suggests)
        ]
        await asyncio.sleep(health_after_s)
        t0 = time.perf_counter()
        health = await client.get("/v1/health")
        health_s = time.perf_counter() - t0
        return [await s for s in suggests], health, health_s


@pytest.mark.parametrize("threads", [1, 3])
def test_cpu_requests_run_at_most_work_threads_at_once(tmp_path, threads):
    engine = CountingEngine(delay_s=0.15)
    app = create_app(Settings(home=tmp_path, work_threads=threads), engine=engine)
    answers, health, health_s = asyncio.run(_run(app, 6))
    assert [r.status_code for r in answers] == [200] * 6
    assert engine.most == threads
    # Health reads the status outside the lane: it does not wait for six suggests.
    assert health.status_code == 200 and health_s < 0.15 * 6 / threads


def test_a_request_that_waits_past_its_timeout_never_starts(tmp_path):
    engine = CountingEngine(delay_s=0.3)
    app = create_app(Settings(home=tmp_path, work_threads=1, request_timeout_s=0.2), engine=engine)
    answers, _, _ = asyncio.run(_run(app, 3))
    codes = sorted(r.status_code for r in answers)
    assert codes == [504, 504, 504]  # the first outlives its timeout; the others time out queued
    body = answers[-1].json()
    assert "秒的上限" in body["detail"]
    time.sleep(0.35)  # let the abandoned first call finish
    assert engine.started == 1


def test_work_threads_must_be_a_positive_whole_number(monkeypatch, tmp_path):
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("JIXIAO_WORK_THREADS", bad)
        with pytest.raises(JixiaoError, match="JIXIAO_WORK_THREADS"):
            Settings(home=tmp_path)


def test_a_long_batch_review_does_not_hold_up_suggest(tmp_path):
    """A batch review runs for minutes in real use; with one place, a suggest that arrives
    after it must still be answered first."""
    from jixiao.corpus.data_paths import seed_files

    files = [("files", (p.name, p.read_bytes())) for p in seed_files()[:3]]
    engine = CountingEngine(delay_s=0.2)
    app = create_app(Settings(home=tmp_path, work_threads=1), engine=engine)

    async def run():  # noqa: ANN202
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
            done: list[str] = []

            async def post(name: str, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
                r = await client.post(*args, **kwargs)
                done.append(name)
                return r

            batch = asyncio.create_task(post("batch", "/v1/review/batch", files=files))
            while not engine.classifying.is_set():  # the batch is at work (its first classify call)
                await asyncio.sleep(0.01)
            suggest = await post("suggest", "/v1/suggest", json={"name": "河道清淤"})
            return done, suggest, await batch

    done, suggest, batch = asyncio.run(run())
    assert suggest.status_code == 200 and batch.status_code == 200, batch.text
    assert done == ["suggest", "batch"]
