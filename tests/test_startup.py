"""Start-up: the port answers at once, with progress, while the engine is prepared behind it."""

from __future__ import annotations

import threading
import time

import pytest
from api_fakes import FakeEngine
from fastapi.testclient import TestClient
from test_api import assert_problem

from jixiao.errors import JixiaoError
from jixiao.service.app import create_app
from jixiao.service.boot import BootApp
from jixiao.service.startup import STEPS, start_in_background
from jixiao.settings import Settings


def _wait_for(predicate, timeout: float = 10.0) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_health_shows_the_step_and_model_routes_answer_503_until_ready(tmp_path) -> None:
    release = threading.Event()

    def factory(settings, report):  # noqa: ANN001, ANN202
        report("corpus", False)
        report("corpus", True)
        report("model", False)
        release.wait(10)
        report("model", True)
        return FakeEngine()

    app = create_app(Settings(home=tmp_path))
    start_in_background(app, app.state.settings, factory)
    client = TestClient(app, raise_server_exceptions=False)
    _wait_for(lambda: client.get("/v1/health").json().get("step") == "model")
    health = client.get("/v1/health")
    body = health.json()
    assert health.status_code == 503  # not ready, for probes; the body says how far it got
    assert body["status"] == "starting" and body["step_title"] == STEPS["model"]
    assert body["steps_done"] == ["corpus"] and body["progress"] == 0.25
    problem = assert_problem(client.post("/v1/classify", json={"rows": [{"name": "x"}]}), 503)
    assert "正在启动" in problem["detail"] and "第 2/4 步" in problem["detail"]
    assert client.get("/").status_code == 200  # the page loads, and shows the progress
    release.set()
    _wait_for(lambda: client.get("/v1/health").json()["status"] == "ok")
    assert client.post("/v1/classify", json={"rows": [{"name": "服务对象满意度"}]}).status_code == 200


def test_a_ready_engine_collects_young_garbage_less_often(tmp_path) -> None:
    import gc

    from jixiao.service.memory import SERVING_GC_THRESHOLD0

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, *before[1:])
        app = create_app(Settings(home=tmp_path))
        start_in_background(app, app.state.settings, lambda settings, report: FakeEngine())
        _wait_for(lambda: app.state.startup.status == "ready")
        assert gc.get_threshold() == (SERVING_GC_THRESHOLD0, *before[1:])
    finally:
        gc.set_threshold(*before)


def test_a_failed_start_is_reported_not_hidden(tmp_path) -> None:
    def factory(settings, report):  # noqa: ANN001, ANN202
        raise JixiaoError("the index is empty; run `jixiao index build`")

    app = create_app(Settings(home=tmp_path))
    start_in_background(app, app.state.settings, factory)
    client = TestClient(app, raise_server_exceptions=False)
    _wait_for(lambda: app.state.startup.status == "failed")
    health = client.get("/v1/health")
    assert health.status_code == 503 and "index build" in health.json()["error"]
    assert "启动失败" in assert_problem(client.post("/v1/suggest", json={"name": "x"}), 503)["detail"]


def test_boot_app_answers_before_the_application_is_imported(tmp_path) -> None:
    release = threading.Event()

    def build():  # noqa: ANN202
        release.wait(10)
        return create_app(Settings(home=tmp_path), engine=FakeEngine())

    boot = BootApp(build)
    with TestClient(boot, raise_server_exceptions=False) as client:
        health = client.get("/v1/health")
        assert health.status_code == 503 and health.json()["step"] == "import"
        assert "id=" in client.get("/").text or "<html" in client.get("/").text.lower()
        assert client.get("/static/common.js").status_code == 200
        assert client.get("/static/../app.py").status_code == 503
        assert_problem(client.post("/v1/classify", json={"rows": [{"name": "x"}]}), 503)
        release.set()
        _wait_for(lambda: boot.app is not None)
        assert client.get("/v1/health").json()["status"] == "ok"


def test_boot_app_reports_an_import_failure(tmp_path) -> None:
    def build():  # noqa: ANN202
        raise ImportError("no module named fastapi")

    boot = BootApp(build)
    with TestClient(boot, raise_server_exceptions=False) as client:
        _wait_for(lambda: boot.error is not None)
        r = client.get("/v1/health")
        assert r.status_code == 503 and "fastapi" in r.json()["error"]


@pytest.mark.slow
def test_engine_load_reports_every_step() -> None:
    """The shipped engine reports each step's start and end, and a step's end after its start."""
    from jixiao.service.deps import LibraryEngine
    from jixiao.settings import get_settings

    seen: list[tuple[str, bool]] = []
    engine = LibraryEngine.load(get_settings(), progress=False, report=lambda s, f: seen.append((s, f)))
    assert engine.status().index_size > 0
    assert {s for s, _ in seen} == set(STEPS) and len(seen) == 2 * len(STEPS)
    assert all(seen.index((s, False)) < seen.index((s, True)) for s in STEPS)
