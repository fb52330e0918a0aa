"""How much ECE would a perfectly calibrated classifier score on the seed tables?

    python bench/seeds_ece_null.py [--fixtures eval/fixtures/seeds.jsonl] [--draws 10000]

Needs a classifier trained with the seeds held out (``jixiao train --holdout 'seed*'``).
The seed tables copy rows from one another (the same name and value in table after
table of one office), so their rows are not independent draws: a model that is right
or wrong on one copy is right or wrong on all of them, and a few clumps decide whole
confidence bins. This asks what that does to ECE when nothing is miscalibrated.

It takes the held-out model's own table+L1 confidences on the seeds (what the eval
scores) and draws, many times, outcomes of a model that is perfectly calibrated: row i
right with probability equal to its confidence. Copies of one row share one uniform
draw (right iff u < confidence), so each row keeps its exact probability while its
copies move together. Printed beside it: the same null with every row drawn on its
own, the null with each clump counted once, and the model's measured ECE both ways.
Gold labels are used only for the measured ECE; the null draws use none.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from jixiao.corpus.taxonomy import merge_cost
from jixiao.eval.calibration_null import clump_ids, null_ece
from jixiao.eval.classify_runner import labeled_rows, predict_decodings
from jixiao.eval.fixture_sets import load_fixtures
from jixiao.models.classifier import load_shipped
from jixiao.models.classifier.calibration import ece
from jixiao.models.classifier.shipped import shipped_training_tables
from jixiao.service.commands.eval import with_recorded_corrections

DEFAULT = Path(__file__).resolve().parents[1] / "eval/fixtures/seeds.jsonl"
TARGET = 0.05


def _line(label: str, values: np.ndarray) -> str:
    return (
        f"{label:<44} mean {values.mean():.3f}  median {np.median(values):.3f}  "
        f"p90 {np.quantile(values, 0.9):.3f}  P(ECE>{TARGET}) {(values > TARGET).mean():.2f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", default=str(DEFAULT))
    ap.add_argument("--draws", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--decoding", default="table+L1", choices=("row", "table", "table+L1"))
    args = ap.parse_args()

    trained = shipped_training_tables()
    fixtures = load_fixtures(args.fixtures, trained or [])
    if trained is None or fixtures.excluded:
        raise SystemExit("需要留出种子表训练的模型：先运行 jixiao train --holdout 'seed*'")
    rows, _ = labeled_rows(with_recorded_corrections(fixtures.tables))  # as ``jixiao eval classify``
    preds = predict_decodings(load_shipped(), rows)[args.decoding]
    conf = np.array([float(p.confidence) for p in preds])
    correct = np.array(  # cost merged (14 = 41/42/43), as the eval scores by default
        [merge_cost(p.code) == merge_cost(r.indicator.code) for p, r in zip(preds, rows, strict=True)]
    )
    clumps = clump_ids([(r.indicator.name, r.indicator.value) for r in rows])
    sizes = Counter(clumps.tolist())
    _, first = np.unique(clumps, return_index=True)  # the first row of each clump
    rng = np.random.default_rng(args.seed)

    print(f"{args.decoding}: {len(rows)} rows in {len(fixtures.tables)} tables; {len(sizes)} distinct rows")
    print(f"copied rows: {sum(n for n in sizes.values() if n > 1)} rows in {sum(n > 1 for n in sizes.values())} clumps, "
          f"largest {max(sizes.values())}")
    print(f"{'measured ECE, all rows':<44} {ece(conf, correct):.3f}  (accuracy {correct.mean():.3f}, "
          f"mean confidence {conf.mean():.3f})")
    print(f"{'measured ECE, each clump once':<44} {ece(conf[first], correct[first]):.3f}")
    print(_line("null, copies move together (all rows)", null_ece(conf, clumps, args.draws, rng)))
    print(_line("null, every row drawn alone", null_ece(conf, np.arange(len(conf)), args.draws, rng)))
    print(_line("null, each clump counted once", null_ece(conf[first], np.arange(len(first)), args.draws, rng)))


if __name__ == "__main__":
    main()
