"""Choosing the table decoder's settings on out-of-fold row probabilities of training tables.

The smoothing, how much the transitions count and how far the class prior is divided out
of the row probabilities are picked by decoded accuracy plus macro-F1 over hundreds of
settings, so decoding here is vectorised over tables (zero-padded into one array). The
chain itself lives in ``table.py``; ``TableDecoder.tune`` and ``decode_for_calibration``
call into this module.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from jixiao.models.classifier.calibration import Decoded, nll, tempered

if TYPE_CHECKING:
    from jixiao.models.classifier.table import TableDecoder

_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
#: How far the class prior may be divided out of row probabilities. The row model has already
#: divided out part of it (the ensemble's ``balance_``), and a bonus for a rare tier adds up
#: along a block, so dividing it out in full again (1.0) turned whole tables of 经费 or 食品安全
#: rows into 23 生态效益: grouped CV, capping at 0.5, table L1 acc 0.945 → 0.953, table+L1
#: L2 acc 0.830 → 0.851 and macro-F1 0.703 → 0.716.
_PRIOR = (0.0, 0.5)
_STRENGTHS = (2.0, 5.0, 10.0, 30.0, 100.0)
#: Pseudo-counts pulling each tier's own stay probability towards the global one (None: global
#: only). Only strong smoothing is offered: block lengths are a habit of the drafting office
#: (one 社会效益 row in most corpus tables, eight in the seeds' medical-aid tables), and
#: weakly smoothed per-tier stays (3-30) raised grouped-CV macro-F1 by 0.03 but cut the
#: seeds' held-out level-2 accuracy from 0.83 to 0.77.
_STAY_STRENGTHS: tuple[float | None, ...] = (None, 100.0)
#: How far a tier's frequency is divided out of the moves into it (0: not at all). The row
#: probabilities already carry each tier's frequency, and pair counts carry it again
#: (14 → 24 is rare mostly because 24 is rare), so a rare tier is paid for twice. Dividing
#: it out of the moves makes a tier's rarity count once per block, at its entry, not per row.
_ENTRY_LIFTS = (0.0, 0.5, 1.0)

#: One training table for tuning: out-of-fold row probabilities, gold class indices, printed level 1s.
TuningTable = tuple[np.ndarray, np.ndarray, Sequence[str | None]]


class _Stacked(NamedTuple):
    logp: np.ndarray
    fence: np.ndarray
    valid: np.ndarray
    lengths: np.ndarray
    gold: np.ndarray
    printed: np.ndarray  # per row: its table prints a level 1 (on any row)


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))).squeeze(axis)


def batch_log_posteriors(decoder: TableDecoder, emit: np.ndarray, lengths: np.ndarray, weight: float) -> np.ndarray:
    """Unnormalised log posteriors of many tables at once (``emit``: tables × rows × tiers,
    zero-padded past each table's ``lengths``): the same forward-backward as ``posteriors``,
    vectorised over tables so that tuning tries hundreds of settings in seconds."""
    _, n, _ = emit.shape
    trans = weight * decoder.log_trans
    alpha = np.empty_like(emit)
    beta = np.zeros_like(emit)
    alpha[:, 0] = weight * decoder.log_start + emit[:, 0]
    for i in range(1, n):
        alpha[:, i] = logsumexp(alpha[:, i - 1, :, None] + trans[None], axis=1) + emit[:, i]
    for i in range(n - 2, -1, -1):
        step = logsumexp(trans[None] + (emit[:, i + 1] + beta[:, i + 1])[:, None, :], axis=2)
        beta[:, i] = np.where((i < lengths - 1)[:, None], step, 0.0)
    return alpha + beta


def _stacked(decoder: TableDecoder, tables: Sequence[TuningTable]) -> _Stacked:
    """Tables zero-padded into one array, so that many can be decoded at once."""
    lengths = np.array([len(p) for p, _, _ in tables])
    logp = np.zeros((len(tables), int(lengths.max()), len(decoder.classes)))
    fence = np.zeros_like(logp)
    for t, (p, _, d) in enumerate(tables):
        logp[t, : len(p)] = np.log(np.clip(p, 1e-12, 1.0))
        fence[t, : len(p)] = decoder.allowed(d, None)
    valid = np.arange(logp.shape[1])[None, :] < lengths[:, None]
    gold = np.concatenate([g for _, g, _ in tables])
    printed = np.repeat([any(d) for _, _, d in tables], lengths)
    return _Stacked(logp, fence, valid, lengths, gold, printed)


def _decoded(decoder: TableDecoder, s: _Stacked, weight: float, prior: float, with_declared: bool) -> np.ndarray:
    emit = s.logp - prior * decoder.log_prior + (s.fence if with_declared else 0.0)
    emit = np.where(s.valid[..., None], emit, 0.0)
    return tempered(batch_log_posteriors(decoder, emit, s.lengths, weight)[s.valid], 1.0)


def decode_for_calibration(decoder: TableDecoder, tables: Sequence[TuningTable]) -> Decoded:
    """Uncalibrated posteriors of ``tables`` under the decoder's settings: every row without
    the printed level 1s, and the rows of tables that print one with them."""
    s = _stacked(decoder, tables)
    with_l1 = _decoded(decoder, s, decoder.weight, decoder.prior, True)[s.printed]
    plain = _decoded(decoder, s, decoder.weight, decoder.prior, False)
    return Decoded(plain, s.gold, with_l1, s.gold[s.printed])


def tune(decoder: TableDecoder, tables: Sequence[TuningTable]) -> None:
    """Set pair smoothing, per-tier stay smoothing, weight and prior by decoded accuracy
    plus macro-F1 (ties: NLL), each setting scored both with and without the printed
    level 1s, since callers may have either."""
    s = _stacked(decoder, tables)
    best = None
    for strength, stay, lift in itertools.product(_STRENGTHS, _STAY_STRENGTHS, _ENTRY_LIFTS):
        decoder.set_pair_strength(strength, stay, lift)
        for w in _WEIGHTS:
            for b in _PRIOR:
                post = [_decoded(decoder, s, w, b, flag) for flag in (False, True)]
                acc = sum(_accuracy_and_macro_f1(p.argmax(axis=1), s.gold) for p in post)
                loss = sum(nll(p, s.gold) for p in post)
                key = (round(acc, 6), -loss, -w)
                if best is None or key > best[0]:
                    best = (key, w, b, strength, stay, lift)
    _, decoder.weight, decoder.prior, strength, stay, lift = best
    decoder.set_pair_strength(strength, stay, lift)


def _accuracy_and_macro_f1(pred: np.ndarray, gold: np.ndarray) -> float:
    """Accuracy plus macro-F1 over the gold classes and the predicted ones (as scikit-learn's
    ``f1_score(average="macro")``, in numpy: tuning calls it hundreds of times)."""
    k = int(max(pred.max(), gold.max())) + 1
    tp = np.bincount(gold[pred == gold], minlength=k)
    support = np.bincount(gold, minlength=k)
    predicted = np.bincount(pred, minlength=k)
    present = (support + predicted) > 0
    f1 = np.divide(2 * tp, support + predicted, out=np.zeros(k), where=present)
    return float((pred == gold).mean()) + float(f1[present].mean())
