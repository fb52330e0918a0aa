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


def field_text(field: str, x: ClassifyInput) -> str:
    """What the vectorizer of ``field`` reads from a row."""
    if field == "name":
        return normalize_text(x.name or "")
    if field == "value":
        return value_tokens(x)
    return normalize_text(f"{x.project or ''} {x.goal or ''}")[:300]


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
        names = ["name", *(["value"] if self.value else []), *(["project"] if self.project else [])]
        return {f: [field_text(f, x) for x in X] for f in names}

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
        if self.head_.coef_.shape[0] == 1:  # two classes: scikit-learn's own path
            raw = self._proba(self.head_, self._matrix(self._fields(X), fit=False))
        else:
            raw = np.zeros((len(X), len(self.classes)))
            raw[:, self.head_.classes_] = _softmax(self._decision(X))
        return retempered(raw, self.temperature_)

    # -- prediction without building the sparse matrix ----------------------------------------
    # The head is linear, so its decision is a sum over fields of each text's n-gram weights.
    # Scoring each distinct text once (the project and goal repeat on every row of a table)
    # and skipping scikit-learn's per-call validation makes this several times quicker than
    # transform + hstack + predict_proba, with the same numbers (tested).
    def _decision(self, X: list[ClassifyInput]) -> np.ndarray:
        out = np.tile(self.head_.intercept_, (len(X), 1))
        for field, (vec, analyze, weights) in self._scorers().items():
            texts = self._field_texts(field, X)
            uniq = list(dict.fromkeys(texts))
            scores = _tfidf_scores(vec, analyze, uniq, weights)
            if len(uniq) == len(texts):
                out += scores
            else:
                pos = {t: i for i, t in enumerate(uniq)}
                out += scores[[pos[t] for t in texts]]
        return out

    def _scorers(self) -> dict[str, tuple]:
        """Per field: the vectorizer, its analyzer and its slice of the head's weights (built once)."""
        cached = self.__dict__.get("_scorers_")
        if cached is not None and cached[0] is self.head_:
            return cached[1]
        scorers, offset = {}, 0
        for field, vec in self.vectorizers_.items():
            width = len(vec.vocabulary_)
            scale = {"project": self.project_weight, "value": self.value_weight}.get(field, 1.0)
            weights = np.ascontiguousarray(self.head_.coef_[:, offset : offset + width].T * scale)
            scorers[field] = (vec, vec.build_analyzer(), weights)
            offset += width
        self.__dict__["_scorers_"] = (self.head_, scorers)
        return scorers

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_scorers_", None)  # rebuilt on first use
        return state

    def _field_texts(self, field: str, X: list[ClassifyInput]) -> list[str]:
        """``_fields(X)[field]``, each repeated value or project read once."""
        if field == "name":
            return [normalize_text(x.name or "") for x in X]
        memo: dict[tuple, str] = {}
        out = []
        for x in X:
            key = (x.value,) if field == "value" else (x.project, x.goal)
            if key not in memo:
                memo[key] = field_text(field, x)
            out.append(memo[key])
        return out


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _tfidf_scores(vec: TfidfVectorizer, analyze: Any, texts: list[str], weights: np.ndarray) -> np.ndarray:
    """``vec.transform(texts) @ weights`` for a fitted vectorizer (tf, sublinear tf, idf, l2)."""
    vocab = vec.vocabulary_
    idf = getattr(vec, "idf_", None) if vec.use_idf else None
    out = np.zeros((len(texts), weights.shape[1]))
    for n, text in enumerate(texts):
        counts: dict[int, int] = {}
        for gram in analyze(text):
            j = vocab.get(gram)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            continue
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if vec.sublinear_tf:
            tf = 1.0 + np.log(tf)
        if idf is not None:
            tf = tf * idf[idx]
        if vec.norm == "l2":
            tf = tf / np.linalg.norm(tf)
        elif vec.norm == "l1":
            tf = tf / np.abs(tf).sum()
        out[n] = tf @ weights[idx]
    return out
