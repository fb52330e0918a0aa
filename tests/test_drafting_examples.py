"""The three projects outside the corpus (road, river dredging, school repair) get drafts
about roads, rivers and schools, never another project's objects or numbers."""

from __future__ import annotations

import re

import pytest

from jixiao.corpus.review import Severity
from jixiao.corpus.store import build_from_package
from jixiao.models.drafting.relevance import specific_words
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.suggest import Suggester
from jixiao.models.suggest_schema import ProjectQuery

EXAMPLES = {
    "road": (
        ProjectQuery(
            name="2026年农村公路养护工程", goal="完成农村公路日常养护120公里，提升路况水平", amount=8_600_000
        ),
        {"公路", "养护"},
        ("车辆", "厕所", "参保", "医疗", "救助", "水稻", "干警", "32.1"),
    ),
    "river": (
        ProjectQuery(
            name="2026年河道清淤工程",
            goal="完成河道清淤15公里，清淤土方8万立方米，改善沿岸村民生产生活条件",
            amount=3_200_000,
        ),
        {"河道", "清淤"},
        ("车辆", "厕所", "参保", "医疗", "救助", "公路", "32.1"),
    ),
    "school": (
        ProjectQuery(
            name="2026年校舍维修项目",
            goal="维修加固校舍3栋共1.2万平方米，保障全校1500名师生教学安全",
            amount=12_500_000,
        ),
        {"校舍"},
        ("车辆", "厕所", "参保", "医疗", "救助", "水稻", "干警", "试验", "公路", "20万元"),
    ),
}


@pytest.fixture(scope="module")
def hash_suggester() -> Suggester:
    return Suggester.from_tables(build_from_package().tables, HashEmbedder(256))


def _check(r, query: ProjectQuery, topic: set[str], banned: tuple[str, ...]) -> None:
    text = f"{query.name}。{query.goal}"
    rows = r.suggestions
    shown = " ".join(f"{s.name} {s.suggested_value}" for s in rows) + " " + r.goal_text
    for word in banned:
        assert word not in shown, (word, shown)
    # Every row is about this project: its specific words all come from the project text.
    # Project rows quote the project text; every other row is generic or shares a word with it.
    for s in rows:
        if s.origin == "project":
            assert all(part in text for part in s.source_phrase.split("；") if "预算" not in part), s
            continue
        words = specific_words(s.name)
        assert not words or any(w in text for w in words), (s.name, words)
    # Benefit tiers a reviewer expects: the project's effect (22) and its lasting form (24).
    assert {"22", "24"} <= {s.code for s in rows}
    # The project's own object leads the output tiers.
    assert any(w in s.name for s in rows if s.code == "11" for w in topic)
    assert not [f for f in r.findings if f.severity is Severity.ERROR]
    # The goal text's numbers are the drafter's own, or in the chosen indicators.
    allowed = set(re.findall(r"\d+(?:\.\d+)?", text))
    allowed |= {n for s in rows for n in re.findall(r"\d+(?:\.\d+)?", s.suggested_value or "")}
    assert set(re.findall(r"\d+(?:\.\d+)?", r.goal_text)) <= allowed


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_drafts_stay_on_topic(hash_suggester, example):
    query, topic, banned = EXAMPLES[example]
    _check(hash_suggester.suggest(query), query, topic, banned)


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_drafts_stay_on_topic_with_the_real_model(example):
    query, topic, banned = EXAMPLES[example]
    _check(Suggester.load(progress=False).suggest(query), query, topic, banned)
