"""Evaluation metrics on small cases whose expected values are worked out by hand here."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from jixiao.corpus.records import record_to_table
from jixiao.eval.classification_metrics import classification_metrics, level_metrics, reliability_bins
from jixiao.eval.suggestion_metrics import aggregate, bigram_dice, score_table


def test_accuracy_macro_f1_and_confusion():
    m = classification_metrics(["11", "11", "12", "22"], ["11", "12", "12", "22"])
    assert m.level2.accuracy == pytest.approx(3 / 4)
    # 11: P 1/1, R 1/2 -> F1 2/3 ; 12: P 1/2, R 1/1 -> F1 2/3 ; 22: F1 1
    assert m.level2.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert m.level2.labels == ["11", "12", "22"]
    assert m.level2.confusion == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    c11 = m.level2.per_class[0]
    assert (c11.precision, c11.recall, c11.support, c11.predicted) == (1.0, 0.5, 2, 1)
    # the 11/12 confusion is inside 产出, so level 1 is all right
    assert m.level1.accuracy == 1.0 and m.level1.macro_f1 == 1.0
    assert m.level1.labels == ["1", "2"]


def test_label_only_predicted_counts_in_macro_f1():
    m = level_metrics(["11", "11"], ["11", "31"])
    assert m.labels == ["11", "31"]
    assert m.macro_f1 == pytest.approx((2 / 3 + 0.0) / 2)
    assert m.per_class[1].support == 0 and m.per_class[1].predicted == 1


def test_labels_follow_taxonomy_order():
    m = level_metrics(["41", "31", "14", "24"], ["14", "31", "14", "24"])
    assert m.labels == ["14", "24", "31", "41"]


def test_merge_cost_collapses_scheme_b_cost_into_14():
    gold, pred = ["41", "42", "11"], ["14", "14", "11"]
    strict = classification_metrics(gold, pred)
    merged = classification_metrics(gold, pred, merge_cost=True)
    assert strict.level2.accuracy == pytest.approx(1 / 3)
    assert strict.level1.accuracy == pytest.approx(1 / 3)  # 成本 (4) vs 产出 (1)
    assert merged.level2.accuracy == 1.0 and merged.level1.accuracy == 1.0
    assert merged.level2.labels == ["11", "14"]


def test_ece_and_reliability_bins():
    # two rows at 0.95 (one right) and two at 0.35 (both right)
    gold = ["11", "11", "12", "12"]
    pred = ["11", "12", "12", "12"]
    m = classification_metrics(gold, pred, [0.95, 0.95, 0.35, 0.35])
    # (2/4)·|0.5 − 0.95| + (2/4)·|1.0 − 0.35| = 0.225 + 0.325
    assert m.ece == pytest.approx(0.55)
    assert len(m.reliability) == 10
    counts = [b.count for b in m.reliability]
    assert counts == [0, 0, 0, 2, 0, 0, 0, 0, 0, 2]
    assert m.reliability[9].accuracy == pytest.approx(0.5)
    assert m.reliability[3].confidence == pytest.approx(0.35)
    assert m.reliability[0].accuracy is None


def test_ece_perfectly_calibrated_is_zero():
    ece, _ = reliability_bins([0.75] * 4, [True, True, True, False])
    assert ece == pytest.approx(0.0)


def test_bigram_dice():
    # {救助,助人,人次} vs {医疗,疗救,救助,助人,人次}: 2·3/(3+5)
    assert bigram_dice("救助人次", "医疗救助人次") == pytest.approx(0.75)
    assert bigram_dice("资助参保人次", "资助参保人数") == pytest.approx(0.8)
    assert bigram_dice("救助 人次", "救助人次") == 1.0  # spaces from wrapping do not count
    assert bigram_dice("满意度", "办结时限") == 0.0
    assert bigram_dice("", "救助") == 0.0


class _S(BaseModel):
    name: str
    code: str
    suggested_value: str | None = None


def _gold():
    return record_to_table(
        {
            "id": "g1",
            "project": "城乡医疗救助",
            "indicators": [
                {"level1": "产出指标", "level2": "数量指标", "name": "救助人次", "value": "大于等于100人次"},
                {"level1": "产出指标", "level2": "质量指标", "name": "救助比例", "value": "≥75%"},
                {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "满意度", "value": "≥90%"},
                {"level1": "效益指标", "level2": "社会效益指标", "name": "群众负担减轻", "value": "有效减轻"},
            ],
        }
    )


_SUGGESTIONS = [
    _S(name="医疗救助人次", code="11", suggested_value="≥100人次"),
    _S(name="救助比例", code="12", suggested_value="≥80%"),
    _S(name="救助人次", code="22", suggested_value="≥1人次"),  # a name like gold 11's, wrong tier
    _S(name="服务对象满意度", code="31", suggested_value="≥90%"),
]


def test_recall_coverage_and_values_at_k4():
    s = score_table(_gold(), _SUGGESTIONS, k=4)
    # 11: dice 0.75 hit; 12: 1.0 hit; 31: {满意,意度} vs 6 bigrams -> 2·2/8 = 0.5 hit; 22: no similar name
    assert [m.hit for m in s.matches] == [True, True, True, False]
    assert s.recall == pytest.approx(3 / 4)
    assert s.coverage == 1.0  # every gold tier has some suggestion
    agg = aggregate([s], k=4)
    assert agg.value_pairs == 3
    assert agg.value_exact == pytest.approx(2 / 3)  # 大于等于100人次 == ≥100人次; 75% != 80%
    assert agg.value_kind_unit == 1.0
    tier22 = next(t for t in agg.per_tier if t.code == "22")
    assert (tier22.covered, tier22.hits) == (1, 0)


def test_recall_at_k_only_reads_the_top_k():
    s = score_table(_gold(), _SUGGESTIONS, k=2)
    assert [m.hit for m in s.matches] == [True, True, False, False]
    assert s.coverage == pytest.approx(2 / 4)
    agg = aggregate([s], k=2)
    assert agg.recall_at_k == pytest.approx(2 / 4)


def test_same_name_in_another_tier_is_no_hit():
    s = score_table(_gold(), [_S(name="救助人次", code="12")], k=5)
    assert not s.matches[0].hit


def test_merge_cost_in_suggestions():
    gold = record_to_table(
        {
            "id": "b",
            "indicators": [
                {"level1": "成本指标", "level2": "经济成本指标", "name": "人均救助成本", "value": "≤500元"}
            ],
        }
    )
    sugg = [_S(name="人均救助成本", code="14", suggested_value="≤500元")]
    assert score_table(gold, sugg, k=5).recall == 0.0
    merged = score_table(gold, sugg, k=5, merge_cost=True)
    assert merged.recall == 1.0 and merged.coverage == 1.0
