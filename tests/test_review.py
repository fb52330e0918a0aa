"""The review rules on hand-written tables: each rule fires on its case and stays quiet otherwise."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import make_indicator, read_records
from jixiao.corpus.review import Criterion, Finding, Rule, Severity, complete_table, review_table
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import Scheme


@dataclass
class Pred:
    code: str
    confidence: float


def complete_a(*extra: Indicator) -> GoalTable:
    """A clean scheme-A table: every required tier, quantified values with units."""
    rows = [
        make_indicator("救助人次", "产出指标", "数量指标", annual_value="≥1000人次"),
        make_indicator("救助资金发放准确率", "产出指标", "质量指标", annual_value="≥98%"),
        make_indicator("资金发放完成时间", "产出指标", "时效指标", annual_value="2024年12月31日前"),
        make_indicator("人均救助标准", "产出指标", "成本指标", annual_value="≤3000元/人"),
        make_indicator("困难群众医疗负担减轻率", "效益指标", "社会效益指标", annual_value="≥10%"),
        make_indicator("服务对象满意度", "满意度指标", "服务对象满意度指标", annual_value="≥90%"),
        *extra,
    ]
    goal = "2024年为困难群众提供医疗救助不少于1000人次，救助资金发放准确率不低于98%，减轻困难群众医疗负担"
    return GoalTable(id="t1", project="医疗救助", annual_goal=goal, indicators=rows, scheme=Scheme.A)


def rules(findings: list[Finding]) -> list[Rule]:
    return [f.rule for f in findings]


def test_clean_table_has_no_findings():
    assert review_table(complete_a()) == []


def test_missing_level1_and_level2():
    t = complete_a()
    t.indicators = [i for i in t.indicators if i.code not in ("31", "13")]
    found = review_table(t)
    assert Rule.MISSING_LEVEL1 in rules(found)
    missing = next(f for f in found if f.rule is Rule.MISSING_LEVEL1)
    assert "满意度指标" in missing.message and missing.severity is Severity.ERROR
    assert missing.indicator_index is None
    l2 = [f for f in found if f.rule is Rule.MISSING_LEVEL2]
    assert len(l2) == 1 and "时效指标" in l2[0].message


def test_scheme_b_requires_cost_level1():
    t = complete_a()
    t.indicators = [i for i in t.indicators if i.code != "14"]
    t.scheme = Scheme.B
    found = review_table(t)
    assert any(f.rule is Rule.MISSING_LEVEL1 and "成本指标" in f.message for f in found)
    t.indicators.append(make_indicator("人均成本", "成本指标", "经济成本指标", annual_value="≤3000元"))
    assert Rule.MISSING_LEVEL1 not in rules(review_table(t))


def test_level1_only_rows_count_with_predictions():
    """Seed 001 prints only level 1: level 2 comes from the classifier, not a complaint."""
    t = GoalTable(
        id="s1",
        annual_goal="为困难群众提供医疗救助不少于1000人次，减轻困难群众医疗负担",
        indicators=[
            make_indicator("救助人次", "产出指标", annual_value="≥1000人次"),
            make_indicator("发放准确率", "产出指标", annual_value="≥98%"),
            make_indicator("发放及时率", "产出指标", annual_value="≥98%"),
            make_indicator("人均救助标准", "产出指标", annual_value="≤3000元"),
            make_indicator("负担减轻", "效益指标", annual_value="≥10%"),
            make_indicator("满意度", "满意度指标", annual_value="≥90%"),
        ],
    )
    without = review_table(t)
    assert Rule.MISSING_LEVEL1 not in rules(without)
    assert Rule.MISSING_LEVEL2 in rules(without)
    preds = [
        Pred("11", 0.9),
        Pred("12", 0.9),
        Pred("13", 0.9),
        Pred("14", 0.9),
        Pred("22", 0.9),
        Pred("31", 0.9),
    ]
    assert rules(review_table(t, preds)) == []


@pytest.mark.parametrize(
    ("value", "level1", "level2", "severity"),
    [
        ("有效提高", "效益指标", "社会效益指标", Severity.INFO),
        ("有效降低", "效益指标", "社会效益指标", Severity.INFO),
        ("明显改善", "效益指标", "社会效益指标", Severity.INFO),
        ("推动工作发展", "效益指标", "社会效益指标", Severity.INFO),
        ("有效提升", "产出指标", "质量指标", Severity.WARNING),
        ("有效降低", "产出指标", "质量指标", Severity.WARNING),
        ("满意", "满意度指标", "服务对象满意度指标", Severity.WARNING),
    ],
)
def test_vague_value_severity_follows_the_tier_not_the_phrase(value, level1, level2, severity):
    """The issue's complaint: 有效降低 was a note and 有效提升 a warning. Now the tier decides."""
    t = complete_a(make_indicator("服务水平", level1, level2, annual_value=value))
    found = [f for f in review_table(t) if f.rule is Rule.VAGUE_VALUE]
    assert len(found) == 1
    assert (
        found[0].severity is severity
        and found[0].indicator_index == 6
        and found[0].indicator_name == "服务水平"
    )
    assert found[0].criterion is Criterion.FEASIBILITY and found[0].location.startswith("第 7 行")


