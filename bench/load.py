"""Load test: N concurrent clients against a local jixiao server for a bounded time.

A mix of the three expensive routes (suggest, classify, upload) is what a budget
season looks like: many drafters asking for suggestions, reviewers uploading whole
files. Reports throughput, latency percentiles and errors per route as a markdown
table. Only loopback addresses are accepted, so this can never load someone else's
server by mistake.

    python bench/load.py --url http://127.0.0.1:8000 --clients 32 --duration 30
    python bench/load.py --start-server --clients 32 --duration 30   # runs `jixiao serve` itself

Dynamic batching on and off (and torch fp32 without batching, the encoder before ONNX) at
1, 8 and 32 clients, with ratios; one server per setting, side by side, runs alternating:

    python bench/load.py --start-server --port 24010 --clients 1,8,32 --batching on,off,torch-off --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlparse

import httpx

LOOPBACK_NAMES = {"localhost"}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def workload(seed: int) -> tuple[list[dict], list[dict], list[tuple[str, bytes]]]:
    """Queries from the packaged corpus: real project names, real indicator rows, seed files."""
    from jixiao.corpus.data_paths import EXTERNAL_TABLES, seed_files
    from jixiao.corpus.records import read_records

    tables, _ = read_records(EXTERNAL_TABLES)
    rng = random.Random(seed)
    suggests = [{"name": t.project, "goal": (t.goal or "")[:300], "k": 20} for t in tables if t.project]
    rows = [{"name": i.name, "value": i.value} for t in tables for i in t.indicators if i.name]
    classifies = [{"rows": rng.sample(rows, 10), "scheme": rng.choice(["A", "B"])} for _ in range(200)]
    uploads = [(p.name, p.read_bytes()) for p in seed_files()]
    return suggests, classifies, uploads


async def client_loop(
    client: httpx.AsyncClient,
    deadline: float,
    mix: list[tuple[str, int]],
    work: tuple[list[dict], list[dict], list[tuple[str, bytes]]],
    stats: Stats,
    rng: random.Random,
    fresh: bool = False,
) -> None:
    ops, weights = zip(*mix, strict=True)
    suggests, classifies, uploads = work
    while time.perf_counter() < deadline:
        op = rng.choices(ops, weights)[0]
        t0 = time.perf_counter()
        try:
            if op == "suggest":
                r = await client.post("/v1/suggest", json=_fresh(rng.choice(suggests), rng, fresh))
            elif op == "classify":
                r = await client.post("/v1/classify", json=_fresh(rng.choice(classifies), rng, fresh))
            else:
                name, data = rng.choice(uploads)
                r = await client.post("/v1/tables/upload", files={"file": (name, data, "text/plain")})
            status = r.status_code
        except httpx.HTTPError as e:
            status = type(e).__name__
        dt = time.perf_counter() - t0
        if status == 200:
            stats.latencies[op].append(dt)
        else:
            stats.errors[op][status] += 1


def _fresh(payload: dict, rng: random.Random, fresh: bool) -> dict:
    """With ``--fresh-text``, a new suffix on every name, so no answer comes from the embedding cache."""
    if not fresh:
        return payload
    tag = f"（{rng.randrange(10**9)}）"
    if "rows" in payload:
        return {**payload, "rows": [{**row, "name": row["name"] + tag} for row in payload["rows"]]}
    return {**payload, "name": payload["name"] + tag}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(stats: Stats, elapsed: float, args: argparse.Namespace, health: dict) -> str:
    lines = [
        f"## jixiao load test: {args.clients} clients, {elapsed:.1f} s, mix {args.mix}"
        + (", fresh text (no cache hits)" if args.fresh_text else ""),
        "",
        f"server: {args.url}; model {health.get('model')}; classifier {health.get('classifier')}; "
        f"corpus {health.get('corpus_tables')} tables (version {health.get('corpus_version')}); "
        f"index {health.get('index_size')} indicators",
        "",
        "| route | ok | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    all_lat: list[float] = []
    all_err = 0
    for op in ("suggest", "classify", "upload"):
        lat = sorted(stats.latencies.get(op, []))
        err = sum(stats.errors.get(op, Counter()).values())
        if not lat and not err:
            continue
        all_lat += lat
        all_err += err
        lines.append(_row(op, lat, err, elapsed))
    lines.append(_row("**all**", sorted(all_lat), all_err, elapsed))
    errs = {op: dict(c) for op, c in stats.errors.items() if c}
    lines += ["", f"errors by route and status: {errs or 'none'}"]
    return "\n".join(lines)


def _row(op: str, lat: list[float], err: int, elapsed: float) -> str:
    ms = [x * 1000 for x in lat]
    return (
        f"| {op} | {len(lat)} | {err} | {(len(lat)) / elapsed:.1f} | {pct(ms, 50):.0f} | {pct(ms, 95):.0f} "
        f"| {pct(ms, 99):.0f} | {max(ms) if ms else float('nan'):.0f} |"
    )


def parse_mix(text: str) -> list[tuple[str, int]]:
    mix = []
    for part in text.split(","):
        op, _, w = part.partition("=")
        if op not in ("suggest", "classify", "upload") or not w.isdigit():
            raise SystemExit(f"bad --mix part {part!r}: use suggest=N,classify=N,upload=N")
        mix.append((op, int(w)))
    return mix


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args: argparse.Namespace, env: dict[str, str] | None = None) -> subprocess.Popen:
    port = args.port or free_port()
    args.url = f"http://127.0.0.1:{port}"
    cmd = ["jixiao", "serve", "--port", str(port), "--log-level", "warning", "--workers", str(args.workers)]
    print(f"starting: {' '.join(cmd)} {env or ''}", file=sys.stderr)
    proc = subprocess.Popen(cmd, env={**os.environ, **(env or {})})
    wait_ready(proc, args.url, args.startup_timeout)
    return proc


def wait_ready(proc: subprocess.Popen, url: str, timeout: float, name: str = "server") -> float:
    """Seconds until ``url`` answers ``/v1/health`` with 200 (ready, not starting); exits the
    bench when the server dies or is not ready in ``timeout``."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode} during startup")
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit(f"{name} not ready after {timeout} s")


