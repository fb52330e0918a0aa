"""Giving freed memory back to the system, and reading this process's own size.

CPython frees a large upload's objects, but glibc keeps the pages in its heaps (one
arena per thread that ever allocated), so RSS stayed 150-250 MB above idle after big
uploads. ``malloc_trim`` hands every arena's free pages back. What a process keeps
beyond that (an OCR model, a fragmented heap) only goes away with the process, which
is why parser workers that grew are replaced (``cancellable``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger("jixiao.service")


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.malloc_trim  # noqa: B018 - glibc only; musl and macOS have none
    except (OSError, AttributeError):
        return None
    return libc


def release_free_memory() -> None:
    """Return the heap's free pages to the system (glibc); a no-op elsewhere."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def own_rss_mb() -> float:
    """This process's resident set in MB (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


#: Allocations between two young-generation collections once the service is serving
#: (CPython's default is 700). See ``tune_gc_for_serving``.
SERVING_GC_THRESHOLD0 = 10_000


def tune_gc_for_serving() -> None:
    """Collect the young generation less often once the model and index are loaded.

    A request allocates thousands of short-lived objects (pydantic models, findings, hits),
    and nearly all are freed by reference counting. With the default threshold (700) the
    cyclic collector ran about once a request and took 2.4 to 3.2 % of the CPU of a mixed
    suggest/classify/upload load; at 10,000 it took 0.7 %. Answers do not change; memory
    held by cyclic garbage waits a little longer for its collection.
    """
    import gc

    _, g1, g2 = gc.get_threshold()
    gc.set_threshold(SERVING_GC_THRESHOLD0, g1, g2)
