"""Concurrency helpers of the service: a writer-preferring read/write lock, and running
blocking work (embedding, FAISS, parsing, database) in a worker thread under the
request timeout, so one slow request cannot hold the event loop or a client forever.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import anyio
from fastapi import FastAPI, Request

from jixiao.service.problems import ApiProblem

T = TypeVar("T")


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


def compute_pool(app: FastAPI) -> ThreadPoolExecutor:
    """The worker threads of CPU work: exactly ``JIXIAO_WORK_THREADS`` of them, so the pool is
    the lane. Its queue is first in, first out, and a call whose request gave up while it
    waited is cancelled there and never starts.

    One pool per thread count for the whole process, not per app: a test run makes hundreds
    of apps, and idle pool threads live until the process ends. ``concurrent.futures`` wakes
    a thread through a C queue; anyio's own pool (a ``queue.Queue``, a limiter, a cancel
    scope) took 6 % of the GIL of a server under 32 clients.
    """
    size = app.state.settings.work_threads
    pool = _POOLS.get(size)
    if pool is None:
        with _POOLS_LOCK:
            pool = _POOLS.get(size)
            if pool is None:
                pool = _POOLS[size] = ThreadPoolExecutor(max_workers=size, thread_name_prefix="jixiao-compute")
    return pool


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


async def run_blocking(
    request: Request, fn: Callable[..., T], *args: object, timeout: float | None = None, compute: bool = True
) -> T:
    """Run ``fn`` in a worker thread; give up after the request timeout (or ``timeout``) with a 504.

    CPU work (``compute``, the default) runs in one of ``JIXIAO_WORK_THREADS`` threads
    (``compute_pool``), in order of arrival: 32 requests in 32 threads, taking turns at the
    GIL, served 7 % fewer requests than four threads and had a p95 1.2-1.6x as long. Waiting
    for a thread counts against the timeout, and work that never got one never starts. Calls
    that mostly wait on something else (the database, an LLM server) and long jobs (a batch
    review, an import) pass ``compute=False`` and run in anyio's shared threads: they must
    never queue behind, or hold up, the interactive requests.

    The thread cannot be killed, so the work runs under the same deadline
    (``jixiao.service.cancellable``): classification stops between chunks, and upload
    parsing runs in a child process that is terminated, so the CPU is freed too.
    """
    from jixiao.models.deadline import DeadlineExceeded
    from jixiao.service.cancellable import run_with_deadline

    timeout = timeout or request.app.state.settings.request_timeout_s
    end = time.monotonic() + timeout

    def job() -> T:  # the work's deadline is the request's: time spent queued counts
        return run_with_deadline(max(end - time.monotonic(), 0.0), fn, *args)

    try:
        async with asyncio.timeout(timeout):
            if compute:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(compute_pool(request.app), contextvars.copy_context().run, job)
            return await anyio.to_thread.run_sync(job, abandon_on_cancel=True)
    except (TimeoutError, DeadlineExceeded) as e:
        raise ApiProblem(504, f"处理时间超过 {timeout:g} 秒的上限，请缩小请求或稍后重试") from e
