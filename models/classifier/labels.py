"""The label space the approaches learn, and turning a probability row into a prediction.

Scheme B's cost tiers (41-43) are merged into ``14`` for training: the corpus has two
such rows, too few to learn, and the scheme is a property of the table, not of the
indicator's wording. ``TierPrediction.in_scheme`` puts the scheme back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from jixiao.corpus.taxonomy import TIERS, merge_cost
from jixiao.errors import JixiaoError
from jixiao.fast_models import constructed
from jixiao.models.classifier.contract import Explanation, TierPrediction

#: Every label a classifier can predict, in code order (cost merged into 14).
LABELS: tuple[str, ...] = tuple(c for c in TIERS if merge_cost(c) == c)


def training_label(code: str) -> str:
    """Canonical training label of a gold code; refuses anything that is not a tier."""
    if code not in TIERS:
        raise JixiaoError(f"未知的类别代码 {code!r}；可选：{'、'.join(TIERS)}")
    return merge_cost(code)


def training_labels(y: Sequence[str]) -> list[str]:
    return [training_label(c) for c in y]


def make_prediction(
    classes: Sequence[str], probs: np.ndarray, explanation: Explanation | None = None
) -> TierPrediction:
    """One prediction from one probability row over ``classes`` (renormalised, so it sums to 1)."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 0.0, None)
    total = p.sum()
    p = p / total if total > 0 else np.full(len(classes), 1.0 / len(classes))
    best = int(np.argmax(p))
    code = classes[best]
    tier = TIERS[code]
    # Built without re-validation: every field is made here with its exact type, and a
    # batch of uploads builds thousands of these.
    return TierPrediction.model_construct(
        code=code,
        level1=tier.level1,
        level2=tier.level2,
        confidence=float(p[best]),
        probabilities=dict(zip(classes, p.tolist(), strict=True)),
        explanation=explanation or Explanation(),
    )


def make_predictions(
    classes: Sequence[str], probs: np.ndarray, explanations: Sequence[Explanation] | None = None
) -> list[TierPrediction]:
    """``make_prediction`` for every row of ``probs`` at once, with the same values.

    Clipping, normalising and the argmax run over the whole matrix: per row they cost more
    than the prediction itself, and an upload decodes hundreds of rows.
    """
    p = np.clip(np.asarray(probs, dtype=np.float64), 0.0, None)
    if p.ndim != 2 or p.shape[0] == 0:
        return []
    totals = p.sum(axis=1)
    empty = ~(totals > 0)
    p = p / np.where(empty, 1.0, totals)[:, None]
    if empty.any():
        p[empty] = 1.0 / len(classes)
    best = p.argmax(axis=1).tolist()
    rows = p.tolist()
    out = []
    for r, (b, row) in enumerate(zip(best, rows, strict=True)):
        code = classes[b]
        tier = TIERS[code]
        out.append(
            constructed(  # ``TierPrediction.model_construct`` without its per-field alias walk
                TierPrediction,
                code=code,
                level1=tier.level1,
                level2=tier.level2,
                confidence=row[b],
                probabilities=dict(zip(classes, row, strict=True)),
                explanation=explanations[r] if explanations is not None else constructed(Explanation),
            )
        )
    return out
