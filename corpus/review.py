"""The checks a finance-bureau reviewer makes on a goal table, as pure rules.

The CLI and the HTTP service report the same findings, so the rules live here and
take everything they need as arguments: the table, and (optionally) the classifier's
predictions for its rows. Keeping the classifier out of this module means a rule can
be tested on a hand-written table in microseconds and never depends on a model.

Each rule comes from the review practice in domain.md: every required category is
present, values are quantified, the value fits its tier, the declared tier is the
right one, rows are not repeated, the annual value fits the period value, numbers
carry units.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel

from jixiao.corpus.errors import UnknownCategoryError
from jixiao.corpus.normalize import name_key, normalize_text
from jixiao.corpus.records import finalize
from jixiao.corpus.schema import GoalTable, Indicator, ParsedValue, ValueKind
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
from jixiao.corpus.values import parse_value

#: Confidence above which a classifier disagreement becomes a finding. Below it the
#: model is too unsure to contradict a human's declared tier.
DEFAULT_DISAGREEMENT_THRESHOLD = 0.8

#: Level-2 categories a reviewer expects under 产出 in every table (cost is checked as
#: level 1 under scheme B, and as 14 under scheme A).
REQUIRED_OUTPUT_LEVEL2: dict[Scheme, tuple[str, ...]] = {
    Scheme.A: ("11", "12", "13", "14"),
    Scheme.B: ("11", "12", "13"),
}

#: Wording reviewers reject as unmeasurable when it is the whole value.
VAGUE_PHRASES = (
    "有效提高",
    "有效提升",
    "明显改善",
    "明显提高",
    "明显提升",
    "显著提高",
    "显著提升",
    "成效明显",
    "效果明显",
    "逐步提高",
    "逐步提升",
    "进一步提高",
    "进一步提升",
    "有所提高",
    "有所提升",
    "不断提高",
    "持续提升",
    "得到提高",
    "得到提升",
    "得到改善",
    "较好",
    "良好",
)

# A percentage under cost is fine when the name says what it is a share of.
_COST_RATIO_NAME = re.compile(r"率|比例|比率|占比|控制|节约|降低|执行|偏差|增长|下降|不超")
# Rate units: a rate does not accumulate over the period, so an annual rate may exceed
# the period's, and a bare percentage under cost says nothing about the amount.
_RATE_UNITS = ("%", "百分比", "‰")


class Severity(StrEnum):
    ERROR = "error"  # a reviewer would send the table back
    WARNING = "warning"  # a reviewer would ask for a change
    INFO = "info"  # worth a look, often acceptable


class Rule(StrEnum):
    MISSING_LEVEL1 = "missing-level1"
    MISSING_LEVEL2 = "missing-level2"
    UNKNOWN_CATEGORY = "unknown-category"
    EMPTY_VALUE = "empty-value"
    VAGUE_VALUE = "vague-value"
    VALUE_TIER_MISMATCH = "value-tier-mismatch"
    TIER_DISAGREEMENT = "tier-disagreement"
    DUPLICATE_INDICATOR = "duplicate-indicator"
    ANNUAL_EXCEEDS_PERIOD = "annual-exceeds-period"
    MISSING_UNIT = "missing-unit"


class Finding(BaseModel):
    """One problem a reviewer would raise. ``field`` says which cell to highlight."""

    rule: Rule
    severity: Severity
    message: str
    table_id: str | None = None
    indicator_index: int | None = None  # position in ``GoalTable.indicators``; None = whole table
    indicator_name: str | None = None
    field: str | None = None  # "name" | "tier" | "value" | "annual_value" | "period_value"


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


def _parsed(ind: Indicator) -> ParsedValue:
    return ind.parsed if ind.parsed is not None else parse_value(ind.value)


def _scheme(table: GoalTable, codes: Sequence[str]) -> Scheme:
    """The declared scheme, else the one the codes show; A when nothing tells."""
    return table.scheme or detect_scheme(list(codes)) or Scheme.A


def _row(
    table: GoalTable, i: int, ind: Indicator, rule: Rule, sev: Severity, msg: str, field: str
) -> Finding:
    return Finding(
        rule=rule,
        severity=sev,
        message=msg,
        table_id=table.id,
        indicator_index=i,
        indicator_name=ind.name,
        field=field,
    )


def check_categories(table: GoalTable, predictions: Sequence[PredictionLike | None] = ()) -> list[Finding]:
    """Required level 1s and output level 2s for the table's scheme.

    Rows that print only a level 1 (seed 001) count for level 1; for level 2 they count
    with the classifier's prediction when one is given, so a table is not blamed for a
    layout that omits level 2.
    """
    findings: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        for value, level in ((ind.level1, "level1"), (ind.level2, "level2")):
            if not value:
                continue
            try:
                # A level 2 is judged on its own: an unknown level 1 is its own finding.
                level1_code(value) if level == "level1" else resolve(None, value)
            except UnknownCategoryError:
                findings.append(
                    _row(
                        table,
                        i,
                        ind,
                        Rule.UNKNOWN_CATEGORY,
                        Severity.ERROR,
                        f"无法识别的{'一' if level == 'level1' else '二'}级指标类别“{value}”",
                        "tier",
                    )
                )
    codes: list[str] = []
    level1s: set[str] = set()
    for i, ind in enumerate(table.indicators):
        code = declared_code(ind)
        if code is None and i < len(predictions) and predictions[i] is not None:
            pred_code = predictions[i].code  # type: ignore[union-attr]
            l1 = declared_level1(ind)
            if pred_code in TIERS and (l1 is None or _same_level1(l1, pred_code)):
                code = _in_level1(pred_code, l1)
        if code:
            codes.append(code)
            level1s.add(code[0])
        elif (l1 := declared_level1(ind)) is not None:
            level1s.add(l1)
    scheme = _scheme(table, codes)
    if scheme is Scheme.A and "4" in level1s:
        level1s.add("1")  # a scheme-B cost row still shows the table has output-side cost
    for l1 in REQUIRED_LEVEL1[scheme]:
        if l1 not in level1s:
            findings.append(
                Finding(
                    rule=Rule.MISSING_LEVEL1,
                    severity=Severity.ERROR,
                    message=f"缺少一级指标“{LEVEL1_NAMES[l1]}”（{scheme.value}类口径要求）",
                    table_id=table.id,
                )
            )
    present = {merge_cost(c) if scheme is Scheme.A else c for c in codes}
    if "1" in level1s:
        for code in REQUIRED_OUTPUT_LEVEL2[scheme]:
            if code not in present:
                findings.append(
                    Finding(
                        rule=Rule.MISSING_LEVEL2,
                        severity=Severity.WARNING,
                        message=f"产出指标下缺少二级指标“{TIERS[code].level2}”",
                        table_id=table.id,
                    )
                )
    return findings


def check_values(table: GoalTable) -> list[Finding]:
    """Empty, vague and unit-less values; a value type that does not fit its tier."""
    findings: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        pv = _parsed(ind)
        code = declared_code(ind)
        field = "annual_value" if ind.annual_value not in (None, "") else "period_value"
        if pv.kind is ValueKind.EMPTY:
            findings.append(
                _row(table, i, ind, Rule.EMPTY_VALUE, Severity.ERROR, "指标值为空，请填写目标值", field)
            )
            continue
        if pv.kind is ValueKind.QUALITATIVE:
            text = normalize_text(pv.text)
            vague = next((p for p in VAGUE_PHRASES if p in text), None)
            msg = (
                f"指标值“{text}”为定性表述（“{vague}”），难以考核，建议量化为“运算符+数值+单位”"
                if vague
                else f"指标值“{text}”未量化，建议给出数值和单位或完成时限"
            )
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.VAGUE_VALUE,
                    Severity.WARNING if vague else Severity.INFO,
                    msg,
                    field,
                )
            )
        if pv.kind is ValueKind.NUMERIC and pv.number is not None and not pv.unit:
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.MISSING_UNIT,
                    Severity.WARNING,
                    f"指标值“{pv.text}”缺少计量单位（如 %、人次、万元、次）",
                    field,
                )
            )
        if code is None:
            continue
        if code == "11" and pv.kind is ValueKind.DATE and pv.deadline:
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.VALUE_TIER_MISMATCH,
                    Severity.WARNING,
                    "数量指标的指标值是日期或时限，应为数量；完成时限应列在时效指标下",
                    "tier",
                )
            )
        elif merge_cost(code) == "14" and pv.unit in _RATE_UNITS and not _COST_RATIO_NAME.search(ind.name):
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.VALUE_TIER_MISMATCH,
                    Severity.WARNING,
                    "成本指标的指标值是百分比但未说明基数，建议写明金额（元、万元）或“…控制率”的口径",
                    "value",
                )
            )
        elif code == "31" and pv.kind is ValueKind.DATE and pv.deadline:
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.VALUE_TIER_MISMATCH,
                    Severity.WARNING,
                    "满意度指标的指标值是日期，应为满意度比例（如 ≥90%）",
                    "tier",
                )
            )
    return findings


def check_disagreements(
    table: GoalTable,
    predictions: Sequence[PredictionLike | None],
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> list[Finding]:
    """Rows the classifier confidently places in another tier than the declared one.

    Cost under scheme A (14) and B (41-43) is the same category for this purpose; a
    row that declares only level 1 disagrees only when the predicted level 1 differs.
    """
    findings: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        if i >= len(predictions) or predictions[i] is None:
            continue
        pred = predictions[i]
        if pred.confidence < threshold or pred.code not in TIERS:  # type: ignore[union-attr]
            continue
        declared = declared_code(ind)
        predicted = TIERS[pred.code]  # type: ignore[union-attr]
        l1 = declared_level1(ind)
        if declared is not None:
            shown = TIERS[declared].label
        elif l1 is not None:
            shown = LEVEL1_NAMES[l1]
        else:
            continue
        if not agrees(predicted.code, declared, l1, table.scheme):
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.TIER_DISAGREEMENT,
                    Severity.WARNING,
                    f"申报类别为“{shown}”，模型判断更可能属于“{predicted.level1}-{predicted.level2}”"
                    f"（置信度 {pred.confidence:.0%}），请核对",  # type: ignore[union-attr]
                    "tier",
                )
            )
    return findings


def check_duplicates(table: GoalTable) -> list[Finding]:
    """The same indicator listed twice (after normalisation) under the same table."""
    findings: list[Finding] = []
    first: dict[str, int] = {}
    for i, ind in enumerate(table.indicators):
        key = name_key(ind.name)
        if not key:
            continue
        if key in first:
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.DUPLICATE_INDICATOR,
                    Severity.WARNING,
                    f"指标“{ind.name}”与第 {first[key] + 1} 行重复",
                    "name",
                )
            )
        else:
            first[key] = i
    return findings


def check_annual_vs_period(table: GoalTable) -> list[Finding]:
    """An annual count or amount larger than the whole period's.

    Only for like-for-like quantities (same unit, both numbers) that accumulate over
    the period; rates (%) do not, so an annual ≥95% under a period ≥90% is fine.
    """
    findings: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        if ind.annual_value in (None, "") or ind.period_value in (None, ""):
            continue
        a, p = parse_value(ind.annual_value), parse_value(ind.period_value)
        if a.kind is not ValueKind.NUMERIC or p.kind is not ValueKind.NUMERIC:
            continue
        if a.number is None or p.number is None or (a.unit or "") != (p.unit or ""):
            continue
        if (a.unit or "") in _RATE_UNITS or "率" in ind.name:
            continue
        if a.number > p.number:
            findings.append(
                _row(
                    table,
                    i,
                    ind,
                    Rule.ANNUAL_EXCEEDS_PERIOD,
                    Severity.WARNING,
                    f"年度指标值“{a.text}”超过实施周期指标值“{p.text}”",
                    "annual_value",
                )
            )
    return findings


def review_table(
    table: GoalTable,
    predictions: Sequence[PredictionLike | None] = (),
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> list[Finding]:
    """Every finding for one table, table-level ones first, then by row."""
    findings = (
        check_categories(table, predictions)
        + check_values(table)
        + check_disagreements(table, predictions, threshold)
        + check_duplicates(table)
        + check_annual_vs_period(table)
    )
    return sorted(findings, key=lambda f: -1 if f.indicator_index is None else f.indicator_index)


def complete_table(table: GoalTable) -> GoalTable:
    """Fill what a client may leave out of a JSON table: canonical codes and parsed values.

    Unknown category names are left as printed (the review reports them); nothing is
    dropped. Returns a copy.
    """
    t = table.model_copy(deep=True)
    for ind in t.indicators:
        if ind.code not in TIERS:
            ind.code = declared_code(ind)
        if ind.parsed is None:
            ind.parsed = parse_value(ind.value)
    return finalize(t)
