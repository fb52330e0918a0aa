"""Start-up benchmark: first start on an empty JIXIAO_HOME, then a warm restart, of `jixiao serve`.

For each start it prints when the port first answered and when /v1/health said ready
(200), measured from launching the command, and the steps the health route reported on
the way. The first start builds everything (corpus store, model conversion, ONNX
export, index, classifier); the restart only loads. Loopback only.

    python bench/startup.py --port 24020                 # a throw-away home under /tmp
    python bench/startup.py --port 24020 --home DIR --restarts 2
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

import httpx


def one_start(port: int, home: str, timeout: float) -> tuple[float | None, float, list[str]]:
    cmd = ["jixiao", "serve", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen(
        cmd, env={**os.environ, "JIXIAO_HOME": home}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    t0 = time.perf_counter()
    opened, steps = None, []
    try:
        while time.perf_counter() - t0 < timeout:
            if proc.poll() is not None:
                raise SystemExit(f"jixiao serve exited with {proc.returncode}")
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            now = time.perf_counter() - t0
            opened = opened if opened is not None else now
            body = r.json()
            if r.status_code == 200 and body.get("status") == "ok":
                return opened, now, steps
            step = f"{body.get('step')}@{now:.0f}s"
            if not steps or steps[-1].split("@")[0] != body.get("step"):
                steps.append(step)
            time.sleep(0.2)
        raise SystemExit(f"not ready after {timeout} s")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=24020)
    ap.add_argument("--home", default=None, help="JIXIAO_HOME to use (default: a new empty one, deleted after)")
    ap.add_argument("--restarts", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    home = args.home or tempfile.mkdtemp(prefix="jixiao-startup-")
    rows = []
    try:
        for i in range(1 + args.restarts):
            opened, ready, steps = one_start(args.port, home, args.timeout)
            rows.append(("first start" if i == 0 and not args.home else "restart", opened, ready, steps))
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)
    print("| start | port answered s | ready s | steps seen (health) |")
    print("|---|---:|---:|---|")
    for name, opened, ready, steps in rows:
        print(f"| {name} | {opened:.1f} | {ready:.1f} | {' → '.join(steps) or '-'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
