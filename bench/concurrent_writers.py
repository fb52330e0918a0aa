"""16 writers × 50 additions against a running ``jixiao serve --workers N``: is anything lost?

Every writer POSTs one new table at a time to ``/v1/corpus/tables`` and records the ids
the server acknowledged (201). Afterwards the store is read directly (same
``JIXIAO_DATABASE_URL`` / ``JIXIAO_HOME`` as the server) and every acknowledged id must be
there exactly once. Then, after waiting one poll interval, every worker must serve the
new corpus: /v1/health is asked repeatedly (the kernel spreads the connections over
the workers) and each answer must count every acknowledged table.

    python bench/concurrent_writers.py --url http://127.0.0.1:20010 --api-key KEY
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field


@dataclass
class Outcome:
    acknowledged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def _request(url: str, key: str, body: dict | None = None, timeout: float = 120) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"X-API-Key": key, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, {"detail": e.read().decode(errors="replace")[:200]}


def table(writer: int, n: int, run: str) -> dict:
    return {
        "id": f"cw-{run}-{writer}-{n}",
        "project": f"并发写入测试项目{writer}-{n}",
        "indicators": [
            {"name": f"巡检次数{writer}-{n}", "level1": "产出指标", "level2": "数量指标", "annual_value": f"≥{n + 1}次"},
            {"name": "群众满意度", "level1": "满意度指标", "level2": "服务对象满意度", "annual_value": "≥90%"},
        ],
    }


def run_writers(url: str, key: str, writers: int, additions: int) -> Outcome:
    out = Outcome()
    lock = threading.Lock()
    run = f"{int(time.time() * 1000) % 10**8}"

    def write(w: int) -> None:
        for n in range(additions):
            t0 = time.perf_counter()
            try:
                status, body = _request(f"{url}/v1/corpus/tables", key, {"tables": [table(w, n, run)]})
            except OSError as e:
                status, body = 0, {"detail": str(e)}
            with lock:
                out.latencies.append(time.perf_counter() - t0)
                if status == 201:
                    out.acknowledged.extend(body["added"])
                else:
                    out.errors.append(f"{status}: {body.get('detail')}")

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def stored_ids() -> set[str]:
    from jixiao.corpus.store import open_store

    return {t.id for t in open_store().snapshot().tables}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--api-key", required=True)
    p.add_argument("--writers", type=int, default=16)
    p.add_argument("--additions", type=int, default=50)
    p.add_argument("--health-checks", type=int, default=20)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    _, before = _request(f"{args.url}/v1/health", args.api_key)
    t0 = time.perf_counter()
    out = run_writers(args.url, args.api_key, args.writers, args.additions)
    elapsed = time.perf_counter() - t0
    stored = stored_ids()
    lost = [i for i in out.acknowledged if i not in stored]
    time.sleep(1.2)  # one poll interval (JIXIAO_CORPUS_POLL_S, default 1 s) and a margin
    expected = before["corpus_tables"] + len(out.acknowledged)
    seen = []
    for _ in range(args.health_checks):
        # A new connection each time, so the kernel can hand it to any worker.
        seen.append(_request(f"{args.url}/v1/health", args.api_key)[1]["corpus_tables"])
    lat = sorted(out.latencies)
    result = {
        "writers": args.writers,
        "additions_each": args.additions,
        "attempted": args.writers * args.additions,
        "acknowledged": len(out.acknowledged),
        "stored": sum(1 for i in out.acknowledged if i in stored),
        "lost": len(lost),
        "errors": len(out.errors),
        "first_errors": out.errors[:3],
        "seconds": round(elapsed, 1),
        "additions_per_s": round(len(out.acknowledged) / elapsed, 1),
        "p50_ms": round(1000 * lat[len(lat) // 2]) if lat else None,
        "p95_ms": round(1000 * lat[int(len(lat) * 0.95)]) if lat else None,
        "health_expected_tables": expected,
        "health_answers_behind": sum(1 for n in seen if n != expected),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for k, v in result.items():
            print(f"{k:<24} {v}")
    ok = result["lost"] == 0 and result["errors"] == 0 and result["health_answers_behind"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
