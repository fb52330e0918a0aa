"""Approach (b): sentence embeddings + a logistic-regression head, temperature-calibrated.

Balanced class weights because the corpus is half quantity rows and macro-F1 is what
we ship on; the temperature comes from grouped internal folds (see calibration.py).
``with_rules`` appends the rule firings as features, which lets the head learn how much
each reviewer rule is worth next to the text (used by the ensemble).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from jixiao.models.classifier.calibration import fit_temperature, out_of_fold, retempered
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.embedded import EmbeddingApproach
from jixiao.models.classifier.hierarchical import HierarchicalHead
from jixiao.models.classifier.labels import LABELS, training_labels
from jixiao.models.classifier.rules import RULES, fired_rules, rule_features


class LinearClassifier(EmbeddingApproach):
    approach = "linear"

    def __init__(
        self,
        embedder: Any = None,
        C: float = 0.05,
        with_rules: bool = False,
        rule_weight: float = 0.5,
        calibrate: bool = True,
        standardize: bool = True,
        hierarchical: bool = False,
    ):
        super().__init__(embedder)
        self.C = C
        self.with_rules = with_rules
        self.rule_weight = rule_weight
        self.calibrate = calibrate
        self.standardize = standardize
        self.hierarchical = hierarchical  # level 1, then level 2 within it (hierarchical.py)
        self.temperature_ = 1.0
        self.head_: Pipeline | None = None

    def features(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        if not self.with_rules:
            return emb
        return np.hstack([emb, self.rule_weight * rule_features(X)])

    def _flat_head(self) -> Pipeline:
        head = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        return make_pipeline(*([StandardScaler(), head] if self.standardize else [head]))

    def _head(self, F: np.ndarray, y_idx: np.ndarray) -> Pipeline | HierarchicalHead:
        # A few hundred rows: one BLAS thread is as fast alone and far faster on a busy machine.
        with threadpool_limits(limits=1):
            if getattr(self, "hierarchical", False):  # models saved before the option: flat
                return HierarchicalHead(self.classes, self._flat_head).fit(F, y_idx)
            return self._flat_head().fit(F, y_idx)

    def fit(self, X: list[ClassifyInput], y: list[str]) -> LinearClassifier:
        return self.fit_emb(X, y, self.embed(X))

    def fit_emb(self, X: list[ClassifyInput], y: list[str], emb: np.ndarray) -> LinearClassifier:
        """``fit`` on embeddings already computed (the ensemble embeds once for all parts)."""
        labels = training_labels(y)
        self.classes = [c for c in LABELS if c in set(labels)]
        F = self.features(X, emb)
        y_idx = self.label_index(labels)
        if self.calibrate and len(set(labels)) > 1:
            oof = out_of_fold(
                len(X),
                len(self.classes),
                self.groups(X),
                lambda tr, te: self._proba(self._head(F[tr], y_idx[tr]), F[te]),
            )
            self.temperature_ = fit_temperature(oof, y_idx)
        self.head_ = self._head(F, y_idx) if len(set(labels)) > 1 else None
        self.remember(X, labels, emb)
        return self

    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        if self.head_ is None:
            return np.tile(np.eye(len(self.classes))[0], (len(X), 1))
        raw = self._proba(self.head_, self.features(X, emb))
        return retempered(raw, self.temperature_)

    def explain_rules(self, x: ClassifyInput) -> list[str]:
        return [RULES[i].description for i in fired_rules(x)] if self.with_rules else []
