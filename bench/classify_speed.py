"""Classification speed: rows/s on unseen rows and on a realistic repetitive upload, per encoder.

Three cases, each with its own empty embedding cache and its own prediction memo, so
one case never warms another:

- **unseen, real texts**: the indicator rows of the corpus tables exactly as written
  (name and value; seeds included), each distinct row once, in table order. The cache
  is empty, so the encoder runs for every row: this is what a user's new table costs.
- **unseen, suffixed** (the earlier measure, kept beside it): corpus rows drawn at
  random with ``（{tag}第{i}项）`` appended to the name to defeat any cache. The suffix
  adds about 10 tokens a row (about 25 against 15), so it overstates the encoder's work.
- **repetitive upload**: a bureau's submission reuses the same indicator names and values
  table after table ("服务对象满意度", "资金拨付及时率"…), so rows are drawn from a pool
  of 150 corpus rows; after the first table the embedding cache answers.

For each case the bench counts the texts that reach the encoder (below the cache) and
prints them beside the distinct texts of the case, with their mean token count, so
"unseen" is shown to mean encoded. The shipped classifier is loaded once per encoder;
the first encoder (torch fp32 by default) is the baseline measured in the same run.
The machine is shared: compare the ratios.

    python bench/classify_speed.py                    # torch vs onnx-int8, up to 1,000 rows each
    python bench/classify_speed.py --rows 2000 --encoders torch,onnx,onnx-int8 --repeats 2
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CASES = ("unseen-real", "unseen-suffixed", "repetitive")


class Probe:
    """The embedder the classifier holds: a fresh ``CachedEmbedder`` per case, and a count of
    the texts that reached the encoder below it (what "unseen" has to mean)."""

    def __init__(self, raw, cache_dir: Path):  # noqa: ANN001 - an Embedder
        self.raw = raw
        self.model_name = raw.model_name
        self.dim = raw.dim
        self.cache_name = getattr(raw, "cache_name", None)
        self._root = cache_dir
        self.encoded: list[str] = []
        self.cached = None
        self.reset("warm-up")

    def reset(self, name: str) -> None:
        from jixiao.models.embedding_cache import CachedEmbedder

        folder = self._root / f"{name}-{uuid.uuid4().hex[:6]}"  # empty: nothing cached yet
        self.encoded = []
        self.cached = CachedEmbedder(self, folder)

    # the Embedder contract, for the CachedEmbedder above (it sees this object as its inner)
    def _count(self, texts: list[str], encode) -> np.ndarray:  # noqa: ANN001
        self.encoded.extend(texts)
        return encode(texts)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._count(texts, self.raw.encode_queries)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._count(texts, self.raw.encode_passages)


class Front:
    """What the classifier calls: the probe's current cached embedder."""

    def __init__(self, probe: Probe):
        self.probe = probe
        self.model_name = probe.model_name
        self.dim = probe.dim

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.probe.cached.encode_queries(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self.probe.cached.encode_passages(texts)


@dataclass
class Case:
    name: str
    rows: list
    texts: list[str] = field(default_factory=list)  # what the encoder sees for each row


def build_cases(rows: int, seed: int = 0) -> dict[str, Case]:
    from jixiao.corpus.store import load_corpus
    from jixiao.models.classifier import examples_from_tables, inputs_from_table
    from jixiao.models.classifier.contract import ClassifyInput
    from jixiao.models.classifier.examples import embedding_text
    from jixiao.settings import get_settings

    tables = load_corpus(get_settings())
    X, _ = examples_from_tables(tables)
    rng = random.Random(seed)
    real: dict[str, ClassifyInput] = {}
    for t in tables:
        for x in inputs_from_table(t):
            if (x.name or "").strip():
                real.setdefault(embedding_text(x), ClassifyInput(name=x.name, value=x.value))
    tag = uuid.uuid4().hex[:6]  # unseen in every run, even with a warm on-disk cache
    suffixed = [
        ClassifyInput(name=f"{x.name}（{tag}第{i}项）", value=x.value) for i, x in enumerate(rng.choices(X, k=rows))
    ]
    pool = rng.sample(X, min(150, len(X)))
    repetitive = [ClassifyInput(name=x.name, value=x.value) for x in rng.choices(pool, k=rows)]
    cases = {
        "unseen-real": Case("unseen-real", list(real.values())[:rows]),
        "unseen-suffixed": Case("unseen-suffixed", suffixed),
        "repetitive": Case("repetitive", repetitive),
    }
    for case in cases.values():
        case.texts = [embedding_text(x) for x in case.rows]
    return cases


def token_counts(raw, texts: list[str]) -> np.ndarray:  # noqa: ANN001 - an Embedder
    """Tokens per text as the encoder sees it (query prompt included)."""
    prefix = (getattr(raw, "prompts", None) or {}).get("query", "")
    tok = getattr(raw, "tokenizer", None)
    if tok is not None and hasattr(tok, "encode_batch"):  # tokenizers.Tokenizer (ONNX)
        return np.array([len(e.ids) for e in tok.encode_batch([prefix + t for t in texts])])
    model = raw.model  # a SentenceTransformer
    ids = model.tokenizer([prefix + t for t in texts], truncation=True, max_length=model.max_seq_length)
    return np.array([len(i) for i in ids["input_ids"]])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000, help="rows per case (unseen-real: at most the corpus's)")
    ap.add_argument("--encoders", default="torch,onnx-int8")
    ap.add_argument("--chunk", type=int, default=70, help="rows per predict call (a table of an upload)")
    ap.add_argument("--repeats", type=int, default=1, help="rounds; encoders alternate within a round")
    args = ap.parse_args()

    from jixiao.models.classifier import load_shipped
    from jixiao.models.classifier.contract import ClassifyInput
    from jixiao.models.embedding import load_embedder
    from jixiao.service.deps import LibraryEngine
    from jixiao.settings import Settings, get_settings

    base = get_settings()
    cases = build_cases(args.rows)
    encoders = args.encoders.split(",")
    settings = Settings(home=base.home, batch_wait_ms=0)
    rates: dict[tuple[str, str], list[float]] = {}
    checks: dict[tuple[str, str], tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        loaded = {}
        for encoder in encoders:
            raw = load_embedder(settings=settings, cache=False, progress=False, encoder=encoder)
            probe = Probe(raw, Path(tmp) / encoder)
            model = load_shipped(settings, embedder=Front(probe))
            model.predict([ClassifyInput(name=f"预热行{i}号", value=f"{i}项") for i in range(5)])  # in no case
            loaded[encoder] = (raw, probe, model)
        for _ in range(args.repeats):
            for encoder in encoders:
                raw, probe, model = loaded[encoder]
                for case in cases.values():
                    probe.reset(case.name)  # an empty cache and, below, an empty prediction memo
                    engine = LibraryEngine(settings, model, None, [], raw.model_name)
                    t0 = time.perf_counter()
                    for i in range(0, len(case.rows), args.chunk):
                        engine.classify(case.rows[i : i + args.chunk])
                    rates.setdefault((encoder, case.name), []).append(len(case.rows) / (time.perf_counter() - t0))
                    checks[(encoder, case.name)] = (len(probe.encoded), len(set(probe.encoded)))
        tokens = {c.name: token_counts(loaded[encoders[-1]][0], sorted(set(c.texts))) for c in cases.values()}

    print(f"## classify speed: {args.chunk} rows per call, shipped classifier, {args.repeats} round(s)")
    print()
    print("| case | rows | distinct texts | mean tokens | texts encoded, per encoder |")
    print("|---|---:|---:|---:|---|")
    for c in cases.values():
        encoded = ", ".join(f"{e}: {checks[(e, c.name)][0]}" for e in encoders)
        print(f"| {c.name} | {len(c.rows)} | {len(set(c.texts))} | {tokens[c.name].mean():.1f} | {encoded} |")
    print()
    head = " | ".join(f"{c} rows/s | × baseline" for c in CASES)
    print(f"| encoder | {head} |")
    print("|---|" + "---:|---:|" * len(CASES))
    for encoder in encoders:
        cells = []
        for c in CASES:
            mine, ref = rates[(encoder, c)], rates[(encoders[0], c)]
            figures = ", ".join(f"{r:.0f}" for r in mine)
            cells.append(f"{figures} | {statistics.median(mine) / statistics.median(ref):.2f}×")
        print(f"| {encoder} | " + " | ".join(cells) + " |")
    print()
    print(f"baseline: {encoders[0]} in this run; ratios of medians; repetitive = rows from a pool of 150 corpus rows")
    for encoder in encoders:  # the claim "unseen" rests on: every distinct text of those cases was encoded once
        for c in ("unseen-real", "unseen-suffixed"):
            n, distinct = checks[(encoder, c)]
            if n != distinct or distinct != len(set(cases[c].texts)):
                print(f"WARNING: {encoder} {c}: {n} texts encoded, {distinct} distinct, case has "
                      f"{len(set(cases[c].texts))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
