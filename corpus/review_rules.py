"""The review vocabulary in one place: rules, criteria, severities, grades and their Chinese titles.

A finance bureau reviews a goal table under the four criteria of 财预〔2015〕88号
(完整性, 相关性, 适当性, 可行性) and grades it 优/良/中/差. Every rule the service checks
belongs to exactly one criterion and has a Chinese title, a default severity and the
best grade a table carrying it can still get. The checks, the grading, the API, the web
page and the workbook all read this registry, so a rule cannot be titled or capped in
two different ways. Rule ids stay ASCII: they are the stable keys in JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, model_validator


class Severity(StrEnum):
    ERROR = "error"  # a reviewer would send the table back
    WARNING = "warning"  # a reviewer would ask for a change
    INFO = "info"  # worth a look, often acceptable


class Criterion(StrEnum):
    COMPLETENESS = "completeness"
    RELEVANCE = "relevance"
    APPROPRIATENESS = "appropriateness"
    FEASIBILITY = "feasibility"


class Grade(StrEnum):
    """The four verdicts, best first; the value is the stable key (A-D)."""

    EXCELLENT = "A"  # 优: goes into the budget
    GOOD = "B"  # 良: settled by talking to the unit
    FAIR = "C"  # 中: sent back for revision
    POOR = "D"  # 差: refused


SEVERITY_TITLES = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
CRITERION_TITLES = {
    Criterion.COMPLETENESS: "完整性",
    Criterion.RELEVANCE: "相关性",
    Criterion.APPROPRIATENESS: "适当性",
    Criterion.FEASIBILITY: "可行性",
}
GRADE_TITLES = {Grade.EXCELLENT: "优", Grade.GOOD: "良", Grade.FAIR: "中", Grade.POOR: "差"}
#: What each grade means for the table, as the bureau acts on it.
GRADE_ACTIONS = {
    Grade.EXCELLENT: "可纳入预算",
    Grade.GOOD: "与单位沟通后确定",
    Grade.FAIR: "退回修改",
    Grade.POOR: "不予通过",
}
GRADE_ORDER = (Grade.EXCELLENT, Grade.GOOD, Grade.FAIR, Grade.POOR)
#: The grade a severity caps a table at when its rule names no cap of its own.
SEVERITY_CAPS = {Severity.ERROR: Grade.FAIR, Severity.WARNING: Grade.GOOD, Severity.INFO: Grade.EXCELLENT}


class Rule(StrEnum):
    # 完整性
    NO_INDICATORS = "no-indicators"
    MISSING_GOAL = "missing-goal"
    VAGUE_GOAL = "vague-goal"
    MISSING_LEVEL1 = "missing-level1"
    MISSING_LEVEL2 = "missing-level2"
    UNKNOWN_CATEGORY = "unknown-category"
    EMPTY_VALUE = "empty-value"
    MISSING_PERIOD_OR_ANNUAL = "missing-period-or-annual"
    # 相关性
    GOAL_NOT_COVERED = "goal-not-covered"
    OFF_GOAL_INDICATOR = "off-goal-indicator"
    BOILERPLATE_INDICATOR = "boilerplate-indicator"
    TIER_DISAGREEMENT = "tier-disagreement"
    VALUE_TIER_MISMATCH = "value-tier-mismatch"
    # 适当性
    TARGET_BELOW_PEERS = "target-below-peers"
    SATISFACTION_FULL = "satisfaction-full"
    COST_EXCEEDS_AMOUNT = "cost-exceeds-amount"
    UNIT_COST_MISMATCH = "unit-cost-mismatch"
    ANNUAL_EXCEEDS_PERIOD = "annual-exceeds-period"
    # 可行性
    VAGUE_VALUE = "vague-value"
    MISSING_UNIT = "missing-unit"
    RATE_OVER_100 = "rate-over-100"
    DATE_OUTSIDE_YEAR = "date-outside-year"
    DUPLICATE_INDICATOR = "duplicate-indicator"


@dataclass(frozen=True)
class RuleInfo:
    criterion: Criterion
    title: str
    #: The best grade a table with this finding can get; None = the severity's cap.
    cap: Grade | None = None


RULES: dict[Rule, RuleInfo] = {
    Rule.NO_INDICATORS: RuleInfo(Criterion.COMPLETENESS, "没有绩效指标", Grade.POOR),
    Rule.MISSING_GOAL: RuleInfo(Criterion.COMPLETENESS, "缺少绩效目标"),
    Rule.VAGUE_GOAL: RuleInfo(Criterion.COMPLETENESS, "绩效目标不具体"),
    Rule.MISSING_LEVEL1: RuleInfo(Criterion.COMPLETENESS, "缺少一级指标"),
    Rule.MISSING_LEVEL2: RuleInfo(Criterion.COMPLETENESS, "缺少二级指标"),
    Rule.UNKNOWN_CATEGORY: RuleInfo(Criterion.COMPLETENESS, "指标类别无法识别"),
    Rule.EMPTY_VALUE: RuleInfo(Criterion.COMPLETENESS, "指标值为空"),
    Rule.MISSING_PERIOD_OR_ANNUAL: RuleInfo(Criterion.COMPLETENESS, "周期值或年度值缺失"),
    Rule.GOAL_NOT_COVERED: RuleInfo(Criterion.RELEVANCE, "目标内容无对应指标"),
    Rule.OFF_GOAL_INDICATOR: RuleInfo(Criterion.RELEVANCE, "指标与目标无关"),
    Rule.BOILERPLATE_INDICATOR: RuleInfo(Criterion.RELEVANCE, "指标为通用套话"),
    Rule.TIER_DISAGREEMENT: RuleInfo(Criterion.RELEVANCE, "指标类别可能有误"),
    Rule.VALUE_TIER_MISMATCH: RuleInfo(Criterion.RELEVANCE, "指标值与类别不符"),
    Rule.TARGET_BELOW_PEERS: RuleInfo(Criterion.APPROPRIATENESS, "目标值低于同类项目"),
    Rule.SATISFACTION_FULL: RuleInfo(Criterion.APPROPRIATENESS, "满意度目标过高"),
    Rule.COST_EXCEEDS_AMOUNT: RuleInfo(Criterion.APPROPRIATENESS, "成本超过预算金额"),
    Rule.UNIT_COST_MISMATCH: RuleInfo(Criterion.APPROPRIATENESS, "单价×数量与预算不符"),
    Rule.ANNUAL_EXCEEDS_PERIOD: RuleInfo(Criterion.APPROPRIATENESS, "年度值超过周期值"),
    Rule.VAGUE_VALUE: RuleInfo(Criterion.FEASIBILITY, "指标值未量化"),
    Rule.MISSING_UNIT: RuleInfo(Criterion.FEASIBILITY, "缺少计量单位"),
    Rule.RATE_OVER_100: RuleInfo(Criterion.FEASIBILITY, "比率超过100%"),
    Rule.DATE_OUTSIDE_YEAR: RuleInfo(Criterion.FEASIBILITY, "时限不在预算年度内"),
    Rule.DUPLICATE_INDICATOR: RuleInfo(Criterion.FEASIBILITY, "指标重复"),
}

#: A table missing this many required level-1 tiers is refused outright (差).
POOR_MISSING_LEVEL1 = 2


def rule_cap(rule: Rule, severity: Severity) -> Grade:
    return RULES[rule].cap or SEVERITY_CAPS[severity]


class Finding(BaseModel):
    """One problem a reviewer would raise, with its criterion and Chinese labels.

    ``criterion``, ``title``, ``severity_title`` and ``location`` are derived from the
    rule registry and the row, so every producer of findings labels them the same way.
    ``field`` says which cell to highlight.
    """

    rule: Rule
    severity: Severity
    message: str
    table_id: str | None = None
    indicator_index: int | None = None  # position in ``GoalTable.indicators``; None = whole table
    indicator_name: str | None = None
    field: str | None = None  # "name" | "tier" | "value" | "annual_value" | "period_value" | "goal"
    criterion: Criterion | None = None
    title: str = ""
    severity_title: str = ""
    criterion_title: str = ""
    location: str = ""  # 第 3 行“救助人次” or 整表

    @model_validator(mode="after")
    def _labels(self) -> Finding:
        info = RULES[self.rule]
        if self.indicator_index is None:
            location = "整表"
        else:
            name = f"“{self.indicator_name}”" if self.indicator_name else ""
            location = f"第 {self.indicator_index + 1} 行{name}"
        # What assigning each field does (the value, and the field marked as set), without
        # pydantic's ``__setattr__`` dispatch: every finding of every upload comes through here.
        self.__dict__.update(
            criterion=info.criterion,
            title=info.title,
            criterion_title=CRITERION_TITLES[info.criterion],
            severity_title=SEVERITY_TITLES[self.severity],
            location=location,
        )
        self.__pydantic_fields_set__.update(_LABELS)
        return self


#: The fields ``Finding._labels`` derives.
_LABELS = ("criterion", "title", "criterion_title", "severity_title", "location")


def row_finding(
    table_id: str | None, i: int, name: str | None, rule: Rule, severity: Severity, message: str, field: str
) -> Finding:
    """A finding about row ``i`` (0-based) of a table."""
    return Finding(
        rule=rule,
        severity=severity,
        message=message,
        table_id=table_id,
        indicator_index=i,
        indicator_name=name,
        field=field,
    )


def table_finding(
    table_id: str | None, rule: Rule, severity: Severity, message: str, field: str | None = None
) -> Finding:
    """A finding about the whole table (a missing tier, the goal text)."""
    return Finding(rule=rule, severity=severity, message=message, table_id=table_id, field=field)
