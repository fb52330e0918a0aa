"""Scores for suggested tables against the table a person actually drafted.

A drafter rarely writes an indicator name exactly as another project did (``救助人次``
vs ``医疗救助人次``), so recall is soft: a gold indicator counts as found when a top-k
suggestion sits in the same tier and the names share most of their character bigrams
(Dice ≥ 0.5 on ``name_key``). Coverage asks the coarser question a reviewer asks first:
does the draft touch every tier the real table uses? Value agreement is measured only
on found indicators, since a value for an indicator nobody asked for means nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

from jixiao.corpus.normalize import normalize_value
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import merge_cost as _merge_cost
from jixiao.corpus.values import parse_value
from jixiao.eval.classification_metrics import ordered_labels
from jixiao.models.drafting.text_match import bigram_dice, bigrams, content_words

__all__ = ["bigram_dice", "bigrams", "content_words"]

DICE_THRESHOLD = 0.5


class SuggestionLike(Protocol):
    """What scoring reads from a suggestion (``jixiao.models.suggest_schema.Suggestion`` fits)."""

    name: str
    code: str
    suggested_value: str | None


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass
class DraftExtras:
    """What scoring needs beyond the suggestions: the query text, goal text and review findings."""

    query_text: str = ""
    goal_text: str | None = None
    errors: int = 0
    warnings: int = 0


def same_value(gold: str | None, suggested: str | None) -> bool:
    return bool(gold) and bool(suggested) and normalize_value(gold) == normalize_value(suggested)


def same_kind_unit(gold: str | None, suggested: str | None) -> bool:
    """Same kind (numeric / date / qualitative) and, for numbers, the same unit."""
    if not gold or not suggested:
        return False
    g, s = parse_value(gold), parse_value(suggested)
    return g.kind == s.kind and (g.unit or None) == (s.unit or None)


@dataclass
class IndicatorMatch:
    gold_name: str
    gold_code: str
    gold_value: str | None
    hit: bool
    suggestion_name: str | None = None
    suggested_value: str | None = None
    dice: float = 0.0
    value_equal: bool | None = None  # None: not a hit, or no gold value to compare
    kind_unit_equal: bool | None = None


@dataclass
class TableSuggestionScore:
    table_id: str
    project: str | None
    gold_codes: list[str]
    covered_codes: list[str]
    matches: list[IndicatorMatch] = field(default_factory=list)
    #: Gold rows sharing a content word with any suggestion.
    keyword_hits: int = 0
    #: Gold rows sharing a content word with the query itself: what a drafter using only
    #: the project's own words could reach at most.
    keyword_in_query: int = 0
    suggestions: int = 0
    #: Suggestions sharing a content word with the gold table's names or project text.
    on_topic: int = 0
    review_errors: int = 0
    review_warnings: int = 0
    goal_numbers: int = 0
    goal_numbers_from_query: int = 0

    @property
    def coverage(self) -> float:
        return len(self.covered_codes) / len(self.gold_codes) if self.gold_codes else 0.0

    @property
    def hits(self) -> int:
        return sum(m.hit for m in self.matches)

    @property
    def recall(self) -> float:
        return self.hits / len(self.matches) if self.matches else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(coverage=self.coverage, hits=self.hits, recall=self.recall)
        return d


def score_table(
    gold: GoalTable,
    suggestions: Sequence[SuggestionLike],
    k: int,
    *,
    merge_cost: bool = False,
    threshold: float = DICE_THRESHOLD,
    extras: DraftExtras | None = None,
) -> TableSuggestionScore:
    """Score the first ``k`` suggestions (in the order given: best first) against one gold table.

    Gold rows without a code are not scored (nothing to compare the tier with). Several
    gold rows may be found by the same suggestion: the question is whether the drafter
    would have seen each indicator, not a one-to-one assignment.
    """

    def norm(code: str) -> str:
        return _merge_cost(code) if merge_cost else code

    top = list(suggestions)[:k]
    by_code: dict[str, list[SuggestionLike]] = {}
    for s in top:
        by_code.setdefault(norm(s.code), []).append(s)
    rows = [i for i in gold.indicators if i.code]
    gold_codes = ordered_labels({norm(i.code) for i in rows})
    matches = []
    for ind in rows:
        code = norm(ind.code)
        best, best_dice = None, 0.0
        for s in by_code.get(code, []):
            d = bigram_dice(ind.name, s.name)
            if d > best_dice:
                best, best_dice = s, d
        hit = best is not None and best_dice >= threshold
        m = IndicatorMatch(ind.name, code, ind.value, hit, dice=round(best_dice, 4))
        if hit:
            m.suggestion_name, m.suggested_value = best.name, best.suggested_value
            if ind.value not in (None, ""):
                m.value_equal = same_value(ind.value, best.suggested_value)
                m.kind_unit_equal = same_kind_unit(ind.value, best.suggested_value)
        matches.append(m)
    extras = extras or DraftExtras()
    suggested_words = [content_words(s.name) for s in top]
    any_suggested = frozenset().union(*suggested_words) if suggested_words else frozenset()
    topic = frozenset().union(
        content_words(" ".join(x for x in (gold.project, gold.goal) if x)),
        *(content_words(i.name) for i in rows),
    )
    query_words = content_words(extras.query_text)
    numbers = _NUMBER.findall(extras.goal_text or "")
    query_numbers = set(_NUMBER.findall(extras.query_text))
    return TableSuggestionScore(
        table_id=gold.id,
        project=gold.project,
        gold_codes=gold_codes,
        covered_codes=[c for c in gold_codes if c in by_code],
        matches=matches,
        keyword_hits=sum(bool(content_words(i.name) & any_suggested) for i in rows),
        keyword_in_query=sum(bool(content_words(i.name) & query_words) for i in rows),
        suggestions=len(top),
        on_topic=sum(bool(w & topic) for w in suggested_words),
        review_errors=extras.errors,
        review_warnings=extras.warnings,
        goal_numbers=len(numbers),
        goal_numbers_from_query=sum(n in query_numbers for n in numbers),
    )


@dataclass
class TierSuggestionMetrics:
    code: str
    tables: int  # gold tables using this tier
    covered: int  # of those, tables whose suggestions include the tier
    coverage: float
    gold_indicators: int
    hits: int
    recall: float


@dataclass
class SuggestionMetrics:
    """Pooled over tables. Coverage is the mean per table; recall is pooled over gold indicators."""

    k: int
    tables: int
    gold_indicators: int
    hits: int
    tier_coverage: float
    recall_at_k: float
    table_mean_recall: float
    value_pairs: int  # hits with a gold value
    value_exact: float
    value_kind_unit: float
    per_tier: list[TierSuggestionMetrics] = field(default_factory=list)
    keyword_recall: float = 0.0
    #: Keyword recall of the query text itself (an upper bound for project words alone).
    keyword_query_ceiling: float = 0.0
    on_topic_rate: float = 0.0
    review_errors_per_draft: float = 0.0
    review_warnings_per_draft: float = 0.0
    drafts_with_errors: int = 0
    #: Share of the goal texts' numbers that appear in the query; None when no goal has numbers.
    goal_numbers_from_query: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def aggregate(scores: Sequence[TableSuggestionScore], k: int) -> SuggestionMetrics:
    """Pool table scores; tables without any coded gold row are left out of every mean."""
    scored = [s for s in scores if s.matches]
    hits = sum(s.hits for s in scored)
    n_gold = sum(len(s.matches) for s in scored)
    pairs = [m for s in scored for m in s.matches if m.value_equal is not None]
    per_tier = []
    for code in ordered_labels({c for s in scored for c in s.gold_codes}):
        tables = [s for s in scored if code in s.gold_codes]
        covered = sum(code in s.covered_codes for s in tables)
        rows = [m for s in tables for m in s.matches if m.gold_code == code]
        tier_hits = sum(m.hit for m in rows)
        per_tier.append(
            TierSuggestionMetrics(
                code=code,
                tables=len(tables),
                covered=covered,
                coverage=covered / len(tables),
                gold_indicators=len(rows),
                hits=tier_hits,
                recall=tier_hits / len(rows) if rows else 0.0,
            )
        )

    def mean(xs: list[float]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    return SuggestionMetrics(
        k=k,
        tables=len(scored),
        gold_indicators=n_gold,
        hits=hits,
        tier_coverage=mean([s.coverage for s in scored]),
        recall_at_k=hits / n_gold if n_gold else 0.0,
        table_mean_recall=mean([s.recall for s in scored]),
        value_pairs=len(pairs),
        value_exact=mean([float(bool(m.value_equal)) for m in pairs]),
        value_kind_unit=mean([float(bool(m.kind_unit_equal)) for m in pairs]),
        per_tier=per_tier,
        keyword_recall=sum(s.keyword_hits for s in scored) / n_gold if n_gold else 0.0,
        keyword_query_ceiling=sum(s.keyword_in_query for s in scored) / n_gold if n_gold else 0.0,
        on_topic_rate=(
            sum(s.on_topic for s in scored) / n_sugg
            if (n_sugg := sum(s.suggestions for s in scored))
            else 0.0
        ),
        review_errors_per_draft=mean([float(s.review_errors) for s in scored]),
        review_warnings_per_draft=mean([float(s.review_warnings) for s in scored]),
        drafts_with_errors=sum(s.review_errors > 0 for s in scored),
        goal_numbers_from_query=(
            sum(s.goal_numbers_from_query for s in scored) / n_num
            if (n_num := sum(s.goal_numbers for s in scored))
            else None
        ),
    )
