"""Synthetic corpora for speed and scale benchmarks: real names and values, recombined.

For SPEED AND SCALE ONLY, never for quality figures: the tables are recombinations of
the packaged corpus, so retrieval "finds" what it was built from. Every table is
marked: its id starts with ``synthetic-`` and it carries ``synthetic: true``.

Real deployments are dominated by repeated text (drafters copy last year's table), so
most synthetic rows reuse a real indicator name verbatim; a small ``novel`` share gets a
qualifier prefix (``县级``, ``2025年度``), giving a bounded number of new distinct names.
That keeps the number of distinct texts, which is what costs embedding time, realistic.

    python bench/synthetic.py --indicators 10000 --out /tmp/synthetic-10k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from jixiao.corpus.records import table_to_record
from jixiao.corpus.schema import GoalTable, Indicator

QUALIFIERS = ("县级", "市级", "乡镇", "年度", "全年", "本级", "辖区内", "重点")
YEARS = tuple(range(2019, 2026))


@dataclass(frozen=True)
class _Row:
    name: str
    code: str | None
    level1: str | None
    level2: str | None
    value: str | None


def real_tables() -> list[GoalTable]:
    """The packaged corpus: the parsed seeds plus the labeled external tables."""
    from jixiao.corpus.store import build_from_package

    return build_from_package().tables


def generate(
    n_indicators: int, source: list[GoalTable] | None = None, novel: float = 0.02, seed: int = 0
) -> Iterator[GoalTable]:
    """Tables until ``n_indicators`` rows are produced; lazily, so 1M rows need no 1M objects at once.

    Each table copies the shape (row count, tiers) of a random real table; a row keeps the
    real row with probability 0.7, else takes a random real row of the same tier.
    """
    rng = random.Random(seed)
    source = [t for t in (source or real_tables()) if t.indicators]
    by_code: dict[str | None, list[_Row]] = {}
    shapes = []
    for t in source:
        rows = [_Row(i.name, i.code, i.level1, i.level2, i.value) for i in t.indicators if i.name]
        shapes.append((t, rows))
        for r in rows:
            by_code.setdefault(r.code, []).append(r)
    produced, n = 0, 0
    while produced < n_indicators:
        base, rows = rng.choice(shapes)
        n += 1
        project = base.project or base.id
        if rng.random() < novel:
            project = f"{rng.choice(YEARS)}年{project}"
        inds = []
        for r in rows:
            if produced + len(inds) >= n_indicators:
                break
            if rng.random() >= 0.7:
                r = rng.choice(by_code[r.code])
            name = r.name
            if rng.random() < novel:
                name = rng.choice(QUALIFIERS) + name
            value = rng.choice(by_code[r.code]).value if rng.random() < 0.3 else r.value
            inds.append(
                Indicator.model_construct(
                    name=name,
                    code=r.code,
                    level1=r.level1,
                    level2=r.level2,
                    annual_value=value,
                    period_value=None,
                    inferred_levels=[],
                    parsed=None,
                    raw=None,
                )
            )
        produced += len(inds)
        yield GoalTable.model_construct(
            id=f"synthetic-{n:07d}",
            project=project,
            department=base.department,
            annual_goal=base.goal,
            period_goal=None,
            amount=base.amount,
            year=rng.choice(YEARS),
            scheme=base.scheme,
            indicators=inds,
            synthetic=True,
            source=None,
            unit=None,
            amount_raw=None,
            period=None,
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--indicators", type=int, default=10_000)
    ap.add_argument("--novel", type=float, default=0.02, help="share of rows/projects given a new text")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--out", required=True, help="record JSONL (the tables.jsonl format, plus synthetic: true)"
    )
    args = ap.parse_args(argv)
    n = 0
    with open(args.out, "w", encoding="utf-8") as f:
        for t in generate(args.indicators, novel=args.novel, seed=args.seed):
            f.write(json.dumps(table_to_record(t), ensure_ascii=False) + "\n")
            n += 1
    print(f"wrote {n} synthetic tables ({args.indicators} indicators) to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
