"""The assistant against a scripted OpenAI-compatible server on loopback: real HTTP, every failure."""

from __future__ import annotations

import logging
import time

import llm_fakes
import pytest
from api_fakes import FakeEngine
from llm_context import road_context
from llm_fakes import ScriptedServer

from jixiao.models.llm import LLMError, chat_model_from_settings, polish_draft
from jixiao.models.llm.numbers import ungrounded
from jixiao.models.llm.openai_http import OpenAIChatModel
from jixiao.models.llm.types import PolishedDraft
from jixiao.models.llm.validate import allowed_numbers
from jixiao.settings import Settings

KEY = "sk-test-secret-9f3a"


@pytest.fixture(scope="module")
def server():
    with ScriptedServer(api_key=KEY) as s:
        yield s


def run(server, script: str, timeout_s: float = 10.0, key: str = KEY) -> PolishedDraft:  # noqa: ANN001
    chat = OpenAIChatModel(server.url, script, key)
    return polish_draft(road_context(), chat, FakeEngine(tables=[]), timeout_s=timeout_s)


def assert_all_numbers_grounded(d: PolishedDraft) -> None:
    ctx = road_context()
    for r in d.indicators:
        allowed = allowed_numbers(ctx, r.candidate_ids)
        assert not ungrounded(r.name, allowed) and not ungrounded(r.value, allowed), r
    cited = [c for r in d.indicators for c in r.candidate_ids]
    allowed = allowed_numbers(ctx, cited) + [n for r in d.indicators for n in llm_fakes_numbers(r.value)]
    assert not ungrounded(d.goal_text, allowed), d.goal_text


def llm_fakes_numbers(text):  # noqa: ANN001, ANN201
    from jixiao.models.llm.numbers import numbers_in

    return numbers_in(text)


def is_chinese(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def test_a_valid_answer_is_accepted_with_its_changes_marked(server):
    d = run(server, "valid")
    assert d.status == "accepted" and d.rounds == 1 and not d.warnings
    assert d.goal_origin == "llm"
    origins = [r.origin for r in d.indicators]
    assert origins[0] == "llm" and set(origins[1:]) == {"corpus"}  # only row 1 was renamed
    assert server.log[-1]["format"] == "json_schema"


def test_a_repairable_answer_is_repaired_in_one_round(server):
    d = run(server, "repairable")
    assert d.status == "repaired" and d.rounds == 2
    assert any(p.kind == "unknown-id" for p in d.problems)
    assert server.log[-1]["messages"] == 4  # the problems went back to the model


@pytest.mark.parametrize(
    ("script", "why"),
    [
        ("malformed", "JSON"),
        ("unknown-tier", "类别代码"),
        ("missing-tier", "满意度指标"),
        ("prose", "JSON"),
    ],
)
def test_invalid_answers_fall_back_to_the_grounded_draft_with_a_chinese_reason(server, script, why):
    d = run(server, script)
    assert d.status == "fallback" and d.rounds == 2
    ctx = road_context()
    assert d.goal_text == ctx.grounded_goal
    assert [(r.name, r.value) for r in d.indicators] == [(c.name, c.value) for c in ctx.candidates]
    assert all(r.origin == "corpus" for r in d.indicators)
    assert len(d.warnings) == 1 and why in d.warnings[0] and "检索生成的草稿" in d.warnings[0]


def test_hallucinated_numbers_never_reach_the_user(server):
    d = run(server, "hallucinate")
    assert d.status in ("accepted", "repaired")
    text = d.goal_text + "".join(r.name + (r.value or "") for r in d.indicators)
    assert "87.3" not in text and "32.1" not in text
    assert any(f.kind == "value-replaced" for r in d.indicators for f in r.flags)
    assert d.warnings and all(is_chinese(w) for w in d.warnings)


@pytest.mark.parametrize("script", llm_fakes.SCRIPTS)
def test_no_script_lets_an_ungrounded_number_through(server, script):
    if script == "slow":
        pytest.skip("covered by the timeout test")
    assert_all_numbers_grounded(run(server, script))


def test_a_slow_server_gives_the_grounded_draft_within_the_timeout(server):
    t0 = time.monotonic()
    d = run(server, "slow", timeout_s=1.0)
    assert time.monotonic() - t0 < 1.0 + 2.0
    assert d.status == "fallback" and "时限" in d.warnings[0]
    assert llm_fakes.SLOW_S > 1.0 + 2.0


def test_http_500_is_retried_once_then_falls_back(server):
    before = len(server.log)
    d = run(server, "error500")
    assert len(server.log) - before == 2
    assert d.status == "fallback" and "HTTP 500" in d.warnings[0]


def test_a_server_that_ignores_response_format_still_works(server):
    d = run(server, "ignores-format")
    assert d.status == "accepted"


def test_json_support_is_detected_once_per_server():
    with ScriptedServer(api_key=KEY) as fresh:  # detection is remembered per server: a new one
        assert run(fresh, "rejects-schema").status == "accepted"
        assert [e["format"] for e in fresh.log] == ["json_schema", "json_object"]
        assert run(fresh, "rejects-schema").status == "accepted"
        assert [e["format"] for e in fresh.log[2:]] == ["json_object"]


def test_a_wrong_key_an_unknown_model_and_a_dead_server_are_one_chinese_line(server, caplog):
    caplog.set_level(logging.DEBUG)
    d = run(server, "valid", key="sk-wrong-key")
    assert d.status == "fallback" and "401" in d.warnings[0] and "JIXIAO_LLM_API_KEY" in d.warnings[0]
    d = run(server, "qwen-does-not-exist")
    assert "qwen-does-not-exist" in d.warnings[0] and "JIXIAO_LLM_MODEL" in d.warnings[0]
    dead = OpenAIChatModel(f"http://127.0.0.1:{llm_fakes.free_port(19500, 19600)}/v1", "valid", KEY)
    d = polish_draft(road_context(), dead, None, timeout_s=5)
    assert d.status == "fallback" and "无法连接" in d.warnings[0]
    for text in (caplog.text, d.model_dump_json(), repr(dead)):
        assert KEY not in text and "sk-wrong-key" not in text


def test_configuration_picks_the_backend_and_refuses_a_non_http_url(tmp_path):
    base = {"home": tmp_path}
    assert chat_model_from_settings(Settings(**base, llm_url="", llm_model="")) is None
    chat = chat_model_from_settings(Settings(**base, llm_url="http://127.0.0.1:19999/v1", llm_model="qwen"))
    assert isinstance(chat, OpenAIChatModel)
    for bad in ("ftp://example/v1", "127.0.0.1:8000/v1", "file:///etc/passwd"):
        with pytest.raises(LLMError) as e:
            chat_model_from_settings(Settings(**base, llm_url=bad, llm_model="qwen"))
        assert e.value.kind == "bad-url" and is_chinese(e.value.reason)
    s = Settings(**base, llm_url="http://u:secret@127.0.0.1:1/v1", llm_model="m", llm_api_key=KEY)
    assert KEY not in repr(s)
    assert "secret" not in repr(chat_model_from_settings(s))
