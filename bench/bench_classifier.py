"""Classifier speed on the real model: ``jixiao train`` time and predictions per second.

    python bench/bench_classifier.py [--approach ensemble] [--n 1000]

Targets (issue: the classifier): training from scratch on CPU <= 600 s; prediction for a
1,000-indicator batch well under a minute once the model is loaded. Run on demand,
never in the unit tests (the machine is shared; timings vary with load).
"""

from __future__ import annotations

import argparse
import sys
import time

import torch

from jixiao.corpus.store import load_corpus
from jixiao.models.classifier import SHIPPED_APPROACH, examples_from_tables, load_shipped, train_shipped
from jixiao.models.classifier.contract import ClassifyInput


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--approach", default=SHIPPED_APPROACH)
    parser.add_argument("--n", type=int, default=1000, help="inputs in the prediction batch")
    args = parser.parse_args()
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    train_shipped(progress=False, approach=args.approach)
    train_s = time.perf_counter() - t0
    model = load_shipped()
    X, _ = examples_from_tables(load_corpus())
    # Unseen texts (a suffix) so the embedding cache does not make this a lookup benchmark.
    batch = [
        ClassifyInput(name=f"{x.name}（第{i}项）", value=x.value)
        for i, x in enumerate(X * (args.n // len(X) + 1))
    ]
    batch = batch[: args.n]
    t1 = time.perf_counter()
    model.predict(batch)
    pred_s = time.perf_counter() - t1
    print(
        f"approach {args.approach}: train {train_s:.1f} s (target <= 600 s, {'OK' if train_s <= 600 else 'SLOW'})"
    )
    print(f"predict {len(batch)} new indicators: {pred_s:.1f} s ({len(batch) / pred_s:.0f}/s)")
    return 0 if train_s <= 600 else 1


if __name__ == "__main__":
    sys.exit(main())
