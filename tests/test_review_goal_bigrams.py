"""The goal checks' bigram sets, united part by part and memoised, equal the joined text's sets."""

from __future__ import annotations

import random
import re

import pytest

from jixiao.corpus import review_goal
from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records
from jixiao.corpus.review_goal import _STOP, _bigrams, check_goal_coverage, check_indicator_relevance

_CJK = re.compile(r"[\u4e00-\u9fff]+")


def joined_bigrams(*parts: str) -> set[str]:
    """The definition before the change: one pass over the parts joined by spaces."""
    t = " ".join(parts)
    for w in _STOP:
        t = t.replace(w, " ")
    grams: set[str] = set()
    for run in _CJK.findall(t):
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def test_union_of_parts_equals_the_joined_text_on_random_parts():
    # characters of the stop words (完成/完成率, 进一步…) and spaces inside parts, so a stop word
    # or a run could only be cut differently if the union were wrong
    alphabet = "".join(sorted(set("".join(_STOP)))) + "救助人次 ≥1%ab"
    rng = random.Random(14)
    for _ in range(3000):
        parts = ["".join(rng.choices(alphabet, k=rng.randrange(0, 90))) for _ in range(rng.randrange(1, 6))]
        assert _bigrams(*parts) == joined_bigrams(*parts), parts
        assert _bigrams(*parts) == joined_bigrams(*parts), parts  # again, from the memo


def test_memoised_sets_cannot_be_changed_by_a_caller():
    assert isinstance(_bigrams("服务对象满意度"), frozenset)
    assert isinstance(_bigrams("服务对象满意度", "项目"), frozenset)


@pytest.fixture(scope="module")
def corpus_tables():
    tables, _ = read_records(EXTERNAL_TABLES)
    assert len(tables) > 50
    return tables


def test_goal_findings_are_identical_on_every_corpus_table(corpus_tables, monkeypatch):
    def findings():
        return [
            [f.model_dump_json() for f in check_goal_coverage(t)]
            + [f.model_dump_json() for f in check_indicator_relevance(t, ["11"] * len(t.indicators))]
            for t in corpus_tables
        ]

    now = findings()
    monkeypatch.setattr(review_goal, "_bigrams", joined_bigrams)
    before = findings()
    assert now == before
    assert sum(map(len, now)) > 20  # the checks do fire on the corpus
