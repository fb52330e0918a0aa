"""The drafting page in a real headless browser: a draft renders as an editable table
(tick, name, value, origin, evidence, delete) with the .xlsx download button."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from serve_process import free_port, running_server

TESTS_DIR = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def open_server(tmp_path):
    """``jixiao serve`` around the fake engine, without API keys (the page sends none)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "JIXIAO_API_KEYS"},
        "JIXIAO_HOME": str(tmp_path / "home"),
        "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]),
    }
    args = ["--factory", "api_fakes:create_fake_app", "--log-level", "warning"]
    with running_server(args, env, free_port(18800, 18900), timeout=30) as base:
        yield base


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
