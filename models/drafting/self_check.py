"""Stage 7: the draft reviewed by the project's own rules before it is returned.

The draft becomes a ``GoalTable`` and goes through ``corpus.review.review_table``, the
same entry point reviewers use. Errors are repaired where the fix is mechanical (a
missing level 1 filled from the patterns, a rate without its ``%``, a row without a
value dropped); whatever remains is returned with the draft so the drafter sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from jixiao.corpus.review import REQUIRED_OUTPUT_LEVEL2, Finding, Rule, Severity, review_table
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import REQUIRED_LEVEL1, TIERS, Scheme
from jixiao.models.drafting.candidates import Candidate
from jixiao.models.drafting.values import GroundedValue, parsed

_RATE_NAME = re.compile(r"(率|度|比例)$")


@dataclass(frozen=True)
class DraftContext:
    """What the review needs besides the rows: the table is judged whole (goal text
    against indicators, costs against the amount, dates against the year)."""

    name: str | None = None
    amount: float | None = None
    year: int | None = None
    #: The goal text for a set of rows; it is composed from the rows, so it is recomposed
    #: whenever the self-check changes them.
    goal: Callable[[list[Candidate]], str | None] = lambda rows: None


def as_table(
    chosen: list[Candidate],
    scheme: Scheme,
    name: str | None = None,
    goal: str | None = None,
    amount: float | None = None,
    year: int | None = None,
) -> GoalTable:
    return GoalTable(
        id="draft",
        project=name,
        annual_goal=goal,
        amount=amount,
        year=year,
        scheme=scheme,
        indicators=[
            Indicator(
                name=c.name,
                level1=TIERS[c.code].level1,
                level2=TIERS[c.code].level2,
                code=c.code,
                annual_value=c.value.text if c.value else None,
                parsed=parsed(c.value.text) if c.value else None,
            )
            for c in chosen
        ],
    )


def _review(rows: list[Candidate], scheme: Scheme, ctx: DraftContext) -> list[Finding]:
    return review_table(as_table(rows, scheme, ctx.name, ctx.goal(rows), ctx.amount, ctx.year))


def self_check(
    chosen: list[Candidate],
    scheme: Scheme,
    fill: Callable[[str], Candidate | None],
    fill_tier: Callable[[str], Candidate | None] = lambda code: None,
    ctx: DraftContext | None = None,
) -> tuple[list[Candidate], list[Finding]]:
    """Review, repair what can be repaired, review again; the repaired rows and what is left.

    Repairs: rows without a value and boilerplate rows (保障工作正常开展, which a reviewer
    marks as empty words) are dropped, a rate gets its missing ``%``, and a required tier
    left empty is filled again.
    """
    ctx = ctx or DraftContext()
    # Required tiers are filled before the review (they depend on which tiers are present,
    # not on any finding), so a draft that needs no other repair is reviewed once.
    rows = _filled(list(chosen), scheme, fill, fill_tier)
    findings = _review(rows, scheme, ctx)
    drop: set[int] = set()
    for f in findings:
        if f.indicator_index is None:
            continue
        c = rows[f.indicator_index]
        if f.rule in (Rule.EMPTY_VALUE, Rule.BOILERPLATE_INDICATOR):
            drop.add(f.indicator_index)
        elif f.rule is Rule.MISSING_UNIT and c.value:
            if _RATE_NAME.search(c.name):
                c.value = GroundedValue(
                    c.value.text + "%", c.value.basis + "（补全单位）", c.value.qualitative
                )
            else:
                drop.add(f.indicator_index)
    repaired = bool(drop) or any(f.rule is Rule.MISSING_UNIT for f in findings)
    if drop:
        rows = _filled([c for i, c in enumerate(rows) if i not in drop], scheme, fill, fill_tier)
    if repaired:
        findings = _review(rows, scheme, ctx)
    return rows, sorted(findings, key=lambda f: (f.severity is not Severity.ERROR, f.indicator_index or -1))


def _filled(
    rows: list[Candidate],
    scheme: Scheme,
    fill: Callable[[str], Candidate | None],
    fill_tier: Callable[[str], Candidate | None],
) -> list[Candidate]:
    """The rows with every required level 1 and required output level 2 present where a fill exists."""
    present = {TIERS[c.code].level1_code for c in rows}
    for l1 in REQUIRED_LEVEL1[scheme]:
        if l1 not in present and (extra := fill(l1)) is not None:
            rows.append(extra)
    present_codes = {c.code for c in rows}
    for code in REQUIRED_OUTPUT_LEVEL2[scheme]:
        if code not in present_codes and (extra := fill_tier(code)) is not None:
            rows.append(extra)
    return rows
