"""Resident memory of a server and its child processes (the parser pool), from /proc.

The service parses uploads in worker processes, so the main process's own VmHWM
misses most of an upload's memory. ``TreeSampler`` sums VmRSS over the server and
every descendant a few times a second and keeps the peak of that sum.
"""

from __future__ import annotations

import threading
from pathlib import Path


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """Resident set of a process (key VmRSS) or its peak so far (VmHWM), from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, …)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        child = int(stat.parent.name)
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(child)
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_rss_mb(pid: int) -> dict[str, float]:
    """{"main": RSS of ``pid``, "children": summed RSS of its descendants, "total": both}."""
    main = rss_mb(pid)
    children = sum(rss_mb(c) for c in descendants(pid))
    return {"main": main, "children": children, "total": main + children}


class TreeSampler:
    """Samples ``tree_rss_mb`` in a thread; ``peak`` holds the largest total seen (and its split)."""

    def __init__(self, pid: int, every_s: float = 0.1):
        self.pid = pid
        self.every_s = every_s
        self.peak = {"main": 0.0, "children": 0.0, "total": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every_s)

    def sample(self) -> dict[str, float]:
        now = tree_rss_mb(self.pid)
        if now["total"] > self.peak["total"]:
            self.peak = now
        return now

    def reset(self) -> None:
        self.peak = {"main": 0.0, "children": 0.0, "total": 0.0}

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
