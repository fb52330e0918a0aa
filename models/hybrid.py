"""Fusing dense (embedding) and sparse (BM25) result lists into one ranking.

Dense search finds paraphrases (``救助对象满意度`` for ``服务对象满意度``); BM25 finds
exact domain words the embedding blurs (``参保率`` vs ``覆盖率``). Their scores live on
different scales, so the default is reciprocal-rank fusion, which only uses ranks; a
weighted sum of min-max normalised scores is available when one side should dominate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from jixiao.errors import JixiaoError

METHODS = ("rrf", "weighted")


@dataclass(frozen=True)
class FusionConfig:
    method: str = "rrf"
    rrf_k: float = 60.0
    #: Weight of the dense side (weighted method; and of its ranks under RRF).
    dense_weight: float = 0.5
    #: How many results each side contributes before fusion.
    depth: int = 100

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise JixiaoError(f"未知的融合方法 {self.method!r}；可选：{'、'.join(METHODS)}")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise JixiaoError(f"dense_weight 应在 0 到 1 之间，收到 {self.dense_weight}")


class Hit(NamedTuple):
    """One fused result. A named tuple, not a frozen dataclass: a suggest builds hundreds
    of these, and a frozen dataclass's ``__init__`` costs several times more."""

    id: int
    score: float  # fused
    dense: float | None  # cosine, when the dense side returned it
    sparse: float | None  # BM25, when the sparse side returned it


def fuse(
    dense_ids: Sequence[int],
    dense_scores: Sequence[float],
    sparse_ids: Sequence[int],
    sparse_scores: Sequence[float],
    config: FusionConfig | None = None,
    limit: int | None = None,
) -> list[Hit]:
    """One ranking from two, best first (the first ``limit``). Inputs are each sorted best first."""
    cfg = config or FusionConfig()
    dense = {int(i): float(s) for i, s in zip(_plain(dense_ids), _plain(dense_scores), strict=True)}
    sparse = {int(i): float(s) for i, s in zip(_plain(sparse_ids), _plain(sparse_scores), strict=True)}
    wd, ws = cfg.dense_weight, 1.0 - cfg.dense_weight
    fused: dict[int, float] = {}
    if cfg.method == "rrf":
        # Factor 2 keeps the equal-weight case identical to textbook RRF.
        for rank, i in enumerate(dense):
            fused[i] = fused.get(i, 0.0) + 2 * wd / (cfg.rrf_k + rank + 1)
        for rank, i in enumerate(sparse):
            fused[i] = fused.get(i, 0.0) + 2 * ws / (cfg.rrf_k + rank + 1)
    else:
        for side, w in ((dense, wd), (sparse, ws)):
            if not side:
                continue
            vals = np.array(list(side.values()), dtype=np.float64)
            lo, hi = float(vals.min()), float(vals.max())
            for i, s in side.items():
                norm = (s - lo) / (hi - lo) if hi > lo else 1.0
                fused[i] = fused.get(i, 0.0) + w * norm
    # Ties: the dense score, then the id, so the order is deterministic. Hits are made for
    # the kept ranks only: a suggest fuses hundreds, keeps fewer, and making a hit is what costs.
    # Plain tuples sort in C (ids are unique, so the order is total); negating a float is exact.
    order = sorted([(-f, -dense.get(i, -1.0), i) for i, f in fused.items()])
    make = Hit._make
    return [make((i, -nf, dense.get(i), sparse.get(i))) for nf, _, i in order[:limit]]


def _plain(values: Sequence) -> Sequence:
    """Python numbers from a NumPy array in one call (iterating one boxes each item slowly)."""
    return values.tolist() if isinstance(values, np.ndarray) else values
