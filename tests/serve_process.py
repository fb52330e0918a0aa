"""A real ``jixiao serve`` (uvicorn, N workers) on the real store, with the hash embedder.

``JIXIAO_EMBEDDING_MODEL=hash-64`` is the model-free test double: the store, the index
catch-up, the classifier training and the workers are all the shipped code paths.
Ports come from this branch's range (20000-20999) so parallel sessions do not collide.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parents[1] / "bench"


def free_port(lo: int = 20100, hi: int = 20999) -> int:
    """A free loopback port in [lo, hi), else any free one: each suite keeps its own range,
    so parallel sessions on one machine do not collide."""
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(
    args: list[str], env: dict[str, str], port: int, *, timeout: float, headers: dict[str, str] | None = None
) -> Iterator[str]:
    """``jixiao serve ARGS --port PORT`` as a child process: its base URL once ``/v1/health``
    answers 200, and the process stopped (terminate, then kill) when the block ends."""
    cmd = [sys.executable, "-c", "import sys; from jixiao.service.cli import main; sys.exit(main())"]
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen([*cmd, "serve", "--port", str(port), *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"

        def output() -> str:
            out.seek(0)
            return out.read().decode(errors="replace")[-2000:]

        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited early: {output()}")
                try:
                    if httpx.get(f"{base}/v1/health", headers=headers, timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready in {timeout} s: {output()}")
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def serve(home: Path, *, workers: int, key: str, database_url: str = "", timeout: float = 240) -> Iterator[str]:
    env = {
        **os.environ,
        "JIXIAO_HOME": str(home),
        "JIXIAO_EMBEDDING_MODEL": "hash-64",
        "JIXIAO_API_KEYS": f"writer:{key}",
        "JIXIAO_DATABASE_URL": database_url,
        "TQDM_DISABLE": "1",
    }
    home.parent.mkdir(parents=True, exist_ok=True)
    with running_server(
        ["--workers", str(workers)], env, free_port(), timeout=timeout, headers={"X-API-Key": key}
    ) as base:
        yield base
