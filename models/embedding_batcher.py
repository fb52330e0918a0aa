"""Dynamic batching: concurrent encode calls share one forward pass.

Under load, each suggest or classify request runs its own forward pass of one or a few
texts. A single worker thread here takes whatever requests are waiting (gathering for
at most ``wait_ms`` after the first one arrives, as text-embeddings-inference and Triton
do), encodes them together and hands every caller its own rows. While a pass runs, new
requests queue up and go together in the next one.

Measured on this 2-core CPU it does not pay: ONNX Runtime's per-call overhead is small,
the cost of a pass grows with its tokens (plus padding to the longest text), and one
batched pass at a time uses the cores less well than two single passes side by side
(README, "Speed where users wait"). So it is off unless ``JIXIAO_BATCH_WAIT_MS`` > 0;
it is kept for machines where a pass has a large fixed cost (a GPU, many cores).

Requests time out individually: a caller whose deadline (``jixiao.models.deadline``)
has passed is dropped from the batch before it is encoded, and stops waiting for its
result when its deadline arrives, without holding up anyone else.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import numpy as np

from jixiao.models.deadline import DeadlineExceeded, current_deadline
from jixiao.models.embedding_base import Embedder

log = logging.getLogger("jixiao.models")

#: Texts per gathered batch; a single larger request still runs, alone.
MAX_BATCH_TEXTS = 64


@dataclass
class _Request:
    kind: str
    texts: list[str]
    deadline: float | None
    future: Future = field(default_factory=Future)


class BatchingEmbedder:
    """An ``Embedder`` that merges concurrent calls to ``inner`` into shared forward passes."""

    def __init__(self, inner: Embedder, *, wait_ms: float = 2.0, max_batch: int = MAX_BATCH_TEXTS):
        self.inner = inner
        self.model_name = inner.model_name
        self.dim = inner.dim
        self.cache_name = getattr(inner, "cache_name", None) or inner.model_name
        self.wait_s = max(wait_ms, 0.0) / 1000.0
        self.max_batch = max_batch
        self.passes = 0  # forward passes run, and how many requests they served: the batching gain
        self.requests = 0
        self._queue: list[_Request] = []
        self._cond = threading.Condition()
        self._worker: threading.Thread | None = None

    @property
    def model(self):  # noqa: ANN201 - the wrapped encoder's torch model (SetFit trains it), if any
        return getattr(self.inner, "model", None)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._submit("query", texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._submit("passage", texts)

    def _submit(self, kind: str, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        deadline = current_deadline()
        request = _Request(kind, texts, deadline)
        with self._cond:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="jixiao-encoder", daemon=True)
                self._worker.start()
            self._queue.append(request)
            self._cond.notify_all()
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            return request.future.result(timeout=timeout)
        except FutureTimeout:
            request.future.cancel()  # dropped from its batch if that has not started yet
            raise DeadlineExceeded("encoding") from None

    # ---- the worker -----------------------------------------------------------------------

    def _take_batch(self) -> list[_Request]:
        """Block for the first request, gather for up to ``wait_s``, return at most ``max_batch`` texts."""
        with self._cond:
            while not self._queue:
                self._cond.wait()
            until = time.monotonic() + self.wait_s
            while sum(len(r.texts) for r in self._queue) < self.max_batch:
                left = until - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch, size = [], 0
            while self._queue and (not batch or size + len(self._queue[0].texts) <= self.max_batch):
                request = self._queue.pop(0)
                batch.append(request)
                size += len(request.texts)
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            now = time.monotonic()
            live = []
            for r in batch:
                if r.deadline is not None and r.deadline <= now:
                    r.future.cancel()
                if r.future.set_running_or_notify_cancel():
                    live.append(r)
            for kind in ("query", "passage"):
                group = [r for r in live if r.kind == kind]
                if group:
                    self._encode_group(kind, group)

    def _encode_group(self, kind: str, group: list[_Request]) -> None:
        texts = [t for r in group for t in r.texts]
        try:
            encode = self.inner.encode_queries if kind == "query" else self.inner.encode_passages
            vecs = np.asarray(encode(texts), dtype=np.float32)
        except BaseException as e:  # noqa: BLE001 - every waiting caller gets the error, the worker lives on
            for r in group:
                r.future.set_exception(e)
            return
        self.passes += 1
        self.requests += len(group)
        start = 0
        for r in group:
            r.future.set_result(vecs[start : start + len(r.texts)])
            start += len(r.texts)
