"""Approach (e): character n-grams and the parsed value, in a sparse logistic regression.

The embedding model sees a row as one sentence and smooths over the characters a
reviewer keys on (率, 人次, 满意, 合格). Character n-grams of the name keep them. The
value is read as a reviewer reads it: its kind (a number, a date, words), its unit (人次
and 公里 are quantity, % with 合格 is quality, 元 is cost) and its operator. The project
name and goal say what the project delivers, which decides between 数量 and 社会效益 for
rows such as ``受益群众``. Each feature group can be switched off, so grouped CV
measures each one on its own (``ngram``, ``ngram+value``, ``ngram+value+project``).

No embedding is needed, so the ensemble adds this as a fourth expert for free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.values import parse_value
from jixiao.models.classifier.calibration import fit_temperature, out_of_fold, retempered
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.embedded import EmbeddingApproach
from jixiao.models.classifier.labels import LABELS, training_labels


def value_tokens(x: ClassifyInput) -> str:
    """The value as words a linear model can weigh: kind, unit, operator, a deadline, a bare number."""
    v = parse_value(x.value)
    toks = [f"kind_{v.kind.value}"]
    if v.unit:
        toks.append(f"unit_{v.unit}")
        if "/" in v.unit:
            toks.append("unit_per")  # 元/人, 人次/年: a rate per head is usually a cost standard
    if v.operator:
        toks.append(f"op_{v.operator}")
    if v.deadline:
        toks.append("deadline")
    if v.number is not None:
        toks.append("pct100" if v.unit == "%" and v.number >= 100 else "num")
    return " ".join(toks)


class NgramClassifier(EmbeddingApproach):
    approach = "ngram"

    def __init__(
        self,
        embedder: Any = None,
        *,
        value: bool = True,
        project: bool = False,
        C: float = 2.0,
        project_weight: float = 0.3,
        value_weight: float = 0.3,
        calibrate: bool = True,
    ):
        super().__init__(embedder)
        self.value = value
        self.project = project
        self.C = C
        self.project_weight = project_weight
        self.value_weight = value_weight
        self.calibrate = calibrate
        self.temperature_ = 1.0
        self.vectorizers_: dict[str, TfidfVectorizer] = {}
        self.head_: LogisticRegression | None = None

    def _fields(self, X: list[ClassifyInput]) -> dict[str, list[str]]:
        out = {"name": [normalize_text(x.name or "") for x in X]}
        if self.value:
            out["value"] = [value_tokens(x) for x in X]
        if self.project:
            out["project"] = [normalize_text(f"{x.project or ''} {x.goal or ''}")[:300] for x in X]
        return out

    @staticmethod
    def _vectorizer(field: str) -> TfidfVectorizer:
        if field == "value":
            return TfidfVectorizer(analyzer=str.split, lowercase=False, use_idf=False, norm=None)
        ngrams = (1, 3) if field == "name" else (2, 2)
        return TfidfVectorizer(analyzer="char", ngram_range=ngrams, sublinear_tf=True, min_df=1)

    def _matrix(self, fields: dict[str, list[str]], fit: bool) -> sparse.csr_matrix:
        parts = []
        for field, texts in fields.items():
            if fit:
                self.vectorizers_[field] = self._vectorizer(field).fit(texts)
            m = self.vectorizers_[field].transform(texts)
            parts.append(m * {"project": self.project_weight, "value": self.value_weight}.get(field, 1.0))
        return sparse.hstack(parts).tocsr()

    def _head(self, F: sparse.csr_matrix, y_idx: np.ndarray) -> LogisticRegression:
        with threadpool_limits(limits=1):
            return LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000).fit(F, y_idx)

    def fit(self, X: list[ClassifyInput], y: list[str]) -> NgramClassifier:
        return self.fit_emb(X, y, self.embed(X))  # embedded only to explain by neighbours

    def fit_emb(self, X: list[ClassifyInput], y: list[str], emb: np.ndarray | None) -> NgramClassifier:
        labels = training_labels(y)
        self.classes = [c for c in LABELS if c in set(labels)]
        y_idx = self.label_index(labels)
        fields = self._fields(X)
        if self.calibrate and len(set(labels)) > 1:

            def fit_predict(tr: np.ndarray, te: np.ndarray) -> np.ndarray:
                inner = NgramClassifier(
                    value=self.value,
                    project=self.project,
                    C=self.C,
                    project_weight=self.project_weight,
                    value_weight=self.value_weight,
                    calibrate=False,
                )
                inner.classes = self.classes
                F = inner._matrix({k: [v[i] for i in tr] for k, v in fields.items()}, fit=True)
                head = inner._head(F, y_idx[tr])
                return inner._proba(
                    head, inner._matrix({k: [v[i] for i in te] for k, v in fields.items()}, False)
                )

            self.temperature_ = fit_temperature(
                out_of_fold(len(X), len(self.classes), self.groups(X), fit_predict), y_idx
            )
        F = self._matrix(fields, fit=True)
        self.head_ = self._head(F, y_idx) if len(set(labels)) > 1 else None
        if emb is not None:
            self.remember(X, labels, emb)
        return self

    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray | None = None) -> np.ndarray:
        if self.head_ is None:
            return np.tile(np.eye(len(self.classes))[0], (len(X), 1))
        raw = self._proba(self.head_, self._matrix(self._fields(X), fit=False))
        return retempered(raw, self.temperature_)
