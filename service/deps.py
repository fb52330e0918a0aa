"""What routes depend on: settings, the API-key check, the engine, and bounded blocking work.

The engine is everything with a model behind it (classifier, suggester, corpus). It is
an interface so that tests and the load benchmark's fake server can inject a small
engine, while ``jixiao serve`` loads the shipped one; routes never know which.
Blocking work (embedding, FAISS, parsing) runs in a worker thread under the request
timeout, so one slow upload cannot hold the event loop or a client forever.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypeVar

import anyio
from fastapi import Request

from jixiao.corpus.schema import GoalTable
from jixiao.models.classifier.contract import ClassifyInput, TierPrediction
from jixiao.models.deadline import DeadlineExceeded, check_deadline
from jixiao.models.suggest_schema import ProjectQuery, SuggestedTable
from jixiao.service.cancellable import run_with_deadline
from jixiao.service.prediction_cache import PredictionCache
from jixiao.service.problems import ApiProblem
from jixiao.settings import Settings, env_number

log = logging.getLogger("jixiao.service")
T = TypeVar("T")

API_KEY_HEADER = "X-API-Key"
#: Rows classified between two deadline checks.
CLASSIFY_CHUNK = 256


@dataclass(frozen=True)
class EngineStatus:
    model: str
    classifier: str
    corpus_version: str
    corpus_tables: int
    index_size: int | None


class Engine(Protocol):
    """The model-backed operations the API serves. Implementations must be thread-safe."""

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]: ...

    def suggest(self, query: ProjectQuery, k: int) -> SuggestedTable: ...

    def add_tables(self, tables: list[GoalTable]) -> list[GoalTable]: ...

    def status(self) -> EngineStatus: ...


class ReadWriteLock:
    """Many concurrent readers (suggest) or one writer (add tables to the index).

    A waiting writer goes before readers that arrive after it: under steady suggest
    traffic the reader count never drops to zero, so an addition would otherwise wait
    past its request timeout and still be applied after the client was told 504.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class LibraryEngine:
    """The engine over the library: a trained classifier, a Suggester and the corpus store.

    Construct it from parts (tests pass a HashEmbedder-backed suggester and classifier)
    or with ``load`` for the shipped artifacts.
    """

    def __init__(
        self,
        settings: Settings,
        classifier,  # noqa: ANN001 - a TierClassifier
        suggester,  # noqa: ANN001 - a jixiao.models.suggest.Suggester
        tables: list[GoalTable],
        model_name: str,
        max_concurrency: int | None = None,
    ):
        self.settings = settings
        self.classifier = classifier
        self.suggester = suggester
        self._tables = list(tables)
        self.model_name = model_name
        self._lock = ReadWriteLock()
        self._version: str | None = None
        # Model calls are CPU-bound: more of them at once than cores only adds
        # contention, so requests queue here (inside their timeout) instead. With dynamic
        # batching the encoder runs one pass at a time anyway, and more requests in flight
        # is what lets it merge them, so the default is then 4 per core.
        per_core = 4 if settings.batch_wait_ms > 0 else 1
        n = max_concurrency or int(env_number("JIXIAO_MAX_CONCURRENCY", str((os.cpu_count() or 2) * per_core), int))
        self._compute = threading.BoundedSemaphore(n)
        self._predictions = PredictionCache()  # repeated rows (uploads repeat) are classified once

    @classmethod
    def load(
        cls, settings: Settings, progress: bool = True, report: Callable[[str, bool], None] | None = None
    ) -> LibraryEngine:
        """Load everything ``jixiao serve`` needs, building what is missing (first start).

        The corpus store and the embedding model first (converted and exported on first
        use), then the index and the classifier; ``report(step, finished)`` follows the
        steps (see ``jixiao.service.startup``). Any unusable artifact raises JixiaoError
        with the command that fixes it.
        """
        from jixiao.service.startup import load_engine

        return load_engine(cls, settings, progress=progress, report=report)

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]:
        if not inputs:
            return []
        out: list[TierPrediction] = []
        for start in range(0, len(inputs), CLASSIFY_CHUNK):  # a timed-out request stops between chunks
            check_deadline("classification")
            with self._compute:
                chunk = inputs[start : start + CLASSIFY_CHUNK]
                out.extend(self._predictions.predict(self.classifier, chunk, self.classifier.predict))
        return out

    def suggest(self, query: ProjectQuery, k: int) -> SuggestedTable:
        with self._compute, self._lock.read():
            return self.suggester.suggest(query, k=k)

    def add_tables(self, tables: list[GoalTable]) -> list[GoalTable]:
        """Persist first, then index: a crash between the two loses nothing (the index is
        rebuilt from the store on the next start when the corpus version differs)."""
        from jixiao.corpus.store import add_tables

        with self._lock.write():
            stored = add_tables(tables, self.settings)
            self.suggester.add_tables(stored)
            self._tables.extend(stored)
            self._version = None
        return stored

    def status(self) -> EngineStatus:
        from jixiao.corpus.store import corpus_version

        with self._lock.read():
            if self._version is None:
                self._version = corpus_version(self._tables)
            return EngineStatus(
                model=self.model_name,
                classifier=type(self.classifier).__name__,
                corpus_version=self._version,
                corpus_tables=len(self._tables),
                index_size=_index_size(self.suggester),
            )


