"""The page's LLM toggle in a real headless Chromium, against the app and the scripted server."""

from __future__ import annotations

import json
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


def chromium_dom(url: str) -> str:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    flags += ["--allow-file-access-from-files", "--virtual-time-budget=15000", "--dump-dom"]
    return subprocess.run([browser, *flags, url], capture_output=True, text=True, timeout=90).stdout


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
    query = urllib.parse.urlencode({"name": "农村学校营养改善计划", "goal": "为农村义务教育学生提供营养膳食补助", "llm": "1"})
    dom = chromium_dom(page_url + "?" + query)
    assert "大模型润色（hallucinate）" in dom
    assert "已恢复为检索结果" in dom and "检索生成的草稿" in dom
    goal = dom.split("润色后的绩效目标：", 1)[1].split("</p>", 1)[0]
    assert "32.1" not in goal


def test_rewrite_proposals_render_beside_the_original_row(tmp_path, page_url):
    from test_llm_review import school_table

    from jixiao.corpus.writers import csv_text

    csv = csv_text([school_table()]).encode()
    with ScriptedServer() as llm:
        settings = Settings(home=tmp_path / "h", llm_url=llm.url, llm_model="valid")
        from fastapi.testclient import TestClient

        with TestClient(create_app(settings, engine=FakeEngine())) as c:
            rewrites = c.post("/v1/tables/upload?llm=true", files={"file": ("s.csv", csv)}).json()["tables"][0]["rewrites"]
    assert rewrites["status"] == "proposed"
    harness = tmp_path / "harness.html"
    harness.write_text(
        f'<!doctype html><meta charset="utf-8"><body><input id="apikey"><div id="out"></div>'
        f'<script src="{page_url}static/common.js"></script><script src="{page_url}static/llm.js"></script>'
        f"<script>document.getElementById('out').innerHTML = renderRewrites({json.dumps(rewrites)});</script>",
        encoding="utf-8",
    )
    dom = chromium_dom(harness.as_uri())
    assert "大模型改写建议（valid）：仅供参考，未自动采用" in dom
    assert "学生营养健康水平：有效提高" in dom
