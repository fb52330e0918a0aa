"""What every embedding-based approach shares: a lazily loaded embedder, the training
rows kept for explanations, and saving without the embedder.

The embedder is not pickled (it is hundreds of MB and rebuilt from its name); the name
is saved so that ``load`` gets the same model back, and so a model trained on another
embedding model can be recognised.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from jixiao.corpus.taxonomy import Scheme
from jixiao.models.classifier.contract import ClassifyInput, Explanation, Neighbor, TierPrediction
from jixiao.models.classifier.examples import embedding_text, group_of
from jixiao.models.classifier.labels import LABELS, make_predictions
from jixiao.models.embedding_base import hash_embedder_for


def embedder_by_name(name: str | None):  # noqa: ANN201 - returns an Embedder
    """The embedder a saved model was trained with: the hash test double, else ``load_embedder``."""
    double = hash_embedder_for(name)
    if double is not None:
        return double
    from jixiao.models.embedding import load_embedder

    return load_embedder(name)


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    """Scanning the loaded BLAS libraries takes milliseconds: done once per process."""
    return ThreadpoolController()


class EmbeddingApproach:
    """Base for approaches over embeddings of ``embedding_text(x)``."""

    approach = "embedding"
    n_neighbors_explained = 5

    def __init__(self, embedder: Any = None):
        self._embedder = embedder
        self.embedder_name: str | None = getattr(embedder, "model_name", None)
        self.classes: list[str] = list(LABELS)
        self.train_emb_: np.ndarray | None = None
        self.train_names_: list[str] = []
        self.train_codes_: list[str] = []
        self.train_tables_: list[str | None] = []
        self.table_decoder_ = None  # a TableDecoder, where the approach fits one

    @property
    def embedder(self):  # noqa: ANN201
        if self._embedder is None:
            self._embedder = embedder_by_name(self.embedder_name)
            self.embedder_name = self._embedder.model_name
        return self._embedder

    def embed(self, X: list[ClassifyInput]) -> np.ndarray:
        if not X:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        texts = [embedding_text(x) for x in X]
        uniq = list(dict.fromkeys(texts))
        rows = np.asarray(self.embedder.encode_queries(uniq), dtype=np.float32)
        pos = {t: i for i, t in enumerate(uniq)}
        return rows[[pos[t] for t in texts]]

    def remember(self, X: list[ClassifyInput], labels: list[str], emb: np.ndarray) -> None:
        self.train_emb_ = emb
        self.train_names_ = [x.name for x in X]
        self.train_codes_ = list(labels)
        self.train_tables_ = [x.table_id for x in X]

    @staticmethod
    def groups(X: list[ClassifyInput]) -> list[str]:
        return [group_of(x, i) for i, x in enumerate(X)]

    def label_index(self, labels: list[str]) -> np.ndarray:
        return np.array([self.classes.index(c) for c in labels])

    def _proba(self, head, F: np.ndarray) -> np.ndarray:  # noqa: ANN001 - a fitted scikit-learn classifier
        """A head's probabilities over all of ``self.classes`` (a fold may lack a class)."""
        out = np.zeros((F.shape[0], len(self.classes)))
        out[:, head.classes_] = head.predict_proba(F)
        return out

    # -- prediction: one skeleton; an approach supplies its probabilities (and rules) ------
    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        """Probabilities over ``self.classes`` for rows already embedded as ``emb``."""
        raise NotImplementedError

    def explain_rules(self, x: ClassifyInput) -> list[str]:
        """The rules behind a prediction; approaches without rules explain by neighbours only."""
        return []

    def predict_proba(self, X: list[ClassifyInput]) -> np.ndarray:
        return self.predict_proba_emb(X, self.embed(X))

    def predict(self, X: list[ClassifyInput]) -> list[TierPrediction]:
        if not X:
            return []
        emb = self.embed(X)
        # A table is tens of rows: one BLAS thread does these small products in microseconds,
        # while a thread pool on a busy machine waits milliseconds for its threads.
        with _threadpools().limit(limits=1):
            probs = self.predict_proba_emb(X, emb)
            sims = self.similarities(emb)
        explanations = [
            Explanation(neighbors=self.neighbors(sims[n]), rules=self.explain_rules(x)) for n, x in enumerate(X)
        ]
        return make_predictions(self.classes, probs, explanations)

    def classify_table(
        self, X: list[ClassifyInput], scheme: Scheme | str | None = None
    ) -> list[TierPrediction]:
        """The rows of one table, in order, decoded together (see ``table.py``)."""
        from jixiao.models.classifier.table_predict import classify_table

        return classify_table(self, X, scheme)

    def neighbors(self, sims_row: np.ndarray, k: int | None = None) -> list[Neighbor]:
        """The most similar training rows; one per distinct name, so copies do not crowd the list."""
        k = k or self.n_neighbors_explained
        out: list[Neighbor] = []
        seen: set[str] = set()
        for j in np.argsort(-sims_row):
            name = self.train_names_[j]
            if name in seen:
                continue
            seen.add(name)
            out.append(
                Neighbor.model_construct(  # exact types from the training rows: no re-validation
                    name=name,
                    code=self.train_codes_[j],
                    similarity=round(float(sims_row[j]), 4),
                    table_id=self.train_tables_[j],
                )
            )
            if len(out) >= k:
                break
        return out

    def similarities(self, emb: np.ndarray) -> np.ndarray:
        if self.train_emb_ is None or len(self.train_emb_) == 0:
            return np.zeros((len(emb), 0), dtype=np.float32)
        return emb @ self.train_emb_.T

    def save(self, path: Path) -> None:
        from jixiao.models.classifier.persist import save_model

        save_model(self, path)

    @classmethod
    def load(cls, path: Path, embedder: Any = None):  # noqa: ANN206
        from jixiao.models.classifier.persist import load_model

        return load_model(path, expected=cls, embedder=embedder)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_embedder"] = None
        return state