def test_empty_value_and_missing_unit():
    t = complete_a(
        make_indicator("培训场次", "产出指标", "数量指标", annual_value=""),
        make_indicator("培训人数", "产出指标", "数量指标", annual_value="≥120"),
    )
    found = [f for f in review_table(t) if f.criterion is not Criterion.RELEVANCE]
    assert [(f.rule, f.indicator_index) for f in found] == [(Rule.EMPTY_VALUE, 6), (Rule.MISSING_UNIT, 7)]


def test_value_that_does_not_fit_its_tier():
    t = complete_a(
        make_indicator("完成采购", "产出指标", "数量指标", annual_value="2024年6月30日前"),
        make_indicator("设备购置成本", "产出指标", "成本指标", annual_value="≤95%"),
        make_indicator("预算执行率", "产出指标", "成本指标", annual_value="≥95%"),
    )
    found = [f for f in review_table(t) if f.rule is Rule.VALUE_TIER_MISMATCH]
    assert [f.indicator_index for f in found] == [6, 7]  # 执行率 names its base: not flagged


def test_classifier_disagreement_respects_threshold_and_cost_schemes():
    t = complete_a()
    preds: list[Pred | None] = [Pred(i.code, 0.95) for i in t.indicators]
    preds[0] = Pred("31", 0.95)  # confident and different
    preds[1] = Pred("31", 0.5)  # different but unsure
    preds[3] = Pred("41", 0.99)  # cost in scheme B = cost in scheme A
    found = [f for f in review_table(t, preds) if f.rule is Rule.TIER_DISAGREEMENT]
    assert [f.indicator_index for f in found] == [0]
    assert "满意度" in found[0].message and "数量指标" in found[0].message
    assert [
        f.indicator_index for f in review_table(t, preds, threshold=0.4) if f.rule is Rule.TIER_DISAGREEMENT
    ] == [
        0,
        1,
    ]


def test_duplicates_after_normalisation():
    t = complete_a(make_indicator("服务对象 满意度", "满意度指标", "服务对象满意度指标", annual_value="≥95%"))
    found = [f for f in review_table(t) if f.rule is Rule.DUPLICATE_INDICATOR]
    assert len(found) == 1 and found[0].indicator_index == 6 and "第 6 行" in found[0].message


def test_annual_value_exceeding_period_value():
    t = complete_a(
        make_indicator("培训人次", "产出指标", "数量指标", period_value="≥300人次", annual_value="≥500人次"),
        make_indicator("覆盖人次", "产出指标", "数量指标", period_value="≥300人次", annual_value="≥100人次"),
        make_indicator("达标率", "产出指标", "质量指标", period_value="≥90%", annual_value="≥95%"),
    )
    found = [f for f in review_table(t) if f.rule is Rule.ANNUAL_EXCEEDS_PERIOD]
    assert [f.indicator_index for f in found] == [6]
    assert found[0].field == "annual_value"


def test_unknown_category_in_client_json_is_a_finding_not_a_crash():
    t = GoalTable(
        id="j",
        indicators=[Indicator(name="x", level1="产出指标", level2="火星指标", annual_value="1次")],
    )
    done = complete_table(t)
    assert done.indicators[0].code is None and done.indicators[0].parsed is not None
    found = review_table(done)
    assert any(f.rule is Rule.UNKNOWN_CATEGORY and "火星指标" in f.message for f in found)


def test_unknown_level1_does_not_make_its_known_level2_unknown():
    t = GoalTable(
        id="j",
        indicators=[Indicator(name="x", level1="火星指标", level2="数量指标", annual_value="1次")],
    )
    unknown = [f.message for f in review_table(complete_table(t)) if f.rule is Rule.UNKNOWN_CATEGORY]
    assert len(unknown) == 1 and "火星指标" in unknown[0]


def test_complete_table_resolves_printed_names():
    t = GoalTable(
        id="j", indicators=[Indicator(name="满意度", level1="3-满意度指标", level2="31-服务对象满意度")]
    )
    assert complete_table(t).indicators[0].code == "31"
    assert t.indicators[0].code is None  # the input is not modified


def test_complete_table_in_place_gives_the_same_table():
    """The parser's path (``copy=False``) fills the table it owns exactly as the copying path does."""
    from jixiao.corpus.data_paths import seed_files
    from jixiao.corpus.parsers import parse_bytes

    path = seed_files()[1]
    copied = [complete_table(t) for t in parse_bytes(path.read_bytes(), path.name).tables]
    fresh = parse_bytes(path.read_bytes(), path.name).tables
    in_place = [complete_table(t, copy=False) for t in fresh]
    assert in_place == copied and all(a is b for a, b in zip(in_place, fresh, strict=True))
    assert any(ind.parsed is not None for t in in_place for ind in t.indicators)


def test_every_labeled_table_reviews_without_error():
    tables, _ = read_records(EXTERNAL_TABLES)
    for t in tables:
        for f in review_table(t):
            assert f.message and f.table_id == t.id
            assert f.indicator_index is None or 0 <= f.indicator_index < len(t.indicators)
