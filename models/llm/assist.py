"""The assistant as the CLI and the routes call it: configured once, never fatal.

``shared_chat_model`` builds the configured backend once per process (the local model
is heavy; the HTTP client keeps its connections). A bad configuration is not an error
for the caller: drafting goes on with the grounded draft and the reason as a warning.
"""

from __future__ import annotations

import hashlib
import threading

from jixiao.models.llm import NOT_CONFIGURED, chat_model_from_settings
from jixiao.models.llm.chat import ChatModel, LLMError
from jixiao.models.llm.polish import TierChecker, context_from_suggested, grounded_rows, polish_draft
from jixiao.models.llm.types import PolishedDraft
from jixiao.models.suggest_schema import SuggestedTable
from jixiao.settings import Settings

_cache: dict[tuple[str, str, str], ChatModel | LLMError | None] = {}
_lock = threading.Lock()

STATUS_LABELS = {"accepted": "已采纳", "repaired": "修正一轮后采纳", "fallback": "未采用，返回检索生成的草稿"}


def shared_chat_model(settings: Settings) -> tuple[ChatModel | None, str | None]:
    """(backend, None), or (None, the Chinese reason it is unavailable)."""
    key_id = hashlib.sha256(settings.llm_api_key.encode()).hexdigest()[:12]  # the key itself is never a dict key
    ident = (settings.llm_url, settings.llm_model, key_id)
    with _lock:
        if ident not in _cache:
            try:
                _cache[ident] = chat_model_from_settings(settings)
            except LLMError as e:
                _cache[ident] = e
        found = _cache[ident]
    if found is None:
        return None, NOT_CONFIGURED
    if isinstance(found, LLMError):
        return None, found.reason
    return found, None


def effective_timeout(settings: Settings) -> float:
    """The LLM's budget: JIXIAO_LLM_TIMEOUT, kept inside the request timeout so a slow model
    gives the grounded draft with a warning rather than a 504."""
    return max(min(settings.llm_timeout_s, settings.request_timeout_s - 1.0), 0.5)


def polish_suggested(
    table: SuggestedTable, settings: Settings, checker: TierChecker | None, timeout_s: float | None = None
) -> PolishedDraft:
    """The LLM's version of a grounded draft, or the grounded draft with the reason why not.

    ``timeout_s`` defaults to the service's budget (``effective_timeout``); the CLI, which
    has no request timeout, passes JIXIAO_LLM_TIMEOUT itself.
    """
    ctx = context_from_suggested(table)
    chat, reason = shared_chat_model(settings)
    if chat is None:
        return PolishedDraft(
            status="fallback",
            model="",
            goal_text=ctx.grounded_goal,
            indicators=grounded_rows(ctx),
            warnings=[f"{reason}；已返回检索生成的草稿"],
        )
    return polish_draft(ctx, chat, checker, timeout_s=timeout_s or effective_timeout(settings))
