"""The engine routes serve: everything with a model behind it (classifier, suggester, corpus).

It is an interface so that tests and the load benchmark's fake server can inject a small
engine, while ``jixiao serve`` loads the shipped one; routes never know which.

Several workers (or hosts) share one corpus database. Each keeps its own in-memory
index and, before serving, asks the database for its version (one primary-key lookup,
at most once per ``JIXIAO_CORPUS_POLL_S``). When the database is ahead, the tables added
since are fetched and indexed incrementally, so no worker serves an index more than
about a second older than an acknowledged addition.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import SQLAlchemyError

from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import Scheme
from jixiao.models.classifier.contract import ClassifyInput, TierPrediction
from jixiao.models.deadline import check_deadline
from jixiao.models.suggest_schema import ProjectQuery, SuggestedTable
from jixiao.service.concurrency import ReadWriteLock
from jixiao.service.prediction_cache import PredictionCache
from jixiao.settings import Settings

if TYPE_CHECKING:
    from jixiao.corpus.store import CorpusStore

#: Rows classified between two deadline checks.
CLASSIFY_CHUNK = 256

log = logging.getLogger("jixiao.service")

#: A worker that wrote saves its index at most this often; anything saved later is caught
#: up from the store on the next start, so this bounds start-up work, not safety.
PERSIST_EVERY_S = 30.0


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

    def classify_tables(
        self, tables: list[list[ClassifyInput]], schemes: list[Scheme | None]
    ) -> list[list[TierPrediction]]:
        """Each table's rows, in order, decoded together (``models.classifier.table``)."""
        ...

    def suggest(self, query: ProjectQuery, k: int) -> SuggestedTable: ...

    def add_tables(self, tables: list[GoalTable], who: str | None = None) -> list[GoalTable]: ...

    def status(self) -> EngineStatus: ...


