"""Grouped k-fold: whole source documents per fold, deterministic, capped by the number of sources."""

from __future__ import annotations

import pytest
from eval_fakes import corpus, record

from jixiao.corpus.records import record_to_table
from jixiao.errors import JixiaoError
from jixiao.eval.splits import grouped_kfold


def test_no_source_in_two_folds_and_every_table_held_out_once():
    tables = corpus()
    folds = grouped_kfold(tables, k=3, seed=1)
    assert len(folds) == 3
    held = [i for f in folds for i in f.test]
    assert sorted(held) == list(range(len(tables)))
    fold_of_source: dict[str, int] = {}
    for n, f in enumerate(folds):
        assert not set(f.train) & set(f.test)
        assert sorted(f.train + f.test) == list(range(len(tables)))
        for i in f.test:
            assert fold_of_source.setdefault(tables[i].source, n) == n


def test_deterministic_with_a_seed():
    tables = corpus()
    assert grouped_kfold(tables, k=3, seed=7) == grouped_kfold(tables, k=3, seed=7)


def test_folds_capped_by_number_of_sources():
    tables = corpus()  # five sources
    assert len(grouped_kfold(tables, k=10)) == 5


def test_tables_without_source_are_their_own_group():
    tables = [record_to_table(record(f"x{i}", None)) for i in range(3)]
    folds = grouped_kfold(tables, k=5)
    assert len(folds) == 3 and all(len(f.test) == 1 for f in folds)


def test_too_few_sources_is_a_user_error():
    tables = [record_to_table(record(f"x{i}", "one")) for i in range(3)]
    with pytest.raises(JixiaoError, match="至少需要来自 2 份来源"):
        grouped_kfold(tables, k=5)
    with pytest.raises(JixiaoError, match="至少需要 2 折"):
        grouped_kfold(corpus(), k=1)
