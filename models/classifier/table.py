"""Table-aware decoding: read a whole table the way a reviewer does, not one row at a time.

A reviewer who meets an ambiguous row (``服务覆盖率``: 质量 or 社会效益?) looks at the
rows around it. Rows of one tier form one contiguous block in almost every real table,
the blocks come in the canonical order 产出 (数量 质量 时效 成本) → 效益 (经济 社会 生态
可持续) → 满意度 (scheme B puts 成本 as its own level 1 between 产出 and 效益, which is the
same order once cost is merged into 14), and a level-1 heading printed on a merged cell
says the level 1 of every row beneath it.

This module turns that into a chain model over the row sequence. Each row's
probabilities (from any approach) are the evidence. Transitions between consecutive
rows are learned from the training tables: how often a block continues (one figure for
all tiers, since block lengths vary by domain, optionally each tier's own figure strongly
smoothed towards it), and where a block goes next, counted per
pair of tiers and smoothed towards four kinds of move (stay, forward within a level 1,
forward to a later level 1, back), with part of the next tier's frequency divided out
(the row probabilities carry it already). A printed level 1 multiplies every tier outside it
by ``OUTSIDE_DECLARED``. Forward-backward gives each row's posterior over tiers given
the whole table. The smoothing, how much the transitions count, how far the class prior
is divided out of the row probabilities, and the final calibration (a temperature, then
Platt scaling of the shown confidence, each fitted separately for tables with and
without a printed level 1) are chosen on out-of-fold row probabilities, so they are
learned on rows the row model did not see.

A printed level 1 is a strong prior, not a wall: when a row's own evidence outweighs it
(a row printed under 产出 whose model probability for 满意度 is ~1000 times that of every
产出 tier), the decoded tier stays outside and the prediction says so
(``outside_declared``), which is the disagreement a reviewer wants flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jixiao.corpus.taxonomy import Scheme, agrees
from jixiao.models.classifier import table_tune
from jixiao.models.classifier.calibration import (
    Decoded,
    fit_platt,
    fit_temperature,
    log_probs,
    platt_scaled,
    tempered,
)
from jixiao.models.classifier.labels import training_label
from jixiao.models.classifier.table_tune import TuningTable
from jixiao.models.classifier.table_tune import logsumexp as _logsumexp

#: How much a printed level 1 discounts the tiers outside it (per row, multiplicative).
OUTSIDE_DECLARED = 1e-3
#: The transition kinds, in the order of ``TableDecoder.kind_probs``.
KINDS = ("stay", "forward", "next-level1", "back")
#: Pseudo-counts per tier pulling pair transitions towards their kind's share.
PAIR_STRENGTH = 10.0


def _kind(a: str, b: str) -> int:
    if a == b:
        return 0
    if b < a:  # codes sort in the canonical order (11 < 12 < … < 24 < 31), cost merged into 14
        return 3
    return 1 if a[0] == b[0] else 2


@dataclass
class TableDecoder:
    """The learned chain over tiers. ``classes`` are the row model's classes (cost merged)."""

    classes: list[str]
    log_start: np.ndarray
    log_trans: np.ndarray
    log_prior: np.ndarray
    kind_probs: dict[str, float] = field(default_factory=dict)
    kind_trans: np.ndarray | None = None  # the four-kind transition structure, row-normalised
    pair_counts: np.ndarray | None = None  # consecutive (tier, tier) pairs in the training tables
    pair_strength: float = PAIR_STRENGTH
    stay_counts: np.ndarray | None = None  # per tier: (rows followed by the same tier, rows followed by any)
    stay_strength: float | None = None  # pseudo-counts pulling a tier's stay towards the global one
    entry_lift: float = 0.0  # how far a tier's frequency is divided out of the moves into it
    weight: float = 1.0  # how much the table's structure counts against a row's own evidence
    prior: float = 0.0  # how far the class prior is divided out of row probabilities
    temperature: float = 1.0
    temperature_declared: float | None = None  # for tables that print a level 1 (None: ``temperature``)
    #: Platt scaling of the shown confidence after decoding: (slope, intercept), without and
    #: with a printed level 1. (1, 0) leaves it as the temperature made it.
    platt: tuple[float, float] = (1.0, 0.0)
    platt_declared: tuple[float, float] = (1.0, 0.0)

    @classmethod
    def from_sequences(
        cls, classes: Sequence[str], sequences: Sequence[Sequence[str]], pair_strength: float = PAIR_STRENGTH
    ) -> TableDecoder:
        """Start, transition and class frequencies counted on gold tier sequences (add-one smoothed).

        Transitions are counted per pair of tiers (22 → 24 is commoner than 22 → 21),
        smoothed towards the four-kind structure with ``pair_strength`` pseudo-counts per
        tier, so a pair never seen in training still gets its kind's share."""
        classes = list(classes)
        index = {c: i for i, c in enumerate(classes)}
        k = len(classes)
        start = np.ones(k)
        freq = np.ones(k)
        kinds = np.ones(len(KINDS))
        pairs = np.zeros((k, k))
        stays = np.zeros((2, k))
        for seq in sequences:
            seq = [c for c in (training_label(s) for s in seq) if c in index]
            if not seq:
                continue
            start[index[seq[0]]] += 1
            for c in seq:
                freq[index[c]] += 1
            for a, b in zip(seq, seq[1:], strict=False):
                kinds[_kind(a, b)] += 1
                pairs[index[a], index[b]] += 1
                stays[0, index[a]] += a == b
                stays[1, index[a]] += 1
        kinds = kinds / kinds.sum()
        trans = np.zeros((k, k))
        for i, a in enumerate(classes):
            kind_of = [_kind(a, b) for b in classes]
            counts = np.bincount(kind_of, minlength=len(KINDS))
            for j, kd in enumerate(kind_of):
                trans[i, j] = kinds[kd] / counts[kd]  # a kind's mass shared by its tiers
            trans[i] /= trans[i].sum()  # the last tier has nowhere forward to go
        decoder = cls(
            classes=classes,
            log_start=np.log(start / start.sum()),
            log_trans=np.zeros((k, k)),
            log_prior=np.log(freq / freq.sum()),
            kind_probs={name: round(float(p), 4) for name, p in zip(KINDS, kinds, strict=True)},
            kind_trans=trans,
            pair_counts=pairs,
            stay_counts=stays,
        )
        decoder.set_pair_strength(pair_strength)
        return decoder

    def set_pair_strength(
        self, strength: float, stay_strength: float | None = None, entry_lift: float = 0.0
    ) -> None:
        """Where a block goes next: pair counts smoothed towards the kind structure by
        ``strength`` pseudo-counts per tier. How long a block stays is one figure for all
        tiers (``kind_probs['stay']``): block lengths differ between domains (one 社会效益
        row in most corpus tables, eight in a medical-aid table) far more than block order."""
        self.pair_strength = strength
        self.stay_strength = stay_strength
        self.entry_lift = entry_lift
        moves = self.pair_counts + strength * self.kind_trans
        if entry_lift:
            moves = moves * np.exp(-entry_lift * self.log_prior)[None, :]
        np.fill_diagonal(moves, 0.0)
        moves /= np.clip(moves.sum(axis=1, keepdims=True), 1e-12, None)
        stay = np.full(len(self.classes), self.kind_probs.get("stay", 0.5))
        counts = getattr(self, "stay_counts", None)
        if stay_strength is not None and counts is not None:
            stay = (counts[0] + stay_strength * stay) / (counts[1] + stay_strength)
        trans = (1 - stay)[:, None] * moves + np.diag(stay)
        self.log_trans = np.log(np.clip(trans, 1e-12, None))

    # -- decoding ----------------------------------------------------------------------
    def allowed(self, declared: Sequence[str | None], scheme: Scheme | None) -> np.ndarray:
        """Per row and tier, log of the factor a printed level 1 puts on that tier (0 or log ε)."""
        out = np.zeros((len(declared), len(self.classes)))
        penalty = np.log(OUTSIDE_DECLARED)
        rows: dict[str, list[float]] = {}  # one row per printed level 1: a table repeats them
        for n, l1 in enumerate(declared):
            if l1:
                row = rows.get(l1)
                if row is None:
                    row = rows[l1] = [0.0 if agrees(c, None, l1, scheme) else penalty for c in self.classes]
                out[n] = row
        return out

    def posteriors(
        self,
        probs: np.ndarray,
        declared: Sequence[str | None] | None = None,
        scheme: Scheme | None = None,
        *,
        weight: float | None = None,
        prior: float | None = None,
        temperature: float | None = None,
    ) -> np.ndarray:
        """Each row's tier probabilities given the whole table (forward-backward), calibrated."""
        n = len(probs)
        if n == 0:
            return np.zeros((0, len(self.classes)))
        w = self.weight if weight is None else weight
        b = self.prior if prior is None else prior
        t = temperature or self.temperature
        platt = getattr(self, "platt", (1.0, 0.0))
        emit = np.log(np.clip(probs, 1e-12, 1.0)) - b * self.log_prior
        if declared is not None and any(declared):
            emit = emit + self.allowed(declared, scheme)
            t = temperature or getattr(self, "temperature_declared", None) or self.temperature
            platt = getattr(self, "platt_declared", (1.0, 0.0))
        trans = w * self.log_trans
        alpha = np.empty_like(emit)
        beta = np.zeros_like(emit)
        alpha[0] = w * self.log_start + emit[0]
        for i in range(1, n):
            alpha[i] = _logsumexp(alpha[i - 1][:, None] + trans, axis=0) + emit[i]
        for i in range(n - 2, -1, -1):
            beta[i] = _logsumexp(trans + (emit[i + 1] + beta[i + 1])[None, :], axis=1)
        post = tempered(alpha + beta, t)
        return post if temperature else platt_scaled(post, *platt)

    def calibrate(self, decoded: Decoded) -> TableDecoder:
        """Temperatures by NLL, then Platt scaling of the shown confidence, each separately for
        tables without and with a printed level 1 (which makes the posteriors sharper)."""
        self.temperature = fit_temperature(decoded.plain, decoded.gold)
        self.platt = _platt_on(tempered(log_probs(decoded.plain), self.temperature), decoded.gold)
        if len(decoded.gold_declared):
            self.temperature_declared = fit_temperature(decoded.declared, decoded.gold_declared)
            logp = tempered(log_probs(decoded.declared), self.temperature_declared)
            self.platt_declared = _platt_on(logp, decoded.gold_declared)
        return self

    # -- tuning on out-of-fold row probabilities (``table_tune``) ------------------------
    def decode_for_calibration(self, tables: Sequence[TuningTable]) -> Decoded:
        """Uncalibrated posteriors of ``tables`` under the current settings: every row without
        the printed level 1s, and the rows of tables that print one with them."""
        return table_tune.decode_for_calibration(self, tables)

    def tune(self, tables: Sequence[TuningTable], calibrate: bool = True) -> TableDecoder:
        """Choose pair smoothing, per-tier stay smoothing, weight and prior by decoded
        accuracy plus macro-F1 (ties: NLL), then (``calibrate``) the calibration on the
        same tables' decoded posteriors (``fit_decoder`` instead calibrates on tables the
        settings were not chosen on).

        ``tables`` holds, per training table, out-of-fold row probabilities, gold class
        indices and the printed level 1s. Every setting is scored both with and without
        the printed level 1s, since callers may have either.
        """
        if not tables:
            return self
        table_tune.tune(self, tables)
        if calibrate:
            self.calibrate(self.decode_for_calibration(tables))
        return self


def _platt_on(post: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    return fit_platt(post.max(axis=1), post.argmax(axis=1) == gold)


__all__ = ["KINDS", "OUTSIDE_DECLARED", "PAIR_STRENGTH", "TableDecoder", "TuningTable"]
