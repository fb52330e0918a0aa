"""``jixiao review FILE [--xlsx OUT] [--json]``: what a reviewer gets from the upload route, offline.

The same library calls as ``POST /v1/tables/upload`` (parse, classify every row in the
table's scheme, run the review rules), so a finance bureau can batch-review files
without running the server, and get the same annotated workbook.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from jixiao.corpus.errors import JixiaoError
from jixiao.corpus.review import DEFAULT_DISAGREEMENT_THRESHOLD
from jixiao.corpus.taxonomy import Scheme
from jixiao.models.classifier import ClassifyInput, TierPrediction, load_shipped
from jixiao.models.classifier.table import classify_table
from jixiao.service.analysis import analyze_table, severity_counts
from jixiao.service.commands.classify import read_tables
from jixiao.service.commands.parse import display_width, pad


class _ClassifierEngine:
    """The part of the service engine review needs: classification, no index."""

    def __init__(self) -> None:
        self._model = load_shipped()

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]:
        return self._model.predict(inputs)

    def classify_table(
        self, inputs: list[ClassifyInput], scheme: Scheme | None = None
    ) -> list[TierPrediction]:
        return classify_table(self._model, inputs, scheme)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="classify every row of a table file and list the review findings")
    p.add_argument(
        "file", metavar="FILE", help="a goal-table file (.xlsx .docx .pdf .csv .txt .md) or record JSONL"
    )
    p.add_argument("--xlsx", metavar="OUT", help="also write the annotated workbook to OUT")
    p.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_DISAGREEMENT_THRESHOLD,
        help="confidence above which a disagreement is flagged",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    tables = read_tables(args.file)
    if not tables:
        raise JixiaoError(f"{args.file}: no goal table found")
    engine = _ClassifierEngine()
    results = [analyze_table(engine, t, args.threshold) for t in tables]  # type: ignore[arg-type]
    if args.xlsx:
        from jixiao.service.annotate import annotated_workbook

        out = Path(args.xlsx)
        out.write_bytes(annotated_workbook(results))
        print(f"wrote {out}", file=sys.stderr)
    if args.json:
        print(json.dumps([r.model_dump(mode="json") for r in results], ensure_ascii=False, indent=2))
        return 0
    for r in results:
        t = r.table
        counts = severity_counts(r.findings)
        print(
            f"\n{t.id}  {t.project or ''}  scheme {t.scheme or '?'}  "
            + "  ".join(f"{k}: {v}" for k, v in counts.items())
        )
        width = max((display_width(c.name) for c in r.classifications), default=10)
        for c in r.classifications:
            mark = "" if c.agrees is None else ("✓" if c.agrees else "✗")
            print(
                f"  {c.index + 1:>3} {pad(c.name, width)}  declared {c.declared_code or '-':<3} "
                f"predicted {c.prediction.code} {c.prediction.confidence:.2f} {mark}"
            )
        for f in r.findings:
            where = f"row {f.indicator_index + 1}" if f.indicator_index is not None else "table"
            print(f"  [{f.severity}] {f.rule} ({where}): {f.message}")
    return 0
