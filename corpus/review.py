"""The checks a finance-bureau reviewer makes on a goal table, as pure rules: the entry point.

The CLI, the HTTP service and the drafting self-check report the same findings, so the
rules live here and take everything they need as arguments: the table, (optionally) the
classifier's predictions for its rows, and the peer norms of the corpus. Keeping the
classifier out of this package means a rule can be tested on a hand-written table in
microseconds and never depends on a model.

This module holds the category and value checks and ``review_table``, which composes
every criterion's checks: 完整性 here and in ``review_goal``, 相关性 in ``review_goal``
and here (declared tier against the classifier), 适当性 in ``review_norms``, 可行性 in
``review_feasibility``. The vocabulary (rules, criteria, titles, caps) is in
``review_rules``; the grade in ``review_grade``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from jixiao.corpus.records import finalize
from jixiao.corpus.review_feasibility import (
    check_quantified,
    parsed,
    value_field,
)
from jixiao.corpus.review_goal import check_indicator_relevance
from jixiao.corpus.review_grade import TableGrade, grade_table
from jixiao.corpus.review_norms import PeerNorms, check_cost, check_targets
from jixiao.corpus.review_rules import (
    Criterion,
    Finding,
    Grade,
    Rule,
    Severity,
    row_finding,
    table_finding,
)
from jixiao.corpus.review_table_only import TableOnlyFindings, table_only_findings
from jixiao.corpus.schema import GoalTable, Indicator, ValueKind
from jixiao.corpus.taxonomy import (
    LEVEL1_NAMES,
    REQUIRED_LEVEL1,
    TIERS,
    Scheme,
    agrees,
    detect_scheme,
    level1_code,
    merge_cost,
    resolve,
)
from jixiao.corpus.values import RATIO_UNITS, parse_value
from jixiao.errors import UnknownCategoryError

__all__ = [
    "DEFAULT_DISAGREEMENT_THRESHOLD",
    "Criterion",
    "Finding",
    "Grade",
    "PeerNorms",
    "Rule",
    "Severity",
    "TableGrade",
    "agrees",
    "complete_table",
    "declared_code",
    "declared_level1",
    "grade_table",
    "review_table",
]

#: Confidence above which a classifier disagreement becomes a finding. Below it the
#: model is too unsure to contradict a human's declared tier.
DEFAULT_DISAGREEMENT_THRESHOLD = 0.8

#: Level-2 categories a reviewer expects under 产出 in every table (cost is checked as
#: level 1 under scheme B, and as 14 under scheme A).
REQUIRED_OUTPUT_LEVEL2: dict[Scheme, tuple[str, ...]] = {
    Scheme.A: ("11", "12", "13", "14"),
    Scheme.B: ("11", "12", "13"),
}

# A percentage under cost is fine when the name says what it is a share of.
_COST_RATIO_NAME = re.compile(r"率|比例|比率|占比|控制|节约|降低|执行|偏差|增长|下降|不超")


class PredictionLike(Protocol):
    """What the rules need from a classifier prediction (``TierPrediction`` fits)."""

    code: str
    confidence: float


def declared_code(ind: Indicator) -> str | None:
    """The canonical tier the drafter declared, resolving printed names if ``code`` is unset."""
    if ind.code in TIERS:
        return ind.code
    if ind.level1 or ind.level2:
        try:
            return resolve(ind.level1, ind.level2).code
        except UnknownCategoryError:
            return None
    return None


def declared_level1(ind: Indicator) -> str | None:
    code = declared_code(ind)
    if code:
        return code[0]
    if ind.level1:
        try:
            return level1_code(ind.level1)
        except UnknownCategoryError:
            return None
    return None


def _same_level1(l1: str, code: str) -> bool:
    """Does a tier code sit under a declared level 1 (scheme not yet known)? See ``agrees``."""
    return bool(agrees(code, None, l1))


def _in_level1(code: str, l1: str | None) -> str:
    """Express a cost code in the scheme the declared level 1 implies."""
    if l1 == "4" and code == "14":
        return "41"
    if l1 == "1" and code in ("41", "42", "43"):
        return "14"
    return code


def _scheme(table: GoalTable, codes: Sequence[str]) -> Scheme:
    """The declared scheme, else the one the codes show; A when nothing tells."""
    return table.scheme or detect_scheme(list(codes)) or Scheme.A


def effective_codes(table: GoalTable, predictions: Sequence[PredictionLike | None] = ()) -> list[str | None]:
    """Each row's tier: declared, else the prediction when it fits the declared level 1.

    Rows that print only a level 1 (seed 001) then count with the classifier's level 2,
    so a table is not blamed for a layout that omits level 2.
    """
    codes: list[str | None] = []
    for i, ind in enumerate(table.indicators):
        code = declared_code(ind)
        if code is None and i < len(predictions) and predictions[i] is not None:
            pred_code = predictions[i].code  # type: ignore[union-attr]
            l1 = declared_level1(ind)
            if pred_code in TIERS and (l1 is None or agrees(pred_code, None, l1)):
                code = _in_level1(pred_code, l1)
        codes.append(code)
    return codes


def check_categories(table: GoalTable, predictions: Sequence[PredictionLike | None] = ()) -> list[Finding]:
    """Known category names; required level 1s and output level 2s for the table's scheme."""
    findings: list[Finding] = []
    if not table.indicators:
        return [table_finding(table.id, Rule.NO_INDICATORS, Severity.ERROR, "表中没有任何绩效指标")]
    for i, ind in enumerate(table.indicators):
        for value, level in ((ind.level1, "level1"), (ind.level2, "level2")):
            if not value:
                continue
            try:
                # A level 2 is judged on its own: an unknown level 1 is its own finding.
                level1_code(value) if level == "level1" else resolve(None, value)
            except UnknownCategoryError:
                findings.append(
                    row_finding(
                        table.id,
                        i,
                        ind.name,
                        Rule.UNKNOWN_CATEGORY,
                        Severity.ERROR,
                        f"无法识别的{'一' if level == 'level1' else '二'}级指标类别“{value}”",
                        "tier",
                    )
                )
    row_codes = effective_codes(table, predictions)
    codes = [c for c in row_codes if c]
    level1s = {c[0] for c in codes}
    for ind, code in zip(table.indicators, row_codes, strict=True):
        if code is None and (l1 := declared_level1(ind)) is not None:
            level1s.add(l1)
    scheme = _scheme(table, codes)
    if scheme is Scheme.A and "4" in level1s:
        level1s.add("1")  # a scheme-B cost row still shows the table has output-side cost
    for l1 in REQUIRED_LEVEL1[scheme]:
        if l1 not in level1s:
            findings.append(
                table_finding(
                    table.id,
                    Rule.MISSING_LEVEL1,
                    Severity.ERROR,
                    f"缺少一级指标“{LEVEL1_NAMES[l1]}”（{scheme.value}类口径要求）",
                    "tier",
                )
            )
    present = {merge_cost(c) if scheme is Scheme.A else c for c in codes}
    if "1" in level1s:
        for code in REQUIRED_OUTPUT_LEVEL2[scheme]:
            if code not in present:
                findings.append(
                    table_finding(
                        table.id,
                        Rule.MISSING_LEVEL2,
                        Severity.WARNING,
                        f"产出指标下缺少二级指标“{TIERS[code].level2}”",
                        "tier",
                    )
                )
    return findings


