"""Approach (c): distance-weighted k nearest labeled indicators (cosine over embeddings).

Drafters copy indicators between tables, so the nearest labeled row is often the same
indicator under another project. Votes are weighted by exp(similarity / tau); k and tau
are chosen on the training rows themselves by leaving each source document out (its
own rows masked), which is exact and cheap because only a similarity matrix is needed.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from jixiao.models.classifier.calibration import nll
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.embedded import EmbeddingApproach
from jixiao.models.classifier.labels import LABELS, training_labels

_KS = (3, 5, 10, 20)
_TAUS = (0.01, 0.02, 0.05, 0.1, 0.2)
_PRIORS = (0.05, 0.2, 0.5, 1.0)


class KnnClassifier(EmbeddingApproach):
    approach = "knn"

    def __init__(
        self, embedder: Any = None, k: int | None = None, tau: float | None = None, prior: float | None = None
    ):
        super().__init__(embedder)
        self.k = k
        self.tau = tau
        self.prior = prior  # pseudo-votes spread by class frequency, so no class gets probability 0
        self.k_ = k or 10
        self.tau_ = tau or 0.05
        self.prior_ = prior or 0.2
        self.class_freq_: np.ndarray | None = None

    def _vote(
        self, sims: np.ndarray, y_idx: np.ndarray, k: int, tau: float, prior: float, freq: np.ndarray
    ) -> np.ndarray:
        out = np.tile(prior * freq, (len(sims), 1))
        if sims.shape[1] == 0:
            return out / out.sum(axis=1, keepdims=True)
        kk = min(k, sims.shape[1])
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        s = np.take_along_axis(sims, top, axis=1)
        best = s.max(axis=1, keepdims=True)
        best = np.where(np.isfinite(best), best, 0.0)  # a row whose neighbours are all masked votes nothing
        with np.errstate(invalid="ignore"):
            w = np.nan_to_num(np.exp((s - best) / tau), nan=0.0)
        total = w.sum(axis=1, keepdims=True)
        w = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
        np.add.at(out, (np.repeat(np.arange(len(sims)), kk), y_idx[top].ravel()), w.ravel())
        return out / out.sum(axis=1, keepdims=True)

    def fit(self, X: list[ClassifyInput], y: list[str]) -> KnnClassifier:
        return self.fit_emb(X, y, self.embed(X))

    def fit_emb(self, X: list[ClassifyInput], y: list[str], emb: np.ndarray) -> KnnClassifier:
        """``fit`` on embeddings already computed (the ensemble embeds once for all parts)."""
        labels = training_labels(y)
        self.classes = [c for c in LABELS if c in set(labels)]
        y_idx = self.label_index(labels)
        freq = np.bincount(y_idx, minlength=len(self.classes)).astype(np.float64)
        self.class_freq_ = freq / freq.sum()
        if self.k is None or self.tau is None or self.prior is None:
            groups = np.array(self.groups(X))
            with threadpool_limits(limits=1):  # small matrix; threads only contend on a busy machine
                sims = (emb @ emb.T).astype(np.float64)
            sims[groups[:, None] == groups[None, :]] = -np.inf  # leave the whole source document out
            best = None
            grid = itertools.product(
                [self.k] if self.k else _KS,
                [self.tau] if self.tau else _TAUS,
                [self.prior] if self.prior else _PRIORS,
            )
            for k, tau, prior in grid:
                loss = nll(self._vote(sims, y_idx, k, tau, prior, self.class_freq_), y_idx)
                if best is None or loss < best[0]:
                    best = (loss, k, tau, prior)
            _, self.k_, self.tau_, self.prior_ = best
        self.remember(X, labels, emb)
        return self

    def predict_proba_sims(self, sims: np.ndarray) -> np.ndarray:
        y_idx = self.label_index(self.train_codes_)
        return self._vote(sims.astype(np.float64), y_idx, self.k_, self.tau_, self.prior_, self.class_freq_)

    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        return self.predict_proba_sims(self.similarities(emb))
