"""Fuzz ``POST /v1/tables/upload`` on a real server, then schemathesis on its spec.

Mutated fixtures (``upload_mutations.py``: byte flips, truncation, zip header
patches, huge cells, sparse sheets, nested XML, encodings, bombs) are posted one
after another over ONE keep-alive connection, so a response that drops the
connection shows up as a dropped connection on the next request. The server's RSS
is sampled from /proc while it works. Target (issue 12): 0× 5xx, 0 dropped
connections, 0 hangs, peak RSS ≤ 2 GB, back near idle afterwards.

    python bench/fuzz_uploads.py --count 3000 --schemathesis-examples 50   # the full run
    python bench/fuzz_uploads.py --count 60 --seed 1 --minutes 1           # what CI runs

The server is started here (``jixiao serve`` on a loopback port, around the test
suite's model-free engine unless ``--real-engine``): parsing, review rules and the
annotated workbook are the real code; only classification is the rules fake. The
machine may be shared, so wall-clock figures are noisy; counts are not.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from process_rss import TreeSampler, rss_mb, tree_rss_mb  # noqa: E402
from upload_mutations import Fixture, load_fixtures, mutate  # noqa: E402

KEY = "fuzz-key"
#: Loopback ports tried for the server (``--ports FIRST-LAST`` overrides).
PORTS = range(22000, 23000)
#: A request slower than this is a hang (the service's own timeout is 60 s).
HANG_S = 90.0


@dataclass
class FuzzReport:
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    by_mutation: dict[str, Counter] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)
    dropped: int = 0
    hangs: int = 0
    idle_rss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    after_rss_mb: float = 0.0
    #: The same three for the server plus its parser workers (summed RSS, sampled 10×/s).
    idle_tree_mb: float = 0.0
    peak_tree_mb: float = 0.0
    after_tree_mb: float = 0.0
    slowest_s: float = 0.0
    seconds: float = 0.0
    schemathesis: str | None = None
    schemathesis_ok: bool | None = None

    @property
    def n_5xx(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    def ok(self, max_rss_mb: float) -> bool:
        return (
            self.n_5xx == 0
            and self.dropped == 0
            and self.hangs == 0
            and max(self.peak_rss_mb, self.peak_tree_mb) <= max_rss_mb
            and self.schemathesis_ok is not False
        )

    def markdown(self) -> str:
        rows = [
            "| measure | value |",
            "|---|---|",
            f"| uploads sent | {self.sent} in {self.seconds:.0f} s |",
            f"| status codes | {', '.join(f'{s}×{n}' for s, n in sorted(self.statuses.items()))} |",
            f"| 5xx | {self.n_5xx} |",
            f"| dropped connections | {self.dropped} |",
            f"| hangs (> {HANG_S:.0f} s) | {self.hangs} |",
            f"| slowest request | {self.slowest_s:.1f} s |",
            f"| server RSS idle → peak → after | {self.idle_rss_mb:.0f} → {self.peak_rss_mb:.0f} → {self.after_rss_mb:.0f} MB |",
            f"| server + parser workers, summed RSS idle → peak → after | {self.idle_tree_mb:.0f} → "
            f"{self.peak_tree_mb:.0f} → {self.after_tree_mb:.0f} MB |",
        ]
        if self.schemathesis is not None:
            rows.append(f"| schemathesis | {'passed' if self.schemathesis_ok else 'FAILED'}: {self.schemathesis} |")
        lines = ["", "| mutation | statuses |", "|---|---|"]
        for name, counts in sorted(self.by_mutation.items()):
            lines.append(f"| {name} | {', '.join(f'{s}×{n}' for s, n in sorted(counts.items()))} |")
        out = "\n".join(rows + lines)
        if self.server_errors:
            out += "\n\n5xx / dropped:\n" + "\n".join(f"- {e}" for e in self.server_errors[:20])
        return out


def free_port(ports: range = PORTS) -> int:
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def start_server(home: Path, real_engine: bool, ports: range = PORTS) -> tuple[subprocess.Popen, str]:
    port = free_port(ports)
    env = {
        **os.environ,
        "JIXIAO_HOME": str(home),
        "JIXIAO_API_KEYS": KEY,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]),
    }
    cmd = [sys.executable, "-c", "import sys; from jixiao.service.cli import main; sys.exit(main())"]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--log-level", "critical"]
    if not real_engine:
        cmd += ["--factory", "api_fakes:create_fake_app"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + (600 if real_engine else 60)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not become ready")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fuzz(
    base: str, pid: int, fixtures: list[Fixture], count: int, seed: int, minutes: float, max_bytes: int
) -> FuzzReport:
    rng = random.Random(seed)
    # One small upload first, so "idle" includes the parser workers it starts.
    httpx.post(f"{base}/v1/tables/upload", headers={"X-API-Key": KEY}, timeout=HANG_S,
               files={"file": ("warm.csv", "一级指标,二级指标,三级指标,指标值\n".encode())})
    time.sleep(2.0)
    report = FuzzReport(idle_rss_mb=rss_mb(pid), idle_tree_mb=tree_rss_mb(pid)["total"])
    started = time.monotonic()
    client = httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=HANG_S)
    sampler = TreeSampler(pid).__enter__()
    try:
        for i in range(count):
            if time.monotonic() - started > minutes * 60:
                break
            fixture = rng.choice(fixtures)
            mutation, data = mutate(fixture, rng, max_bytes)
            fmt = "xlsx" if rng.random() < 0.3 else "json"
            name = f"{i:05d}-{mutation}-{fixture.name}"
            t0 = time.monotonic()
            try:
                r = client.post(f"/v1/tables/upload?format={fmt}", files={"file": (fixture.name, data)})
                status = r.status_code
            except httpx.TimeoutException:
                report.hangs += 1
                report.server_errors.append(f"hang: {name}")
                client.close()
                client = httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=HANG_S)
                continue
            except httpx.TransportError as e:
                report.dropped += 1
                report.server_errors.append(f"dropped ({type(e).__name__}): {name}")
                client.close()
                client = httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=HANG_S)
                continue
            finally:
                report.sent += 1
                report.slowest_s = max(report.slowest_s, time.monotonic() - t0)
                report.peak_rss_mb = max(report.peak_rss_mb, rss_mb(pid, "VmHWM"))
            report.statuses[status] += 1
            report.by_mutation.setdefault(mutation, Counter())[status] += 1
            if status >= 500:
                report.server_errors.append(f"{status}: {name} (seed {seed}) {r.text[:160]}")
    finally:
        client.close()
        sampler.__exit__()
    report.seconds = time.monotonic() - started
    report.peak_tree_mb = sampler.peak["total"]
    time.sleep(1.0)
    report.after_rss_mb = rss_mb(pid)
    report.after_tree_mb = tree_rss_mb(pid)["total"]
    return report


def run_schemathesis(base: str, examples: int, seed: int) -> tuple[bool, str]:
    """The schemathesis CLI against the live spec; (passed, its summary line)."""
    exe = Path(sys.executable).with_name("schemathesis")
    cmd = [str(exe) if exe.exists() else "schemathesis", "run", f"{base}/openapi.json"]
    cmd += ["--max-examples", str(examples), "--seed", str(seed), "-H", f"X-API-Key: {KEY}"]
    # A schema-valid request may still be refused with the documented 422 (unknown category).
    cmd += ["--exclude-checks", "positive_data_acceptance", "--no-color"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    lines = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
    summary = next((ln for ln in reversed(lines) if "passed" in ln or "failed" in ln or "error" in ln.lower()), "")
    if proc.returncode != 0:
        summary += "\n" + "\n".join(lines[-60:])
    return proc.returncode == 0, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=3000, help="mutated uploads to send")
    ap.add_argument("--minutes", type=float, default=60.0, help="stop sending after this long")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-mb", type=float, default=19.0, help="cut mutated files to this size (upload cap 20 MB)")
    ap.add_argument("--schemathesis-examples", type=int, default=0, help="then run schemathesis (0: skip)")
    ap.add_argument("--max-rss-mb", type=float, default=2048.0)
    ap.add_argument("--real-engine", action="store_true", help="the shipped engine instead of the fake")
    ap.add_argument("--ports", default=f"{PORTS.start}-{PORTS.stop - 1}", help="loopback port range for the server")
    args = ap.parse_args(argv)
    first, _, last = args.ports.partition("-")
    ports = range(int(first), int(last or first) + 1)

    import tempfile

    fixtures = load_fixtures([ROOT / "tests" / "fixtures"])
    with tempfile.TemporaryDirectory(prefix="jixiao-fuzz-") as home:
        proc, base = start_server(Path(home), args.real_engine, ports)
        try:
            report = fuzz(base, proc.pid, fixtures, args.count, args.seed, args.minutes, int(args.max_mb * 1024 * 1024))
            if args.schemathesis_examples:
                report.schemathesis_ok, report.schemathesis = run_schemathesis(
                    base, args.schemathesis_examples, args.seed
                )
                report.peak_rss_mb = max(report.peak_rss_mb, rss_mb(proc.pid, "VmHWM"))
        finally:
            stop_server(proc)
    print(report.markdown())
    return 0 if report.ok(args.max_rss_mb) else 1


if __name__ == "__main__":
    sys.exit(main())