def _index_size(suggester) -> int:  # noqa: ANN001 - a jixiao.models.suggest.Suggester
    """The number of indexed indicator rows."""
    return int(suggester.index.meta.n_indicators)


# ---- FastAPI dependencies -------------------------------------------------------------


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        from jixiao.service.startup import not_ready_problem

        raise not_ready_problem(request.app)
    return engine


def _key_ok(given: str | None, keys: tuple[str, ...]) -> bool:
    if not given:
        return False
    return any(hmac.compare_digest(given.encode(), k.encode()) for k in keys)


def require_read_access(request: Request) -> None:
    """Reads are open unless keys are configured; then every read needs one too."""
    keys = request.app.state.settings.api_keys
    if keys and not _key_ok(request.headers.get(API_KEY_HEADER), keys):
        raise ApiProblem(
            401,
            f"此服务已启用访问控制，请在请求头 {API_KEY_HEADER} 中提供有效的 API 密钥",
            headers={"WWW-Authenticate": "ApiKey"},
        )


def require_write_key(request: Request) -> None:
    """Writes always need a key; without configured keys, writing is disabled."""
    keys = request.app.state.settings.api_keys
    given = request.headers.get(API_KEY_HEADER)
    if not keys:
        raise ApiProblem(
            401,
            "服务端未配置 API 密钥（环境变量 JIXIAO_API_KEYS），写入接口已停用",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    if not _key_ok(given, keys):
        raise ApiProblem(
            401,
            f"写入语料库需要 API 密钥：请在请求头 {API_KEY_HEADER} 中提供有效密钥",
            headers={"WWW-Authenticate": "ApiKey"},
        )


async def run_blocking(request: Request, fn: Callable[..., T], *args: object) -> T:
    """Run ``fn`` in a worker thread; give up after the request timeout with a 504.

    The thread cannot be killed, so the work runs under the same deadline
    (``jixiao.service.cancellable``): classification stops between chunks, and upload
    parsing runs in a child process that is terminated, so the CPU is freed too.
    """
    timeout = request.app.state.settings.request_timeout_s
    try:
        with anyio.fail_after(timeout):
            return await anyio.to_thread.run_sync(
                lambda: run_with_deadline(timeout, fn, *args), abandon_on_cancel=True
            )
    except (TimeoutError, DeadlineExceeded) as e:
        raise ApiProblem(504, f"处理时间超过 {timeout:g} 秒的上限，请缩小请求或稍后重试") from e
