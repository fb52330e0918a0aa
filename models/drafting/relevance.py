"""Stage 3a: how related a corpus project is to this one, and whether a row fits it.

Raw e5 cosines sit at 0.85-0.92 for related and unrelated projects alike, so they tell a
user nothing. Relevance here is mostly the share of the project's content words (weighted
by rarity across the corpus's projects) that the other project also uses, plus a little
of where the cosine sits among the retrieved projects. A road project and a medical-aid
project share no content word and score near 0; two road projects score high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress

from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.drafting.text_match import GENERIC_WORDS, content_words

#: Weight of the word overlap; the rest is the cosine's rank among the retrieved projects.
WORD_WEIGHT = 0.75


@dataclass(frozen=True)
class WordStats:
    """Document frequency of content words over the corpus's project texts."""

    df: dict[str, int]
    n: int

    def idf(self, w: str) -> float:
        return math.log((self.n + 1) / (self.df.get(w, 0) + 0.5))


def word_stats(ix: CorpusIndex) -> WordStats:
    df: dict[str, int] = {}
    for text in ix.proj_texts:
        for w in content_words(text):
            df[w] = df.get(w, 0) + 1
    return WordStats(df, len(ix.proj_texts))


@dataclass(frozen=True)
class QueryWords:
    """The query's content words and their IDF weights, fixed once per query.

    Similar-project scoring tests them against a hundred retrieved texts; the weights and
    their total are gathered once instead of per text.
    """

    words: tuple[str, ...]
    weights: tuple[float, ...]
    total: float

    @classmethod
    def of(cls, idf: dict[str, float]) -> QueryWords:
        return cls(tuple(idf), tuple(idf.values()), sum(idf.values()))

    def overlap(self, other_text: str) -> float:
        """IDF-weighted share of the words found in the other text (0..1)."""
        if not self.total:
            return 0.0
        # The membership tests run in C; the same weights are summed in the same order.
        return sum(compress(self.weights, map(other_text.__contains__, self.words))) / self.total


def word_overlap(idf: dict[str, float], other_text: str) -> float:
    """IDF-weighted share of the query's content words (word → idf) found in the other text (0..1)."""
    return QueryWords.of(idf).overlap(other_text)


def project_relevance(overlap: float, cosine: float, typical: float, best: float) -> float:
    """Overlap plus the cosine's place between the typical and the best retrieved project."""
    rank = (cosine - typical) / (best - typical) if best > typical else 0.0
    rank = min(max(rank, 0.0), 1.0)
    # With no shared word at all the cosine alone never makes a project look related.
    return round(WORD_WEIGHT * overlap + (1 - WORD_WEIGHT) * rank * (1.0 if overlap > 0 else 0.3), 4)


def table_authors(ix: CorpusIndex) -> list[str]:
    """Who wrote each table, as far as the index knows: its department, else the table itself.

    Tables of one document share one drafter's habits, so conventions are counted by author.
    """

    def build(ix: CorpusIndex) -> list[str]:
        return [(t := ix.table(i)).department or t.id for i in range(ix.n_tables)]

    return ix.derived("drafting.authors", build)  # type: ignore[return-value]


@lru_cache(maxsize=50_000)
def specific_words(name: str) -> frozenset[str]:
    """Content words of an indicator name that tie it to some project's object."""
    return frozenset(w for w in content_words(name) if w not in GENERIC_WORDS)


#: From a project this related (same kind of work), a row sharing one specific word fits.
CLOSE_PROJECT = 0.3


def fits(name: str, project_text: str, source_relevance: float = 0.0) -> bool:
    """A row fits when every specific word of its name appears in the project's text.

    A row with no specific word (``资金支付及时率``) fits any project; ``购买车辆数量``
    fits only a project that speaks of 车辆. A row of a clearly related project
    (``潮汐机组完好率`` for another tidal power station) fits when it shares half of them.
    """
    found = [_in_text(w, project_text) for w in specific_words(name)]
    # From a related project, half its specific words must be this project's: 修缮建筑数量
    # fits 文物修缮; 医疗器械监管企业数 (only 监管 shared) does not fit 食品监管.
    return all(found) or (source_relevance >= CLOSE_PROJECT and 2 * sum(found) >= len(found))


def _in_text(word: str, text: str) -> bool:
    if word in text:
        return True
    # A compound whose halves the project uses (农村公路 for 农村 + 公路) is still this project's.
    return len(word) >= 4 and word[:2] in text and word[2:] in text
