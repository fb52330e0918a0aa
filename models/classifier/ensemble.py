"""The ensemble: rules, the linear head and kNN, combined as a weighted product of experts.

The rules know what reviewers know (a date is 时效 whatever the words); the embeddings
know wording the rules never listed; kNN knows the indicators drafters copy verbatim.
Their log-probabilities are added with weights chosen on grouped internal folds (each
component fitted without the rows it then predicts), part of the class prior is divided
out so the rare tiers are not drowned by 数量 (how much, again chosen on those folds),
and one temperature on top makes the result calibrated again. Weight 0 drops a component, so the ensemble can never be
chosen worse than its best part on those folds. The same out-of-fold probabilities tune
the table-aware decoder (``table.py``), so it learns how much to trust a table's
structure against rows it has not memorised.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from jixiao.models.classifier.calibration import fit_temperature, grouped_folds, nll, tempered
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.embedded import EmbeddingApproach
from jixiao.models.classifier.knn import KnnClassifier
from jixiao.models.classifier.labels import LABELS, training_labels
from jixiao.models.classifier.linear import LinearClassifier
from jixiao.models.classifier.ngram import NgramClassifier
from jixiao.models.classifier.rules import RulesClassifier
from jixiao.models.classifier.table_fit import fit_decoder

_WEIGHTS = (0.0, 0.5, 1.0, 2.0)
_BALANCE = (0.0, 0.25, 0.5, 0.75, 1.0)
_COMPONENTS = ("rules", "linear", "knn")
_WITH_NGRAM = (*_COMPONENTS, "ngram")


def _align(probs: np.ndarray, src: list[str], dst: list[str]) -> np.ndarray:
    out = np.full((len(probs), len(dst)), 1e-6)
    for j, c in enumerate(src):
        out[:, dst.index(c)] = probs[:, j]
    return out


def _macro_f1(logp: np.ndarray, y_idx: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_idx, logp.argmax(axis=1), average="macro", zero_division=0))


class EnsembleClassifier(EmbeddingApproach):
    approach = "ensemble"

    def __init__(
        self,
        embedder: Any = None,
        inner_folds: int = 3,
        linear_with_rules: bool = False,
        with_ngram: bool = False,
        hierarchical: bool = False,
    ):
        super().__init__(embedder)
        self.with_ngram = with_ngram
        self.hierarchical = hierarchical  # the linear expert: level 1, then level 2 within it
        self.approach = "ensemble+ngram" if with_ngram else "ensemble"
        self.inner_folds = inner_folds
        self.linear_with_rules = linear_with_rules
        self.weights_: dict[str, float] = {"rules": 1.0, "linear": 1.0, "knn": 0.0}
        self.temperature_ = 1.0
        self.balance_ = 0.0  # how far the class prior is divided out (0: none, 1: fully balanced)
        self.log_freq_: np.ndarray | None = None
        self.rules_ = RulesClassifier()
        self.linear_: LinearClassifier | None = None
        self.knn_: KnnClassifier | None = None
        self.ngram_: NgramClassifier | None = None

    @property
    def component_names(self) -> tuple[str, ...]:
        return _WITH_NGRAM if getattr(self, "with_ngram", False) else _COMPONENTS

    def _components(self, calibrate: bool) -> tuple:
        parts = (
            RulesClassifier(),
            LinearClassifier(
                self._embedder,
                calibrate=calibrate,
                with_rules=self.linear_with_rules,
                hierarchical=getattr(self, "hierarchical", False),
            ),
            KnnClassifier(self._embedder),
        )
        return (*parts, NgramClassifier(project=True, calibrate=calibrate)) if self.with_ngram else parts

    def _log_parts(self, parts: tuple, X: list[ClassifyInput], emb: np.ndarray) -> dict[str, np.ndarray]:
        rules, linear, knn = parts[:3]
        raw = {
            "rules": _align(rules.predict_proba(X), rules.classes, self.classes),
            "linear": _align(linear.predict_proba_emb(X, emb), linear.classes, self.classes),
            "knn": _align(knn.predict_proba_sims(knn.similarities(emb)), knn.classes, self.classes),
        }
        if len(parts) > 3:
            raw["ngram"] = _align(parts[3].predict_proba_emb(X, emb), parts[3].classes, self.classes)
        return {k: np.log(np.clip(v, 1e-9, 1.0)) for k, v in raw.items()}

    @staticmethod
    def _combine(logs: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
        return sum(weights.get(k, 0.0) * logs[k] for k in logs)

    def _fit_parts(self, X: list[ClassifyInput], labels: list[str], emb: np.ndarray, calibrate: bool):  # noqa: ANN202
        rules, linear, knn, *more = self._components(calibrate)
        fitted = (rules.fit(X, labels), linear.fit_emb(X, labels, emb), knn.fit_emb(X, labels, emb))
        return (*fitted, *(m.fit_emb(X, labels, None) for m in more))

    def fit(self, X: list[ClassifyInput], y: list[str]) -> EnsembleClassifier:
        labels = training_labels(y)
        self.classes = [c for c in LABELS if c in set(labels)]
        emb = self.embed(X)
        y_idx = self.label_index(labels)
        freq = np.bincount(y_idx, minlength=len(self.classes)) / len(y_idx)
        self.log_freq_ = np.log(np.clip(freq, 1e-6, 1.0))
        folds = grouped_folds(self.groups(X), self.inner_folds)
        oof_probs = None
        if len(folds) >= 2 and len(set(labels)) > 1:
            oof = self._out_of_fold(X, labels, emb, folds)
            self._choose(oof, y_idx)
            oof_probs = self._calibrated(oof)
        self.table_decoder_ = fit_decoder(self.classes, X, labels, oof_probs)
        self.rules_, self.linear_, self.knn_, *more = self._fit_parts(X, labels, emb, calibrate=False)
        self.ngram_ = more[0] if more else None
        self.remember(X, labels, emb)
        return self

    def _out_of_fold(
        self, X: list[ClassifyInput], labels: list[str], emb: np.ndarray, folds: list[np.ndarray]
    ) -> dict[str, np.ndarray]:
        """Each component's log-probabilities for rows of a fold it was not fitted on."""
        oof = {k: np.zeros((len(X), len(self.classes))) for k in self.component_names}
        for test in folds:
            train = np.setdiff1d(np.arange(len(X)), test)
            parts = self._fit_parts(
                [X[i] for i in train], [labels[i] for i in train], emb[train], calibrate=False
            )
            logs = self._log_parts(parts, [X[i] for i in test], emb[test])
            for k in self.component_names:
                oof[k][test] = logs[k]
        return oof

    def _choose(self, oof: dict[str, np.ndarray], y_idx: np.ndarray) -> None:
        """Weights by held-out NLL; then how far to divide out the class prior, by held-out
        macro-F1 (the rare tiers matter as much as 数量); then the temperature, by NLL."""
        best = None
        names = self.component_names
        for w in itertools.product(_WEIGHTS, repeat=len(names)):
            if not any(w):
                continue
            weights = dict(zip(names, w, strict=True))
            logp = self._combine(oof, weights)
            loss = nll(tempered(logp, fit_temperature(tempered(logp, 1.0), y_idx)), y_idx)
            if best is None or loss < best[0] - 1e-9:
                best = (loss, weights)
        self.weights_ = best[1]
        combined = self._combine(oof, self.weights_)
        self.balance_ = max(_BALANCE, key=lambda a: (_macro_f1(combined - a * self.log_freq_, y_idx), -a))
        self.temperature_ = fit_temperature(tempered(combined - self.balance_ * self.log_freq_, 1.0), y_idx)

    def _calibrated(self, logs: dict[str, np.ndarray]) -> np.ndarray:
        return tempered(
            self._combine(logs, self.weights_) - self.balance_ * self.log_freq_, self.temperature_
        )

    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        parts = (self.rules_, self.linear_, self.knn_)
        if getattr(self, "ngram_", None) is not None:
            parts = (*parts, self.ngram_)
        return self._calibrated(self._log_parts(parts, X, emb))

    def explain_rules(self, x: ClassifyInput) -> list[str]:
        return self.rules_.explain(x)
