"""The table decoder's calibration is fitted on tables whose decoder never saw them."""

from __future__ import annotations

import numpy as np

from jixiao.models.classifier import ClassifyInput
from jixiao.models.classifier.labels import LABELS
from jixiao.models.classifier.table import TableDecoder
from jixiao.models.classifier.table_fit import fit_decoder

SEQ = ["11", "11", "12", "13", "14", "22", "24", "31"]


def _training(n_tables: int = 12) -> tuple[list[ClassifyInput], list[str], np.ndarray]:
    rng = np.random.default_rng(0)
    X, y, rows = [], [], []
    for t in range(n_tables):
        for code in SEQ:
            X.append(ClassifyInput(name=f"指标{t}-{code}", group=f"doc{t // 2}", table_id=f"t{t}"))
            y.append(code)
            p = rng.dirichlet(np.ones(len(LABELS)))
            p[LABELS.index(code)] += rng.uniform(0.0, 1.5)  # right more often than not
            rows.append(p / p.sum())
    return X, y, np.array(rows)


def test_calibration_comes_from_decoders_that_did_not_tune_on_the_table(monkeypatch):
    tuned_on: list[set[int]] = []
    decoded: list[tuple[int, set[int]]] = []
    tune, decode = TableDecoder.tune, TableDecoder.decode_for_calibration

    def spy_tune(self, tables, calibrate=True):  # noqa: ANN001, ANN202
        tuned_on.append({id(t[0]) for t in tables})
        self._spy = len(tuned_on) - 1
        return tune(self, tables, calibrate)

    def spy_decode(self, tables):  # noqa: ANN001, ANN202
        decoded.append((self._spy, {id(t[0]) for t in tables}))
        return decode(self, tables)

    monkeypatch.setattr(TableDecoder, "tune", spy_tune)
    monkeypatch.setattr(TableDecoder, "decode_for_calibration", spy_decode)
    X, y, oof = _training()
    decoder = fit_decoder(list(LABELS), X, y, oof, calibration_folds=3)
    assert len(decoded) == 3  # the shipped decoder (tuned on all) calibrates on the three parts
    seen = set()
    for tuner, tables in decoded:
        assert tuner != 0 and not tables & tuned_on[tuner]  # never a table its settings saw
        seen |= tables
    assert seen == tuned_on[0]  # every training table decoded once for the calibration
    assert decoder.temperature > 0 and len(decoder.platt) == 2


def test_without_calibration_folds_the_decoder_calibrates_on_its_own_tables():
    X, y, oof = _training()
    a = fit_decoder(list(LABELS), X, y, oof, calibration_folds=0)
    b = fit_decoder(list(LABELS), X, y, oof, calibration_folds=3)
    assert (a.weight, a.prior, a.pair_strength) == (b.weight, b.prior, b.pair_strength)
    post = a.posteriors(oof[:8])
    assert np.allclose(post.sum(axis=1), 1.0)
