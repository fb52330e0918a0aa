"""Table-aware prediction: row predictions re-decoded with the whole table they sit in.

Any approach's row predictions are the evidence; ``TableDecoder`` (``table.py``) turns
them into each row's tier given the whole table. This module builds the predictions a
caller sees: the decoded tier, what the row alone said (``row_code``), and whether it
left the level 1 the table prints (``outside_declared``), with the reasons in Chinese.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from jixiao.corpus.taxonomy import TIERS, Scheme, agrees
from jixiao.fast_models import constructed
from jixiao.models.classifier.contract import ClassifyInput, Explanation, TierPrediction
from jixiao.models.classifier.labels import make_predictions
from jixiao.models.classifier.table import TableDecoder


def scheme_of(rows: Sequence[ClassifyInput], scheme: Scheme | str | None) -> Scheme | None:
    """The table's scheme: as given, else B when a row prints 成本指标 as its level 1."""
    if scheme:
        return Scheme(scheme)
    return Scheme.B if any(x.declared_level1 == "4" for x in rows) else None


def decode_predictions(
    decoder: TableDecoder,
    rows: Sequence[ClassifyInput],
    row_preds: Sequence[TierPrediction],
    scheme: Scheme | str | None = None,
) -> list[TierPrediction]:
    """Row predictions re-decoded with the whole table; each keeps its own explanation and
    records what the row alone said (``row_code``) and whether it left the printed level 1."""
    if not row_preds:
        return []
    sch = scheme_of(rows, scheme)
    probs = np.array([[p.probabilities.get(c, 0.0) for c in decoder.classes] for p in row_preds])
    post = decoder.posteriors(probs, [x.declared_level1 for x in rows], sch)
    out = make_predictions(decoder.classes, post)
    for x, row, pred in zip(rows, row_preds, out, strict=True):
        rules = list(row.explanation.rules)
        if pred.code != row.code and row.code in TIERS:
            rules.append(
                f"结合表格结构（同类指标成块、按产出→效益→满意度排列）调整；逐行判断为“{TIERS[row.code].label}”"
            )
        outside = bool(x.declared_level1) and not agrees(pred.code, None, x.declared_level1, sch)
        if outside:
            rules.append("逐行证据压倒表中所列一级指标：与申报的一级指标不一致，请核对")
        # Set on the fresh object (no second copy per row), marked as set as ``model_copy(update=…)`` did.
        pred.__dict__.update(
            explanation=constructed(Explanation, neighbors=list(row.explanation.neighbors), rules=rules),
            row_code=row.code,
            outside_declared=outside,
        )
        pred.__pydantic_fields_set__.update(("row_code", "outside_declared"))
    return out


def decoder_of(model: Any, row_preds: Sequence[TierPrediction]) -> TableDecoder:
    """The model's fitted ``table_decoder_``; an approach without one gets an untrained chain
    (every transition kind equally likely), which still favours staying in a block over
    any single jump."""
    decoder = getattr(model, "table_decoder_", None)
    if decoder is None:
        decoder = TableDecoder.from_sequences(list(row_preds[0].probabilities) if row_preds else [], [])
    return decoder


def classify_tables(
    model: Any,
    tables: Sequence[Sequence[ClassifyInput]],
    schemes: Sequence[Scheme | str | None],
    predict: Callable[[list[ClassifyInput]], Sequence[TierPrediction]] | None = None,
) -> list[list[TierPrediction]]:
    """Many tables in one ``predict`` call (the encoder is far quicker on a batch than row
    by row), each table's rows then decoded together as the table they are. ``predict``
    stands in for ``model.predict`` (the service's memo of repeated rows, with deadlines)."""
    flat = [x for rows in tables for x in rows]
    row_preds = list((predict or model.predict)(flat)) if flat else []
    decoder = decoder_of(model, row_preds)
    out, start = [], 0
    for rows, scheme in zip(tables, schemes, strict=True):
        n = len(rows)
        out.append(decode_predictions(decoder, list(rows), row_preds[start : start + n], scheme))
        start += n
    return out


def classify_table(
    model: Any, rows: Sequence[ClassifyInput], scheme: Scheme | str | None = None
) -> list[TierPrediction]:
    """Predict a whole table, rows in order: any approach's row predictions, decoded together."""
    return classify_tables(model, [list(rows)], [scheme])[0]


class TableAwareClassifier:
    """A fitted model seen through the review's classifier interface (``classify`` and
    ``classify_tables``), so the CLI decodes tables exactly as the service engine does."""

    def __init__(self, model: Any):
        self.model = model

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]:
        return list(self.model.predict(inputs)) if inputs else []

    def classify_tables(
        self, tables: list[list[ClassifyInput]], schemes: list[Scheme | None]
    ) -> list[list[TierPrediction]]:
        return classify_tables(self.model, tables, schemes)
