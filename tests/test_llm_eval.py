"""``jixiao eval suggest --cv --llm`` against the scripted server: grounded and LLM scores side by side."""

from __future__ import annotations

import hashlib
import json

import llm_fakes
import pytest
from eval_fakes import corpus
from llm_fakes import ScriptedServer

from jixiao.eval import suggest_runner
from jixiao.service import cli
from jixiao.service.commands import eval as eval_cmd


@pytest.fixture
def setup(monkeypatch):
    tables = corpus()
    monkeypatch.setattr(eval_cmd, "load_corpus", lambda: tables)
    monkeypatch.setattr(eval_cmd, "suggester_factory", lambda embedder=None: suggest_runner.real_suggester_factory("hash"))
    return tables


def test_eval_suggest_llm_reports_rates_next_to_grounded_metrics(setup, monkeypatch, capsys):
    with ScriptedServer() as server:
        monkeypatch.setenv("JIXIAO_LLM_URL", server.url)
        monkeypatch.setenv("JIXIAO_LLM_MODEL", "mixed")
        args = ["eval", "suggest", "--cv", "--folds", "2", "--llm", "--no-progress"]
        assert cli.main([*args, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert cli.main(args) == 0
        text = capsys.readouterr().out
    r = data["rates"]
    assert data["kind"] == "suggest-llm" and data["model"] == "mixed"
    assert r["tables"] == data["llm"]["metrics"]["tables"] == data["grounded"]["metrics"]["tables"] > 0
    assert r["fallback"] + r["accepted"] == r["tables"]
    assert r["number_provenance_rate"] == 1.0 and r["numbers_shown"] > 0
    assert 0 < r["schema_valid_rate"] <= 1 and r["replies"] >= r["tables"]
    assert "数字有出处的比例             1.000" in text and "仅检索结果" in text
    # Every answer the scripted server spoiled was caught: the server's script per project is known.
    for t in data["per_table"]:
        script = llm_fakes.MIXED[int(hashlib.sha1(t["project"].encode()).hexdigest(), 16) % len(llm_fakes.MIXED)]
        if script == "malformed":
            assert t["status"] == "fallback" and "not-json" in t["problems"], t
        elif script == "hallucinate":
            assert "ungrounded-number" in t["problems"], t
        elif script == "repairable":
            assert t["status"] == "repaired" and "unknown-id" in t["problems"], t
        elif script == "missing-tier":
            assert t["status"] == "fallback" or not t["problems"], t  # no tier to miss when none was offered
        else:
            assert t["status"] == "accepted" and t["rounds"] == 1, t


def test_eval_suggest_llm_without_a_model_is_a_one_line_error(setup, monkeypatch, capsys):
    monkeypatch.delenv("JIXIAO_LLM_URL", raising=False)
    monkeypatch.delenv("JIXIAO_LLM_MODEL", raising=False)
    assert cli.main(["eval", "suggest", "--cv", "--llm", "--no-progress"]) == 2
    assert "未配置大模型" in capsys.readouterr().err
