"""A uvicorn server in a thread on a loopback port, for tests that need real HTTP
(keep-alive, connection handling) rather than the in-process TestClient."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

#: This project's helpers share a machine; the range keeps their test servers apart.
PORT_RANGE = range(22000, 23000)


def free_port() -> int:
    for port in PORT_RANGE:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in the test range")


@contextmanager
def serve_in_thread(app) -> Iterator[str]:  # noqa: ANN001 - an ASGI app
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
