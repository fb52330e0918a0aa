"""The embedding contract every model behind jixiao satisfies, and a test double.

Retrieval and the classifier only need "texts in, L2-normalised float32 rows out", with
the query/passage distinction e5-style models depend on. Keeping that contract tiny
lets tests run on ``HashEmbedder`` in milliseconds while production uses the real model.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol, runtime_checkable

import numpy as np

from jixiao.errors import JixiaoError


@runtime_checkable
class Embedder(Protocol):
    model_name: str
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised; for the text a user searches with."""
        ...

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32, rows L2-normalised; for the texts being searched."""
        ...


class HashEmbedder:
    """Character n-gram feature hashing: a deterministic, model-free Embedder for tests.

    Similar strings share n-grams and so get similar vectors, which is enough to test
    retrieval plumbing without loading a transformer.
    """

    def __init__(self, dim: int = 256, ngrams: tuple[int, ...] = (1, 2, 3)):
        self.dim = dim
        self.ngrams = ngrams
        self.model_name = f"hash-{dim}"

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for n in self.ngrams:
            for i in range(max(len(text) - n + 1, 0)):
                h = hashlib.blake2b(text[i : i + n].encode(), digest_size=8).digest()
                v[int.from_bytes(h[:4], "little") % self.dim] += 1.0 if h[4] & 1 else -1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def _many(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._one(t) for t in texts])

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._many(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._many(texts)


def hash_embedder_for(name: str | None) -> HashEmbedder | None:
    """The test double a model name asks for (``hash`` or ``hash-<dim>``), else None.

    One parser for every place a model name is read (CLI ``--embedder``, saved
    classifiers), so ``hash-64`` means the same vectors everywhere.
    """
    m = re.fullmatch(r"hash(?:-([1-9]\d*))?", name or "")
    if m is None:
        if (name or "").startswith("hash-"):
            raise JixiaoError(f"嵌入模型 {name!r}：测试用替身应写作 hash 或 hash-<维数>，例如 hash-128")
        return None
    return HashEmbedder(int(m.group(1))) if m.group(1) else HashEmbedder()
