"""A FAISS inner-product index over L2-normalised vectors (so scores are cosines).

Exact flat search is the right choice for this corpus (hundreds to tens of thousands of
distinct texts): it needs no training and answers in well under a millisecond. IVF and
HNSW trade a little recall for sub-linear search once the distinct texts reach the
hundreds of thousands; ``auto`` switches at ``AUTO_FLAT_MAX``. Any FAISS factory string
(``IVF1024,SQ8``) is accepted too, for a deployment that needs less memory.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import faiss
import numpy as np

from jixiao.errors import JixiaoError
from jixiao.settings import get_settings

KINDS = ("auto", "flat", "ivf", "hnsw")
#: Above this many vectors ``auto`` builds HNSW instead of a flat index.
AUTO_FLAT_MAX = 200_000
IVF_NPROBE = 16
HNSW_EF_SEARCH = 64


@functools.cache
def _limit_threads() -> None:
    """The service shares a small machine; one query needs no more than two threads.

    Done on first use, not at import: every CLI command imports this module, and a typo in
    the variable must be a one-line error, not a traceback before the CLI can catch it.
    """
    faiss.omp_set_num_threads(get_settings().faiss_threads)


def factory_string(kind: str, n: int) -> str:
    """FAISS factory string for an index kind and the number of vectors it will hold."""
    if kind == "auto":
        kind = "flat" if n <= AUTO_FLAT_MAX else "hnsw"
    if kind == "flat":
        return "Flat"
    if kind == "hnsw":
        return "HNSW32"
    if kind == "ivf":
        # ~4 sqrt(n) lists, and at least 39 training points per list (FAISS's minimum).
        nlist = max(1, min(int(4 * math.sqrt(max(n, 1))), n // 39))
        return f"IVF{nlist},Flat"
    if "," in kind or kind[:1].isupper():
        return kind
    raise JixiaoError(
        f"未知的索引类型 {kind!r}；可选 {'、'.join(KINDS)}，或 FAISS 工厂字符串"
    )


class VectorIndex:
    """Vectors are addressed by insertion order: row i of the input is id i."""

    def __init__(self, index: faiss.Index):
        _limit_threads()
        self.index = index
        self._tune()

    @property
    def dim(self) -> int:
        return self.index.d

    @property
    def size(self) -> int:
        return self.index.ntotal

    @property
    def description(self) -> str:
        return type(faiss.downcast_index(self.index)).__name__

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "auto", dim: int | None = None) -> VectorIndex:
        _limit_threads()  # before training and adding, which are the multi-threaded part
        vectors = _as_rows(vectors, dim)
        index = faiss.index_factory(
            vectors.shape[1], factory_string(kind, len(vectors)), faiss.METRIC_INNER_PRODUCT
        )
        if not index.is_trained:
            index.train(vectors)
        ivf = _ivf(index)
        if ivf is not None:
            ivf.make_direct_map()  # so reconstruct() works: evidence needs exact similarities
        if len(vectors):
            index.add(vectors)
        return cls(index)

    def add(self, vectors: np.ndarray) -> None:
        vectors = _as_rows(vectors, self.dim)
        if len(vectors):
            self.index.add(vectors)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k'), best first; k' ≤ k, no -1 padding for one query."""
        queries = _as_rows(queries, self.dim)
        k = min(k, self.size)
        if k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        scores, ids = self.index.search(queries, k)
        if len(queries) == 1:
            keep = ids[0] >= 0
            return scores[:, keep], ids[:, keep]
        return scores, ids

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return np.zeros((0, self.dim), np.float32)
        return self.index.reconstruct_batch(ids)

    def similarities(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Cosine of one query vector with the stored vectors ``ids`` (exact for flat indexes)."""
        return self.vectors(ids) @ _as_rows(query, self.dim)[0]

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> VectorIndex:
        return cls(faiss.read_index(str(path)))

    def _tune(self) -> None:
        ivf = _ivf(self.index)
        if ivf is not None:
            ivf.nprobe = IVF_NPROBE
        inner = faiss.downcast_index(self.index)
        if isinstance(inner, faiss.IndexHNSW):
            inner.hnsw.efSearch = HNSW_EF_SEARCH


def _ivf(index: faiss.Index):
    try:
        return faiss.extract_index_ivf(index)
    except RuntimeError:
        return None


def _as_rows(x: np.ndarray, dim: int | None) -> np.ndarray:
    x = np.ascontiguousarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    if dim is not None and x.size and x.shape[1] != dim:
        raise JixiaoError(f"向量维数 {x.shape[1]} 与索引维数 {dim} 不一致")
    if x.size == 0 and dim is not None:
        x = x.reshape(0, dim)
    return x
