"""The edited draft downloads as an .xlsx in the usual layout, which ``jixiao parse`` reads back
unchanged; nonsense numbers in a suggest request are a 422 with a Chinese message."""

from __future__ import annotations

import re

import pytest
from test_api import PROBLEM, client  # noqa: F401 - the fixture

from jixiao.corpus.parsers.detect import parse_bytes

DRAFT = {
    "name": "2026年农村公路养护工程",
    "goal_text": "2026年，农村公路养护：完成农村公路日常养护120公里，提升路况水平。",
    "amount": 8_600_000,
    "year": 2026,
    "scheme": "A",
    "rows": [
        {"level1": "产出指标", "level2": "数量指标", "name": "农村公路日常养护里程", "value": "≥120公里"},
        {"level1": "产出指标", "level2": "质量指标", "name": "农村公路养护验收合格率", "value": "100%"},
        {
            "level1": "产出指标",
            "level2": "时效指标",
            "name": "农村公路养护完成时间",
            "value": "2026年12月31日前",
        },
        {"level1": "产出指标", "level2": "成本指标", "name": "项目总成本", "value": "≤860万元"},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "路况水平", "value": "有效提升"},
        {"level1": "满意度指标", "level2": "服务对象满意度指标", "name": "服务对象满意度", "value": "≥90%"},
    ],
}


def test_draft_downloads_as_xlsx_that_parses_back_unchanged(client):  # noqa: F811
    r = client.post("/v1/suggest/xlsx", json=DRAFT)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    tables = parse_bytes(r.content, "draft.xlsx").tables
    assert len(tables) == 1
    t = tables[0]
    assert t.project == DRAFT["name"] and t.amount == DRAFT["amount"]
    assert t.goal == DRAFT["goal_text"]
    got = [(i.level1, i.level2, i.name, i.value) for i in t.indicators]
    assert got == [(r["level1"], r["level2"], r["name"], r["value"]) for r in DRAFT["rows"]]


@pytest.mark.parametrize(
    "body",
    [
        {**DRAFT, "rows": []},
        {**DRAFT, "amount": -5},
        {**DRAFT, "rows": [{**DRAFT["rows"][0], "level1": "不存在的类别"}]},
    ],
)
def test_bad_draft_export_is_a_422_in_chinese(client, body):  # noqa: F811
    r = client.post("/v1/suggest/xlsx", json=body)
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"])


@pytest.mark.parametrize("extra", [{"amount": -1}, {"amount": 0}, {"year": 3026}])
def test_nonsense_numbers_in_a_suggest_request_are_a_422(client, extra):  # noqa: F811
    r = client.post("/v1/suggest", json={"name": "农村公路养护", **extra})
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    detail = r.json()["detail"]
    assert ("预算金额" in detail) or ("预算年度" in detail), detail
