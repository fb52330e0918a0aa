"""The review page's corrections control in a real headless Chromium against a real server."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time

import httpx
import pytest
import uvicorn
from api_fakes import FakeEngine
from fastapi.responses import HTMLResponse
from serve_process import free_port

from jixiao.corpus.store import load_corpus, open_store
from jixiao.service.app import create_app
from jixiao.settings import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM, reason="needs Debian's chromium (apt-get install -y chromium)"),
]
KEY = "page-key-789"

PAGE = """<!doctype html><html><body>
<input id="apikey" value="{key}">
<table><tr data-table-id="{tid}" data-index="0"><td>1</td><td>{name}</td><td>{value}</td></tr></table>
<script src="/static/common.js"></script><script src="/static/corrections.js"></script>
<script>
window.addEventListener("load", async () => {{
  document.querySelector("tr[data-table-id] button").click();
  for (let i = 0; i < 50 && !document.querySelector("tr.correction select option[value='22']"); i++)
    await new Promise((r) => setTimeout(r, 100));
  document.querySelector("tr.correction select").value = "{code}";
  document.querySelector("tr.correction [name=save]").click();
}});
</script></body></html>"""


def test_a_reviewer_corrects_a_row_from_the_page(tmp_path):
    settings = Settings(home=tmp_path / "home", api_keys=(f"alice:{KEY}",))
    table = load_corpus(settings)[45]
    ind = table.indicators[0]
    code = "22" if ind.code != "22" else "21"
    app = create_app(settings, engine=FakeEngine())
    html = PAGE.format(key=KEY, tid=table.id, name=ind.name, value=ind.value or "", code=code)
    app.add_api_route("/corrections-test", lambda: HTMLResponse(html), include_in_schema=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        dom = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                f"--user-data-dir={tmp_path / 'chrome'}",
                "--virtual-time-budget=20000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/corrections-test",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert "已更正 指标类别" in dom and "alice" in dom, dom[-1500:]
    made = open_store(settings).corrections(table_id=table.id)
    assert [(c.field, c.old, c.new, c.who) for c in made] == [("code", ind.code, code, "alice")]
