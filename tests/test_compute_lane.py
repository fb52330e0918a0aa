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
        self.classify_extra_s = 0.0

    def classify(self, inputs):  # noqa: ANN001, ANN201
        self.classifying.set()
        time.sleep(self.classify_extra_s)
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


async def _run(app, n_suggests: int):  # noqa: ANN001, ANN202
    """``n_suggests`` at once, and a health check once they are under way; the order they finished in."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        done: list[str] = []

        async def post(i: int):  # noqa: ANN202
            r = await client.post("/v1/suggest", json={"name": f"农村公路养护{i}"})
            done.append("suggest")
            return r

        suggests = [asyncio.create_task(post(i)) for i in range(n_suggests)]
        while not app.state.engine.started:
            await asyncio.sleep(0.01)
        health = await client.get("/v1/health")
        done.append("health")
        return [await s for s in suggests], health, done


@pytest.mark.parametrize("threads", [1, 3])
def test_cpu_requests_run_at_most_work_threads_at_once(tmp_path, threads):
    engine = CountingEngine(delay_s=0.3)
    app = create_app(Settings(home=tmp_path, work_threads=threads), engine=engine)
    answers, health, done = asyncio.run(_run(app, 6))
    assert [r.status_code for r in answers] == [200] * 6
    assert engine.most == threads
    # Health reads the status outside the lane: it is answered before the suggests are.
    assert health.status_code == 200 and done.index("health") < 6 - threads


def test_a_request_that_waits_past_its_timeout_never_starts():
    """One place, held by work with a long timeout: a call queued behind it with a short one
    gets 504 at its own timeout, and its work never runs."""
    from types import SimpleNamespace

    from jixiao.service.concurrency import run_blocking
    from jixiao.service.problems import ApiProblem

    app = SimpleNamespace(state=SimpleNamespace(settings=SimpleNamespace(work_threads=1, request_timeout_s=60)))
    request = SimpleNamespace(app=app)
    release, ran = threading.Event(), []

    async def run():  # noqa: ANN202
        holder = asyncio.create_task(run_blocking(request, release.wait, 10, timeout=10))
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        with pytest.raises(ApiProblem) as e:
            await run_blocking(request, lambda: ran.append(1), timeout=0.2)
        waited = time.perf_counter() - t0
        release.set()
        assert await holder is True
        return e.value, waited

    problem, waited = asyncio.run(run())
    assert problem.status == 504 and "秒的上限" in problem.detail
    assert waited >= 0.2 and ran == []


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
    # The batch's rows are classified in one call: it must outlast the suggest (0.2 s) by far,
    # or which answer comes first is a race, not the lane.
    engine.classify_extra_s = 1.5
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
