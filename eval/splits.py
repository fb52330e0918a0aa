"""Grouped k-fold over goal tables, keyed by the source document.

Several tables can come from one document (the seed files hold many projects, three
external pages carry two tables) and they share wording, so a fold that held one of
them while training on its sibling would score copying, not generalisation. Every
fold therefore holds whole source documents.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import NamedTuple

from jixiao.corpus.schema import GoalTable
from jixiao.errors import JixiaoError


class Fold(NamedTuple):
    """Indices into the table list: what to train on and what to hold out."""

    train: list[int]
    test: list[int]


def group_key(table: GoalTable) -> str:
    """The source document; a table without one is its own group."""
    return table.source or f"id:{table.id}"


def grouped_kfold(tables: Sequence[GoalTable], k: int = 5, seed: int = 0) -> list[Fold]:
    """``min(k, number of sources)`` folds, each holding whole source documents.

    Groups are shuffled with ``seed`` (so ties fall differently per seed), then the
    largest go first to the fold with the fewest indicator rows, which keeps folds
    similar in size even though one seed document holds many tables.
    """
    if k < 2:
        raise JixiaoError(f"交叉验证至少需要 2 折，收到 {k}")
    sizes: dict[str, int] = {}
    for t in tables:
        key = group_key(t)
        sizes[key] = sizes.get(key, 0) + max(1, len(t.indicators))
    if len(sizes) < 2:
        raise JixiaoError(f"交叉验证至少需要来自 2 份来源文件的表，现有 {len(sizes)} 份")
    n_folds = min(k, len(sizes))
    groups = sorted(sizes)
    random.Random(seed).shuffle(groups)
    groups.sort(key=lambda g: -sizes[g])  # stable: the shuffle decides among equal sizes
    load = [0] * n_folds
    fold_of: dict[str, int] = {}
    for g in groups:
        f = min(range(n_folds), key=lambda i: (load[i], i))
        fold_of[g] = f
        load[f] += sizes[g]
    folds = []
    for f in range(n_folds):
        test = [i for i, t in enumerate(tables) if fold_of[group_key(t)] == f]
        train = [i for i, t in enumerate(tables) if fold_of[group_key(t)] != f]
        folds.append(Fold(train, test))
    return folds
