"""Work that stops when its request times out.

A thread cannot be killed: a 19 MB upload that timed out with 504 kept a core at 100 %
for 12 minutes while its thread finished parsing. Two tools end that:

- ``parse_in_subprocess`` parses an upload in a forked child process, which is
  terminated at the deadline and takes its memory with it;
- ``run_with_deadline`` runs a function under the request's deadline
  (``jixiao.models.deadline``), so classification checks it between chunks and the
  encoder's batch queue drops expired requests.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from jixiao.corpus.errors import JixiaoError, ParseError
from jixiao.corpus.schema import ParseResult
from jixiao.models.deadline import DeadlineExceeded, current_deadline, deadline_after
from jixiao.service.problems import ApiProblem

log = logging.getLogger("jixiao.service")
T = TypeVar("T")

#: Grace period for a terminated child before it is killed outright.
_TERMINATE_GRACE_S = 0.5
_context_lock = threading.Lock()
_context: Any = None
_START_METHOD = "fork"


def _mp_context():  # noqa: ANN202 - a multiprocessing context
    """Plain fork: the child shares the parsers already imported and starts in tens of milliseconds.

    The forkserver would be the textbook choice for a threaded parent, but each of its
    children re-imports the main module (seconds per upload, measured). The forked child
    only runs pure-Python parsing, never the model threads, and is bounded by the deadline.
    """
    global _context
    with _context_lock:
        if _context is None:
            _context = multiprocessing.get_context(_START_METHOD)
        return _context


def _child(conn, data: bytes, filename: str) -> None:  # noqa: ANN001 - a Connection
    """In the child: parse, and send back the result or a picklable description of the error."""
    from jixiao.service.routes.tables import parse_upload

    try:
        conn.send(("ok", parse_upload(data, filename)))
    except ApiProblem as e:
        conn.send(("problem", (e.status, e.detail, e.kind, e.title)))
    except ParseError as e:
        conn.send(("parse-error", (e.source, e.problem)))
    except JixiaoError as e:
        conn.send(("jixiao-error", str(e)))
    except Exception as e:  # noqa: BLE001 - re-raised in the parent as a 500 with the type named
        conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        conn.close()


def parse_in_subprocess(data: bytes, filename: str, timeout: float | None = None) -> ParseResult:
    """``parse_upload`` in a child process, terminated when the request's deadline passes.

    ``timeout`` defaults to the time left before the current deadline (no limit without one).
    Raises what ``parse_upload`` raises, or ``DeadlineExceeded`` after stopping the child.
    """
    if timeout is None:
        at = current_deadline()
        timeout = None if at is None else max(at - time.monotonic(), 0.0)
    ctx = _mp_context()
    receiver, sender = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(sender, data, filename), name="jixiao-parse", daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise DeadlineExceeded(f"parsing {filename}")
        try:
            kind, value = receiver.recv()
        except EOFError:
            raise JixiaoError(f"{filename}: the parser process stopped unexpectedly (exit code {child.exitcode})") from None
    finally:
        receiver.close()
        _stop(child)
    if kind == "ok":
        return value
    if kind == "problem":
        status, detail, problem_kind, title = value
        raise ApiProblem(status, detail, kind=problem_kind, title=title)
    if kind == "parse-error":
        raise ParseError(*value)
    if kind == "jixiao-error":
        raise JixiaoError(value)
    raise RuntimeError(value)


def _stop(child) -> None:  # noqa: ANN001 - a multiprocessing Process
    child.join(0.05)
    if child.is_alive():
        child.terminate()
        child.join(_TERMINATE_GRACE_S)
    if child.is_alive():
        child.kill()
        child.join(_TERMINATE_GRACE_S)
    child.close()


def run_with_deadline(timeout: float, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` with the request deadline set, for the worker thread that runs it."""
    with deadline_after(timeout):
        return fn(*args)
