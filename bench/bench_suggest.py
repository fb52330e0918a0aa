"""Index-build throughput, suggest latency and peak memory, against a naive baseline.

    python bench/bench_suggest.py --indicators 10000                 # the real model
    python bench/bench_suggest.py --indicators 100000 --embedder hash # plumbing only, fast

Both sides index the same synthetic corpus (``bench/synthetic.py``: speed figures only,
never quality) through the same suggestion code:

- optimized: distinct texts embedded once (through the embedding cache), FAISS kind
  ``--kind`` (auto: flat up to 200k distinct texts, HNSW beyond), postings from texts
  to rows;
- baseline: no embedding cache, every row's text embedded and indexed on its own, a
  flat index over all rows.

Each build and each serving run is a separate process, so peak RSS is that step's
own. The machine is shared: wall-clock latencies include waiting for a core, so the
CPU time per query is reported too. Latency is measured twice: retrieval only (query vector already known, as for a
repeated query through the cache) and end to end (every query encoded, uncached).
With the real model and a baseline of more than ``--baseline-max-encode`` texts, the
baseline's embedding time is extrapolated from its measured per-text rate on a sample
and its vectors are replayed from the optimized index (same model, same vectors); the
table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import generate, real_tables  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _embedder(name: str, home: Path, cache: bool):
    import torch

    torch.set_num_threads(2)
    if name.startswith("hash"):
        from jixiao.models.embedding_base import HashEmbedder

        return HashEmbedder(384)
    from jixiao.models.embedding import load_embedder
    from jixiao.settings import Settings

    return load_embedder(
        None if name == "default" else name, Settings(home=home), cache=cache, progress=False
    )


def _queries(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    tables = [t for t in real_tables() if t.project]
    picks = [rng.choice(tables) for _ in range(n)]
    return [{"name": t.project, "goal": (t.goal or "")[:200] or None} for t in picks]


# ---- steps, each run in its own process -------------------------------------------


def step_build(args) -> dict:
    from jixiao.models.corpus_index import CorpusIndex

    home = Path(args.home)
    baseline = args.mode == "baseline"
    embedder = _embedder(args.embedder, home, cache=not baseline)
    tables = generate(args.indicators, seed=args.seed)
    encoder, note = None, ""
    if baseline:
        n_texts = args.indicators + args.indicators // 5  # rows + (about) tables
        replay = not args.embedder.startswith("hash") and n_texts > args.baseline_max_encode
        if replay:
            opt = CorpusIndex.load(home / "opt", corpus_version=None, model_name=embedder.model_name)
            ind = {t: i for i, t in enumerate(opt.ind_texts)}
            proj = {t: i for i, t in enumerate(opt.proj_texts)}
            sample = [f"{t}（样本{i}）" for i, t in enumerate(opt.ind_texts[:256])]
            start = time.perf_counter()
            embedder.encode_passages(sample)
            per_text = (time.perf_counter() - start) / len(sample)
            simulated = {"s": 0.0}

            def encoder(texts: list[str], desc: str) -> np.ndarray:
                side, ids = (opt.ind_dense, ind) if "indicator" in desc else (opt.proj_dense, proj)
                simulated["s"] += per_text * len(texts)
                return side.vectors(np.array([ids[t] for t in texts], dtype=np.int64))

            note = f"embedding extrapolated: {per_text * 1000:.1f} ms/text measured on {len(sample)} texts"
    start = time.perf_counter()
    index = CorpusIndex.build(
        tables,
        embedder,
        corpus_version=f"synthetic-{args.indicators}-{args.seed}",
        kind="flat" if baseline else args.kind,
        dedupe=not baseline,
        encoder=encoder,
    )
    seconds = time.perf_counter() - start
    if encoder is not None:
        seconds += simulated["s"] - index.build_stats["embed_s"]
        index.build_stats["embed_s"] = simulated["s"]
    out = home / args.mode
    shutil.rmtree(out, ignore_errors=True)
    index.save(out)
    m = index.meta
    return {
        "build_s": seconds,
        "stages": {k: round(v, 2) for k, v in index.build_stats.items()},
        "indicators": m.n_indicators,
        "tables": m.n_tables,
        "embedded": index.ind_dense.size + index.proj_dense.size,
        "indicator_vectors": index.ind_dense.size,
        "project_vectors": index.proj_dense.size,
        "vector_index": index.ind_dense.description,
        "build_rss_mb": _rss_mb(),
        "note": note,
    }


class _Memo:
    """Remembers query vectors: the second pass measures retrieval without the encoder."""

    def __init__(self, inner):
        self.inner, self.model_name, self.dim = inner, inner.model_name, inner.dim
        self.memo: dict[str, np.ndarray] = {}

    def encode_queries(self, texts):
        missing = [t for t in texts if t not in self.memo]
        if missing:
            for t, v in zip(missing, self.inner.encode_queries(missing), strict=True):
                self.memo[t] = v
        return np.stack([self.memo[t] for t in texts])

    def encode_passages(self, texts):
        return self.inner.encode_passages(texts)


def step_serve(args) -> dict:
    from jixiao.models.corpus_index import CorpusIndex
    from jixiao.models.suggest import Suggester
    from jixiao.models.suggest_schema import ProjectQuery

    home = Path(args.home)
    inner = _embedder(args.embedder, home, cache=False)
    start = time.perf_counter()
    index = CorpusIndex.load(home / args.mode, corpus_version=None, model_name=inner.model_name)
    load_s = time.perf_counter() - start
    queries = [ProjectQuery(**q) for q in json.loads(Path(args.queries_file).read_text(encoding="utf-8"))]
    memo = _Memo(inner)
    s = Suggester(index, memo)
    for q in queries:  # warm-up, and fills the memo
        s.suggest(q)
    retrieval, cpu = [], []
    for q in queries:
        t, c = time.perf_counter(), time.process_time()
        s.suggest(q)
        retrieval.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    full, full_cpu = [], []
    s_full = Suggester(index, inner)
    for q in queries[: args.full_queries]:
        t, c = time.perf_counter(), time.process_time()
        s_full.suggest(q)
        full.append((time.perf_counter() - t) * 1000)
        full_cpu.append((time.process_time() - c) * 1000)
    legacy = _time_legacy(index, memo, queries) if args.mode == "opt" else {}
    return {
        **legacy,
        "load_s": load_s,
        "retrieval_p50": float(np.percentile(retrieval, 50)),
        "retrieval_p95": float(np.percentile(retrieval, 95)),
        "cpu_p50": float(np.percentile(cpu, 50)),
        "cpu_p95": float(np.percentile(cpu, 95)),
        "full_p50": float(np.percentile(full, 50)),
        "full_p95": float(np.percentile(full, 95)),
        "full_cpu_p50": float(np.percentile(full_cpu, 50)),
        "serve_rss_mb": _rss_mb(),
    }


def _time_legacy(index, memo, queries) -> dict:
    """The pre-issue-8 suggester (``legacy_suggest.py``) on the same index and cached query vectors.

    Interleaved with the current drafter query by query, so both see the same load on a
    shared machine; retrieval only (query vectors from the memo), like ``retrieval_p95``.
    """
    from legacy_suggest import Suggester as Legacy

    from jixiao.models.suggest import Suggester

    old, new = Legacy(index, memo), Suggester(index, memo)
    for q in queries:  # warm both
        old.suggest(q)
        new.suggest(q)
    t_old, t_new, c_old, c_new = [], [], [], []
    for _ in range(3):  # three passes: more samples for the p95 on a shared machine
        for q in queries:
            t, c = time.perf_counter(), time.process_time()
            old.suggest(q)
            t_old.append((time.perf_counter() - t) * 1000)
            c_old.append((time.process_time() - c) * 1000)
            t, c = time.perf_counter(), time.process_time()
            new.suggest(q)
            t_new.append((time.perf_counter() - t) * 1000)
            c_new.append((time.process_time() - c) * 1000)
    return {
        "legacy_cpu_p50": float(np.percentile(c_old, 50)),
        "legacy_cpu_p95": float(np.percentile(c_old, 95)),
        "paired_cpu_p50": float(np.percentile(c_new, 50)),
        "paired_cpu_p95": float(np.percentile(c_new, 95)),
        "legacy_p50": float(np.percentile(t_old, 50)),
        "legacy_p95": float(np.percentile(t_old, 95)),
        "paired_p50": float(np.percentile(t_new, 50)),
        "paired_p95": float(np.percentile(t_new, 95)),
    }


# ---- orchestration ----------------------------------------------------------------


def _run_step(step: str, args, mode: str, extra: list[str] = ()) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--indicators",
        str(args.indicators),
        "--embedder",
        args.embedder,
        "--kind",
        args.kind,
        "--home",
        args.home,
        "--seed",
        str(args.seed),
        "--baseline-max-encode",
        str(args.baseline_max_encode),
        "--full-queries",
        str(args.full_queries),
        "--step",
        step,
        "--mode",
        mode,
        *extra,
    ]
    print(f"bench: {step} {mode} …", file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TQDM_DISABLE": "1"})
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"bench: step {step} {mode} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ratio(base: float, opt: float, higher_better: bool = False) -> str:
    if not base or not opt:
        return "-"
    r = opt / base if higher_better else base / opt
    return f"{r:.1f}×"


def report(args, opt_b: dict, opt_s: dict, base_b: dict | None, base_s: dict | None) -> str:
    n = args.indicators

    def row(label, key_b, key_s, fmt, higher_better=False, per_sec=False):
        def val(b, s):
            if b is None:
                return None
            if per_sec:
                return n / b["build_s"]
            return (b if key_b else s)[key_b or key_s]

        o = val(opt_b, opt_s)
        b = val(base_b, base_s) if base_b else None
        return f"| {label} | {fmt.format(o)} | {fmt.format(b) if b is not None else 'not run'} | {_ratio(b, o, higher_better) if b is not None else '-'} |"

    lines = [
        f"### suggest benchmark: {n:,} synthetic indicators, embedder `{args.embedder}`, kind `{args.kind}`",
        "",
        f"optimized: {opt_b['indicator_vectors']:,} indicator + {opt_b['project_vectors']:,} project vectors "
        f"({opt_b['vector_index']}); baseline: "
        + (
            f"{base_b['indicator_vectors']:,} + {base_b['project_vectors']:,} vectors ({base_b['vector_index']})"
            if base_b
            else "not run"
        ),
        "",
        "| metric | optimized | baseline | ratio |",
        "|---|---|---|---|",
        row("texts embedded at build", "embedded", None, "{:,}"),
        row("index build (s)", "build_s", None, "{:.1f}"),
        row("build throughput (indicators/s)", None, None, "{:,.0f}", higher_better=True, per_sec=True),
        row("build peak RSS (MB)", "build_rss_mb", None, "{:.0f}"),
        row("index load (s)", None, "load_s", "{:.2f}"),
        row("suggest p50, retrieval only (ms)", None, "retrieval_p50", "{:.1f}"),
        row("suggest p95, retrieval only (ms)", None, "retrieval_p95", "{:.1f}"),
        row("suggest CPU time p50, retrieval only (ms)", None, "cpu_p50", "{:.1f}"),
        row("suggest CPU time p95, retrieval only (ms)", None, "cpu_p95", "{:.1f}"),
        row("suggest p50, with query encoding (ms)", None, "full_p50", "{:.1f}"),
        row("suggest p95, with query encoding (ms)", None, "full_p95", "{:.1f}"),
        row("suggest CPU time p50, with query encoding (ms, all threads)", None, "full_cpu_p50", "{:.1f}"),
        row("serving peak RSS (MB)", None, "serve_rss_mb", "{:.0f}"),
        "",
        f"build stages optimized: {opt_b['stages']}",
    ]
    if "legacy_p95" in opt_s:
        ratio = opt_s["paired_p95"] / opt_s["legacy_p95"] if opt_s["legacy_p95"] else float("nan")
        lines += [
            "",
            "drafter vs the suggester before issue 8 (bench/legacy_suggest.py), same index, "
            "same cached query vectors, interleaved query by query:",
            "",
            "| retrieval only | before issue 8 | now | now / before |",
            "|---|---|---|---|",
            f"| p50 (ms) | {opt_s['legacy_p50']:.1f} | {opt_s['paired_p50']:.1f} | "
            f"{opt_s['paired_p50'] / opt_s['legacy_p50']:.2f} |",
            f"| p95 (ms) | {opt_s['legacy_p95']:.1f} | {opt_s['paired_p95']:.1f} | {ratio:.2f} |",
            f"| CPU time p50 (ms) | {opt_s['legacy_cpu_p50']:.1f} | {opt_s['paired_cpu_p50']:.1f} | "
            f"{opt_s['paired_cpu_p50'] / opt_s['legacy_cpu_p50']:.2f} |",
            f"| CPU time p95 (ms) | {opt_s['legacy_cpu_p95']:.1f} | {opt_s['paired_cpu_p95']:.1f} | "
            f"{opt_s['paired_cpu_p95'] / opt_s['legacy_cpu_p95']:.2f} |",
        ]
    if base_b:
        lines.append(f"build stages baseline: {base_b['stages']}")
        if base_b["note"]:
            lines.append(f"baseline note: {base_b['note']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--indicators", type=int, default=10_000)
    ap.add_argument(
        "--embedder", default="default", help="default (the configured model), a model name, or hash"
    )
    ap.add_argument(
        "--kind", default="auto", help="vector index of the optimized side: auto, flat, ivf, hnsw"
    )
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--full-queries", type=int, default=30, help="queries timed with encoding (slow on CPU)")
    ap.add_argument(
        "--baseline", choices=("auto", "yes", "no"), default="auto", help="auto: up to 100k indicators"
    )
    ap.add_argument("--baseline-max-encode", type=int, default=3000)
    ap.add_argument("--home", default="/tmp/jixiao-bench")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-cache", action="store_true", help="keep the embedding cache (warm-cache build)")
    ap.add_argument("--step", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--mode", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--queries-file", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.step:
        os.environ["JIXIAO_HOME"] = args.home
        result = step_build(args) if args.step == "build" else step_serve(args)
        print(json.dumps(result))
        return 0

    home = Path(args.home)
    home.mkdir(parents=True, exist_ok=True)
    if not args.keep_cache:
        shutil.rmtree(home / "embeddings", ignore_errors=True)
    qfile = home / "queries.json"
    qfile.write_text(json.dumps(_queries(args.queries, args.seed), ensure_ascii=False), encoding="utf-8")
    run_baseline = args.baseline == "yes" or (args.baseline == "auto" and args.indicators <= 100_000)
    opt_b = _run_step("build", args, "opt")
    opt_s = _run_step("serve", args, "opt", ["--queries-file", str(qfile)])
    base_b = base_s = None
    if run_baseline:
        base_b = _run_step("build", args, "baseline")
        base_s = _run_step("serve", args, "baseline", ["--queries-file", str(qfile)])
    print(report(args, opt_b, opt_s, base_b, base_s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
