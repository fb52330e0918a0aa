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

from jixiao.corpus.review import Severity, review_table
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import TIERS
from jixiao.eval.fixture_sets import ExcludedFixture, FixtureSet
from jixiao.eval.splits import grouped_kfold
from jixiao.eval.suggest_baseline import FrequentNamesBaseline
from jixiao.eval.suggestion_metrics import (
    DraftExtras,
    SuggestionMetrics,
    TableSuggestionScore,
    aggregate,
    score_table,
)

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
    #: The query-blind baseline scored on the same tables in the same run.
    baseline: SuggestionMetrics | None = None
    baseline_per_table: list[TableSuggestionScore] = field(default_factory=list)

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
            "baseline": self.baseline.to_dict() if self.baseline else None,
        }


def query_for(table: GoalTable) -> Any:
    from jixiao.models.suggest_schema import ProjectQuery

    # What a drafter knows before writing indicators: name, goal, budget, year, scheme.
    year = table.year if table.year and 2000 <= table.year <= 2035 else None
    amount = table.amount if table.amount and table.amount > 0 else None
    return ProjectQuery(
        name=table.project or "", goal=table.goal, amount=amount, year=year, scheme=table.scheme
    )


def query_numbers_text(q: Any) -> str:
    """The query as numbers a goal text may quote: its text, the year, the budget in 元 and 万元."""
    parts = [q.name or "", q.goal or ""]
    if getattr(q, "year", None):
        parts.append(f"{q.year}")
    if getattr(q, "amount", None):
        parts += [f"{q.amount:.0f}", f"{q.amount / 10_000:.2f}".rstrip("0").rstrip(".")]
    return " ".join(parts)


def ranked(result: Any) -> list[Any]:
    """Suggestions best first: strong before weak, then by relevance (or score)."""
    items = list(result.suggestions if hasattr(result, "suggestions") else result)
    if all(hasattr(s, "score") for s in items):
        items.sort(
            key=lambda s: (bool(getattr(s, "weak", False)), -float(getattr(s, "relevance", None) or s.score))
        )
    return items


def _queryable(tables: Sequence[GoalTable]) -> tuple[list[GoalTable], list[ExcludedFixture]]:
    ok, bad = [], []
    for t in tables:
        if not any(i.code for i in t.indicators):
            bad.append(ExcludedFixture(t.id, t.source, "没有带类别的指标可计分"))
        elif not (t.project or "").strip():
            bad.append(ExcludedFixture(t.id, t.source, "没有可用于查询的项目名称"))
        else:
            ok.append(t)
    return ok, bad


def draft_review(result: Any, suggestions: Sequence[Any]) -> tuple[int, int]:
    """Errors and warnings our own review rules find in a draft, exactly as a user would submit it."""
    table = GoalTable(
        id="draft",
        scheme=getattr(result, "scheme", None),
        annual_goal=getattr(result, "goal_text", None),
        indicators=[
            Indicator(
                name=s.name,
                code=s.code,
                level1=TIERS[s.code].level1,
                level2=TIERS[s.code].level2,
                annual_value=s.suggested_value,
            )
            for s in suggestions
            if s.code in TIERS
        ],
    )
    findings = review_table(table)
    return (
        sum(f.severity is Severity.ERROR for f in findings),
        sum(f.severity is Severity.WARNING for f in findings),
    )


def _score_tables(
    suggester: Any, tables: Sequence[GoalTable], k: int, merge_cost: bool
) -> list[TableSuggestionScore]:
    out = []
    for t in tables:
        q = query_for(t)
        result = suggester.suggest(q, k=k)
        items = ranked(result)
        errors, warnings = draft_review(result, items[:k])
        extras = DraftExtras(
            query_text=query_numbers_text(q),
            goal_text=getattr(result, "goal_text", None),
            errors=errors,
            warnings=warnings,
        )
        out.append(score_table(t, items, k, merge_cost=merge_cost, extras=extras))
    return out


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
        for t in tqdm(tables, desc="起草样例表", unit="张表", file=sys.stderr, disable=not progress):
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
    make_baseline: SuggesterFactory | None = FrequentNamesBaseline.from_tables,
) -> SuggestEvalResult:
    """Per fold, a suggester built on the other folds' tables answers for this fold's tables.

    The query-blind baseline is built on the same training folds and scored on the same
    held-out tables, so the two columns of the report are comparable.
    """
    splits = grouped_kfold(tables, k=folds, seed=seed)
    scores: list[TableSuggestionScore] = []
    base_scores: list[TableSuggestionScore] = []
    unqueryable: list[ExcludedFixture] = []
    for fold in tqdm(splits, desc="交叉验证 起草", unit="折", file=sys.stderr, disable=not progress):
        test, bad = _queryable([tables[i] for i in fold.test])
        unqueryable += bad
        if test:
            train = [tables[i] for i in fold.train]
            scores += _score_tables(make_suggester(train), test, k, merge_cost)
            if make_baseline is not None:
                base_scores += _score_tables(make_baseline(train), test, k, merge_cost)
    return SuggestEvalResult(
        mode="cv",
        k=k,
        merge_cost=merge_cost,
        metrics=aggregate(scores, k),
        per_table=scores,
        folds=len(splits),
        unqueryable=unqueryable,
        baseline=aggregate(base_scores, k) if make_baseline is not None else None,
        baseline_per_table=base_scores,
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
