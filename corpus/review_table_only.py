"""The review checks that read a table alone: no classifier predictions, no peer norms.

An upload is parsed in a worker process (``jixiao.service.cancellable``); these checks
run there too, right after parsing, so their Python work happens beside the server
instead of under its GIL, where reviewing uploads was the largest share of a loaded
server's time. ``review_table`` takes their findings back and puts them in the same
places of its order as when it runs them itself, so the answer is identical.
"""

from __future__ import annotations

from pydantic import BaseModel

from jixiao.corpus.review_feasibility import check_dates, check_duplicates, check_rates
from jixiao.corpus.review_goal import check_goal, check_goal_coverage
from jixiao.corpus.review_norms import check_annual_vs_period
from jixiao.corpus.review_rules import Finding
from jixiao.corpus.schema import GoalTable


class TableOnlyFindings(BaseModel):
    """What each table-only check found, one field per check."""

    goal: list[Finding]
    goal_coverage: list[Finding]
    annual_vs_period: list[Finding]
    rates: list[Finding]
    dates: list[Finding]
    duplicates: list[Finding]


def table_only_findings(table: GoalTable) -> TableOnlyFindings:
    """Run every table-only check on a completed table (``complete_table``)."""
    return TableOnlyFindings.model_construct(
        goal=check_goal(table),
        goal_coverage=check_goal_coverage(table),
        annual_vs_period=check_annual_vs_period(table),
        rates=check_rates(table),
        dates=check_dates(table),
        duplicates=check_duplicates(table),
    )
