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
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parents[1] / "bench"


def free_port(lo: int = 20100, hi: int = 20999) -> int:
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in range")


@contextmanager
def serve(home: Path, *, workers: int, key: str, database_url: str = "", timeout: float = 240):
    port = free_port()
    env = {
        **os.environ,
        "JIXIAO_HOME": str(home),
        "JIXIAO_EMBEDDING_MODEL": "hash-64",
        "JIXIAO_API_KEYS": f"writer:{key}",
        "JIXIAO_DATABASE_URL": database_url,
        "TQDM_DISABLE": "1",
    }
    home.parent.mkdir(parents=True, exist_ok=True)
    log = (home.parent / f"serve-{port}.log").open("w")
    cmd = [sys.executable, "-m", "jixiao.service.cli", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early: {Path(log.name).read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/v1/health", headers={"X-API-Key": key}, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready in {timeout} s: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