async def run(args: argparse.Namespace) -> str:
    headers = {"X-API-Key": args.api_key} if args.api_key else {}
    work = workload(args.seed)
    stats = Stats()
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    timeout = httpx.Timeout(args.timeout)
    async with httpx.AsyncClient(
        base_url=args.url, headers=headers, limits=limits, timeout=timeout
    ) as client:
        health = (await client.get("/v1/health")).json()
        # one warm-up request per route, not counted
        await client.post("/v1/suggest", json=work[0][0])
        await client.post("/v1/classify", json=work[1][0])
        t0 = time.perf_counter()
        deadline = t0 + args.duration
        await asyncio.gather(
            *(
                client_loop(
                    client, deadline, parse_mix(args.mix), work, stats, random.Random(args.seed + i), args.fresh_text
                )
                for i in range(args.clients)
            )
        )
        elapsed = time.perf_counter() - t0
    args.summary = _summary_row(stats, elapsed)
    return report(stats, elapsed, args, health)


def _summary_row(stats: Stats, elapsed: float) -> dict[str, float]:
    lat = sorted(x * 1000 for v in stats.latencies.values() for x in v)
    errors = sum(sum(c.values()) for c in stats.errors.values())
    return {"rps": len(lat) / elapsed, "p50": pct(lat, 50), "p95": pct(lat, 95), "errors": errors}


#: Server environments ``--batching`` can compare: today's encoder with batching, without, and torch fp32 without.
SETTINGS = {
    "on": lambda args: {"JIXIAO_BATCH_WAIT_MS": args.batch_wait_ms},
    "off": lambda args: {"JIXIAO_BATCH_WAIT_MS": "0"},
    "torch-off": lambda args: {"JIXIAO_BATCH_WAIT_MS": "0", "JIXIAO_ENCODER": "torch"},
}