def check_values(table: GoalTable, codes: Sequence[str | None]) -> list[Finding]:
    """Empty values, a missing period or annual value, a value type that does not fit its tier."""
    findings: list[Finding] = []
    both_columns = any(
        ind.annual_value not in (None, "") and ind.period_value not in (None, "") for ind in table.indicators
    )
    for i, ind in enumerate(table.indicators):
        pv = parsed(ind)
        code = codes[i] if i < len(codes) else None
        field = value_field(ind)
        if pv.kind is ValueKind.EMPTY:
            findings.append(
                row_finding(
                    table.id, i, ind.name, Rule.EMPTY_VALUE, Severity.ERROR, "指标值为空，请填写目标值", field
                )
            )
            continue
        if both_columns and (ind.annual_value in (None, "") or ind.period_value in (None, "")):
            missing = "年度指标值" if ind.annual_value in (None, "") else "实施周期指标值"
            findings.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.MISSING_PERIOD_OR_ANNUAL,
                    Severity.INFO,
                    f"表中其他指标同时填写了周期值和年度值，本行缺少{missing}",
                    "annual_value" if missing == "年度指标值" else "period_value",
                )
            )
        if code is None:
            continue
        mismatch = None
        if code == "11" and pv.kind is ValueKind.DATE and pv.deadline:
            mismatch = "数量指标的指标值是日期或时限，应为数量；完成时限应列在时效指标下", "tier"
        elif merge_cost(code) == "14" and pv.unit in RATIO_UNITS and not _COST_RATIO_NAME.search(ind.name):
            mismatch = (
                "成本指标的指标值是百分比但未说明基数，建议写明金额（元、万元）或“…控制率”的口径",
                "value",
            )
        elif code == "31" and pv.kind is ValueKind.DATE and pv.deadline:
            mismatch = "满意度指标的指标值是日期，应为满意度比例（如 ≥90%）", "tier"
        if mismatch:
            findings.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.VALUE_TIER_MISMATCH,
                    Severity.WARNING,
                    mismatch[0],
                    mismatch[1],
                )
            )
    return findings


