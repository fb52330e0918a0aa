"""The ASGI app ``jixiao serve`` binds first, before FastAPI and the models are imported.

Importing the application pulls in FastAPI, scikit-learn and FAISS: several seconds on
a busy machine, with the port closed. ``BootApp`` needs only the standard library, so
uvicorn can listen at once; it builds the real app in a thread and hands every request
to it once built. Until then ``/v1/health`` answers 503 ``starting`` (step ``import``), the web
page and its scripts are served from disk (so the page can show the progress), and
every other route answers 503 with a Chinese problem document.

The real app's own lifespan is not run: ``build`` returns an app whose engine is
already being prepared in the background (``jixiao.service.startup``).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("jixiao.service")

STATIC_DIR = Path(__file__).resolve().parent / "static"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]


class BootApp:
    """Answers while ``build()`` runs in a thread, then forwards everything to what it built."""

    def __init__(self, build: Callable[[], ASGIApp], *, on_failure: Callable[[], None] | None = None):
        self._build = build
        self.on_failure = on_failure
        self.app: ASGIApp | None = None
        self.error: str | None = None
        self.started = time.monotonic()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jixiao-boot", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self.app = self._build()
        except Exception as e:  # noqa: BLE001 - reported on /v1/health and in the log
            self.error = f"{type(e).__name__}: {e}"
            log.error("启动失败（导入应用时）：%s", self.error)
            if self.on_failure is not None:
                self.on_failure()

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self.app is not None:
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope.get("path", "")
        if path == "/v1/health":
            body = {
                "status": "failed" if self.error else "starting",
                "step": "import",
                "step_title": "加载程序模块",
                "steps_running": [] if self.error else ["import"],
                "steps_done": [],
                "progress": 0.0,
                "elapsed_s": round(time.monotonic() - self.started, 1),
                "error": self.error,
            }
            await _respond(send, 503, "application/json", json.dumps(body, ensure_ascii=False))
            return
        page = _static_file(path)
        if page is not None and scope.get("method") == "GET":
            await _respond(send, 200, _TYPES.get(page.suffix, "application/octet-stream"), page.read_bytes())
            return
        problem = {  # the shape of jixiao.service.problems, which needs FastAPI to import
            "type": "https://jixiao.invalid/problems/starting",
            "title": "服务尚未就绪",
            "status": 503,
            "detail": "服务正在启动（加载程序模块），请稍后重试",
        }
        await _respond(
            send, 503, "application/problem+json", json.dumps(problem, ensure_ascii=False), [(b"retry-after", b"5")]
        )

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _static_file(path: str) -> Path | None:
    """The page (``/``) or one of its scripts (``/static/NAME``), never anything outside the folder."""
    if path == "/":
        return STATIC_DIR / "index.html"
    if path.startswith("/static/"):
        name = path.removeprefix("/static/")
        candidate = STATIC_DIR / name
        if "/" not in name and not name.startswith(".") and candidate.is_file():
            return candidate
    return None


async def _respond(
    send: Callable, status: int, media_type: str, body: str | bytes, headers: list | None = None
) -> None:
    data = body.encode() if isinstance(body, str) else body
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(data)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": data})