def comparison(results: dict[tuple[str, int], dict[str, float]]) -> str:
    """Each setting against ``off`` (and ``torch-off``, the encoder before ONNX) at each client count."""
    lines = [
        "## dynamic batching and encoder (same run, servers side by side, runs alternating)",
        "",
        "| clients | server | req/s | p50 ms | p95 ms | errors | req/s ÷ off | p95 off ÷ this | req/s ÷ torch-off |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = {name: i for i, name in enumerate(SETTINGS)}
    for (setting, clients), r in sorted(results.items(), key=lambda kv: (kv[0][1], order.get(kv[0][0], 9))):
        off, torch = results.get(("off", clients)), results.get(("torch-off", clients))
        vs_off = f"{r['rps'] / off['rps']:.2f}× | {off['p95'] / r['p95']:.2f}×" if off and off["rps"] and r["p95"] else " | "
        vs_torch = f"{r['rps'] / torch['rps']:.2f}×" if torch and torch["rps"] else ""
        lines.append(
            f"| {clients} | {setting} | {r['rps']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['errors']:.0f} "
            f"| {vs_off} | {vs_torch} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000", help="a loopback URL only")
    p.add_argument("--clients", default="32", help="clients, or a list like 1,8,32 (one run each)")
    p.add_argument("--duration", type=float, default=30.0, help="seconds of load after warm-up")
    p.add_argument("--mix", default="suggest=4,classify=4,upload=2")
    p.add_argument("--api-key", default=os.environ.get("JIXIAO_API_KEY"))
    p.add_argument("--timeout", type=float, default=120.0, help="client-side timeout per request (s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start-server", action="store_true", help="run `jixiao serve` on a free loopback port")
    p.add_argument("--workers", type=int, default=1, help="with --start-server")
    p.add_argument("--port", type=int, default=0, help="with --start-server: the port (default: any free one)")
    p.add_argument(
        "--batching",
        default=None,
        help=f"with --start-server: settings to compare, each on its own server, e.g. on,off ({', '.join(SETTINGS)})",
    )
    p.add_argument(
        "--fresh-text",
        action="store_true",
        help="a new suffix on every suggest/classify name, so each request is encoded (no cache hits)",
    )
    p.add_argument("--batch-wait-ms", default="2", help="JIXIAO_BATCH_WAIT_MS when batching is on")
    p.add_argument(
        "--startup-timeout", type=float, default=1800.0, help="with --start-server (first start builds)"
    )
    args = p.parse_args(argv)
    client_counts = [int(c) for c in str(args.clients).split(",")]
    settings = [b.strip() for b in args.batching.split(",")] if args.batching else [None]
    if any(b not in SETTINGS for b in settings if b is not None):
        raise SystemExit(f"--batching {args.batching!r}: choose from {', '.join(SETTINGS)}")
    if args.duration > 600 or max(client_counts) > 256:
        raise SystemExit("keep it bounded: --duration ≤ 600 s and --clients ≤ 256")
    if args.batching and not args.start_server:
        raise SystemExit("--batching needs --start-server (the setting is the server's JIXIAO_BATCH_WAIT_MS)")
    results: dict[tuple[str, int], dict[str, float]] = {}
    servers: dict[str | None, tuple[str, subprocess.Popen | None]] = {}
    base_port = args.port
    try:
        # every setting's server runs side by side, and the runs alternate between them, so a
        # change in the machine's load (it is shared) hits both settings alike
        for n, setting in enumerate(settings):
            env = None if setting is None else SETTINGS[setting](args)
            args.port = base_port + n if base_port else 0
            proc = start_server(args, env) if args.start_server else None
            servers[setting] = (args.url, proc)
            if not is_loopback(args.url):
                raise SystemExit(f"refusing to load {args.url}: only 127.0.0.1 / localhost / ::1 are allowed")
        for clients in client_counts:
            for setting, (url, _) in servers.items():
                args.clients, args.url = clients, url
                print(asyncio.run(run(args)) + (f"\n\nbatching: {setting}" if setting else "") + "\n", flush=True)
                results[(setting or "-", clients)] = args.summary
    finally:
        for _, proc in servers.values():
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    if args.batching:
        print(comparison(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
