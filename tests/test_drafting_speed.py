"""The drafter's speed paths compute exactly what their plain definitions do.

Issue 8's latency target was met by restructuring, not by changing what is drafted: rows
read as column slices, pattern filters and value rankings fixed once mined, table views
kept per index, word overlap tested in C. Each is checked here against the definition it
replaced, on the packaged corpus. Whole drafts before and after are compared byte for
byte by ``bench/draft_snapshot.py``.
"""

from __future__ import annotations

import random

import pytest

from jixiao.corpus.store import build_from_package
from jixiao.models.drafting.index_views import table_view
from jixiao.models.drafting.patterns import OBJECT_HEADS, SLOT_TIERS, mine_patterns
from jixiao.models.drafting.relevance import QueryWords, word_overlap
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.suggest import Suggester
from jixiao.models.suggest_schema import ProjectQuery


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester.from_tables(build_from_package().tables, HashEmbedder(256))


def test_rows_read_in_bulk_are_the_rows_read_one_by_one(suggester: Suggester) -> None:
    ix = suggester.index
    for t in range(ix.n_tables):
        assert ix.rows_of_table(t) == [ix.row(r) for r in ix.table_rows(t)]
    for text_id in range(len(ix.ind_texts)):
        for cap in (None, 1, 20):
            assert ix.rows_of_name(text_id, cap=cap) == [ix.row(r) for r in ix.ind_postings(text_id)[:cap]]


def test_table_views_are_the_index_tables(suggester: Suggester) -> None:
    ix = suggester.index
    for t in range(ix.n_tables):
        assert table_view(ix, t) == ix.table(t)
        assert table_view(ix, t) is table_view(ix, t)  # built once


def test_word_overlap_is_the_weighted_share_found() -> None:
    rng = random.Random(0)
    vocab = ["农村公路", "养护", "校舍", "维修", "河道", "清淤", "村民", "公路", "水质"]
    for _ in range(200):
        idf = {w: rng.uniform(0.1, 5.0) for w in rng.sample(vocab, rng.randint(0, len(vocab)))}
        text = "".join(rng.sample(vocab, rng.randint(0, 5)))
        total = sum(idf.values())
        expected = sum(v for w, v in idf.items() if w in text) / total if total else 0.0
        assert word_overlap(idf, text) == expected  # exactly: same weights, same order
        assert QueryWords.of(idf).overlap(text) == expected


def test_pattern_book_shortcuts_match_their_definitions(suggester: Suggester) -> None:
    book = mine_patterns(suggester.index)
    assert book.top_support == max(p.support for ps in book.by_code.values() for p in ps)
    for text in ("农村公路养护工程", "河道清淤", "医疗救助资金", ""):

        def fits(w: str, text: str = text) -> bool:
            return w in text

        for code in SLOT_TIERS:
            expected = [
                p
                for p in book.by_code.get(code, [])
                if OBJECT_HEADS.search(p.suffix) and all(fits(w) for w in p.modifiers)
            ]
            assert list(book.fitting(code, fits)) == expected
    for ps in book.by_code.values():
        for p in ps:
            assert p.ranked_values == p.values.most_common()
            for n in (3, 5):
                assert dict(p.ranked_values[:n]) == dict(p.values.most_common(n))
                assert list(dict(p.ranked_values[:n])) == list(dict(p.values.most_common(n)))


def test_a_chosen_row_is_the_same_suggestion_in_its_tier_and_among_candidates(suggester: Suggester) -> None:
    draft = suggester.suggest(
        ProjectQuery(name="2026年农村公路养护工程", goal="完成农村公路日常养护120公里，提升路况水平", amount=8_600_000)
    )
    by_id = {c.id: c for c in draft.candidates}
    for s in draft.suggestions:
        assert s.model_dump() == by_id[s.id].model_dump()
    # Unchanged by being shared: a fresh validation of every row gives the same row.
    for c in draft.candidates:
        assert type(c).model_validate(c.model_dump()).model_dump() == c.model_dump()