def check_disagreements(
    table: GoalTable,
    predictions: Sequence[PredictionLike | None],
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> list[Finding]:
    """Rows the classifier confidently places in another tier than the declared one."""
    findings: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        if i >= len(predictions) or predictions[i] is None:
            continue
        pred = predictions[i]
        if pred.confidence < threshold or pred.code not in TIERS:  # type: ignore[union-attr]
            continue
        declared = declared_code(ind)
        l1 = declared_level1(ind)
        verdict = agrees(pred.code, declared, l1, table.scheme)  # type: ignore[union-attr]
        if verdict is not False:
            continue
        predicted = TIERS[pred.code]  # type: ignore[union-attr]
        shown = f"{TIERS[declared].level1}-{TIERS[declared].level2}" if declared else LEVEL1_NAMES[l1]  # type: ignore[index]
        findings.append(
            row_finding(
                table.id,
                i,
                ind.name,
                Rule.TIER_DISAGREEMENT,
                Severity.WARNING,
                f"申报类别为“{shown}”，模型判断更可能属于“{predicted.level1}-{predicted.level2}”"
                f"（置信度 {pred.confidence:.0%}），请核对",  # type: ignore[union-attr]
                "tier",
            )
        )
    return findings


def value_findings(table: GoalTable, codes: Sequence[str | None]) -> list[Finding]:
    """Everything the rules say about the rows' values alone (empty, wrong kind for the
    tier, unquantified, without a unit): what a proposed rewrite of one row must pass."""
    return check_values(table, codes) + check_quantified(table, codes)


def review_table(
    table: GoalTable,
    predictions: Sequence[PredictionLike | None] = (),
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
    norms: PeerNorms | None = None,
    table_only: TableOnlyFindings | None = None,
) -> list[Finding]:
    """Every finding for one table under the four criteria, table-level ones first, then by row.

    ``predictions`` (one per row, or none) feed the tier checks; ``norms`` (the corpus's
    peer targets) feed the 适当性 comparison, which is skipped without them. ``table_only``
    is what ``table_only_findings`` found for this same table elsewhere (an upload's parser
    process); without it those checks run here.
    """
    codes = effective_codes(table, predictions)
    alone = table_only if table_only is not None else table_only_findings(table)
    findings = (
        check_categories(table, predictions)
        + alone.goal
        + alone.goal_coverage
        + check_indicator_relevance(table, codes)
        + check_disagreements(table, predictions, threshold)
        + check_targets(table, codes, norms)
        + check_cost(table, codes)
        + alone.annual_vs_period
        + value_findings(table, codes)
        + alone.rates
        + alone.dates
        + alone.duplicates
    )
    return sorted(findings, key=lambda f: -1 if f.indicator_index is None else f.indicator_index)


def complete_table(table: GoalTable, *, copy: bool = True) -> GoalTable:
    """Fill what a client may leave out of a JSON table: canonical codes and parsed values.

    Unknown category names are left as printed (the review reports them); nothing is
    dropped. Returns a copy, unless ``copy=False``: a parser's fresh tables, which nothing
    else holds, are completed in place (the deep copy was a tenth of parsing an upload).
    """
    t = table.model_copy(deep=True) if copy else table
    for ind in t.indicators:
        if ind.code not in TIERS:
            ind.code = declared_code(ind)
        if ind.parsed is None:
            ind.parsed = parse_value(ind.value)
    return finalize(t)
