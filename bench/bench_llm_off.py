"""POST /v1/suggest with the assistant off: latency of today's route against the pre-LLM route.

    python bench/bench_llm_off.py --requests 400

Both apps run in this process around the same engine (the model-free test engine from
``tests/api_fakes.py``, so route overhead is not hidden behind model time), with the same
middleware. The baseline is the route as it was before the assistant
(``response_model=SuggestedTable``, the engine's table returned as is). Requests alternate between the two apps; p50/p95 and
their ratio are printed, and the two response bodies are compared for equality (minus
the new ``llm`` key). The machine is shared: read the ratio, not the milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from api_fakes import FakeEngine  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from jixiao.models.suggest_schema import SuggestedTable  # noqa: E402
from jixiao.service.api_models import SuggestRequest  # noqa: E402
from jixiao.service.app import create_app  # noqa: E402
from jixiao.service.deps import run_blocking  # noqa: E402
from jixiao.settings import Settings  # noqa: E402


def baseline_app(engine: FakeEngine) -> FastAPI:
    """Today's app (same middleware and dependencies) with the suggest route put back as it was."""
    app = create_app(Settings(home=Path("/tmp/jixiao-bench-llm-off")), engine=engine)

    @app.post("/v1/suggest", response_model=SuggestedTable)
    async def suggest(body: SuggestRequest, request: Request) -> SuggestedTable:
        return await run_blocking(request, engine.suggest, body.to_query(), body.k)

    # Routes match in order: the old route goes in front of today's.
    app.router.routes.insert(0, app.router.routes.pop())
    return app


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    engine = FakeEngine()
    body = {"name": "农村学校营养改善计划", "goal": "为农村义务教育学生提供营养膳食补助"}
    new = TestClient(create_app(Settings(home=Path("/tmp/jixiao-bench-llm-off")), engine=engine))
    old = TestClient(baseline_app(engine))
    a, b = new.post("/v1/suggest", json=body).json(), old.post("/v1/suggest", json=body).json()
    assert a.pop("llm") is None and a == b, "outputs differ"
    times: dict[str, list[float]] = {"assistant off (today)": [], "pre-LLM route": []}
    for _ in range(args.requests):
        for name, client in (("assistant off (today)", new), ("pre-LLM route", old)):
            t0 = time.perf_counter()
            client.post("/v1/suggest", json=body)
            times[name].append((time.perf_counter() - t0) * 1000)
    print(f"{args.requests} requests each, interleaved; outputs identical (minus the new llm: null)")
    print(f"{'route':<24} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, xs in times.items():
        print(f"{name:<24} {pct(xs, 0.5):>8.2f} {pct(xs, 0.95):>8.2f} {statistics.mean(xs):>8.2f}")
    ratio = pct(times["assistant off (today)"], 0.5) / pct(times["pre-LLM route"], 0.5)
    print(f"p50 ratio today / pre-LLM: {ratio:.2f}")


if __name__ == "__main__":
    main()
