"""The validator as pure functions: each rule on a hand-written answer, no model, no server."""

from __future__ import annotations

import json

from llm_context import answer, road_context

from jixiao.corpus.taxonomy import TIERS
from jixiao.models.classifier.contract import TierPrediction
from jixiao.models.llm.numbers import numbers_in, ungrounded
from jixiao.models.llm.types import Candidate
from jixiao.models.llm.validate import extract_json, ground_rows, parse_answer, review_rows


def check(a: dict, predictions=()):  # noqa: ANN001, ANN201
    ans, problems = parse_answer(json.dumps(a, ensure_ascii=False))
    assert ans is not None, problems
    ctx = road_context()
    return review_rows(ground_rows(ans, ctx), ctx, predictions)


def kinds(problems) -> list[str]:  # noqa: ANN001
    return [p.kind for p in problems]


def test_numbers_are_found_in_every_spelling():
    assert numbers_in("≥95%，1,200 元，３项，十二个月，一体化建设，一年内") == [95, 1200, 3, 12]
    assert ungrounded("≥100%", [95.0]) == [100.0]
    assert ungrounded("满意度≥90%", [90.0]) == []


def test_json_is_found_in_fences_and_prose():
    assert extract_json('好的：\n```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json('前言 {"a": 2} 结语') == {"a": 2}
    assert parse_answer('{"goal_text": "x", "indicators": [')[1][0].kind == "not-json"
    assert parse_answer('{"goal_text": "x"}')[1][0].kind == "schema"
    assert parse_answer("我认为应当设置满意度指标")[1][0].kind == "not-json"


def test_a_valid_answer_passes_and_marks_only_changed_rows_llm():
    c = check(answer())
    assert c.ok and not c.fixes, (c.fatal, c.fixes)
    origins = {r.name: r.origin for r in c.rows}
    assert origins["农村公路日常养护里程"] == "llm"  # renamed
    assert origins["养护工程验收合格率"] == "corpus"  # unchanged
    assert c.goal_from_model and "120公里" in c.goal_text


def test_a_changed_number_is_replaced_by_the_grounded_value_and_flagged():
    a = answer()
    a["indicators"][1]["value"] = "100%"  # ≥95% silently made 100%
    c = check(a)
    assert c.ok and kinds(c.fixes) == ["ungrounded-number"]
    row = c.rows[1]
    assert row.value == "≥95%" and row.origin == "corpus" and row.flags[0].kind == "value-replaced"
    assert "100" in row.flags[0].message


def test_a_number_borrowed_from_another_project_never_reaches_the_goal_or_a_name():
    a = answer(goal_text="年度内建设普通省道二级公路32.1公里，满意度≥90%。")
    a["indicators"][0]["name"] = "建设普通省道二级公路32.1公里"
    c = check(a)
    assert c.ok and not c.goal_from_model and "32.1" not in c.goal_text
    assert c.rows[0].name == "养护农村公路里程"
    assert all("32.1" not in (r.name + (r.value or "")) for r in c.rows)


def test_numbers_from_the_project_text_amount_and_year_are_allowed():
    a = answer(goal_text="2025年投入120万元，完成农村公路养护120公里。")
    c = check(a)
    assert c.ok and c.goal_from_model, c.fixes


def test_a_number_is_grounded_only_by_the_candidate_the_row_cites():
    a = answer()
    a["indicators"][1]["value"] = "≥5%"  # 5 belongs to c6, not to the cited c2
    assert kinds(check(a).fixes) == ["ungrounded-number"]


def test_unknown_tier_unknown_id_no_citation_and_missing_tier_are_fatal():
    a = answer()
    a["indicators"][0]["code"] = "99"
    a["indicators"][1]["candidate_ids"] = ["c42"]
    a["indicators"][2]["candidate_ids"] = []
    c = check(a)
    assert {"unknown-tier", "unknown-id", "no-citation"} <= set(kinds(c.fatal))
    a = answer(indicators=[r for r in answer()["indicators"] if r["code"] != "31"])
    assert "missing-tier" in kinds(check(a).fatal)


def test_a_scheme_b_code_is_unknown_under_scheme_a():
    a = answer()
    a["indicators"][3]["code"] = "41"
    assert "unknown-tier" in kinds(check(a).fatal)


def test_review_rules_put_back_a_vague_value_and_refuse_duplicates():
    a = answer()
    a["indicators"][4]["value"] = "显著提升"  # the model made a quantified value vague
    c = check(a)
    assert c.ok and c.rows[4].value == "≥5年" and kinds(c.fixes) == ["review-vague-value"]
    a = answer()
    a["indicators"].append(dict(a["indicators"][1]))
    assert "duplicate" in kinds(check(a).fatal)


def test_a_classifier_disagreement_is_shown_not_hidden():
    t = TIERS["22"]
    pred = TierPrediction(code="22", level1=t.level1, level2=t.level2, confidence=0.95, probabilities={"22": 0.95})
    preds = [None, None, None, None, pred, None]
    c = check(answer(), preds)
    assert c.ok
    assert [f.kind for f in c.rows[4].flags] == ["classifier-disagrees"]
    assert "社会效益" in c.rows[4].flags[0].message


def test_another_projects_fact_in_a_name_is_never_restated_and_always_flagged():
    ctx = road_context()
    foreign = Candidate(id="c9", code="11", name="建设普通省道二级公路32.1公里")  # as retrieved for a road project
    ctx = ctx.model_copy(update={"candidates": [*ctx.candidates, foreign]})
    a = answer(goal_text="年度内建设普通省道二级公路32.1公里，满意度≥90%。")
    a["indicators"].append(
        {"code": "11", "name": "农村公路养护建设二级公路32.1公里", "value": None, "candidate_ids": ["c9"]}
    )
    ans, _ = parse_answer(json.dumps(a, ensure_ascii=False))
    c = ground_rows(ans, ctx)
    row = c.rows[-1]
    assert row.name == foreign.name  # the rename that made it look like this project's fact is undone
    assert {f.kind for f in row.flags} == {"name-replaced", "foreign-number-in-name"}
    assert not c.goal_from_model  # 32.1 is no target of a chosen row: the goal may not state it
    assert "32.1" not in c.goal_text
