"""The LLM assistant: polish grounded drafts and propose rewrites, validated, never trusted blindly.

``chat_model_from_settings`` picks the backend from the environment: an
OpenAI-compatible server (``JIXIAO_LLM_URL`` + ``JIXIAO_LLM_MODEL``), a local
transformers model (``JIXIAO_LLM_MODEL`` alone), or none (the assistant is off).
"""

from __future__ import annotations

from jixiao.models.llm.chat import ChatMessage, ChatModel, LLMError
from jixiao.models.llm.polish import TierChecker, context_from_suggested, polish_draft
from jixiao.models.llm.types import Candidate, DraftContext, PolishedDraft, PolishedIndicator
from jixiao.settings import Settings

__all__ = [
    "Candidate",
    "ChatMessage",
    "ChatModel",
    "DraftContext",
    "LLMError",
    "PolishedDraft",
    "PolishedIndicator",
    "TierChecker",
    "chat_model_from_settings",
    "context_from_suggested",
    "polish_draft",
]

#: Shown when --llm / "llm": true is asked for and nothing is configured.
NOT_CONFIGURED = "未配置大模型（设置 JIXIAO_LLM_URL 和 JIXIAO_LLM_MODEL，或把 JIXIAO_LLM_MODEL 设为本地模型文件夹）"


def chat_model_from_settings(settings: Settings) -> ChatModel | None:
    """The configured backend, or None when the assistant is off. A URL that is not
    http(s) raises LLMError with a Chinese line."""
    if settings.llm_url:
        from jixiao.models.llm.openai_http import OpenAIChatModel

        if not settings.llm_model:
            raise LLMError("no-model", "已设置 JIXIAO_LLM_URL，但缺少 JIXIAO_LLM_MODEL（服务端的模型名称）")
        return OpenAIChatModel(settings.llm_url, settings.llm_model, settings.llm_api_key)
    if settings.llm_model:
        from jixiao.models.llm.local import LocalChatModel

        return LocalChatModel(settings.llm_model)
    return None
