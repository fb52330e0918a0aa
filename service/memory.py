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
