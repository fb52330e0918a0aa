"""Grouped cross-validation of any approach, with the numbers the README reports.

Folds group rows by source document (a copied indicator must not be in train and test).
``jixiao.eval.splits`` is used when it exists, so this script and ``jixiao eval`` split
the same way; otherwise the same grouping is done here.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from sklearn.metrics import accuracy_score, f1_score

from jixiao.corpus.schema import GoalTable
from jixiao.models.classifier.calibration import ece, grouped_folds
from jixiao.models.classifier.contract import ClassifyInput, TierClassifier, TierPrediction
from jixiao.models.classifier.examples import examples_from_tables
from jixiao.models.classifier.labels import training_labels


@dataclass
class CvResult:
    approach: str
    folds: int
    rows: int
    level1_accuracy: float
    level1_macro_f1: float
    level2_accuracy: float
    level2_macro_f1: float
    ece: float
    top_confusions: list[tuple[str, str, int]] = field(default_factory=list)
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def table_folds(tables: list[GoalTable], k: int, seed: int = 0) -> list[list[int]]:
    """Indices of held-out tables per fold, grouped by source document."""
    try:  # helper "eval"'s splitter, when present, so both report the same folds
        from jixiao.eval.splits import grouped_kfold  # type: ignore[attr-defined]

        return [list(test) for _, test in grouped_kfold(tables, k=k, seed=seed)]
    except (ImportError, TypeError, AttributeError):
        groups = [t.source or t.id for t in tables]
        return [list(f) for f in grouped_folds(groups, k, seed=seed)]


def score(approach: str, gold: list[str], preds: list[TierPrediction], k: int) -> CvResult:
    g2 = training_labels(gold)
    p2 = [p.code for p in preds]
    g1 = [c[0] for c in g2]
    p1 = [c[0] for c in p2]
    confusions = Counter((g, p) for g, p in zip(g2, p2, strict=True) if g != p)
    return CvResult(
        approach=approach,
        folds=k,
        rows=len(gold),
        level1_accuracy=round(float(accuracy_score(g1, p1)), 4),
        level1_macro_f1=round(float(f1_score(g1, p1, average="macro", zero_division=0)), 4),
        level2_accuracy=round(float(accuracy_score(g2, p2)), 4),
        level2_macro_f1=round(float(f1_score(g2, p2, average="macro", zero_division=0)), 4),
        ece=round(ece([p.confidence for p in preds], [a == b for a, b in zip(g2, p2, strict=True)]), 4),
        top_confusions=[(g, p, n) for (g, p), n in confusions.most_common(5)],
    )


def cross_validate(
    approach: str,
    make: Callable[[], TierClassifier],
    tables: list[GoalTable],
    k: int = 5,
    seed: int = 0,
    progress: bool = False,
) -> tuple[CvResult, list[tuple[ClassifyInput, str, TierPrediction]]]:
    """Fit a fresh classifier per fold on the other folds' tables; score pooled predictions."""
    folds = table_folds(tables, k, seed)
    gold: list[str] = []
    preds: list[TierPrediction] = []
    rows: list[tuple[ClassifyInput, str, TierPrediction]] = []
    fit_s = pred_s = 0.0
    iterator = folds
    if progress:
        from tqdm import tqdm

        iterator = tqdm(folds, desc=f"cv {approach}", unit="fold")
    for test_idx in iterator:
        held = set(test_idx)
        X_tr, y_tr = examples_from_tables([t for i, t in enumerate(tables) if i not in held])
        X_te, y_te = examples_from_tables([tables[i] for i in test_idx])
        if not X_te:
            continue
        t0 = time.perf_counter()
        model = make().fit(X_tr, y_tr)
        t1 = time.perf_counter()
        p = model.predict(X_te)
        t2 = time.perf_counter()
        fit_s += t1 - t0
        pred_s += t2 - t1
        gold += y_te
        preds += p
        rows += list(zip(X_te, y_te, p, strict=True))
    result = score(approach, gold, preds, len(folds))
    result.fit_seconds = round(fit_s, 2)
    result.predict_seconds = round(pred_s, 2)
    return result, rows


__all__ = ["CvResult", "cross_validate", "score", "table_folds"]
