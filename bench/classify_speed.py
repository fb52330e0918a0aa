"""Classification speed: rows/s on unseen rows and on a realistic repetitive upload, per encoder.

Unseen rows are corpus indicator names with a fresh suffix per run, so every one goes
through the encoder. A realistic upload repeats itself: the same indicator names and
values come back table after table (a bureau's submission of many projects reuses
"服务对象满意度", "资金拨付及时率"…), so the rows are drawn from a pool of 150 corpus rows,
and after the first table the embedding cache answers. The shipped classifier is
loaded once per encoder; torch fp32 is the baseline measured in the same run. The
machine is shared: compare the ratios.

    python bench/classify_speed.py                    # torch vs onnx-int8, 1,000 rows each
    python bench/classify_speed.py --rows 2000 --encoders torch,onnx,onnx-int8
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--encoders", default="torch,onnx-int8")
    ap.add_argument("--chunk", type=int, default=70, help="rows per predict call (a table of an upload)")
    args = ap.parse_args()

    from jixiao.corpus.store import load_corpus
    from jixiao.models.classifier import examples_from_tables, load_shipped
    from jixiao.models.classifier.contract import ClassifyInput
    from jixiao.models.embedding import load_embedder
    from jixiao.models.embedding_cache import CachedEmbedder
    from jixiao.service.deps import LibraryEngine
    from jixiao.settings import Settings, get_settings

    base = get_settings()
    X, _ = examples_from_tables(load_corpus(base))
    rng = random.Random(0)
    tag = uuid.uuid4().hex[:6]  # unseen in every run, even with a warm on-disk cache
    unseen = [
        ClassifyInput(name=f"{x.name}（{tag}第{i}项）", value=x.value)
        for i, x in enumerate(rng.choices(X, k=args.rows))
    ]
    pool = rng.sample(X, min(150, len(X)))
    repetitive = [ClassifyInput(name=x.name, value=x.value) for x in rng.choices(pool, k=args.rows)]

    results = []
    for encoder in args.encoders.split(","):
        with tempfile.TemporaryDirectory() as cache:  # a cold cache for each encoder
            settings = Settings(home=base.home, batch_wait_ms=0)
            raw = load_embedder(settings=settings, cache=False, progress=False, encoder=encoder)
            embedder = CachedEmbedder(raw, Path(cache))  # the service's cache, empty
            model = load_shipped(settings, embedder=embedder)
            model.predict(unseen[:5])
            # what the service runs: LibraryEngine.classify (deadline checks, the prediction memo)
            engine = LibraryEngine(settings, model, None, [], embedder.model_name)
            row = [encoder]
            for batch in (unseen, repetitive):
                t0 = time.perf_counter()
                for i in range(0, len(batch), args.chunk):
                    engine.classify(batch[i : i + args.chunk])
                row.append(len(batch) / (time.perf_counter() - t0))
            results.append(row)

    base_unseen, base_rep = results[0][1], results[0][2]
    print(f"## classify speed: {args.rows} rows per case, {args.chunk} rows per call, shipped classifier")
    print()
    print("| encoder | unseen rows/s | × baseline | repetitive upload rows/s | × baseline |")
    print("|---|---:|---:|---:|---:|")
    for name, u, r in results:
        print(f"| {name} | {u:.0f} | {u / base_unseen:.2f}× | {r:.0f} | {r / base_rep:.2f}× |")
    print()
    print(f"baseline: {results[0][0]} in this run; repetitive = rows drawn from a pool of {len(pool)} corpus rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
