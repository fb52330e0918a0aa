"""A causal LM on disk (or in the local Hugging Face cache), run on the CPU with transformers.

Loaded lazily on the first call and kept once per process per model id: a 0.5-7B model
takes seconds to minutes to load, and every request after the first reuses it. The
chat template of the tokenizer builds the prompt when it has one. Generation is greedy
and stopped by ``max_time``, so a slow model gives up within the timeout like the HTTP
backend does.
"""

from __future__ import annotations

import logging
import threading
import time

from jixiao.models.llm.chat import ChatMessage, LLMError

log = logging.getLogger("jixiao.llm")

_loaded: dict[str, tuple[object, object]] = {}
_load_lock = threading.Lock()


class LocalChatModel:
    def __init__(self, model_id: str, *, max_new_tokens: int = 768):
        self.model_id = model_id
        self.name = model_id
        self.max_new_tokens = max_new_tokens
        self._generate_lock = threading.Lock()  # one generate at a time: it uses every core

    def _load(self) -> tuple[object, object]:
        with _load_lock:
            if self.model_id in _loaded:
                return _loaded[self.model_id]
            from transformers import AutoModelForCausalLM, AutoTokenizer

            log.info("正在 CPU 上加载本地大模型 %s", self.model_id)
            try:
                # Never a download inside a request: a folder, or the local Hugging Face cache.
                tok = AutoTokenizer.from_pretrained(self.model_id, local_files_only=True)
                model = AutoModelForCausalLM.from_pretrained(self.model_id, local_files_only=True)
            except (OSError, ValueError, KeyError) as e:
                raise LLMError(
                    "local-load", f"无法加载本地模型“{self.model_id}”：不是模型文件夹，或不在本机的 Hugging Face 缓存中"
                ) from e
            model.eval()
            _loaded[self.model_id] = (tok, model)
            return tok, model

    def prompt_text(self, tok, messages: list[ChatMessage]) -> str:  # noqa: ANN001
        """The chat template's rendering, or a plain role-tagged transcript without one."""
        msgs = [m.model_dump() for m in messages]
        if getattr(tok, "chat_template", None):
            try:
                return tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
            except Exception as e:  # noqa: BLE001 - a broken template must not stop drafting
                log.warning("%s 的对话模板出错（%s）；改用纯文本对话", self.model_id, e)
        return "".join(f"{m['role']}: {m['content']}\n" for m in msgs) + "assistant: "

    def complete(self, messages: list[ChatMessage], *, schema: dict | None, timeout_s: float) -> str:
        import torch

        tok, model = self._load()
        text = self.prompt_text(tok, messages)
        enc = tok(text, return_tensors="pt")  # type: ignore[operator]
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id  # type: ignore[attr-defined]
        t0 = time.monotonic()
        if not self._generate_lock.acquire(timeout=max(timeout_s, 0.0)):
            raise LLMError("timeout", f"本地模型“{self.model_id}”正忙，没有在时限内轮到本次请求（JIXIAO_LLM_TIMEOUT）")
        try:
            with torch.no_grad():
                out = model.generate(  # type: ignore[attr-defined]
                    **enc,
                    max_new_tokens=self.max_new_tokens,
                    do_sample=False,
                    max_time=max(timeout_s - (time.monotonic() - t0), 0.1),
                    pad_token_id=pad,
                )
        except (RuntimeError, ValueError) as e:
            raise LLMError("local-generate", f"本地模型“{self.model_id}”生成失败：{type(e).__name__}") from e
        finally:
            self._generate_lock.release()
        return tok.decode(out[0, enc["input_ids"].shape[1] :], skip_special_tokens=True)  # type: ignore[attr-defined]
