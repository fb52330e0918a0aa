"""Classify each distinct row once: a bounded memo of predictions in front of the classifier.

Uploads repeat themselves. A bureau's submission of forty projects carries
"服务对象满意度 ≥90%" and "资金拨付及时率 100%" forty times, and the classifier's own
per-row work (rules, value parsing, neighbours, calibration) costs milliseconds even
when the embedding is cached. A prediction depends only on the input row and the
classifier, so identical rows in one call are predicted once, and rows seen before
are answered from memory until the classifier is replaced (a new object, e.g. after
retraining). Predictions are treated as immutable values.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from jixiao.models.classifier.contract import ClassifyInput, TierPrediction

Key = tuple


class PredictionCache:
    """An LRU of ``TierPrediction`` by input row, for one classifier object."""

    def __init__(self, max_items: int = 50_000):
        self.max_items = max_items
        self._items: OrderedDict[Key, TierPrediction] = OrderedDict()
        self._owner: int | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def predict(
        self, classifier: object, inputs: Sequence[ClassifyInput], predict: Callable[[list], list]
    ) -> list[TierPrediction]:
        keys = [tuple(vars(x).values()) for x in inputs]  # astuple deep-copies: 10x slower
        out: list[TierPrediction | None] = [None] * len(inputs)
        todo: dict[Key, list[int]] = {}
        with self._lock:
            if self._owner != id(classifier):  # a new classifier: nothing remembered applies
                self._items.clear()
                self._owner = id(classifier)
            for i, key in enumerate(keys):
                hit = self._items.get(key)
                if hit is not None:
                    self._items.move_to_end(key)
                    out[i] = hit
                else:
                    todo.setdefault(key, []).append(i)
            self.hits += len(inputs) - sum(len(v) for v in todo.values())
            self.misses += len(todo)
        if todo:
            first = [inputs[rows[0]] for rows in todo.values()]
            predictions = list(predict(first))
            with self._lock:
                for (key, rows), pred in zip(todo.items(), predictions, strict=True):
                    for i in rows:
                        out[i] = pred
                    if self._owner == id(classifier):
                        self._items[key] = pred
                while len(self._items) > self.max_items:
                    self._items.popitem(last=False)
        return out  # type: ignore[return-value]
