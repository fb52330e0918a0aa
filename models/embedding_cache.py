"""Encode each text once: an Embedder wrapper with an in-memory and an on-disk cache.

Goal tables repeat themselves (the same indicator names, values and goal sentences come
back in table after table and in every index rebuild), and a transformer forward pass is
the most expensive thing this project does. Vectors are keyed by (model, kind, text) and
kept in a dict plus one SQLite file per model under ``settings.embedding_cache_dir``.
SQLite gives atomic commits and safe concurrent readers/writers across processes (WAL),
so a CLI run, the HTTP service and a test can share the same store. If the store cannot
be used (read-only disk, corrupt file), the cache degrades to memory only with one
warning instead of failing the caller.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import threading
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from jixiao.models.embedding_base import Embedder

_SQLITE_VARS = 500  # keys per SELECT, well under SQLite's bound-parameter limit


def _text_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def store_path(cache_dir: Path, model_name: str, dim: int) -> Path:
    """One file per (model, dim); the readable part is for humans, the hash keeps names unique."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_name).strip("_")[-60:] or "model"
    digest = hashlib.blake2b(model_name.encode(), digest_size=4).hexdigest()
    return Path(cache_dir) / f"{slug}-{digest}-{dim}d.sqlite"


class VectorStore:
    """The on-disk half: (kind, text hash) -> float32 vector, one SQLite file."""

    def __init__(self, path: Path, dim: int):
        self.path = Path(path)
        self.dim = dim
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (kind TEXT NOT NULL, key BLOB NOT NULL, vec BLOB NOT NULL,"
            " PRIMARY KEY (kind, key)) WITHOUT ROWID"
        )

    def get_many(self, kind: str, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        nbytes = self.dim * 4
        for i in range(0, len(keys), _SQLITE_VARS):
            chunk = keys[i : i + _SQLITE_VARS]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE kind = ? AND key IN ({marks})", (kind, *chunk)
            ).fetchall()
            for key, blob in rows:
                if len(blob) == nbytes:  # anything else is damage: re-encode rather than trust it
                    found[bytes(key)] = np.frombuffer(blob, dtype="<f4").copy()
        return found

    def put_many(self, kind: str, items: list[tuple[bytes, np.ndarray]]) -> None:
        if not items:
            return
        rows = [(kind, key, np.asarray(vec, dtype="<f4").tobytes()) for key, vec in items]
        with self._db:  # one transaction: readers see all of it or none of it
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR IGNORE INTO vectors (kind, key, vec) VALUES (?, ?, ?)", rows)

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class CachedEmbedder:
    """An Embedder that asks ``inner`` only for texts it has never seen (per kind).

    Duplicates within one call are encoded once; results are identical in shape and
    order to calling ``inner`` directly.
    """

    def __init__(self, inner: Embedder, cache_dir: Path | None, *, memory_items: int = 200_000):
        self.inner = inner
        self.model_name = inner.model_name
        #: Encoders of one model (torch, onnx, onnx-int8) give slightly different vectors: one store each.
        self.cache_name = getattr(inner, "cache_name", None) or inner.model_name
        self.dim = inner.dim
        self.memory_items = memory_items
        self._memory: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()
        self.encoded_texts = 0  # how many texts reached ``inner``: lets callers and tests see the savings
        self._store: VectorStore | None = None
        if cache_dir is not None:
            try:
                self._store = VectorStore(store_path(Path(cache_dir), self.cache_name, self.dim), self.dim)
            except (sqlite3.Error, OSError) as e:
                self._disk_failed(e)

    @property
    def store(self) -> VectorStore | None:
        return self._store

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query", self.inner.encode_queries)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage", self.inner.encode_passages)

    def _disk_failed(self, error: Exception) -> None:
        warnings.warn(
            f"embedding cache on disk disabled ({type(error).__name__}: {error}); using memory only",
            RuntimeWarning,
            stacklevel=3,
        )
        if self._store is not None:
            with contextlib.suppress(sqlite3.Error):
                self._store.close()
        self._store = None

    def _remember(self, kind: str, text: str, vec: np.ndarray) -> None:
        if len(self._memory) >= self.memory_items:
            self._memory.pop(next(iter(self._memory)))  # oldest first
        self._memory[(kind, text)] = vec

    def _encode(self, texts: list[str], kind: str, encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        with self._lock:
            missing: dict[str, list[int]] = {}  # unique unseen text -> rows wanting it
            for i, text in enumerate(texts):
                vec = self._memory.get((kind, text))
                if vec is not None:
                    out[i] = vec
                else:
                    missing.setdefault(text, []).append(i)
            if missing and self._store is not None:
                keys = {text: _text_key(text) for text in missing}
                try:
                    found = self._store.get_many(kind, list(keys.values()))
                except sqlite3.Error as e:
                    self._disk_failed(e)
                    found = {}
                for text in [t for t in missing if keys[t] in found]:
                    vec = found[keys[text]]
                    self._remember(kind, text, vec)
                    out[missing.pop(text)] = vec
        if not missing:
            return out
        # The model call runs outside the lock, so concurrent callers reach the encoder
        # together (where dynamic batching can merge them) instead of queueing here.
        todo = list(missing)
        vecs = np.asarray(encode(todo), dtype=np.float32)
        if vecs.shape != (len(todo), self.dim):
            raise ValueError(f"{self.model_name}: expected {(len(todo), self.dim)} vectors, got {vecs.shape}")
        with self._lock:
            self.encoded_texts += len(todo)
            for text, vec in zip(todo, vecs, strict=True):
                vec = vec.copy()
                self._remember(kind, text, vec)
                out[missing[text]] = vec
            if self._store is not None:
                try:
                    self._store.put_many(kind, [(_text_key(t), v) for t, v in zip(todo, vecs, strict=True)])
                except sqlite3.Error as e:
                    self._disk_failed(e)
        return out
