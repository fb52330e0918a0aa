"""The drafts of a fixed set of queries, as canonical JSON: to check a speed change alters no draft.

A performance change to the drafter must leave every draft byte-identical. Run this
before and after (same JIXIAO_HOME, same day: values depend on today's year) and compare:

    python bench/draft_snapshot.py --out before.jsonl            # the installed index and model
    python bench/draft_snapshot.py --index /tmp/jixiao-bench/opt --out before-10k.jsonl
    python bench/draft_snapshot.py --out after.jsonl --compare before.jsonl

Queries: every corpus table's project (name, goal, amount, year), under scheme A and B,
plus the README's road, river and school projects; ``--limit`` takes the first N.
``--compare`` prints the first differing draft and exits 1 when any draft differs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import real_tables  # noqa: E402

EXAMPLES = [  # tests/test_drafting_examples.py, and a name with no object
    {"name": "2026年农村公路养护工程", "goal": "完成农村公路日常养护120公里，提升路况水平", "amount": 8_600_000},
    {
        "name": "2026年河道清淤工程",
        "goal": "完成河道清淤15公里，清淤土方8万立方米，改善沿岸村民生产生活条件",
        "amount": 3_200_000,
    },
    {
        "name": "2026年校舍维修项目",
        "goal": "维修加固校舍3栋共1.2万平方米，保障全校1500名师生教学安全",
        "amount": 12_500_000,
    },
    {"name": "2026年专项资金"},
]


def queries(limit: int | None) -> list[dict]:
    out = list(EXAMPLES)
    for t in real_tables():
        if t.project:
            q = {"name": t.project, "goal": (t.goal or "")[:300] or None, "amount": t.amount, "year": t.year}
            out.append({k: v for k, v in q.items() if v is not None})
    out = out[:limit] if limit else out
    return [{**q, "scheme": s} for q in out for s in ("A", "B")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--index", default=None, help="an index directory (default: the installed one)")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--compare", default=None, help="an earlier --out file: exit 1 when a draft differs")
    args = ap.parse_args(argv)

    from pydantic import ValidationError

    from jixiao.models.suggest import Suggester
    from jixiao.models.suggest_schema import ProjectQuery
    from jixiao.settings import get_settings

    if args.index:
        from jixiao.models.corpus_index import CorpusIndex
        from jixiao.models.embedding import load_embedder

        embedder = load_embedder(None, get_settings(), progress=False)
        index = CorpusIndex.load(Path(args.index), corpus_version=None, model_name=embedder.model_name)
        s = Suggester(index, embedder)
    else:
        s = Suggester.load(rebuild=False, progress=False)
    lines = []
    for q in queries(args.limit):
        try:
            draft = s.suggest(ProjectQuery(**q)).model_dump(mode="json")
        except (ValidationError, ValueError) as e:  # a corpus table with an implausible year or amount
            draft = {"error": type(e).__name__}
        lines.append(json.dumps({"query": q, "draft": draft}, ensure_ascii=False, sort_keys=True))
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} drafts → {args.out}", file=sys.stderr)
    if args.compare:
        before = Path(args.compare).read_text(encoding="utf-8").splitlines()
        if len(before) != len(lines):
            print(f"different number of drafts: {len(before)} before, {len(lines)} now", file=sys.stderr)
            return 1
        diff = [i for i, (a, b) in enumerate(zip(before, lines, strict=True)) if a != b]
        if diff:
            i = diff[0]
            print(f"{len(diff)} of {len(lines)} drafts differ; first: query {i}", file=sys.stderr)
            print(before[i], lines[i], sep="\n")
            return 1
        print(f"all {len(lines)} drafts identical to {args.compare}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    sys.exit(main())
