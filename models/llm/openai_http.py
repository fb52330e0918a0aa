"""An OpenAI-compatible chat-completions client (vLLM, Ollama, Xinference, vendor appliances).

httpx rather than the ``openai`` package: the only call is one POST, and the failure
modes this service must name in Chinese (connection refused, 401, unknown model,
timeout, a server that rejects ``response_format``) are plain HTTP facts here.

JSON is asked for with a JSON schema where the server accepts one, ``json_object``
otherwise, and plain prompting last. The first format a server accepts is remembered
per (URL, model) for the life of the process, so detection costs one round trip once.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

import httpx

from jixiao.models.llm.chat import ChatMessage, LLMError

log = logging.getLogger("jixiao.llm")

FORMATS = ("json_schema", "json_object", "prompt")
_detected: dict[tuple[str, str], str] = {}
_detected_lock = threading.Lock()


def check_url(url: str) -> str:
    """The base URL without a trailing slash; anything but http(s) is a one-line error."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LLMError("bad-url", f"JIXIAO_LLM_URL“{safe_url(url)}”不是 http:// 或 https:// 地址")
    return url.strip().rstrip("/")


def safe_url(url: str) -> str:
    """The URL as it may be shown: no user:password, no query string (either may hold a secret)."""
    try:
        p = urlsplit(url.strip())
        host = p.hostname or ""
        if p.port:
            host += f":{p.port}"
        return f"{p.scheme}://{host}{p.path}" if p.scheme else url.strip()[:80].split("?")[0].split("@")[-1]
    except ValueError:
        return "（无法解析的地址）"


class OpenAIChatModel:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        retries: int = 1,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = check_url(base_url)
        self.model = model
        self.name = model
        self.retries = retries
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, transport=transport)

    def __repr__(self) -> str:  # never the key
        return f"OpenAIChatModel({safe_url(self.base_url)!r}, {self.model!r})"

    @property
    def detected_format(self) -> str | None:
        with _detected_lock:
            return _detected.get((self.base_url, self.model))

    def complete(self, messages: list[ChatMessage], *, schema: dict | None, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        known = self.detected_format
        formats = [known] if known else list(FORMATS)
        if schema is None:
            formats = ["prompt"]
        for n, fmt in enumerate(formats):
            last = n == len(formats) - 1
            resp = self._post(self._payload(messages, schema, fmt), deadline)
            if resp.status_code in (400, 422) and fmt != "prompt" and not last and not _about_model(resp):
                log.info("大模型服务 %s 不接受 response_format=%s；尝试下一种", self.base_url, fmt)
                continue
            self._raise_for_status(resp)
            if schema is not None:
                with _detected_lock:
                    _detected[(self.base_url, self.model)] = fmt
            return _content(resp)
        raise AssertionError("unreachable")  # pragma: no cover

    def _payload(self, messages: list[ChatMessage], schema: dict | None, fmt: str) -> dict:
        body: dict = {
            "model": self.model,
            "messages": [m.model_dump() for m in messages],
            "temperature": 0.2,
            "stream": False,
        }
        if fmt == "json_schema" and schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": False},
            }
        elif fmt == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _post(self, body: dict, deadline: float) -> httpx.Response:
        """One POST, retried once on a dropped connection or a 5xx while time remains."""
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LLMError("timeout", "大模型服务没有在时限内回答（JIXIAO_LLM_TIMEOUT）")
            try:
                resp = self._client.post("/chat/completions", json=body, timeout=remaining)
            except httpx.TimeoutException as e:
                raise LLMError(
                    "timeout", f"大模型服务 {safe_url(self.base_url)} 没有在时限内回答（JIXIAO_LLM_TIMEOUT）"
                ) from e
            except httpx.TransportError as e:
                if attempt < self.retries and deadline - time.monotonic() > 0.5:
                    attempt += 1
                    time.sleep(0.2)
                    continue
                raise LLMError("unreachable", f"无法连接大模型服务 {safe_url(self.base_url)}") from e
            retryable = resp.status_code >= 500 or resp.status_code == 429
            if retryable and attempt < self.retries and deadline - time.monotonic() > 0.5:
                attempt += 1
                time.sleep(0.2)
                continue
            return resp

    def _raise_for_status(self, resp: httpx.Response) -> None:
        code = resp.status_code
        if code < 400:
            return
        if code in (401, 403):
            raise LLMError("unauthorized", f"大模型服务拒绝访问（HTTP {code}），请检查 JIXIAO_LLM_API_KEY")
        if _about_model(resp) or code == 404 and "model" in resp.text.lower():
            raise LLMError(
                "unknown-model", f"大模型服务不认识模型“{self.model}”（HTTP {code}），请检查 JIXIAO_LLM_MODEL"
            )
        if code == 404:
            raise LLMError(
                "not-found",
                f"{safe_url(self.base_url)} 下没有 chat/completions 接口（HTTP 404），JIXIAO_LLM_URL 应以 /v1 结尾",
            )
        if code >= 500 or code == 429:
            raise LLMError("server-error", f"大模型服务出错（HTTP {code}），重试一次后仍失败")
        raise LLMError("rejected", f"大模型服务拒绝了请求（HTTP {code}）")


def _about_model(resp: httpx.Response) -> bool:
    """Does an error say the model name is unknown (vLLM, Ollama and OpenAI word it alike)?"""
    text = resp.text.lower()
    return "model" in text and any(w in text for w in ("not found", "does not exist", "unknown", "not exist"))


def _content(resp: httpx.Response) -> str:
    try:
        content = resp.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise LLMError("bad-protocol", "大模型服务的回答不是 chat-completions 格式") from e
    if not isinstance(content, str):
        raise LLMError("bad-protocol", "大模型服务的回答不是 chat-completions 格式")
    return content
