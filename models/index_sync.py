"""Bring the saved index in line with the corpus store: load, catch up, or rebuild.

The index records the ids of the tables it holds, so after a crash (or another worker's
additions) the tables it lacks are exactly the store's tables missing from it: those
are added incrementally. Only when the store no longer holds what the index holds (the
packaged data was rebuilt) or the index cannot be read is it rebuilt from scratch. The
caller logs which of the three happened.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from jixiao.corpus.store import CorpusSnapshot
from jixiao.errors import JixiaoError
from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.embedding_base import Embedder

log = logging.getLogger("jixiao.models.index")


# ``how`` stays a stable ASCII id (tests and callers compare it); logs show the title.
HOW_TITLES = {"loaded": "已加载", "caught up": "已补齐", "rebuilt": "已重建"}


@dataclass(frozen=True)
class SyncResult:
    index: CorpusIndex
    how: str  # loaded | caught up | rebuilt
    detail: str = ""

    @property
    def title(self) -> str:
        """``how`` in Chinese, with the detail: what the log and the CLI show."""
        head = HOW_TITLES.get(self.how, self.how)
        return f"{head}（{self.detail}）" if self.detail else head


@contextmanager
def save_lock(index_dir: Path) -> Iterator[None]:
    """Serialise index saves across processes: two workers never swap folders at once."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".save.lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def save_index(index: CorpusIndex, index_dir: Path) -> None:
    with save_lock(index_dir):
        index.save(index_dir)


def _as_int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def sync_index(
    index_dir: Path,
    embedder: Embedder,
    snapshot: CorpusSnapshot,
    *,
    kind: str,
    rebuild: bool = True,
    progress: bool = False,
) -> SyncResult:
    """The index for ``snapshot``: loaded as is, caught up with the tables it lacks, or rebuilt."""
    version = str(snapshot.version)
    reason = ""
    try:
        index = CorpusIndex.load(index_dir, corpus_version=None, model_name=embedder.model_name, dim=embedder.dim)
        built_at = _as_int(index.meta.corpus_version)
        store_ids = {t.id for t in snapshot.tables}
        held = set(index.tables.ids)
        if built_at is None or built_at < snapshot.base_version:
            reason = f"索引建于语料库版本 {index.meta.corpus_version}，早于语料库重建"
        elif not held <= store_ids:
            reason = f"索引中有 {len(held - store_ids)} 张表已不在语料库中"
        else:
            missing = [t for t in snapshot.tables if t.id not in held]
            if not missing:
                index.meta.corpus_version = version
                return SyncResult(index, "loaded")
            index.add_tables(missing, embedder, corpus_version=version)
            save_index(index, index_dir)
            return SyncResult(index, "caught up", f"自版本 {built_at} 以来新增 {len(missing)} 张表")
    except JixiaoError as e:  # missing, another model, unreadable files
        reason = str(e)
    if not rebuild:
        raise JixiaoError(f"索引 {index_dir} 与语料库不一致：{reason}")
    log.info("正在构建索引（%s）", reason)
    index = CorpusIndex.build(snapshot.tables, embedder, corpus_version=version, kind=kind, progress=progress)
    save_index(index, index_dir)
    return SyncResult(index, "rebuilt", reason)
