"""The hierarchical head (level 1, then level 2 within it) and its use by the linear expert."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from jixiao.models.classifier import APPROACHES, SHIPPED_APPROACH
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.hierarchical import HierarchicalHead
from jixiao.models.classifier.linear import LinearClassifier
from jixiao.models.embedding_base import HashEmbedder

CLASSES = ["11", "12", "21", "22", "31"]


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Five tiers, each a blob around its own centre; the 效益 tiers share a direction."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(CLASSES), 6)) * 3
    y = np.repeat(np.arange(len(CLASSES)), 20)
    return centres[y] + rng.normal(size=(len(y), 6)), y


def _make() -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=2000)


def test_probabilities_are_level1_times_level2_within_it():
    F, y = _data()
    head = HierarchicalHead(CLASSES, _make).fit(F, y)
    p = head.predict_proba(F)
    assert head.classes_.tolist() == [0, 1, 2, 3, 4]
    assert np.allclose(p.sum(axis=1), 1.0)
    p1 = head.head1_.predict_proba(F)
    l1_col = {g: j for j, g in enumerate(head.head1_.classes_.tolist())}
    p2 = head.heads2_["2"].predict_proba(F)
    assert np.allclose(p[:, 2], p1[:, l1_col["2"]] * p2[:, 0])
    # 满意度 has one tier: it takes its level 1's probability whole.
    assert head.heads2_["3"] == 4
    assert np.allclose(p[:, 4], p1[:, l1_col["3"]])
    assert (p.argmax(axis=1) == y).mean() > 0.9


def test_missing_tiers_and_a_single_level1():
    F, y = _data()
    keep = np.isin(y, [0, 1])  # only 产出 rows: no level-1 head is needed
    head = HierarchicalHead(CLASSES, _make).fit(F[keep], y[keep])
    assert head.head1_ is None
    assert head.classes_.tolist() == [0, 1]
    p = head.predict_proba(F)
    assert p.shape == (len(F), 2) and np.allclose(p.sum(axis=1), 1.0)


def _rows(n: int) -> tuple[list[ClassifyInput], list[str]]:
    names = {"11": "完成数量", "12": "合格率", "21": "经济收益", "22": "受益群众", "31": "满意度"}
    X, y = [], []
    for i in range(n):
        code = CLASSES[i % len(CLASSES)]
        X.append(ClassifyInput(name=f"{names[code]}{i % 7}", group=f"g{i % 4}", table_id=f"t{i % 4}"))
        y.append(code)
    return X, y


def test_linear_expert_hierarchical_and_flat_give_calibrated_rows():
    X, y = _rows(60)
    emb = HashEmbedder(dim=64)
    flat = LinearClassifier(emb).fit(X, y)
    hier = LinearClassifier(emb, hierarchical=True).fit(X, y)
    assert isinstance(hier.head_, HierarchicalHead)
    assert not isinstance(flat.head_, HierarchicalHead)
    p = hier.predict_proba(X)
    assert p.shape == (len(X), len(CLASSES)) and np.allclose(p.sum(axis=1), 1.0)
    logs = [np.log(np.clip(q, 1e-300, 1.0)) for q in (p, flat.predict_proba(X))]
    assert not np.allclose(*logs)  # a different head, not the flat one under another name


def test_a_linear_model_saved_before_the_option_stays_flat():
    X, y = _rows(40)
    old = LinearClassifier(HashEmbedder(dim=32))
    del old.__dict__["hierarchical"]  # what unpickling a model trained before the option gives
    old.fit(X, y)
    assert not isinstance(old.head_, HierarchicalHead)


@pytest.mark.parametrize("name", [SHIPPED_APPROACH])
def test_shipped_ensemble_uses_the_hierarchical_linear_expert(name):
    model = APPROACHES[name](HashEmbedder(dim=32))
    linear = model._components(calibrate=False)[1]
    assert linear.hierarchical
    assert not APPROACHES["ensemble"](HashEmbedder(dim=32))._components(calibrate=False)[1].hierarchical
