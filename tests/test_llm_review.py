"""Rewrite proposals for vague or mis-tiered rows: pure checks, the upload route and ``jixiao review --llm``."""

from __future__ import annotations

import json
import time

import pytest
from api_fakes import FakeEngine
from fastapi.testclient import TestClient
from llm_fakes import ScriptedServer

from jixiao.corpus.records import make_indicator
from jixiao.corpus.review import complete_table, review_table
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.writers import csv_text
from jixiao.models.llm.rewrite import RewriteAnswer, check_rewrites, rewrite_context
from jixiao.service.app import create_app
from jixiao.service.cli import main
from jixiao.service.commands import review as review_cmd
from jixiao.settings import Settings


def school_table() -> GoalTable:
    rows = [
        ("产出指标", "数量指标", "营养餐补助学生人数", "≥3200人"),
        ("产出指标", "质量指标", "食品安全抽检合格率", "≥98%"),
        ("产出指标", "时效指标", "补助资金拨付时间", "12月底前"),
        ("产出指标", "成本指标", "每生每天补助标准", "5元"),
        ("效益指标", "社会效益指标", "学生营养健康水平", "有效提高"),
        ("满意度指标", "服务对象满意度指标", "学生家长满意度", "≥90%"),
    ]
    return complete_table(
        GoalTable(
            id="school-1",
            project="农村义务教育学生营养改善计划",
            annual_goal="为全县3200名农村义务教育学生提供营养膳食补助，学生体质合格率达到95%",
            indicators=[make_indicator(n, l1, l2, annual_value=v) for l1, l2, n, v in rows],
        )
    )


def ctx():  # noqa: ANN201
    t = school_table()
    return rewrite_context(t, review_table(t))


def test_only_vague_or_mis_tiered_rows_are_targets():
    c = ctx()
    assert [t.index for t in c.targets] == [4] and "有效提高" in c.targets[0].problem
    assert [x.id for x in c.candidates][:2] == ["r1", "r2"]


def check(rewrites: list[dict]):  # noqa: ANN201
    return check_rewrites(RewriteAnswer.model_validate({"rewrites": rewrites}), ctx())


def test_a_grounded_quantified_rewrite_is_proposed_and_nothing_is_applied():
    props, fatal, dropped = check(
        [{"row": 5, "code": "22", "name": "学生体质健康合格率", "value": "≥95%", "candidate_ids": ["r5"]}]
    )
    assert not fatal and not dropped  # 95 comes from the table's own goal text
    p = props[0]
    assert (p.original_value, p.value, p.origin) == ("有效提高", "≥95%", "llm")


@pytest.mark.parametrize(
    ("rewrite", "kind"),
    [
        ({"value": "≥99%"}, "ungrounded-number"),
        ({"value": "显著提高"}, "still-vague"),
        ({"value": "95"}, "review-missing-unit"),
    ],
)
def test_ungrounded_vague_or_rule_breaking_rewrites_are_dropped(rewrite, kind):
    base = {"row": 5, "code": "22", "name": "学生体质健康合格率", "value": "≥95%", "candidate_ids": ["r5"]}
    props, fatal, dropped = check([{**base, **rewrite}])
    assert not props and [d.kind for d in dropped] == [kind]


def test_bad_rows_codes_and_ids_are_fatal():
    _, fatal, _ = check(
        [
            {"row": 1, "code": "11", "name": "x", "value": "≥3200人", "candidate_ids": ["r1"]},
            {"row": 5, "code": "77", "name": "x", "value": "≥95%", "candidate_ids": ["r5"]},
            {"row": 5, "code": "22", "name": "x", "value": "≥95%", "candidate_ids": ["z1"]},
        ]
    )
    assert [f.kind for f in fatal] == ["not-a-target", "unknown-tier", "unknown-id"]


@pytest.fixture(scope="module")
def server():
    with ScriptedServer() as s:
        yield s


def upload(tmp_path, model: str, url: str) -> dict:  # noqa: ANN001
    settings = Settings(home=tmp_path / "home", llm_url=url, llm_model=model)
    with TestClient(create_app(settings, engine=FakeEngine()), raise_server_exceptions=False) as c:
        r = c.post(
            "/v1/tables/upload?llm=true",
            files={"file": ("school.csv", csv_text([school_table()]).encode(), "text/csv")},
        )
    assert r.status_code == 200, r.text
    return r.json()["tables"][0]


def test_upload_with_llm_shows_proposals_beside_the_unchanged_table(tmp_path, server):
    t = upload(tmp_path, "valid", server.url)
    rw = t["rewrites"]
    assert rw["status"] == "proposed" and rw["proposals"][0]["indicator_index"] == 4
    assert rw["proposals"][0]["original_value"] == "有效提高"
    assert t["table"]["indicators"][4]["annual_value"] == "有效提高"  # never applied


@pytest.mark.parametrize(("model", "why"), [("hallucinate", "无来源"), ("malformed", "JSON"), ("error500", "HTTP 500")])
def test_upload_with_a_failing_model_gives_no_proposal_and_a_chinese_reason(tmp_path, server, model, why):
    rw = upload(tmp_path, model, server.url)["rewrites"]
    assert rw["status"] == "failed" and not rw["proposals"] and why in rw["warnings"][0]


def test_upload_without_llm_has_no_rewrites(tmp_path):
    settings = Settings(home=tmp_path / "home")
    with TestClient(create_app(settings, engine=FakeEngine())) as c:
        r = c.post("/v1/tables/upload", files={"file": ("s.csv", csv_text([school_table()]).encode(), "text/csv")})
    assert r.json()["tables"][0]["rewrites"] is None


def test_cli_review_llm(tmp_path, monkeypatch, capsys, server):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JIXIAO_LLM_URL", server.url)
    monkeypatch.setenv("JIXIAO_LLM_MODEL", "valid")
    monkeypatch.setattr(review_cmd, "_classifier", lambda no_model: FakeEngine(tables=[]))
    f = tmp_path / "school.csv"
    f.write_text(csv_text([school_table()]), encoding="utf-8")
    assert main(["review", str(f), "--llm"]) == 0
    out = capsys.readouterr().out
    assert "大模型改写建议（valid，仅供参考，未自动采用）" in out and "原: 学生营养健康水平  有效提高" in out
    assert main(["review", str(f), "--llm", "--json"]) == 0
    batch = json.loads(capsys.readouterr().out)
    assert batch["files"][0]["tables"][0]["rewrites"]["status"] == "proposed"


def test_upload_with_a_slow_model_answers_within_the_llm_timeout(tmp_path, server):
    settings = Settings(home=tmp_path / "home", llm_url=server.url, llm_model="slow", llm_timeout_s=1.0)
    csv = csv_text([school_table(), school_table().model_copy(update={"id": "school-2"})]).encode()
    with TestClient(create_app(settings, engine=FakeEngine())) as c:
        t0 = time.monotonic()
        r = c.post("/v1/tables/upload?llm=true", files={"file": ("s.csv", csv, "text/csv")})
        elapsed = time.monotonic() - t0
    assert r.status_code == 200 and elapsed < 1.0 + 2.0
    for t in r.json()["tables"]:  # one budget for the whole upload: the second table is not waited for
        assert t["rewrites"]["status"] == "failed" and "时限" in t["rewrites"]["warnings"][0]
