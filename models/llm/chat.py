"""The one interface every LLM backend implements, and the error it raises.

A backend turns chat messages into the reply text. It never raises anything but
``LLMError`` for a failure the user can act on (server down, wrong key, unknown model,
too slow), whose ``reason`` is one Chinese line that is safe to show: it never holds
the API key.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel

from jixiao.errors import JixiaoError


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class LLMError(JixiaoError):
    """The model could not answer. ``kind`` is a stable id, ``reason`` a Chinese line."""

    def __init__(self, kind: str, reason: str):
        self.kind = kind
        self.reason = reason
        super().__init__(reason)


class ChatModel(Protocol):
    #: What the user is told answered (a model name, never a key).
    name: str

    def complete(self, messages: list[ChatMessage], *, schema: dict | None, timeout_s: float) -> str:
        """The reply text. ``schema`` asks for JSON of that shape where the backend can;
        ``timeout_s`` bounds this call, retries included."""
        ...
