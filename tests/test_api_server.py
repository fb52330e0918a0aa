"""A real ``jixiao serve`` process (uvicorn) on a free loopback port, around the fake engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from serve_process import free_port, running_server

TESTS_DIR = Path(__file__).resolve().parent


@pytest.fixture
def server(tmp_path):
    env = {
        **os.environ,
        "JIXIAO_HOME": str(tmp_path / "home"),
        "JIXIAO_API_KEYS": "k-server",
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    args = ["--factory", "api_fakes:create_fake_app", "--log-level", "warning"]
    with running_server(args, env, free_port(0, 0), timeout=30) as base:
        yield base


def test_real_server_answers_over_http(server):
    h = {"X-API-Key": "k-server"}
    health = httpx.get(f"{server}/v1/health").json()
    assert health["model"] == "fake-rules"
    r = httpx.post(
        f"{server}/v1/classify", json={"rows": [{"name": "服务对象满意度", "value": "≥90%"}]}, headers=h
    )
    assert r.status_code == 200 and r.json()["results"][0]["prediction"]["code"] == "31"
    r = httpx.post(f"{server}/v1/classify", json={"rows": [{"name": "x"}]})
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    r = httpx.post(f"{server}/v1/suggest", json={"name": "就学补助"}, headers=h)
    assert r.status_code == 200 and r.json()["tiers"]
    assert httpx.get(f"{server}/docs").status_code == 200


def _serve_cli(*args: str, timeout: int, env: dict | None = None) -> subprocess.CompletedProcess:
    """``jixiao serve ARGS`` in a fresh interpreter, as a user runs it."""
    cmd = [sys.executable, "-c", "import sys; from jixiao.service.cli import main; sys.exit(main())", "serve"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_serve_rejects_bad_arguments_with_one_line():
    r = _serve_cli("--workers", "0", timeout=60)
    assert r.returncode == 2 and r.stderr.strip().startswith("jixiao：错误：") and "Traceback" not in r.stderr


def test_serve_refuses_a_taken_port_with_one_chinese_line():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        r = _serve_cli("--port", str(taken.getsockname()[1]), timeout=60)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("jixiao：错误：无法监听") and "Traceback" not in r.stderr


def test_load_benchmark_runs_against_the_server(server):
    bench = TESTS_DIR.parent / "bench" / "load.py"
    args = ["--url", server, "--clients", "4", "--duration", "1.5", "--mix", "suggest=1,classify=1"]
    r = subprocess.run(
        [sys.executable, str(bench), *args, "--api-key", "k-server"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    table = {line.split("|")[1].strip(): line for line in r.stdout.splitlines() if line.startswith("| ")}
    assert {"suggest", "classify", "**all**"} <= set(table)
    ok, errors = (int(x) for x in table["**all**"].split("|")[2:4])
    assert ok > 0 and errors == 0


def test_load_benchmark_refuses_non_loopback_hosts():
    bench = TESTS_DIR.parent / "bench" / "load.py"
    r = subprocess.run(
        [sys.executable, str(bench), "--url", "http://192.0.2.1:8000", "--duration", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode != 0 and "refusing" in r.stderr


def test_serve_fails_with_one_line_when_the_model_is_unusable(tmp_path):
    env = {
        **os.environ,
        "JIXIAO_HOME": str(tmp_path / "home"),
        "JIXIAO_EMBEDDING_MODEL": str(tmp_path / "no-such-model"),
    }
    r = _serve_cli("--port", str(free_port()), timeout=300, env=env)
    assert r.returncode == 2, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("jixiao：错误：") and "no-such-model" in last and "Traceback" not in r.stderr
