"""The four criteria's new checks and the grade, on hand-made tables: each fires on its case only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jixiao.corpus.records import make_indicator
from jixiao.corpus.review import (
    Criterion,
    Grade,
    PeerNorms,
    Rule,
    Severity,
    grade_table,
    review_table,
)
from jixiao.corpus.review_rules import RULES, Finding
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import Scheme

GOAL = "2024年为困难群众提供医疗救助不少于1000人次，救助资金发放准确率不低于98%，减轻困难群众医疗负担"


def table(*extra, goal: str | None = GOAL, amount: float | None = None, **kw) -> GoalTable:
    rows = [
        make_indicator("救助人次", "产出指标", "数量指标", annual_value="≥1000人次"),
        make_indicator("救助资金发放准确率", "产出指标", "质量指标", annual_value="≥98%"),
        make_indicator("资金发放完成时间", "产出指标", "时效指标", annual_value="2024年12月31日前"),
        make_indicator("人均救助标准", "产出指标", "成本指标", annual_value="≤3000元/人"),
        make_indicator("困难群众医疗负担减轻率", "效益指标", "社会效益指标", annual_value="≥10%"),
        make_indicator("服务对象满意度", "满意度指标", "服务对象满意度指标", annual_value="≥90%"),
        *extra,
    ]
    return GoalTable(
        id="t1",
        project="2024年医疗救助",
        annual_goal=goal,
        amount=amount,
        indicators=rows,
        scheme=Scheme.A,
        **kw,
    )


def found(t: GoalTable, rule: Rule, norms: PeerNorms | None = None) -> list[Finding]:
    return [f for f in review_table(t, norms=norms) if f.rule is rule]


def test_clean_table_grades_excellent():
    findings = review_table(table(amount=3_000_000))
    assert findings == []
    g = grade_table(findings)
    assert g.grade is Grade.EXCELLENT and g.title == "优" and g.score == 100
    assert [s.title for s in g.scores] == ["完整性", "相关性", "适当性", "可行性"]


def test_goal_missing_and_vague():
    assert [f.severity for f in found(table(goal=None), Rule.MISSING_GOAL)] == [Severity.ERROR]
    vague = found(table(goal="保障工作正常开展，确保顺利运转"), Rule.VAGUE_GOAL)
    assert len(vague) == 1 and vague[0].indicator_index is None and vague[0].location == "整表"


def test_goal_numbers_and_deliverables_need_indicators():
    goal = GOAL + "，培训基层经办人员200人次，购置自助服务终端"
    f = found(table(goal=goal), Rule.GOAL_NOT_COVERED)
    msgs = " ".join(x.message for x in f)
    assert "200人次" in msgs and "自助服务终端" in msgs
    assert all(x.criterion is Criterion.RELEVANCE for x in f)
    covered = table(
        make_indicator("培训经办人员人次", "产出指标", "数量指标", annual_value="≥200人次"),
        make_indicator("自助服务终端购置数量", "产出指标", "数量指标", annual_value="10台"),
        goal=goal,
    )
    assert found(covered, Rule.GOAL_NOT_COVERED) == []


def test_goal_number_split_over_rows_is_covered():
    """A reviewer adds up rows that split the goal's figure; a sum that misses is still reported."""
    goal = GOAL + "，完成城关小学教学楼屋面防水及外墙维修3200平方米"
    split = table(
        make_indicator("屋面防水维修面积", "产出指标", "数量指标", annual_value="≥2000平方米"),
        make_indicator("外墙维修面积", "产出指标", "数量指标", annual_value="≥1200平方米"),
        goal=goal,
    )
    assert found(split, Rule.GOAL_NOT_COVERED) == []
    short = table(
        make_indicator("屋面防水维修面积", "产出指标", "数量指标", annual_value="≥2000平方米"),
        make_indicator("外墙维修面积", "产出指标", "数量指标", annual_value="≥1000平方米"),
        goal=goal,
    )
    [f] = found(short, Rule.GOAL_NOT_COVERED)
    # the whole clause is too long to quote: it is cut on the left, never inside the number
    assert "“…城关小学教学楼屋面防水及外墙维修3200平方米”" in f.message
    rates = table(
        make_indicator("维修合格率", "产出指标", "质量指标", annual_value="≥60%"),
        make_indicator("安全隐患消除率", "效益指标", "社会效益指标", annual_value="≥35%"),
        goal="2024年完成校舍维修，隐患整改率达到95%",
    )
    assert len(found(rates, Rule.GOAL_NOT_COVERED)) == 1  # per cents do not add up


def test_boilerplate_and_off_goal_indicators():
    t = table(
        make_indicator("保障单位工作正常运转", "效益指标", "社会效益指标", annual_value="正常运转"),
        make_indicator("植树造林面积", "产出指标", "数量指标", annual_value="≥50亩"),
    )
    assert [f.indicator_index for f in found(t, Rule.BOILERPLATE_INDICATOR)] == [6]
    assert [f.indicator_index for f in found(t, Rule.OFF_GOAL_INDICATOR)] == [7]


