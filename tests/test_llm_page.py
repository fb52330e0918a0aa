"""The page's LLM toggle in a real headless Chromium, against the app and the scripted server."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import urllib.parse

import pytest
import uvicorn
from api_fakes import FakeEngine
from llm_fakes import ScriptedServer, free_port

from jixiao.service.app import create_app
from jixiao.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
def page_url(tmp_path):
    with ScriptedServer() as llm:
        settings = Settings(home=tmp_path, llm_url=llm.url, llm_model="hallucinate")
        port = free_port(19600, 19700)
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings, engine=FakeEngine()), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
        server.should_exit = True
        thread.join(timeout=10)


def test_the_toggle_shows_the_checked_draft_beside_the_grounded_one(page_url):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    query = urllib.parse.urlencode({"name": "农村学校营养改善计划", "goal": "为农村义务教育学生提供营养膳食补助", "llm": "1"})
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--virtual-time-budget=15000",
            "--dump-dom",
            page_url + "?" + query,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    ).stdout
    assert "大模型润色（hallucinate）" in dom
    assert "已恢复为检索结果" in dom and "检索生成的草稿" in dom
    goal = dom.split("润色后的绩效目标：", 1)[1].split("</p>", 1)[0]
    assert "32.1" not in goal
