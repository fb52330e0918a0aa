"""The local transformers backend, run for real on a tiny randomly initialised causal LM.

The model and its tokenizer are built here from a config (no download): its output is
gibberish, which is exactly what the validator must catch and fall back from.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from llm_context import road_context

from jixiao.models.llm import LLMError, chat_model_from_settings, polish_draft
from jixiao.models.llm.local import LocalChatModel
from jixiao.models.llm.prompts import draft_messages, repair_messages
from jixiao.models.llm.types import Problem
from jixiao.settings import Settings

TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:  # noqa: ANN001
    import torch
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    ctx = road_context()
    msgs = repair_messages(draft_messages(ctx), "x", [Problem(kind="k", message="第 1 行的类别代码")])
    text = "".join(m.content for m in msgs) + TEMPLATE + "{}[]\":,0123456789"
    specials = ["<unk>", "<pad>", "</s>"]
    vocab = {t: i for i, t in enumerate(specials + sorted(set(text)))}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    tok.decoder = decoders.Fuse()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="</s>")
    fast.chat_template = TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["</s>"],
    )
    path = tmp_path_factory.mktemp("tiny-llm")
    LlamaForCausalLM(config).save_pretrained(path)
    fast.save_pretrained(path)
    return path


def test_the_tiny_model_generates_through_the_real_backend(tiny_model):
    chat = LocalChatModel(str(tiny_model), max_new_tokens=24)
    msgs = draft_messages(road_context())
    assert chat.prompt_text(chat._load()[0], msgs).endswith("<|assistant|>")  # the chat template is used
    out = chat.complete(msgs, schema=None, timeout_s=30)
    assert isinstance(out, str) and out  # gibberish, but real generate() output


def test_gibberish_falls_back_cleanly_to_the_grounded_draft(tiny_model):
    chat = chat_model_from_settings(Settings(home=tiny_model.parent, llm_url="", llm_model=str(tiny_model)))
    assert isinstance(chat, LocalChatModel)
    chat.max_new_tokens = 24
    ctx = road_context()
    d = polish_draft(ctx, chat, None, timeout_s=60)
    assert d.status == "fallback" and d.rounds == 2
    assert d.goal_text == ctx.grounded_goal and len(d.indicators) == len(ctx.candidates)
    assert "未通过校验" in d.warnings[0]


def test_a_model_that_cannot_be_loaded_is_one_chinese_line(tmp_path):
    chat = LocalChatModel(str(tmp_path / "no-such-model"))
    with pytest.raises(LLMError) as e:
        chat.complete(draft_messages(road_context()), schema=None, timeout_s=5)
    assert e.value.kind == "local-load" and "无法加载本地模型" in e.value.reason
    d = polish_draft(road_context(), chat, None, timeout_s=5)
    assert d.status == "fallback" and "无法加载本地模型" in d.warnings[0]
