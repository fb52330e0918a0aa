"""Two builds of jixiao under the same load, side by side, runs alternating: throughput ratio.

Issue 14's 32-client target is a ratio to the code before it ("3× today's 41 req/s"), and
the machine's speed drifts between jobs, so both servers are measured in one run: each is
started from its own ``jixiao`` executable (its own install) and its own ``JIXIAO_HOME``,
both stay up, and the load runs alternate between them so a change in the machine's load
hits both alike. The client and its requests are ``bench/load.py``'s, unchanged, sent by
this process to both servers (same seed, same mix). Only loopback ports are used. Each server
first gets ``--warmup`` seconds of the same load, not counted, so round 1 is not a cold start.

    python bench/load_compare.py --baseline OLD_VENV/bin/jixiao:OLD_HOME \\
        --candidate jixiao:$JIXIAO_HOME --port 18100 --clients 32 --duration 20 --rounds 2

Prints each run's req/s, p50/p95 and errors, the client process's own CPU share (the
client shares the machine's cores with the server), and the ratio of mean req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

_LOAD = Path(__file__).with_name("load.py")


def _load_module():
    spec = importlib.util.spec_from_file_location("jixiao_bench_load", _LOAD)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def parse_server(text: str) -> tuple[str, str]:
    exe, sep, home = text.rpartition(":")
    if not sep or not exe or not home:
        raise SystemExit(f"bad server {text!r}: use JIXIAO_EXECUTABLE:JIXIAO_HOME")
    return exe, home


def start(
    load: ModuleType, exe: str, home: str, port: int, workers: int, startup_timeout: float
) -> subprocess.Popen:
    cmd = [exe, "serve", "--port", str(port), "--log-level", "warning", "--workers", str(workers)]
    env = {**os.environ, "JIXIAO_HOME": home}
    print(f"starting: {' '.join(cmd)} (JIXIAO_HOME={home})", file=sys.stderr, flush=True)
    proc = subprocess.Popen(cmd, env=env, cwd="/")  # cwd "/": never import a checkout from the cwd
    seconds = load.wait_ready(proc, f"http://127.0.0.1:{port}", startup_timeout, name=exe)
    print(f"ready in {seconds:.1f} s", file=sys.stderr, flush=True)
    return proc


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree_cpu_s(root: int) -> tuple[float, float]:
    """CPU seconds so far of a server process, and of its descendants (the parser processes).

    Linux only (``/proc``). A parser process that exits during a run (workers that grew are
    replaced) is counted through its parent's ``cutime``/``cstime``, the CPU of children it
    has reaped, so the figure does not drop when a worker goes (it read -0.10 cores before).
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(int(entry.name))[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    own = others = 0.0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack += children.get(pid, [])
        try:
            f = _stat(pid)
        except OSError:
            continue
        cpu, reaped = (int(f[11]) + int(f[12])) / _TICK, (int(f[13]) + int(f[14])) / _TICK
        if pid == root:
            own = cpu
            others += reaped
        else:
            others += cpu + reaped
    return own, others


def machine_busy_s() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(v) - v[3] - v[4]) / _TICK, sum(v) / _TICK


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="JIXIAO_EXECUTABLE:JIXIAO_HOME of the code before")
    p.add_argument("--candidate", required=True, help="JIXIAO_EXECUTABLE:JIXIAO_HOME of the code after")
    p.add_argument("--port", type=int, required=True, help="baseline on this port, candidate on the next")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--rounds", type=int, default=2, help="baseline, candidate, baseline, candidate, …")
    p.add_argument("--mix", default="suggest=4,classify=4,upload=2")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--startup-timeout", type=float, default=300.0)
    p.add_argument(
        "--warmup",
        type=float,
        default=5.0,
        help="seconds of the same load on each server before the rounds, not counted (0: none)",
    )
    args = p.parse_args(argv)
    if args.duration > 120 or args.rounds > 5 or args.clients > 256:
        raise SystemExit("keep it bounded: --duration ≤ 120 s, --rounds ≤ 5, --clients ≤ 256")
    load = _load_module()
    servers = {"baseline": parse_server(args.baseline), "candidate": parse_server(args.candidate)}
    procs: dict[str, subprocess.Popen] = {}
    urls: dict[str, str] = {}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    run_args = argparse.Namespace(
        clients=args.clients,
        duration=args.duration,
        mix=args.mix,
        seed=args.seed,
        api_key=None,
        timeout=120.0,
        fresh_text=False,
        url="",
    )
    try:
        for n, (name, (exe, home)) in enumerate(servers.items()):
            procs[name] = start(load, exe, home, args.port + n, args.workers, args.startup_timeout)
            urls[name] = f"http://127.0.0.1:{args.port + n}"
        if args.warmup > 0:
            # A fresh server reads dictionaries and fills caches on its first requests; that
            # one-time cost fell in round 1 (5 to 10 % fewer req/s than later rounds).
            for name in servers:
                warm = argparse.Namespace(**{**vars(run_args), "url": urls[name], "duration": args.warmup})
                asyncio.run(load.run(warm))
            print(f"warm-up: {args.warmup:g} s of the same load on each server, not counted", flush=True)
        for r in range(args.rounds):
            for name in servers:
                run_args.url = urls[name]
                cpu0, srv0, m0, t0 = (
                    _cpu_s(),
                    tree_cpu_s(procs[name].pid),
                    machine_busy_s(),
                    time.perf_counter(),
                )
                asyncio.run(load.run(run_args))
                wall = time.perf_counter() - t0
                cpu1, srv1, m1 = _cpu_s(), tree_cpu_s(procs[name].pid), machine_busy_s()
                row = dict(run_args.summary)
                results[name].append(row)
                busy = (m1[0] - m0[0]) / max(m1[1] - m0[1], 1e-9) * (os.cpu_count() or 1)
                print(
                    f"round {r + 1} {name:9s} {row['rps']:6.1f} req/s  p50 {row['p50']:5.0f} ms  "
                    f"p95 {row['p95']:5.0f} ms  errors {row['errors']:.0f}  | CPU cores: server "
                    f"{(srv1[0] - srv0[0]) / wall:.2f}, its parser processes {(srv1[1] - srv0[1]) / wall:.2f}, "
                    f"client {(cpu1 - cpu0) / wall:.2f}, machine {busy:.2f} of {os.cpu_count()}",
                    flush=True,
                )
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=30)
    base = statistics.mean(x["rps"] for x in results["baseline"])
    cand = statistics.mean(x["rps"] for x in results["candidate"])
    print("\n| server | req/s | p95 ms | errors |\n|---|---|---|---|")
    for name, rows in results.items():
        rps = ", ".join(f"{x['rps']:.1f}" for x in rows)
        p95 = ", ".join(f"{x['p95']:.0f}" for x in rows)
        print(f"| {name} | {rps} | {p95} | {sum(x['errors'] for x in rows):.0f} |")
    print(f"\nratio of mean req/s, candidate ÷ baseline: {cand / base:.2f}× ({cand:.1f} / {base:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
