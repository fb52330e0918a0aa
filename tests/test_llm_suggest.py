"""``"llm": true`` on POST /v1/suggest and ``jixiao suggest --llm``, against the scripted server."""

from __future__ import annotations

import json
import time

import pytest
from api_fakes import FakeEngine
from fastapi.testclient import TestClient
from llm_fakes import ScriptedServer
from test_suggest import _store, corpus

from jixiao.models.suggest_schema import ProjectQuery
from jixiao.service.app import create_app
from jixiao.service.cli import main
from jixiao.settings import Settings, get_settings

KEY = "sk-suggest-secret-77"
PROJECT = {"name": "农村学校营养改善计划", "goal": "为农村义务教育学生提供营养膳食补助", "amount": 1200000}


@pytest.fixture(scope="module")
def server():
    with ScriptedServer(api_key=KEY) as s:
        yield s


def client(tmp_path, **llm) -> TestClient:  # noqa: ANN001, ANN003
    settings = Settings(home=tmp_path / "home", llm_api_key=KEY, **llm)
    return TestClient(create_app(settings, engine=FakeEngine()), raise_server_exceptions=False)


def test_without_llm_the_answer_is_the_grounded_draft_unchanged(tmp_path, server):
    with client(tmp_path, llm_url=server.url, llm_model="valid") as c:
        before = len(server.log)
        body = c.post("/v1/suggest", json=PROJECT).json()
        assert len(server.log) == before  # the model is not called
    expected = FakeEngine().suggest(ProjectQuery(**PROJECT), 20).model_dump(mode="json")
    assert body.pop("llm") is None
    assert body == expected


def test_llm_true_returns_the_checked_draft_beside_the_grounded_one(tmp_path, server):
    with client(tmp_path, llm_url=server.url, llm_model="valid") as c:
        r = c.post("/v1/suggest", json={**PROJECT, "llm": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tiers"] and body["llm"]["status"] == "accepted"
    assert body["llm"]["goal_origin"] == "llm" and body["llm"]["indicators"][0]["origin"] == "llm"
    assert KEY not in r.text


def test_a_tier_the_grounded_draft_lacks_is_not_demanded_from_the_model(tmp_path, server):
    with client(tmp_path, llm_url=server.url, llm_model="valid") as c:
        body = c.post("/v1/suggest", json={"name": "农村公路养护", "llm": True}).json()
    assert not {"2", "3"} & {c[0] for c in body["tiers"]}  # the fake corpus has no closer table
    assert body["llm"]["status"] == "accepted"


@pytest.mark.parametrize(
    ("llm", "why"),
    [
        ({}, "未配置大模型"),
        ({"llm_url": "ftp://127.0.0.1/v1", "llm_model": "valid"}, "不是 http:// 或 https:// 地址"),
        ({"llm_url": "http://127.0.0.1:19998/v1", "llm_model": "valid"}, "无法连接"),
        ({"llm_model": "/nonexistent/local-model"}, "无法加载本地模型"),
    ],
)
def test_misconfigured_assistant_gives_the_grounded_draft_and_a_chinese_warning(tmp_path, server, llm, why):
    with client(tmp_path, **llm) as c:
        r = c.post("/v1/suggest", json={**PROJECT, "llm": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["llm"]["status"] == "fallback" and why in body["llm"]["warnings"][0]
    assert any(why in w for w in body["warnings"])


def test_wrong_key_and_unknown_model_are_warnings_not_errors(tmp_path, server):
    with client(tmp_path, llm_url=server.url, llm_model="no-such-model") as c:
        body = c.post("/v1/suggest", json={**PROJECT, "llm": True}).json()
    assert "no-such-model" in body["llm"]["warnings"][0]
    settings = Settings(home=tmp_path / "h2", llm_url=server.url, llm_model="valid", llm_api_key="sk-bad")
    with TestClient(create_app(settings, engine=FakeEngine())) as c:
        r = c.post("/v1/suggest", json={**PROJECT, "llm": True})
    assert "401" in r.json()["llm"]["warnings"][0] and "sk-bad" not in r.text


def test_a_slow_model_answers_within_the_llm_timeout_plus_two_seconds(tmp_path, server):
    with client(tmp_path, llm_url=server.url, llm_model="slow", llm_timeout_s=1.0) as c:
        t0 = time.monotonic()
        r = c.post("/v1/suggest", json={**PROJECT, "llm": True})
        elapsed = time.monotonic() - t0
    assert r.status_code == 200 and elapsed < 1.0 + 2.0
    assert r.json()["llm"]["status"] == "fallback" and "时限" in r.json()["llm"]["warnings"][0]


def test_cli_suggest_llm(tmp_path, monkeypatch, capsys, server):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    monkeypatch.setenv("JIXIAO_LLM_URL", server.url)
    monkeypatch.setenv("JIXIAO_LLM_MODEL", "hallucinate")
    monkeypatch.setenv("JIXIAO_LLM_API_KEY", KEY)
    _store(get_settings(), corpus())
    assert main(["suggest", "医疗救助资金", "--goal", "提高政策知晓率", "--embedder", "hash", "--llm"]) == 0
    out = capsys.readouterr()
    assert "大模型润色（模型 hallucinate）" in out.out and "已恢复为" in out.out
    shown = [ln for ln in out.out.splitlines() if not ln.lstrip().startswith(("!", "提示"))]
    assert not any("87.3" in ln or "32.1" in ln for ln in shown)  # only named in the flags saying why
    assert KEY not in out.out + out.err
    assert main(["suggest", "医疗救助资金", "--embedder", "hash", "--llm", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["llm"]["model"] == "hallucinate" and body["tiers"]
    monkeypatch.setenv("JIXIAO_LLM_URL", "gopher://x")
    assert main(["suggest", "医疗救助资金", "--embedder", "hash", "--llm"]) == 0
    assert "提示: JIXIAO_LLM_URL“gopher://x”不是 http:// 或 https:// 地址" in capsys.readouterr().out
