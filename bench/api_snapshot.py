"""The service's answers to the load test's requests, byte for byte: a speed change must alter none.

``bench/load.py``'s request set (same seed): every seed upload, classify payloads in schemes
A and B, and suggests, posted through ``TestClient`` to the real engine in ``JIXIAO_HOME``.
Everything is posted twice and the second answers are kept: int8 vectors depend a little on
which texts share an encoder pass, so the first pass warms the caches both runs then read.

    python bench/api_snapshot.py --out before.jsonl
    python bench/api_snapshot.py --out after.jsonl --compare before.jsonl   # exit 1 on a difference
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path


def _load_workload():
    spec = importlib.util.spec_from_file_location("jixiao_bench_load", Path(__file__).with_name("load.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.workload


def answers(n_classify: int, n_suggest: int) -> list[dict]:
    from fastapi.testclient import TestClient

    from jixiao.service.app import create_app
    from jixiao.settings import get_settings

    suggests, classifies, uploads = _load_workload()(0)
    out: list[dict] = []
    with TestClient(create_app(get_settings())) as client:
        for record in (False, True):
            for name, data in uploads:
                r = client.post("/v1/tables/upload", files={"file": (name, data, "text/plain")})
                out.append({"route": "upload", "request": name, "status": r.status_code, "body": r.content})
            for i, body in enumerate(classifies[:n_classify]):
                r = client.post("/v1/classify", json=body)
                out.append({"route": "classify", "request": i, "status": r.status_code, "body": r.content})
            for i, body in enumerate(suggests[:n_suggest]):
                r = client.post("/v1/suggest", json=body)
                out.append({"route": "suggest", "request": i, "status": r.status_code, "body": r.content})
            if not record:
                out.clear()
    for a in out:
        a["sha256"] = hashlib.sha256(a.pop("body")).hexdigest()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--classify", type=int, default=200, help="classify payloads (200: all of them)")
    ap.add_argument("--suggest", type=int, default=102, help="suggest payloads (102: every corpus project)")
    ap.add_argument("--compare", default=None, help="an earlier --out file: exit 1 when an answer differs")
    args = ap.parse_args(argv)
    got = answers(args.classify, args.suggest)
    Path(args.out).write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in got), encoding="utf-8")
    print(f"{len(got)} answers, statuses {sorted({a['status'] for a in got})}")
    if not args.compare:
        return 0
    before = [json.loads(line) for line in Path(args.compare).read_text(encoding="utf-8").splitlines()]
    differ = [(a, b) for a, b in zip(got, before, strict=False) if a != b]
    if len(got) != len(before) or differ:
        print(f"DIFFERENT: {len(differ)} of {len(got)} answers ({len(before)} before)")
        for a, b in differ[:5]:
            print(f"  {a['route']} {a['request']}: {a['status']} {a['sha256'][:12]} vs {b['status']} {b['sha256'][:12]}")
        return 1
    print(f"all {len(got)} answers identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
