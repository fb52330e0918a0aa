"""The drafting page in a real headless browser: a draft renders as an editable table
(tick, name, value, origin, evidence, delete) with the .xlsx download button."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

TESTS_DIR = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _port() -> int:
    """A free loopback port, from 18000-18999 first (the range this suite's servers use)."""
    for port in range(18800, 18900):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def open_server(tmp_path):
    """``jixiao serve`` around the fake engine, without API keys (the page sends none)."""
    port = _port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "JIXIAO_API_KEYS"},
        "JIXIAO_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-c", "import sys; from jixiao.service.cli import main; sys.exit(main())"]
    cmd += ["serve", "--port", str(port), "--factory", "api_fakes:create_fake_app", "--log-level", "warning"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited early: {proc.stdout.read().decode(errors='replace')}")
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not become ready in 30 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")
def test_draft_renders_as_an_editable_table(open_server, tmp_path):
    # A link carrying the project opens the page with the draft already made.
    url = f"{open_server}/?name={quote('医疗救助专项资金')}&goal={quote('提高救助对象政策知晓率')}"
    dom = _dump(url, tmp_path)
    assert 'id="draft-table"' in dom, dom[-3000:]
    assert 'class="pick"' in dom and 'class="name"' in dom and 'class="value"' in dom
    assert 'class="del"' in dom and 'id="draft-xlsx"' in dom and 'id="add-row"' in dom
    assert 'id="draft-goal"' in dom and "自检" in dom
    # The fake engine's rows come from its corpus, so their origin reads 同类 (corpus).
    assert "同类" in dom


def _dump(url: str, tmp_path: Path) -> str:
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout
