"""A decompression budget enforced where pdfminer inflates, not guessed from the bytes.

pdfminer decodes every stream whole in memory (``zlib.decompress``, LZW, run-length),
so a 2 MB PDF can ask for gigabytes. Scanning the file for ``stream … endstream``
beforehand missed what pdfminer still decodes: filter chains (``[/ASCIIHexDecode
/FlateDecode]``), ``stream`` followed by a space, a stored deflate block whose bytes
contain ``endstream``. So the budget is charged at the decoders themselves: while
``inflate_budget`` is active on a thread, pdfminer's zlib, LZW and run-length decoders
are replaced by bounded ones that stop once the budget is spent. Interpreting page
content is bounded the same way (its bytes, where pdfminer opens each content stream),
because a few megabytes of hostile content take minutes of CPU. Outside the context
(any other pdfminer use in the process) they behave exactly like the originals.

pdfminer and pdfplumber swallow some exceptions while reading a page, so the budget
also remembers that it was exceeded, and the caller checks it after the parse.
"""

from __future__ import annotations

import io
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_state = threading.local()
_installed = False
_install_lock = threading.Lock()


class BudgetExceeded(Exception):
    """Raised inside pdfminer when a decoder would pass the budget."""


@dataclass
class Budget:
    """Bytes left to inflate, and bytes of page content left to interpret."""

    remaining: int
    content_remaining: int
    deadline: float = float("inf")
    exceeded: bool = False
    timed_out: bool = False

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            self.exceeded = self.timed_out = True
            raise BudgetExceeded

    def take(self, n: int) -> None:
        self.remaining -= n
        if self.remaining < 0:
            self.exceeded = True
            raise BudgetExceeded

    def take_content(self, n: int) -> None:
        self.content_remaining -= n
        if self.content_remaining < 0:
            self.exceeded = True
            raise BudgetExceeded


def _current() -> Budget | None:
    return getattr(_state, "budget", None)


@contextmanager
def inflate_budget(
    limit: int, content_limit: int | None = None, seconds: float | None = None
) -> Iterator[Budget]:
    """Bound what pdfminer may inflate on this thread to ``limit`` bytes in total, the
    page content it interprets (each time a content stream or form is drawn) to
    ``content_limit``, and its parsing to ``seconds`` of wall time."""
    _install()
    previous = _current()
    budget = Budget(limit, limit if content_limit is None else content_limit)
    if seconds is not None:
        budget.deadline = time.monotonic() + seconds
    _state.budget = budget
    try:
        yield budget
    finally:
        _state.budget = previous


class _BoundedDecompressor:
    def __init__(self, inner: zlib._Decompress, budget: Budget):  # type: ignore[name-defined]
        self._d = inner
        self._budget = budget

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        # pdfminer feeds a damaged stream one byte per call (decompress_corrupted):
        # megabytes of calls, so the deadline is checked here too.
        self._budget.check_time()
        cap = self._budget.remaining + 1
        out = self._d.decompress(data, min(max_length, cap) if max_length else cap)
        self._budget.take(len(out))  # output capped at remaining + 1: past the budget raises
        return out

    def flush(self, *args: int) -> bytes:
        out = self._d.flush(*args)
        self._budget.take(len(out))
        return out

    def __getattr__(self, name: str) -> object:
        return getattr(self._d, name)


class _BoundedZlib:
    """The part of the zlib module pdfminer uses, charged to the thread's budget."""

    error = zlib.error

    def decompress(self, data: bytes, *args: int) -> bytes:
        budget = _current()
        if budget is None:
            return zlib.decompress(data, *args)
        d = zlib.decompressobj(*args[:1])
        out = _BoundedDecompressor(d, budget).decompress(data)
        if not d.eof:
            raise zlib.error("Error -5 while decompressing data: incomplete or truncated stream")
        return out

    def decompressobj(self, *args: int) -> object:
        budget = _current()
        d = zlib.decompressobj(*args)
        return d if budget is None else _BoundedDecompressor(d, budget)

    def __getattr__(self, name: str) -> object:
        return getattr(zlib, name)


def _bounded_lzw(data: bytes) -> bytes:
    from pdfminer.lzw import LZWDecoder

    budget = _current()
    out = io.BytesIO()
    for n, chunk in enumerate(LZWDecoder(io.BytesIO(data)).run()):
        if budget is not None:
            budget.take(len(chunk))
            if n % 4096 == 0:
                budget.check_time()  # pure-Python LZW: megabytes of codes take seconds
        out.write(chunk)
    return out.getvalue()


def _bounded_runlength(data: bytes) -> bytes:
    """PDF RunLengthDecode (PDF 1.7, 7.4.5) into a bytearray, charged as it grows."""
    budget = _current()
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        length = data[i]
        i += 1
        if length == 128:
            break
        if length < 128:
            chunk = data[i : i + length + 1]
            i += length + 1
        else:
            if i >= n:
                break
            chunk = data[i : i + 1] * (257 - length)
            i += 1
        if budget is not None:
            budget.take(len(chunk))
        out += chunk
    return bytes(out)


def _charged_fillfp(original: Callable[[object], bool]) -> Callable[[object], bool]:
    """PDFContentParser.fillfp, charging each content stream it opens to the content budget.

    pdfminer interprets content at about one Python call per byte for hostile input
    (16 µs a byte on a shared machine), so the content budget bounds CPU time as the
    inflate budget bounds memory. A form drawn a thousand times is charged a thousand times.
    """

    def fillfp(self: object) -> bool:
        opened = original(self)
        budget = _current()
        if opened and budget is not None:
            budget.take_content(self.fp.getbuffer().nbytes)  # type: ignore[attr-defined]
        return opened

    return fillfp


def _timed_fillbuf(original: Callable[[object], bool]) -> Callable[[object], bool]:
    """A parser's fillbuf that checks the deadline each time it needs a new 4 KB chunk.

    The object parser reads the file itself through here, so a hostile structure
    (a slice repeated thousands of times, broken xref tables that force a full scan)
    stops at the deadline instead of running past the request timeout.
    """

    def fillbuf(self: object) -> bool:
        budget = _current()
        if budget is not None and self.charpos >= len(self.buf):  # type: ignore[attr-defined]
            budget.check_time()
        return original(self)

    return fillbuf


def _install() -> None:
    """Swap pdfminer's decoders once per process (idempotent, thread-safe)."""
    global _installed
    if _installed:
        return
    with _install_lock:
        if _installed:
            return
        from pdfminer import pdfinterp, pdftypes, psparser

        psparser.PSBaseParser.fillbuf = _timed_fillbuf(psparser.PSBaseParser.fillbuf)  # type: ignore[method-assign]
        pdfinterp.PDFContentParser.fillbuf = _timed_fillbuf(pdfinterp.PDFContentParser.fillbuf)  # type: ignore[method-assign]
        pdfinterp.PDFContentParser.fillfp = _charged_fillfp(pdfinterp.PDFContentParser.fillfp)  # type: ignore[method-assign]
        pdftypes.zlib = _BoundedZlib()  # type: ignore[assignment]
        pdftypes.lzwdecode = _bounded_lzw
        pdftypes.rldecode = _bounded_runlength
        _installed = True
