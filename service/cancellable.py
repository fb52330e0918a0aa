"""Work that stops when its request times out.

A thread cannot be killed: a 19 MB upload that timed out with 504 kept a core at 100 %
for 12 minutes while its thread finished parsing. Two tools end that:

- ``parse_in_subprocess`` parses an upload in a pool of worker processes (started
  from a forkserver that has the parsers imported); a worker still parsing at the
  deadline is terminated, which frees its CPU and memory at once, and replaced;
- ``run_with_deadline`` runs a function under the request's deadline
  (``jixiao.models.deadline``), so classification checks it between chunks and the
  encoder's batch queue drops expired requests.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from jixiao import errors
from jixiao.errors import ArchiveTooLarge, JixiaoError, ParseError
from jixiao.models.deadline import DeadlineExceeded, current_deadline, deadline_after
from jixiao.service.memory import own_rss_mb, release_free_memory
from jixiao.service.problems import ApiProblem

log = logging.getLogger("jixiao.service")
T = TypeVar("T")

#: Grace period for a terminated child before it is killed outright.
_TERMINATE_GRACE_S = 0.5
#: Parsing one upload may take this long. A file that needs more is refused (413) and
#: its worker terminated while the request can still answer: the request timeout is
#: 60 s, and classification comes after parsing. Parsers with their own, shorter caps
#: (PDF 25 s, OCR 30 s) refuse first with a more precise reason.
MAX_PARSE_SECONDS = 45.0
#: A worker whose resident set grew by more than this over its start (an OCR model
#: loaded, a heap fragmented by a large file) is replaced after its reply, so memory
#: goes back to idle after every upload instead of staying with the worker.
MAX_WORKER_GROWTH_MB = 48.0
_context_lock = threading.Lock()
_context: Any = None


def _mp_context():  # noqa: ANN202 - a multiprocessing context
    """A forkserver whose server process has the parsers imported, to start parser workers from.

    Plain fork is not safe here: the service has model and request threads, and a
    child forked while one of them holds a lock deadlocks (seen under 8 concurrent
    uploads). The forkserver is a small single-threaded process started once.
    """
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            # The readers the parsers import lazily are loaded here once, so a worker does not
            # grow by them on its first PDF or Word file (and get replaced for it).
            ctx.set_forkserver_preload(
                [
                    "jixiao.service.routes.tables",
                    "jixiao.corpus.parsers",
                    "jixiao.corpus.review",  # parse_upload completes the tables it parsed
                    "pdfplumber",
                    "docx",
                    "pypdfium2",
                ]
            )
            _context = ctx
        return _context


def _describe(e: BaseException) -> tuple[str, object]:
    """A picklable description of a parser error (ParseError and ApiProblem do not unpickle)."""
    if isinstance(e, ApiProblem):
        return "problem", (e.status, e.detail, e.kind, e.title)
    if isinstance(e, ParseError):  # the type decides the status (413, 415, 422): keep it
        return "parse-error", (type(e).__name__, e.source, e.problem)
    if isinstance(e, JixiaoError):
        return "jixiao-error", str(e)
    return "error", f"{type(e).__name__}: {e}"


def _worker_loop(conn) -> None:  # noqa: ANN001 - a Connection
    """In a worker process: parse what arrives until the pipe closes, or until it grew.

    Each reply says whether the worker retires: after freeing what the parse left
    (``malloc_trim``), a worker still ``MAX_WORKER_GROWTH_MB`` above its start exits
    and the pool starts a fresh one.
    """
    baseline = own_rss_mb()
    while True:
        try:
            parse, data, filename = conn.recv()
        except (EOFError, OSError):
            return
        try:
            kind, value = "ok", parse(data, filename)
        except Exception as e:  # noqa: BLE001 - every failure goes back to the request that sent it
            kind, value = _describe(e)
        del data
        release_free_memory()
        retire = own_rss_mb() - baseline > MAX_WORKER_GROWTH_MB
        conn.send((kind, value, retire))
        if retire:
            return


def _raise_or_return(kind: str, value: object) -> Any:
    if kind == "ok":
        return value  # type: ignore[return-value]
    if kind == "problem":
        status, detail, problem_kind, title = value  # type: ignore[misc]
        raise ApiProblem(status, detail, kind=problem_kind, title=title)
    if kind == "parse-error":
        name, source, problem = value  # type: ignore[misc]
        cls = getattr(errors, name, ParseError)
        raise (cls if isinstance(cls, type) and issubclass(cls, ParseError) else ParseError)(source, problem)
    if kind == "jixiao-error":
        raise JixiaoError(str(value))
    raise RuntimeError(value)


class _Worker:
    def __init__(self) -> None:
        ctx = _mp_context()
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(target=_worker_loop, args=(child_end,), name="jixiao-parse", daemon=True)
        self.process.start()
        child_end.close()
        self.tasks = 0

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        self.process.join(0.05)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(_TERMINATE_GRACE_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(_TERMINATE_GRACE_S)


class ParserPool:
    """Worker processes that parse uploads; one that overruns its deadline is terminated and replaced.

    Workers are started once (from the forkserver) and reused, so a parse costs a pipe
    round trip, not a process start. A worker is also replaced after ``max_tasks``
    parses, which returns whatever memory a large file made it keep.
    """

    def __init__(self, size: int = 2, max_tasks: int = 200):
        self.size = size
        self.max_tasks = max_tasks
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._lock = threading.Lock()

    def _checkout(self, timeout: float | None) -> _Worker:
        with self._lock:
            if self._idle.empty() and self._started < self.size:
                self._started += 1
                start_new = True
            else:
                start_new = False
        if start_new:
            try:
                return _Worker()
            except BaseException:
                with self._lock:
                    self._started -= 1
                raise
        try:
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            raise DeadlineExceeded("waiting for a parser process") from None

    def _retire(self, worker: _Worker) -> None:
        """Stop ``worker`` and put a fresh one in its place (waiting requests need one)."""
        worker.stop()
        try:
            self._idle.put(_Worker())
        except Exception as e:  # noqa: BLE001 - the next request will try to start one
            log.warning("无法启动解析进程（%s）", e)
            with self._lock:
                self._started -= 1

    def parse(
        self,
        data: bytes,
        filename: str,
        timeout: float | None,
        parse: Callable | None = None,
        refuse_after: float | None = None,
    ) -> Any:
        """Parse in a worker; ``DeadlineExceeded`` at ``timeout``, or 413 (``ArchiveTooLarge``)
        when ``refuse_after`` comes first: the file, not the request, is what is too slow."""
        end = None if timeout is None else time.monotonic() + timeout
        worker = self._checkout(timeout)  # waiting for a free worker counts against the request only
        try:
            worker.conn.send((parse or _default_parse(), data, filename))
            now = time.monotonic()
            left = None if end is None else max(end - now, 0.0)
            refuse = refuse_after is not None and (left is None or refuse_after < left)
            if not worker.conn.poll(refuse_after if refuse else left):
                self._retire(worker)  # terminated mid-parse: the CPU and memory come back now
                if refuse:
                    raise ArchiveTooLarge(
                        filename, f"parsing takes more than {refuse_after:.0f} s: refused (too large or too complex)"
                    )
                raise DeadlineExceeded(f"parsing {filename}")
            kind, value, retire = worker.conn.recv()
        except (EOFError, OSError) as e:
            self._retire(worker)
            raise JixiaoError(f"{filename}：解析进程意外退出（{type(e).__name__}）") from None
        worker.tasks += 1
        if retire or worker.tasks >= self.max_tasks:
            self._retire(worker)
        else:
            self._idle.put(worker)
        return _raise_or_return(kind, value)

    def warm(self) -> None:
        """Start every worker now (the forkserver takes seconds to boot), not on the first upload."""
        while True:
            with self._lock:
                if self._started >= self.size:
                    return
                self._started += 1
            try:
                self._idle.put(_Worker())
            except BaseException:
                with self._lock:
                    self._started -= 1
                raise

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().stop()
            with self._lock:
                self._started -= 1


def _default_parse() -> Callable:
    from jixiao.service.routes.tables import parse_upload

    return parse_upload


_pool: ParserPool | None = None


def parser_pool() -> ParserPool:
    global _pool
    with _context_lock:
        if _pool is None:
            _pool = ParserPool(size=max(2, os.cpu_count() or 2))
        return _pool


def parse_in_subprocess(
    data: bytes, filename: str, timeout: float | None = None, parse: Callable | None = None
) -> Any:
    """``parse_upload`` (or ``parse``, a module-level function) in a worker process; returns
    what it returns (``parse_upload``: a ``ParsedUpload``).

    ``timeout`` defaults to the time left before the current deadline (no limit without
    one). Raises what the parser raises; ``ArchiveTooLarge`` (413) when the parse alone
    needs more than ``MAX_PARSE_SECONDS``; or ``DeadlineExceeded`` when the request's
    deadline comes first. Either way the worker that overran is terminated.
    """
    if timeout is None:
        at = current_deadline()
        timeout = None if at is None else max(at - time.monotonic(), 0.0)
    return parser_pool().parse(data, filename, timeout, parse, refuse_after=MAX_PARSE_SECONDS)


def run_with_deadline(timeout: float, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` with the request deadline set, for the worker thread that runs it."""
    with deadline_after(timeout):
        return fn(*args)
