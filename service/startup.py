"""Start-up: the port opens at once, the engine is prepared behind it, with progress.

A first start builds the corpus store, converts and exports the embedding model,
builds the index and trains the classifier: minutes on a busy machine. Holding the
port closed all that time looked like a dead server. Instead ``jixiao serve`` binds
immediately; ``/v1/health`` reports ``{"status": "starting", "step": …, "progress": …}``
(HTTP 503 until ready, so probes wait), the other routes answer 503 with a Chinese
message and ``Retry-After``, and the web
page shows the same progress. Independent steps run side by side: the corpus store
with the embedding model, then the index with the classifier.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fastapi import FastAPI

from jixiao.errors import JixiaoError
from jixiao.service.memory import tune_gc_for_serving
from jixiao.service.problems import ApiProblem
from jixiao.settings import Settings

log = logging.getLogger("jixiao.service")

#: The steps of preparing the engine, in order, with the title users see.
STEPS: dict[str, str] = {
    "corpus": "读取语料库",
    "model": "加载嵌入模型",
    "index": "加载检索索引",
    "classifier": "加载分类器",
}


@dataclass
class StartupProgress:
    """Which steps are running and done; read by the health route while another thread writes."""

    status: str = "starting"  # starting | ready | failed
    running: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def begin(self, step: str) -> None:
        with self._lock:
            if step not in self.running:
                self.running.append(step)
        log.info("启动中：%s", STEPS.get(step, step))

    def finish(self, step: str) -> None:
        with self._lock:
            if step in self.running:
                self.running.remove(step)
            if step not in self.done:
                self.done.append(step)

    def ready(self) -> None:
        with self._lock:
            self.status, self.running = "ready", []
            self.done = list(STEPS)

    def fail(self, message: str) -> None:
        with self._lock:
            self.status, self.error = "failed", message

    def snapshot(self) -> dict:
        with self._lock:
            step = self.running[0] if self.running else (None if self.status == "ready" else "corpus")
            return {
                "status": self.status,
                "step": step,
                "step_title": STEPS.get(step or ""),
                "steps_running": list(self.running),
                "steps_done": list(self.done),
                "progress": round(len(self.done) / len(STEPS), 2),
                "elapsed_s": round(time.monotonic() - self.started, 1),
                "error": self.error,
            }


Report = Callable[[str, bool], None]


def reporter(progress: StartupProgress | None) -> Report:
    """``report(step, finished)`` for ``load_engine``; a no-op without a progress object."""

    def report(step: str, finished: bool) -> None:
        if progress is not None:
            (progress.finish if finished else progress.begin)(step)

    return report


def load_engine(cls, settings: Settings, *, progress: bool = True, report: Report | None = None):  # noqa: ANN001, ANN201
    """Build a ``LibraryEngine`` (``cls``), preparing what is missing, independent steps in parallel.

    The corpus store and the embedding model do not depend on each other; the index and
    the classifier both need the two but not each other. The index is brought in line
    with the store (loaded, caught up or rebuilt; the log says which). Any unusable
    artifact raises JixiaoError with the command that fixes it.
    """
    from jixiao.corpus.store import open_store
    from jixiao.models.index_sync import sync_index
    from jixiao.models.suggest import Suggester, resolve_embedder, settings_index_kind

    report = report or reporter(None)
    t0 = time.perf_counter()

    def step(name: str, fn: Callable, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        report(name, False)
        result = fn(*args, **kwargs)
        report(name, True)
        return result

    def corpus():  # noqa: ANN202 - (CorpusStore, CorpusSnapshot)
        store = open_store(settings)
        log.info("语料库 %s", store.engine.url.render_as_string(hide_password=True))
        return store, store.snapshot()

    def index(embedder, snapshot):  # noqa: ANN001, ANN202 - a Suggester
        result = sync_index(
            settings.index_dir, embedder, snapshot, kind=settings_index_kind(settings), progress=progress
        )
        log.info("索引%s", result.title)
        return Suggester(result.index, embedder, settings=settings)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="jixiao-start") as pool:
        model = pool.submit(step, "model", resolve_embedder, settings.embedding_model, settings)
        store, snapshot = step("corpus", corpus)
        if not snapshot.tables:
            raise JixiaoError("语料库为空；请运行 `jixiao corpus build`")
        embedder = model.result()
        log.info(
            "语料库：%d 张表，版本 %d；嵌入模型就绪（%s，维度 %d）",
            len(snapshot.tables),
            snapshot.version,
            embedder.model_name,
            embedder.dim,
        )
        classifier = pool.submit(step, "classifier", _classifier, settings, embedder, progress)
        suggester = step("index", index, embedder, snapshot)
        size = int(suggester.index.meta.n_indicators)
        if size == 0:
            raise JixiaoError(f"索引 {settings.index_dir} 为空；请运行 `jixiao index build`")
        log.info("索引就绪（%s 条）", size)
        engine = cls(
            settings,
            classifier.result(),
            suggester,
            snapshot.tables,
            embedder.model_name,
            store=store,
            version=snapshot.version,
        )
    log.info("引擎就绪，用时 %.1f 秒", time.perf_counter() - t0)
    return engine


def _classifier(settings: Settings, embedder, progress: bool):  # noqa: ANN001, ANN202
    from jixiao.models.classifier import load_shipped, train_shipped

    try:
        return load_shipped(settings)
    except JixiaoError as e:
        log.info("分类器不可用（%s）；现在重新训练", e)
        train_shipped(settings, progress=progress, embedder=embedder)
        return load_shipped(settings)


def start_in_background(
    app: FastAPI, settings: Settings, factory: Callable, *, on_failure: Callable[[], None] | None = None
) -> None:
    """Run ``factory(settings, report)`` in a thread; the engine appears on ``app.state`` when ready.

    A failure is logged once with its reason and kept for the health route; then
    ``on_failure`` runs (``jixiao serve`` stops the server, since a server without a
    model can only answer 503).
    """
    progress = app.state.startup = StartupProgress()

    def run() -> None:
        try:
            app.state.engine = factory(settings, reporter(progress))
            tune_gc_for_serving()
            progress.ready()
            _warm_parsers()
        except Exception as e:  # noqa: BLE001 - reported, never raised into a dead thread
            message = str(e) if isinstance(e, JixiaoError) else f"{type(e).__name__}: {e}"
            log.error("启动失败：%s", message)
            progress.fail(message)
            if on_failure is not None:
                on_failure()

    threading.Thread(target=run, name="jixiao-startup", daemon=True).start()


def _warm_parsers() -> None:
    """Start the upload parser processes now, so the first upload does not wait for them."""
    from jixiao.service.cancellable import parser_pool

    try:
        parser_pool().warm()
    except Exception as e:  # noqa: BLE001 - uploads start workers on demand instead
        log.warning("无法预先启动解析进程（%s）", e)


def not_ready_problem(app: FastAPI) -> ApiProblem:
    """The 503 every model route gives while the engine is being prepared (or failed to be)."""
    progress: StartupProgress | None = getattr(app.state, "startup", None)
    if progress is None:
        return ApiProblem(503, "模型与索引仍在加载，请稍后重试", headers={"Retry-After": "5"})
    snap = progress.snapshot()
    if snap["status"] == "failed":
        return ApiProblem(503, f"服务启动失败：{snap['error']}")
    n = len(snap["steps_done"]) + 1
    return ApiProblem(
        503,
        f"服务正在启动（第 {min(n, len(STEPS))}/{len(STEPS)} 步：{snap['step_title']}，已用 {snap['elapsed_s']:g} 秒），请稍后重试",
        headers={"Retry-After": "5"},
    )
