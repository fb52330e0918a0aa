"""Batch classification speed on a realistic upload: row by row against table-aware decoding.

    python bench/bench_classify_table.py [--file corpus/data/seeds/004_80ded19973e52693.txt] [--long 5000]

Needs a trained classifier (``jixiao train``). Parses the upload once (seed 004: 9
tables, 70 rows), then times, in this one run, on the loaded model:

- the baseline: every table's rows predicted row by row (``model.predict``);
- table-aware: the same rows decoded table by table (``classify_table``);
- the whole upload in one call, as the service makes it (``classify_tables``);

each for texts the embedding cache has never seen (the names get a per-run suffix, so
this measures the encoder, as a new upload would) and again for the same texts (cache
hits, as for a re-uploaded file). Last, one table of ``--long`` rows (a hostile upload)
is decoded whole. Prints rows/s and the table-aware/row-wise time ratio. The machine is
shared, so absolute figures vary with load; the ratio is measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

import torch

from jixiao.corpus.parsers import parse_file
from jixiao.models.classifier import ClassifyInput, inputs_from_table, load_shipped
from jixiao.models.classifier.table_predict import classify_table, classify_tables

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "corpus/data/seeds/004_80ded19973e52693.txt"


def _fresh(tables: list[list[ClassifyInput]], tag: str) -> list[list[ClassifyInput]]:
    return [[ClassifyInput(**{**vars(x), "name": f"{x.name}{tag}"}) for x in rows] for rows in tables]


def _time(fn, tables: list[list[ClassifyInput]]) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    for rows in tables:
        fn(rows)
    return time.perf_counter() - t0


def _seconds(fn) -> float:  # noqa: ANN001
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(DEFAULT_FILE))
    parser.add_argument("--long", type=int, default=5000, help="rows in the one long table")
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_shipped()
    model.predict([ClassifyInput(name="预热")])  # load the encoder before timing
    tables = [inputs_from_table(t) for t in parse_file(Path(args.file)).tables if t.indicators]
    n = sum(len(t) for t in tables)
    print(f"{args.file}: {len(tables)} tables, {n} rows")
    runs = {
        "row-wise (baseline)": lambda rows: model.predict(rows),
        "table-aware": lambda rows: classify_table(model, rows),
    }
    for name, fn in runs.items():
        fresh = _fresh(tables, f"#{uuid.uuid4().hex[:6]}")
        cold = _time(fn, fresh)
        warm = _time(fn, fresh)
        print(f"{name:<20} new texts {cold:6.3f} s ({n / cold:6.0f} rows/s)   cached {warm:6.3f} s ({n / warm:6.0f} rows/s)")
        runs[name] = (cold, warm)  # type: ignore[assignment]
    (bc, bw), (tc, tw) = runs.values()  # type: ignore[misc]
    print(f"table-aware / row-wise time: new texts {tc / bc:.2f}x, cached {tw / bw:.2f}x")
    # The service classifies all tables of an upload in one call (one encoder batch, then each
    # table decoded on its own): ``LibraryEngine.classify_tables``.
    fresh = _fresh(tables, f"#{uuid.uuid4().hex[:6]}")
    cold, warm = (_seconds(lambda: classify_tables(model, fresh, [None] * len(fresh))) for _ in range(2))
    print(
        f"{'whole upload, 1 call':<20} new texts {cold:6.3f} s ({n / cold:6.0f} rows/s)   "
        f"cached {warm:6.3f} s ({n / warm:6.0f} rows/s)   (table-aware, as the service calls it)"
    )
    flat = [x for rows in tables for x in rows]
    long = [ClassifyInput(name=f"{flat[i % len(flat)].name}（{i}）", value=flat[i % len(flat)].value) for i in range(args.long)]
    t0 = time.perf_counter()
    out = classify_table(model, long)
    s = time.perf_counter() - t0
    print(f"one table of {len(out)} new rows, table-aware: {s:.1f} s ({len(out) / s:.0f} rows/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
