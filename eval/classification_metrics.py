"""Scores for tier predictions: accuracy, macro-F1, per-class P/R/F1, confusion, calibration.

Pure functions over code lists, so the same numbers come out for the shipped model on
fixtures, for every approach under cross-validation, and in the tests. Level 1 is the
first digit of the level-2 code, so a 12→11 confusion still counts as right at level 1.
Cost sits under 产出 (14) in scheme A and is its own level 1 (41-43) in scheme B;
``merge_cost=True`` folds both into 14 so that a prediction made in one scheme is not
punished for a table drafted in the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from jixiao.corpus.taxonomy import TIERS
from jixiao.corpus.taxonomy import merge_cost as _merge_cost
from jixiao.errors import JixiaoError

_CODE_ORDER = {c: i for i, c in enumerate(TIERS)}


def ordered_labels(labels: set[str] | Sequence[str]) -> list[str]:
    """Labels in taxonomy code order (11, 12, … 43); anything unknown after, sorted."""
    return sorted(set(labels), key=lambda c: (_CODE_ORDER.get(c, len(_CODE_ORDER)), c))


@dataclass
class ClassMetrics:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # gold rows of this class
    predicted: int  # rows predicted as this class


@dataclass
class LevelMetrics:
    """Scores at one level of the tree. ``confusion[i][j]``: gold ``labels[i]`` predicted ``labels[j]``."""

    accuracy: float
    macro_f1: float
    labels: list[str]
    per_class: list[ClassMetrics]
    confusion: list[list[int]]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    accuracy: float | None  # None for an empty bin
    confidence: float | None


@dataclass
class ClassificationMetrics:
    n: int
    merge_cost: bool
    level1: LevelMetrics
    level2: LevelMetrics
    ece: float | None  # None when no confidences were given
    reliability: list[ReliabilityBin] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _safe_div(a: float, b: float) -> float:
    return a / b if b else 0.0


def level_metrics(gold: Sequence[str], pred: Sequence[str]) -> LevelMetrics:
    """Accuracy and per-class scores; macro-F1 averages over every label seen in gold or prediction.

    A label only ever predicted (never gold) counts with F1 0, as in scikit-learn's default:
    inventing a class is an error the average should show.
    """
    if len(gold) != len(pred):
        raise JixiaoError(f"{len(gold)} gold labels but {len(pred)} predictions")
    labels = ordered_labels(set(gold) | set(pred))
    index = {c: i for i, c in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, pred, strict=True):
        matrix[index[g], index[p]] += 1
    per_class = []
    for i, c in enumerate(labels):
        tp = int(matrix[i, i])
        support = int(matrix[i].sum())
        predicted = int(matrix[:, i].sum())
        precision = _safe_div(tp, predicted)
        recall = _safe_div(tp, support)
        f1 = _safe_div(2 * precision * recall, precision + recall)
        per_class.append(ClassMetrics(c, precision, recall, f1, support, predicted))
    correct = int(np.trace(matrix)) if labels else 0
    return LevelMetrics(
        accuracy=_safe_div(correct, len(gold)),
        macro_f1=float(np.mean([m.f1 for m in per_class])) if per_class else 0.0,
        labels=labels,
        per_class=per_class,
        confusion=matrix.tolist(),
    )


def reliability_bins(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> tuple[float, list[ReliabilityBin]]:
    """ECE over equal-width bins (0, 0.1], (0.1, 0.2], …; 0 falls in the first bin.

    ECE = Σ_bins (n_bin / n) · |accuracy_bin − mean confidence_bin|: how far the stated
    confidence is from how often the model is right, which is what a reviewer relies on
    when deciding which suggestions to check.
    """
    conf = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if len(conf) != len(ok):
        raise JixiaoError(f"{len(conf)} confidences but {len(ok)} outcomes")
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    out, total = [], 0.0
    for b in range(bins):
        m = idx == b
        n = int(m.sum())
        if n:
            acc, mean_conf = float(ok[m].mean()), float(conf[m].mean())
            total += n * abs(acc - mean_conf)
            out.append(ReliabilityBin(float(edges[b]), float(edges[b + 1]), n, acc, mean_conf))
        else:
            out.append(ReliabilityBin(float(edges[b]), float(edges[b + 1]), 0, None, None))
    return (total / len(conf) if len(conf) else 0.0), out


def classification_metrics(
    gold: Sequence[str],
    pred: Sequence[str],
    confidences: Sequence[float] | None = None,
    *,
    merge_cost: bool = False,
    bins: int = 10,
) -> ClassificationMetrics:
    """Every classification number for pooled (gold, predicted) level-2 codes.

    Calibration is measured against level-2 correctness (after merging cost, if asked),
    since the confidence a classifier states is for its level-2 code.
    """
    g2 = [_merge_cost(c) for c in gold] if merge_cost else list(gold)
    p2 = [_merge_cost(c) for c in pred] if merge_cost else list(pred)
    level2 = level_metrics(g2, p2)
    level1 = level_metrics([c[:1] for c in g2], [c[:1] for c in p2])
    ece, rel = None, []
    if confidences is not None:
        ece, rel = reliability_bins(confidences, [a == b for a, b in zip(g2, p2, strict=True)], bins)
    return ClassificationMetrics(
        n=len(g2), merge_cost=merge_cost, level1=level1, level2=level2, ece=ece, reliability=rel
    )
