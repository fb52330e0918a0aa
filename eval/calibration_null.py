"""ECE of a perfectly calibrated model on rows that are not independent.

ECE measured on a few hundred rows is never 0 even for a model that is perfectly
calibrated: bins hold few rows and their accuracy is a sample. When rows are copied
between tables (the seed fixtures), copies share their fate and the sample is far
smaller than the row count suggests. ``null_ece`` draws that model's outcomes, copies
moving together, so a measured ECE can be set against what chance alone gives.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from jixiao.models.classifier.calibration import ece


def clump_ids(keys: Sequence[Hashable]) -> np.ndarray:
    """One id per distinct key (rows with the same key are copies of one row), in first-seen order."""
    ids: dict[Hashable, int] = {}
    return np.array([ids.setdefault(k, len(ids)) for k in keys], dtype=int)


def null_ece(
    confidences: np.ndarray, clumps: np.ndarray, draws: int, rng: np.random.Generator, bins: int = 10
) -> np.ndarray:
    """ECE of ``draws`` outcomes of a perfectly calibrated model: row i is right with
    probability ``confidences[i]``, and rows of one clump share one uniform draw (right iff
    u < confidence), so each keeps its own probability while its copies move together."""
    conf = np.asarray(confidences, dtype=np.float64)
    clumps = np.asarray(clumps, dtype=int)
    out = np.empty(draws)
    for d in range(draws):
        u = rng.random(int(clumps.max()) + 1 if len(clumps) else 0)[clumps]
        out[d] = ece(conf, u < conf, bins)
    return out
