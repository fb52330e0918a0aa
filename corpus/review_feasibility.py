"""可行性: can each target be met and measured? Quantified, with units, dated inside the budget year,
rates that can be reached, and no row contradicting another.

Pure functions of the table; ``review.review_table`` composes them.
"""

from __future__ import annotations

import re

from jixiao.corpus.normalize import name_key, normalize_text
from jixiao.corpus.review_rules import Finding, Rule, Severity, row_finding
from jixiao.corpus.schema import GoalTable, Indicator, ParsedValue, ValueKind
from jixiao.corpus.values import PERCENT_UNITS, parse_value

#: Wording that says "better" without saying by how much. One pattern, so 有效降低 and
#: 有效提升 are judged alike.
VAGUE_RE = re.compile(
    r"(有效|明显|显著|逐步|进一步|有所|不断|持续|得到|大幅|稳步|切实)"
    r"(提高|提升|改善|降低|减少|增强|加强|下降|增加|缓解|保障|优化)"
    r"|成效明显|效果明显|效果显著|较好|良好|较高|稳定|正常"
)
#: Percentages that may exceed 100: growth, ratios against a base, multiples.
_MAY_EXCEED_100 = re.compile(r"增长|增幅|增速|提高|提升|同比|环比|倍|比上年|较上年|上涨|带动|拉动|杠杆")
_RATE_NAME = re.compile(r"率|比例|比率|占比|覆盖|满意度|知晓度|达标")
#: A year printed in a project name, period or goal ("2024年").
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年")


def parsed(ind: Indicator) -> ParsedValue:
    return ind.parsed if ind.parsed is not None else parse_value(ind.value)


def value_field(ind: Indicator) -> str:
    return "annual_value" if ind.annual_value not in (None, "") else "period_value"


def budget_year(table: GoalTable) -> int | None:
    """The budget year: declared, else the single year the project name or period prints."""
    if table.year:
        return table.year
    for text in (table.project, table.period):
        years = {int(y) for y in _YEAR_RE.findall(text or "")}
        if len(years) == 1:
            return years.pop()
    return None


def check_quantified(table: GoalTable, codes: list[str | None]) -> list[Finding]:
    """Qualitative values and numbers without a unit.

    A qualitative value is a warning under 产出, 成本 and 满意度 (they are counted, or a share
    of people satisfied) and a note under 效益, where qualitative wording is allowed but
    weak. The phrase only shapes the message, never the severity.
    """
    out: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        pv = parsed(ind)
        code = codes[i] if i < len(codes) else None
        field = value_field(ind)
        if pv.kind is ValueKind.QUALITATIVE:
            text = normalize_text(pv.text)
            strict = code is None or code[0] in ("1", "3", "4")
            m = VAGUE_RE.search(text)
            msg = (
                f"指标值“{text}”为定性表述（“{m.group(0)}”），难以考核，建议量化为“运算符+数值+单位”"
                if m
                else f"指标值“{text}”未量化，建议给出数值和单位或完成时限"
            )
            sev = Severity.WARNING if strict else Severity.INFO
            out.append(row_finding(table.id, i, ind.name, Rule.VAGUE_VALUE, sev, msg, field))
        elif pv.kind is ValueKind.NUMERIC and pv.number is not None and not pv.unit:
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.MISSING_UNIT,
                    Severity.WARNING,
                    f"指标值“{pv.text}”缺少计量单位（如 %、人次、万元、次）",
                    field,
                )
            )
    return out


def check_rates(table: GoalTable) -> list[Finding]:
    """A rate target above 100% cannot be reached (增长率 and other ratios to a base excepted)."""
    out: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        for field, text in (("annual_value", ind.annual_value), ("period_value", ind.period_value)):
            pv = parse_value(text)
            if pv.kind is not ValueKind.NUMERIC or pv.number is None or pv.number <= 100:
                continue
            if (pv.unit or "") not in PERCENT_UNITS or not _RATE_NAME.search(ind.name):
                continue
            if _MAY_EXCEED_100.search(ind.name):
                continue
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.RATE_OVER_100,
                    Severity.ERROR,
                    f"“{ind.name}”是比率，目标值“{pv.text}”超过 100%，无法实现",
                    field,
                )
            )
            break
    return out


def check_dates(table: GoalTable) -> list[Finding]:
    """Deadlines that name a year other than the budget year (a multi-year period excepted)."""
    year = budget_year(table)
    if year is None:
        return []
    period_years = {int(y) for y in _YEAR_RE.findall(table.period or "")}
    allowed = set(range(min(period_years), max(period_years) + 1)) if period_years else {year}
    out: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        for field, text, ok in (
            ("annual_value", ind.annual_value, {year}),
            ("period_value", ind.period_value, allowed | {year}),
        ):
            pv = parse_value(text)
            if pv.kind is not ValueKind.DATE or not pv.deadline or not re.match(r"\d{4}", pv.deadline):
                continue
            y = int(pv.deadline[:4])
            if y in ok:
                continue
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.DATE_OUTSIDE_YEAR,
                    Severity.WARNING,
                    f"时限“{pv.text}”不在预算年度 {year} 年内，请核对年份",
                    field,
                )
            )
            break
    return out


def check_duplicates(table: GoalTable) -> list[Finding]:
    """The same indicator twice: a warning when the two targets contradict, a note when they repeat."""
    out: list[Finding] = []
    first: dict[str, int] = {}
    for i, ind in enumerate(table.indicators):
        key = name_key(ind.name)
        if not key:
            continue
        if key not in first:
            first[key] = i
            continue
        j = first[key]
        other = table.indicators[j]
        same = normalize_text(ind.value or "") == normalize_text(other.value or "")
        if same:
            msg, sev = f"指标“{ind.name}”与第 {j + 1} 行重复", Severity.INFO
        else:
            msg = (
                f"指标“{ind.name}”与第 {j + 1} 行重复且目标值矛盾"
                f"（“{other.value or '空'}”与“{ind.value or '空'}”），请保留一项"
            )
            sev = Severity.WARNING
        out.append(row_finding(table.id, i, ind.name, Rule.DUPLICATE_INDICATOR, sev, msg, "name"))
    return out
