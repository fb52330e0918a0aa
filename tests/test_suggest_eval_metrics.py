"""The drafting metrics on hand-made tables: keyword recall, on-topic rate, goal-text
numbers from the query, and the query-blind baseline."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from jixiao.corpus.records import make_indicator
from jixiao.corpus.schema import GoalTable
from jixiao.eval.suggest_baseline import FrequentNamesBaseline
from jixiao.eval.suggestion_metrics import DraftExtras, aggregate, score_table
from jixiao.models.suggest_schema import ProjectQuery


@dataclass
class S:
    name: str
    code: str
    suggested_value: str | None = None


GOLD = GoalTable(
    id="g",
    project="农村公路养护工程",
    annual_goal="完成农村公路养护120公里",
    indicators=[
        make_indicator("农村公路养护里程", "产出指标", "数量指标", annual_value="120公里"),
        make_indicator("桥梁检测座数", "产出指标", "数量指标", annual_value="5座"),
        make_indicator("服务对象满意度", "满意度指标", "服务对象满意度", annual_value="≥90%"),
    ],
)


def test_keyword_recall_on_topic_and_goal_numbers():
    suggestions = [S("公路养护里程", "11", "≥120公里"), S("购买车辆数量", "11"), S("服务对象满意度", "31")]
    extras = DraftExtras(
        query_text="农村公路养护工程 120", goal_text="完成养护120公里，于2026年底前完成", errors=1
    )
    s = score_table(GOLD, suggestions, 20, extras=extras)
    # 里程 row shares 公路/养护; 桥梁 shares nothing; 满意度 has no content word at all.
    assert s.keyword_hits == 1 and s.keyword_in_query == 1
    # Only 公路养护里程 shares a content word with the gold's names or project text.
    assert (s.on_topic, s.suggestions) == (1, 3)
    assert (s.goal_numbers, s.goal_numbers_from_query) == (2, 1)
    m = aggregate([s], 20)
    assert m.keyword_recall == pytest.approx(1 / 3)
    assert m.on_topic_rate == pytest.approx(1 / 3)
    assert m.goal_numbers_from_query == pytest.approx(0.5)
    assert m.review_errors_per_draft == 1 and m.drafts_with_errors == 1


def test_baseline_is_query_blind_and_covers_required_tiers():
    b = FrequentNamesBaseline.from_tables([GOLD, GOLD.model_copy(update={"id": "g2"})])
    one = b.suggest(ProjectQuery(name="河道清淤"), k=3)
    other = b.suggest(ProjectQuery(name="校舍维修"), k=3)
    assert [x.name for x in one.suggestions] == [x.name for x in other.suggestions]
    assert {x.code for x in one.suggestions} >= {"11", "31"}
    assert one.goal_text is None
