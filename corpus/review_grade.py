"""A table's verdict: a score per criterion and a grade 优/良/中/差 with a one-line reason.

The rules (documented in the README, section "Review grade"):

- each criterion starts at 100 and loses 30 per error, 10 per warning and 2 per note;
  one rule counts at most three times per criterion, so forty vague values do not sink
  a table more than three would;
- the table's score is the mean of the four; ≥ 90 gives 优, ≥ 75 良, ≥ 60 中, below 差;
- findings cap the grade (``review_rules.rule_cap``): an error caps it at 中, a warning
  at 良, a rule with its own cap (no indicators) at that; missing two or more required
  level-1 tiers caps it at 差. The grade is the worse of the score's and the caps'.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from jixiao.corpus.review_rules import (
    CRITERION_TITLES,
    GRADE_ACTIONS,
    GRADE_ORDER,
    GRADE_TITLES,
    POOR_MISSING_LEVEL1,
    Criterion,
    Finding,
    Grade,
    Rule,
    Severity,
    rule_cap,
)
from jixiao.fast_models import constructed

PENALTY = {Severity.ERROR: 30, Severity.WARNING: 10, Severity.INFO: 2}
MAX_REPEATS = 3
THRESHOLDS = ((90, Grade.EXCELLENT), (75, Grade.GOOD), (60, Grade.FAIR))
_SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class CriterionScore(BaseModel):
    criterion: Criterion
    title: str
    score: int
    errors: int = 0
    warnings: int = 0
    infos: int = 0


class TableGrade(BaseModel):
    grade: Grade
    title: str  # 优 良 中 差
    action: str  # 可纳入预算 …
    score: int
    reason: str
    scores: list[CriterionScore]


def worse(a: Grade, b: Grade) -> Grade:
    return max(a, b, key=GRADE_ORDER.index)


def most_serious(findings: Sequence[Finding], n: int = 3) -> list[Finding]:
    """The n findings a reviewer should read first: errors, then warnings; table-level first."""
    ranked = sorted(
        findings,
        key=lambda f: (_SEVERITY_RANK[f.severity], f.indicator_index is not None, f.indicator_index or 0),
    )
    return ranked[:n]


def criterion_scores(findings: Sequence[Finding]) -> list[CriterionScore]:
    """Per criterion, 100 less the penalties. One pass over the findings (grouped by the
    criterion object, as ``is`` compares), plain dict counts and no re-validation: this
    runs for every table of every upload, and ``Counter`` and validation were a quarter
    of reviewing a table on a loaded server."""
    groups: dict[int, list[Finding]] = {id(c): [] for c in Criterion}
    for f in findings:
        group = groups.get(id(f.criterion))
        if group is not None:
            group.append(f)
    out = []
    for c in Criterion:
        per_rule: dict[tuple[Rule, Severity], int] = {}
        sev: dict[Severity, int] = {}
        for f in groups[id(c)]:
            key = (f.rule, f.severity)
            per_rule[key] = per_rule.get(key, 0) + 1
            sev[f.severity] = sev.get(f.severity, 0) + 1
        penalty = sum(PENALTY[s] * min(n, MAX_REPEATS) for (_, s), n in per_rule.items())
        out.append(
            constructed(  # every value here is of its field's type
                CriterionScore,
                criterion=c,
                title=CRITERION_TITLES[c],
                score=max(0, 100 - penalty),
                errors=sev.get(Severity.ERROR, 0),
                warnings=sev.get(Severity.WARNING, 0),
                infos=sev.get(Severity.INFO, 0),
            )
        )
    return out


def grade_table(findings: Sequence[Finding]) -> TableGrade:
    """Scores, caps and the grade, with the reason naming what decided it."""
    scores = criterion_scores(findings)
    total = round(sum(s.score for s in scores) / len(scores))
    by_score = next((g for limit, g in THRESHOLDS if total >= limit), Grade.POOR)
    cap, capper = Grade.EXCELLENT, None
    for f in most_serious(findings, len(findings)):
        g = rule_cap(f.rule, f.severity)
        if GRADE_ORDER.index(g) > GRADE_ORDER.index(cap):
            cap, capper = g, f
    missing_l1 = [f for f in findings if f.rule is Rule.MISSING_LEVEL1]
    if len(missing_l1) >= POOR_MISSING_LEVEL1:
        cap, capper = Grade.POOR, missing_l1[0]
    grade = worse(by_score, cap)
    head = f"{GRADE_TITLES[grade]}（{GRADE_ACTIONS[grade]}）"
    if capper is not None and grade == cap and GRADE_ORDER.index(cap) >= GRADE_ORDER.index(by_score):
        others = len([f for f in findings if f.severity is capper.severity]) - 1
        more = f"等 {others + 1} 项{capper.severity_title}" if others else ""
        what = capper.message if capper.indicator_index is None else f"{capper.location}{capper.title}"
        reason = f"{head}：{what}{more}"
    elif grade is Grade.EXCELLENT:
        notes = len(findings)
        reason = f"{head}：四项审核得分 {total} 分" + (f"，另有 {notes} 条提示" if notes else "，未发现问题")
    else:
        low = min(scores, key=lambda s: s.score)
        reason = f"{head}：综合得分 {total} 分，{low.title}得分最低（{low.score} 分）"
    return TableGrade(
        grade=grade,
        title=GRADE_TITLES[grade],
        action=GRADE_ACTIONS[grade],
        score=total,
        reason=reason,
        scores=scores,
    )
