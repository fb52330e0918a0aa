"""The null ECE of a perfectly calibrated model: copies of a row move together."""

from __future__ import annotations

import numpy as np

from jixiao.eval.calibration_null import clump_ids, null_ece


def test_clump_ids_number_distinct_keys_in_first_seen_order():
    assert clump_ids(["a", "b", "a", "c", "b"]).tolist() == [0, 1, 0, 2, 1]


def test_copies_share_one_draw_and_widen_the_null():
    rng = np.random.default_rng(0)
    conf = np.full(200, 0.7)
    alone = null_ece(conf, np.arange(200), 300, rng)
    clumped = null_ece(conf, np.arange(200) // 20, 300, rng)  # 10 rows, each copied 20 times
    assert alone.mean() < 0.05 < clumped.mean()
    sure = null_ece(np.ones(50), np.arange(50), 20, rng)  # always right at confidence 1: ECE 0
    assert np.allclose(sure, 0.0)
