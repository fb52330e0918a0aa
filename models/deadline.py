"""Cooperative deadlines for work a request waits on.

A worker thread cannot be killed, so a request that timed out used to keep its thread
(and a core) busy until the work finished. The service sets a deadline around each
request's blocking work; long loops (classifying a table chunk by chunk, the encoder's
batch queue) call ``check_deadline`` and stop with ``DeadlineExceeded`` once it has
passed. The deadline travels in a context variable, so library code needs no extra
parameter and works unchanged (no deadline) from the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_deadline: ContextVar[float | None] = ContextVar("jixiao_deadline", default=None)


class DeadlineExceeded(Exception):  # noqa: N818 - reads as what happened
    """The request's time is up; the work was abandoned, not finished."""


@contextmanager
def deadline_after(seconds: float | None) -> Iterator[None]:
    """Work inside must finish within ``seconds`` (monotonic clock); None means no limit."""
    token = _deadline.set(None if seconds is None else time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def current_deadline() -> float | None:
    """The monotonic time by which the current request must finish, if any."""
    return _deadline.get()


def check_deadline(what: str = "work") -> None:
    """Raise ``DeadlineExceeded`` if the current request's deadline has passed."""
    at = _deadline.get()
    if at is not None and time.monotonic() >= at:
        raise DeadlineExceeded(what)
