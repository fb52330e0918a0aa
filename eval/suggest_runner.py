"""Scoring the suggester: query with each held-out table's project name and goal, compare the
draft with what was actually filed.

The suggester is built by a factory from a list of tables so that cross-validation can
build it on the training folds only, and tests can pass a fake. Queries carry the gold
table's scheme, so suggestions come back in the scheme the drafter used; cost tiers are
still merged by default because the two schemes' cost rows are one idea printed twice.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from jixiao.corpus.schema import GoalTable
from jixiao.eval.fixture_sets import ExcludedFixture, FixtureSet
from jixiao.eval.splits import grouped_kfold
from jixiao.eval.suggestion_metrics import SuggestionMetrics, TableSuggestionScore, aggregate, score_table

SuggesterFactory = Callable[[list[GoalTable]], Any]  # tables -> object with suggest(query, k)


@dataclass
class SuggestEvalResult:
    mode: str  # "fixtures" or "cv"
    k: int
    merge_cost: bool
    metrics: SuggestionMetrics
    per_table: list[TableSuggestionScore]
    folds: int | None = None
    fixtures: FixtureSet | None = None
    unqueryable: list[ExcludedFixture] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "kind": "suggest",
            "mode": self.mode,
            "k": self.k,
            "merge_cost": self.merge_cost,
            "folds": self.folds,
            "metrics": self.metrics.to_dict(),
            "per_table": [s.to_dict() for s in self.per_table],
            "fixtures": self.fixtures.to_dict() if self.fixtures else None,
            "unqueryable": [vars(u) for u in self.unqueryable],
        }


def query_for(table: GoalTable) -> Any:
    from jixiao.models.suggest_schema import ProjectQuery

    return ProjectQuery(name=table.project or "", goal=table.goal, scheme=table.scheme)


def ranked(result: Any) -> list[Any]:
    """Suggestions best first: strong before weak, then by score (the table groups them by tier)."""
    items = list(result.suggestions if hasattr(result, "suggestions") else result)
    if all(hasattr(s, "score") for s in items):
        items.sort(key=lambda s: (bool(getattr(s, "weak", False)), -float(s.score)))
    return items


def _queryable(tables: Sequence[GoalTable]) -> tuple[list[GoalTable], list[ExcludedFixture]]:
    ok, bad = [], []
    for t in tables:
        if not any(i.code for i in t.indicators):
            bad.append(ExcludedFixture(t.id, t.source, "no indicator with a tier to score"))
        elif not (t.project or "").strip():
            bad.append(ExcludedFixture(t.id, t.source, "no project name to query with"))
        else:
            ok.append(t)
    return ok, bad


def _score_tables(
    suggester: Any, tables: Sequence[GoalTable], k: int, merge_cost: bool
) -> list[TableSuggestionScore]:
    return [
        score_table(t, ranked(suggester.suggest(query_for(t), k=k)), k, merge_cost=merge_cost) for t in tables
    ]


def evaluate_fixtures(
    fixtures: FixtureSet,
    corpus: list[GoalTable],
    make_suggester: SuggesterFactory,
    *,
    k: int = 20,
    merge_cost: bool = True,
    progress: bool = True,
) -> SuggestEvalResult:
    """Build one suggester from the project corpus and score every unseen fixture table."""
    tables, unqueryable = _queryable(fixtures.tables)
    scores: list[TableSuggestionScore] = []
    if tables:
        suggester = make_suggester(list(corpus))
        for t in tqdm(tables, desc="suggest fixtures", unit="table", file=sys.stderr, disable=not progress):
            scores += _score_tables(suggester, [t], k, merge_cost)
    return SuggestEvalResult(
        mode="fixtures",
        k=k,
        merge_cost=merge_cost,
        metrics=aggregate(scores, k),
        per_table=scores,
        fixtures=fixtures,
        unqueryable=unqueryable,
    )


def cross_validate(
    tables: Sequence[GoalTable],
    make_suggester: SuggesterFactory,
    *,
    folds: int = 5,
    seed: int = 0,
    k: int = 20,
    merge_cost: bool = True,
    progress: bool = True,
) -> SuggestEvalResult:
    """Per fold, a suggester built on the other folds' tables answers for this fold's tables."""
    splits = grouped_kfold(tables, k=folds, seed=seed)
    scores: list[TableSuggestionScore] = []
    unqueryable: list[ExcludedFixture] = []
    for fold in tqdm(splits, desc="cv suggest", unit="fold", file=sys.stderr, disable=not progress):
        test, bad = _queryable([tables[i] for i in fold.test])
        unqueryable += bad
        if test:
            suggester = make_suggester([tables[i] for i in fold.train])
            scores += _score_tables(suggester, test, k, merge_cost)
    return SuggestEvalResult(
        mode="cv",
        k=k,
        merge_cost=merge_cost,
        metrics=aggregate(scores, k),
        per_table=scores,
        folds=len(splits),
        unqueryable=unqueryable,
    )


def real_suggester_factory(embedder_name: str | None = None) -> SuggesterFactory:
    """Builds ``jixiao.models.suggest.Suggester`` on given tables, with one embedder for all folds."""
    from jixiao.models.suggest import Suggester, resolve_embedder
    from jixiao.settings import get_settings

    settings = get_settings()
    embedder = resolve_embedder(embedder_name or settings.embedding_model, settings)

    def make(tables: list[GoalTable]) -> Any:
        return Suggester.from_tables(tables, embedder)

    return make
