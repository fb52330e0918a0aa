"""The classifier's own work per row, next to a baseline approach, with the embeddings cached.

    python bench/classifier_overhead.py [--approaches ensemble ensemble+ngram] [--repeats 5]

Fits each approach on the project corpus, warms the embedding cache, then times ``predict`` on every
labeled row in one batch, on 100 rows one at a time, and table-aware classification of 30 tables.
Runs alternate between approaches and the medians are printed with the ratio to the first approach,
so a busy machine moves both alike. Run on demand, never in the unit tests.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from jixiao.eval import classify_runner
from jixiao.eval.fixture_sets import project_corpus
from jixiao.models.classifier import examples_from_tables, inputs_from_table
from jixiao.models.classifier.table_predict import classify_table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approaches", nargs="+", default=["ensemble", "ensemble+ngram"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    tables = project_corpus()
    X, y = examples_from_tables(tables)
    factories = classify_runner.select_approaches("all")
    models = {n: factories[n]().fit(X, y) for n in args.approaches}
    for m in models.values():
        m.predict(X)  # warm the embedding cache: this measures the classifier, not the encoder
    times: dict[str, list[tuple[float, float, float]]] = {n: [] for n in models}
    for _ in range(args.repeats):
        for name, m in models.items():
            t0 = time.perf_counter()
            m.predict(X)
            t1 = time.perf_counter()
            for x in X[:100]:
                m.predict([x])
            t2 = time.perf_counter()
            for t in tables[:30]:
                classify_table(m, inputs_from_table(t))
            t3 = time.perf_counter()
            times[name].append(((t1 - t0) / len(X) * 1e3, (t2 - t1) / 100 * 1e3, t3 - t2))
    base = np.median(np.array(times[args.approaches[0]]), axis=0)
    print(
        f"{'approach':<18} {'ms/row batch':>13} {'ms single row':>14} {'30 tables s':>12}  ratio to {args.approaches[0]}"
    )
    for name, rows in times.items():
        med = np.median(np.array(rows), axis=0)
        ratio = " / ".join(f"{r:.2f}×" for r in med / base)
        print(f"{name:<18} {med[0]:>13.3f} {med[1]:>14.3f} {med[2]:>12.3f}  {ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
