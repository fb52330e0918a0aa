"""The tier classifier: which level 1 / level 2 an indicator belongs to, with a calibrated
probability and the evidence (nearest labeled indicators, reviewer rules) behind it.

Approaches (rules, linear, knn, setfit, ensemble) share one fit/predict contract so the
evaluator compares them on the same grouped folds; ``SHIPPED_APPROACH`` is the one
``jixiao train`` builds and the service loads.
"""

from jixiao.models.classifier.contract import (
    ClassifyInput,
    Explanation,
    Neighbor,
    TierClassifier,
    TierPrediction,
)
from jixiao.models.classifier.examples import embedding_text, examples_from_tables, inputs_from_table
from jixiao.models.classifier.registry import APPROACHES, SHIPPED_APPROACH
from jixiao.models.classifier.shipped import load_shipped, shipped_dir, train_shipped

__all__ = [
    "APPROACHES",
    "SHIPPED_APPROACH",
    "ClassifyInput",
    "Explanation",
    "Neighbor",
    "TierClassifier",
    "TierPrediction",
    "embedding_text",
    "examples_from_tables",
    "inputs_from_table",
    "load_shipped",
    "shipped_dir",
    "train_shipped",
]
