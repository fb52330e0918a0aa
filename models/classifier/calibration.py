"""Temperature scaling and the expected calibration error.

The corpus is small and imbalanced, so raw scores (logistic regression with balanced
class weights, kNN votes) are over- or under-confident. One temperature, fitted on
predictions for rows the model did not see (grouped internal folds), fixes the scale
without changing which tier wins, so accuracy is untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

_GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 61))


def nll(probs: np.ndarray, y_idx: np.ndarray) -> float:
    p = np.clip(probs[np.arange(len(y_idx)), y_idx], 1e-12, 1.0)
    return float(-np.log(p).mean())


def tempered(log_probs: np.ndarray, temperature: float) -> np.ndarray:
    z = log_probs / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def log_probs(probs: np.ndarray) -> np.ndarray:
    return np.log(np.clip(probs, 1e-12, 1.0))


_log = log_probs


def retempered(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (not logits) under ``temperature``: what a fitted head predicts, calibrated."""
    return tempered(_log(probs), temperature)


def fit_temperature(probs: np.ndarray, y_idx: np.ndarray) -> float:
    """The temperature minimising NLL of held-out probabilities (1.0 when there is nothing to fit)."""
    if len(y_idx) == 0:
        return 1.0
    logp = _log(probs)
    losses = [nll(tempered(logp, t), y_idx) for t in _GRID]
    return float(_GRID[int(np.argmin(losses))])


def ece(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: |accuracy - confidence| per equal-width bin, weighted by bin size."""
    conf = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if len(conf) == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(ok[m].mean() - conf[m].mean())
    return float(total / len(conf))


def grouped_folds(groups: Sequence[str], n_splits: int, seed: int = 0) -> list[np.ndarray]:
    """Row indices of each internal fold; groups are shuffled then dealt round-robin by size."""
    uniq = sorted(set(groups))
    rng = np.random.default_rng(seed)
    rng.shuffle(uniq)
    k = max(1, min(n_splits, len(uniq)))
    sizes = {g: 0 for g in uniq}
    for g in groups:
        sizes[g] += 1
    fold_of: dict[str, int] = {}
    load = [0] * k
    for g in sorted(uniq, key=lambda g: -sizes[g]):
        f = int(np.argmin(load))
        fold_of[g] = f
        load[f] += sizes[g]
    gi = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(gi == f) for f in range(k)]


def out_of_fold(
    n: int,
    n_classes: int,
    groups: Sequence[str],
    fit_predict: Callable[[np.ndarray, np.ndarray], np.ndarray],
    n_splits: int = 3,
) -> np.ndarray:
    """Probabilities for every row from a model fitted without that row's group.

    ``fit_predict(train_idx, test_idx)`` returns (len(test_idx), n_classes) probabilities.
    """
    out = np.full((n, n_classes), 1.0 / max(n_classes, 1))
    folds = grouped_folds(groups, n_splits)
    if len(folds) < 2:
        return out
    for test in folds:
        train = np.setdiff1d(np.arange(n), test)
        if len(train) and len(test):
            out[test] = fit_predict(train, test)
    return out


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_platt(confidences: np.ndarray, correct: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of P(correct) = σ(slope · logit(confidence) + intercept), by
    maximum likelihood on held-out predictions; (1, 0) (no change) when there is nothing
    to fit. Unlike a temperature, the slope can pull over-confident top scores down
    while lifting under-confident middle ones, which is what decoded tables need."""
    ok = np.asarray(correct, dtype=bool)
    if len(ok) < 10 or ok.all() or not ok.any():
        return 1.0, 0.0
    from sklearn.linear_model import LogisticRegression

    z = _logit(np.asarray(confidences, dtype=np.float64))[:, None]
    lr = LogisticRegression(C=100.0).fit(z, ok)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def platt_scaled(probs: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """Each row's top probability mapped by ``fit_platt``'s curve, the others rescaled to
    fill the rest, so rows still sum to 1 and the top tier stays on top."""
    if slope == 1.0 and intercept == 0.0:
        return probs
    out = np.array(probs, dtype=np.float64, copy=True)
    if out.size == 0:
        return out
    rows = np.arange(len(out))
    top = out.argmax(axis=1)
    conf = out[rows, top]
    rest = np.clip(1.0 - conf, 1e-12, None)
    others = out.copy()
    others[rows, top] = -np.inf
    second = others.max(axis=1) if out.shape[1] > 1 else np.zeros(len(out))
    new = 1.0 / (1.0 + np.exp(-(slope * _logit(conf) + intercept)))
    new = np.maximum(new, second / (rest + second) + 1e-9)  # stays above the runner-up after rescaling
    out *= ((1.0 - new) / rest)[:, None]
    out[rows, top] = new
    return out


class Decoded(NamedTuple):
    """Decoded posteriors to calibrate on: all rows without printed level 1s (``plain``), and
    the rows of tables that print one, decoded with them (``declared``)."""

    plain: np.ndarray
    gold: np.ndarray
    declared: np.ndarray
    gold_declared: np.ndarray

    @staticmethod
    def joined(parts: Sequence[Decoded], k: int) -> Decoded:
        def cat(i: int, width: int | None) -> np.ndarray:
            arrays = [p[i] for p in parts if len(p[i])]
            if arrays:
                return np.concatenate(arrays)
            return np.zeros((0, width)) if width else np.zeros(0, dtype=int)

        return Decoded(cat(0, k), cat(1, None), cat(2, k), cat(3, None))