def test_target_below_what_peers_set():
    peers = [
        GoalTable(id=f"p{i}", indicators=[make_indicator("项目验收合格率", annual_value="100%")])
        for i in range(9)
    ] + [GoalTable(id="p9", indicators=[make_indicator("验收合格率", annual_value="80%")])]
    norms = PeerNorms.build(peers)
    t = table(make_indicator("工程验收合格率", "产出指标", "质量指标", annual_value="≥80%"))
    f = found(t, Rule.TARGET_BELOW_PEERS, norms)
    assert len(f) == 1 and f[0].indicator_index == 6 and "9/10" in f[0].message
    assert found(t, Rule.TARGET_BELOW_PEERS, None) == []  # no norms, no comparison
    few = PeerNorms.build(peers[:3])
    assert found(t, Rule.TARGET_BELOW_PEERS, few) == []  # too few peers to judge


def test_satisfaction_of_100_percent():
    t = table()
    t.indicators[5].annual_value = "100%"
    t.indicators[5].parsed = None
    f = found(t, Rule.SATISFACTION_FULL)
    assert len(f) == 1 and f[0].criterion is Criterion.APPROPRIATENESS


def test_cost_against_the_amount():
    over = table(
        make_indicator("项目总成本", "产出指标", "成本指标", annual_value="≤500万元"), amount=3_000_000
    )
    assert [f.indicator_index for f in found(over, Rule.COST_EXCEEDS_AMOUNT)] == [6]
    # 3000 元/人 × 1000 人次 = 300 万元: fits a 300 万元 budget, not a 100 万元 one
    assert found(table(amount=3_000_000), Rule.UNIT_COST_MISMATCH) == []
    small = found(table(amount=1_000_000), Rule.UNIT_COST_MISMATCH)
    assert len(small) == 1 and "300 万元" in small[0].message and "第 1 行" in small[0].message


@pytest.mark.parametrize(
    ("name", "value", "flagged"),
    [("发放准确率", "≥120%", True), ("收入增长率", "≥120%", False), ("救助人次", "120%", False)],
)
def test_rates_over_100(name, value, flagged):
    t = table(make_indicator(name, "产出指标", "质量指标", annual_value=value))
    assert bool(found(t, Rule.RATE_OVER_100)) is flagged


def test_dates_outside_the_budget_year():
    t = table(make_indicator("资料归档时间", "产出指标", "时效指标", annual_value="2023年12月31日前"))
    f = found(t, Rule.DATE_OUTSIDE_YEAR)
    assert [x.indicator_index for x in f] == [6] and "2024" in f[0].message


def test_contradictory_duplicates_warn_and_repeats_note():
    same = table(make_indicator("服务对象 满意度", "满意度指标", "服务对象满意度指标", annual_value="≥90%"))
    assert [f.severity for f in found(same, Rule.DUPLICATE_INDICATOR)] == [Severity.INFO]
    other = table(make_indicator("服务对象满意度", "满意度指标", "服务对象满意度指标", annual_value="≥80%"))
    assert [f.severity for f in found(other, Rule.DUPLICATE_INDICATOR)] == [Severity.WARNING]


def test_period_and_annual_both_where_the_layout_has_both():
    t = table(
        make_indicator("培训人次", "产出指标", "数量指标", period_value="≥300人次", annual_value="≥100人次"),
        make_indicator("宣传次数", "产出指标", "数量指标", period_value="≥10次"),
    )
    assert [f.indicator_index for f in found(t, Rule.MISSING_PERIOD_OR_ANNUAL)][-1] == 7


def test_grades_and_caps():
    assert grade_table(review_table(table(goal=None))).grade is Grade.FAIR  # an error caps at 中
    warn = table(make_indicator("办理时限", "产出指标", "时效指标", annual_value="有效提升"))
    g = grade_table(review_table(warn))
    assert g.grade is Grade.GOOD and "第 7 行" in g.reason  # a warning caps at 良
    bare = table()
    bare.indicators = [i for i in bare.indicators if i.code not in ("22", "31")]
    g = grade_table(review_table(bare))
    assert g.grade is Grade.POOR and "缺少一级指标" in g.reason  # two missing level 1s: 差
    empty = GoalTable(id="e", annual_goal=GOAL)
    assert grade_table(review_table(empty)).grade is Grade.POOR


def test_every_rule_has_a_criterion_and_chinese_title_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for rule, info in RULES.items():
        assert re.search(r"[\u4e00-\u9fff]", info.title) and not re.search(r"[A-Za-z]", info.title)
        assert f"`{rule.value}`" in readme and info.title in readme, rule
