"""Compare the approaches by grouped k-fold CV on the project corpus.

    python -m jixiao.models.classifier.compare [--approach NAME ...] [--folds 5] [--json]

Folds hold whole source documents (``jixiao.eval.splits``), every approach sees the same
folds, and each fold fits a fresh model on the other folds only. Prints a markdown table
(or one JSON object) with level-1/level-2 accuracy and macro-F1, ECE, the most confused
tier pairs and fit/predict seconds: the numbers the README quotes.
"""

from __future__ import annotations

import argparse
import json
import sys

from jixiao.models.classifier.cv import CvResult, cross_validate
from jixiao.models.classifier.registry import APPROACHES, SHIPPED_APPROACH


def markdown(results: list[CvResult]) -> str:
    head = "| approach | L1 acc | L1 macro-F1 | L2 acc | L2 macro-F1 | ECE | most confused (gold→pred ×n) | fit s | predict s |"
    lines = [head, "|" + "---|" * 9]
    for r in results:
        conf = ", ".join(f"{g}→{p}×{n}" for g, p, n in r.top_confusions[:3])
        lines.append(
            f"| {r.approach} | {r.level1_accuracy:.3f} | {r.level1_macro_f1:.3f} | {r.level2_accuracy:.3f} | "
            f"{r.level2_macro_f1:.3f} | {r.ece:.3f} | {conf} | {r.fit_seconds:.1f} | {r.predict_seconds:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--approach", action="append", choices=sorted(APPROACHES), help="repeatable; default all"
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    from jixiao.corpus.store import load_corpus
    from jixiao.models.embedding import load_embedder

    tables = load_corpus()
    embedder = load_embedder(progress=False)
    results = []
    for name in args.approach or list(APPROACHES):
        result, _ = cross_validate(
            name, lambda name=name: APPROACHES[name](embedder), tables, args.folds, args.seed, progress=True
        )
        results.append(result)
        print(f"{name}: L2 macro-F1 {result.level2_macro_f1:.3f}", file=sys.stderr)
    if args.json:
        print(
            json.dumps(
                {"shipped": SHIPPED_APPROACH, "results": [r.to_dict() for r in results]}, ensure_ascii=False
            )
        )
    else:
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