class LibraryEngine:
    """The engine over the library: a trained classifier, a Suggester and the corpus store.

    Construct it from parts (tests pass a HashEmbedder-backed suggester and classifier)
    or with ``load`` for the shipped artifacts. Only an engine given a ``store`` follows
    the database; one built from parts indexes exactly the tables it was given plus
    the ones added through it.
    """

    def __init__(
        self,
        settings: Settings,
        classifier,  # noqa: ANN001 - a TierClassifier
        suggester,  # noqa: ANN001 - a jixiao.models.suggest.Suggester
        tables: list[GoalTable],
        model_name: str,
        max_concurrency: int | None = None,
        store: CorpusStore | None = None,
        version: int | None = None,
    ):
        self.settings = settings
        self.classifier = classifier
        self.suggester = suggester
        self._n_tables = len(tables)
        self.model_name = model_name
        self._lock = ReadWriteLock()
        self._store = store
        self._seen = version if version is not None else -1
        self._checked = 0.0
        self._sync_lock = threading.Lock()
        self._saved = time.monotonic()
        # Model calls are CPU-bound: more of them at once than cores only adds
        # contention, so requests queue here (inside their timeout) instead.
        self._compute = threading.BoundedSemaphore(max_concurrency or settings.max_concurrency)
        self._predictions = PredictionCache()  # repeated rows (uploads repeat) are classified once

    @classmethod
    def load(
        cls, settings: Settings, progress: bool = True, report: Callable[[str, bool], None] | None = None
    ) -> LibraryEngine:
        """Load everything ``jixiao serve`` needs, building what is missing (first start).

        The corpus store and the embedding model first (converted and exported on first
        use), then the index and the classifier; ``report(step, finished)`` follows the
        steps (see ``jixiao.service.startup``).
        """
        from jixiao.service.startup import load_engine

        return load_engine(cls, settings, progress=progress, report=report)

    # ---- following the database -----------------------------------------------------

    def sync(self, force: bool = False) -> int:
        """Index what other workers (or imports) added since we last looked; returns how many.

        At most one check per poll interval unless ``force``; the check is one indexed
        query, and only a database ahead of us costs more.
        """
        if self._store is None:
            return 0
        now = time.monotonic()
        if not force and now - self._checked < self.settings.corpus_poll_s:
            return 0
        with self._sync_lock:
            if not force and now - self._checked < self.settings.corpus_poll_s:
                return 0  # another thread checked while we waited
            try:
                state = self._store.state()
            except SQLAlchemyError as e:  # the database is away: serve what we have, say so
                log.warning("无法连接语料库数据库，继续使用现有索引：%s", e.__class__.__name__)
                self._checked = time.monotonic()
                return 0
            self._checked = time.monotonic()
            if state.version <= self._seen:
                return 0
            if state.base_version > self._seen:
                return self._reload()
            snap = self._store.tables_since(self._seen)
            with self._lock.write():
                held = set(self.suggester.index.tables.ids)
                new = [t for t in snap.tables if t.id not in held]
                if new:
                    self.suggester.add_tables(new, corpus_version=str(snap.version), persist=False)
                self._n_tables += len(new)
                self._seen = snap.version
            if new:
                log.info("已同步语料库：新增 %d 张表，现为版本 %d", len(new), snap.version)
                if force:  # this worker wrote: keep the saved index reasonably fresh
                    self._maybe_persist()
            return len(new)

    def _maybe_persist(self) -> None:
        from jixiao.models.index_sync import save_index

        if time.monotonic() - self._saved < PERSIST_EVERY_S:
            return
        with self._lock.read():  # no index writes while the files are written
            save_index(self.suggester.index, self.settings.index_dir)
        self._saved = time.monotonic()

    def _reload(self) -> int:
        """The packaged data was rebuilt under us: bring the index in line with the store."""
        from jixiao.models.index_sync import sync_index
        from jixiao.models.suggest import settings_index_kind

        assert self._store is not None
        snapshot = self._store.snapshot()
        result = sync_index(
            self.settings.index_dir, self.suggester.embedder, snapshot, kind=settings_index_kind(self.settings)
        )
        with self._lock.write():
            self.suggester.index = result.index
            self._n_tables = len(snapshot.tables)
            self._seen = snapshot.version
        log.info("语料库已重建，版本 %d：索引%s", snapshot.version, result.title)
        return len(snapshot.tables)

    # ---- serving --------------------------------------------------------------------

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]:
        """Row by row, in chunks: a timed-out request stops between chunks, and rows seen
        before (uploads repeat their rows) come from the memo."""
        out: list[TierPrediction] = []
        for start in range(0, len(inputs), CLASSIFY_CHUNK):
            check_deadline("classification")
            chunk = inputs[start : start + CLASSIFY_CHUNK]
            with self._compute:
                out.extend(self._predictions.predict(self.classifier, chunk, self.classifier.predict))
        return out

    def classify_tables(
        self, tables: list[list[ClassifyInput]], schemes: list[Scheme | None]
    ) -> list[list[TierPrediction]]:
        from jixiao.models.classifier.table_predict import classify_tables

        return classify_tables(self.classifier, tables, schemes, predict=self.classify)

    def suggest(self, query: ProjectQuery, k: int) -> SuggestedTable:
        self.sync()
        with self._compute, self._lock.read():
            return self.suggester.suggest(query, k=k)

    def add_tables(self, tables: list[GoalTable], who: str | None = None) -> list[GoalTable]:
        """Store first (one transaction: acknowledged once committed), then index.

        A crash between the two loses nothing: the next start catches the index up.
        """
        from jixiao.corpus.db.repository import Provenance
        from jixiao.corpus.store import open_store

        store = self._store or open_store(self.settings)
        result = store.add(tables, Provenance(origin="added", source="api", who=who))
        if self._store is not None:
            self.sync(force=True)
            return result.stored
        with self._lock.write():  # an engine built from parts: index exactly what it stored
            self.suggester.add_tables(result.stored, corpus_version=str(result.version))
            self._n_tables += len(result.stored)
        return result.stored

    def status(self) -> EngineStatus:
        self.sync()
        with self._lock.read():
            return EngineStatus(
                model=self.model_name,
                classifier=type(self.classifier).__name__,
                corpus_version=str(self._seen) if self._store is not None else self.suggester.index.meta.corpus_version,
                corpus_tables=self._n_tables,
                index_size=_index_size(self.suggester),
            )


def _index_size(suggester) -> int:  # noqa: ANN001 - a jixiao.models.suggest.Suggester
    """The number of indexed indicator rows."""
    return int(suggester.index.meta.n_indicators)
