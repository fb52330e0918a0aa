"""Approach (f): gradient-boosted trees over the row features, temperature-calibrated.

Trees can learn interactions a linear head cannot ("a % value *and* 合格 in the name is
质量; a % value with 受益 is 社会效益"). The features are the reviewer rules as 0/1
firings, the parsed value (kind, unit, operator, deadline) one-hot, and the sentence
embedding of name and value reduced to its main ``n_components`` directions (trees split
one feature at a time, so 384 raw dimensions cost time without adding splits worth
having). With a few hundred labeled rows trees overfit easily, so the model is small
(shallow trees, strong L2, few iterations) and its temperature comes from grouped
internal folds, like the other approaches.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction import DictVectorizer
from threadpoolctl import threadpool_limits

from jixiao.models.classifier.calibration import fit_temperature, out_of_fold, retempered
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.embedded import EmbeddingApproach
from jixiao.models.classifier.labels import LABELS, training_labels
from jixiao.models.classifier.ngram import value_tokens
from jixiao.models.classifier.rules import RULES, fired_rules, rule_features


class GradientBoostedClassifier(EmbeddingApproach):
    approach = "gbt"

    def __init__(
        self, embedder: Any = None, max_iter: int = 100, learning_rate: float = 0.1, n_components: int = 24
    ):
        super().__init__(embedder)
        self.max_iter = max_iter
        self.n_components = n_components
        self.pca_: PCA | None = None
        self.learning_rate = learning_rate
        self.temperature_ = 1.0
        self.values_: DictVectorizer | None = None
        self.head_: HistGradientBoostingClassifier | None = None

    def _features(self, X: list[ClassifyInput], emb: np.ndarray, fit: bool = False) -> np.ndarray:
        dicts = [dict.fromkeys(value_tokens(x).split(), 1.0) for x in X]
        if fit:
            self.values_ = DictVectorizer(sparse=False).fit(dicts)
            self.pca_ = PCA(n_components=min(self.n_components, *emb.shape), random_state=0).fit(emb)
        return np.hstack([rule_features(X), self.values_.transform(dicts), self.pca_.transform(emb)])

    def _head(self, F: np.ndarray, y_idx: np.ndarray) -> HistGradientBoostingClassifier:
        head = HistGradientBoostingClassifier(
            max_iter=self.max_iter,
            learning_rate=self.learning_rate,
            max_depth=3,
            min_samples_leaf=8,
            l2_regularization=1.0,
            class_weight="balanced",
            early_stopping=False,
            random_state=0,
        )
        with threadpool_limits(limits=1):
            return head.fit(F, y_idx)

    def fit(self, X: list[ClassifyInput], y: list[str]) -> GradientBoostedClassifier:
        labels = training_labels(y)
        self.classes = [c for c in LABELS if c in set(labels)]
        y_idx = self.label_index(labels)
        emb = self.embed(X)
        F = self._features(X, emb, fit=True)
        if len(set(labels)) > 1:
            oof = out_of_fold(
                len(X),
                len(self.classes),
                self.groups(X),
                lambda tr, te: self._proba(self._head(F[tr], y_idx[tr]), F[te]),
            )
            self.temperature_ = fit_temperature(oof, y_idx)
            self.head_ = self._head(F, y_idx)
        self.remember(X, labels, emb)
        return self

    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        if self.head_ is None:
            return np.tile(np.eye(len(self.classes))[0], (len(X), 1))
        return retempered(self._proba(self.head_, self._features(X, emb)), self.temperature_)

    def explain_rules(self, x: ClassifyInput) -> list[str]:
        return [RULES[i].description for i in fired_rules(x)]
