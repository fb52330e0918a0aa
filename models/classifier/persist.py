"""Saving and loading a fitted approach: a folder with ``model.pkl`` and ``meta.json``.

Pickle, because the artifacts are written and read by this package only (scikit-learn
heads, numpy arrays); ``meta.json`` is what a human or ``load_shipped`` reads first to
know what the folder holds without unpickling it. Writes go to a temporary folder that
is renamed into place, so a crash never leaves half an artifact behind.
"""

from __future__ import annotations

import json
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jixiao.errors import JixiaoError
from jixiao.models.folders import swap_in

MODEL_FILE = "model.pkl"
META_FILE = "meta.json"
FORMAT = 1


def save_model(model: Any, path: Path, meta: dict[str, Any] | None = None) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        info = {
            "format": FORMAT,
            "approach": getattr(model, "approach", type(model).__name__),
            "class": f"{type(model).__module__}.{type(model).__qualname__}",
            "embedding_model": getattr(model, "embedder_name", None),
            "classes": list(getattr(model, "classes", [])),
            **(meta or {}),
        }
        with (tmp / MODEL_FILE).open("wb") as f:
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        if hasattr(model, "save_extra"):  # parts that are folders of their own (a tuned encoder)
            model.save_extra(tmp)
        (tmp / META_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
        swap_in(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_meta(path: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise JixiaoError(f"{path}：分类器元数据无法读取（{e.__class__.__name__}）；请运行 `jixiao train`") from e


def load_model(path: Path, expected: type | None = None, embedder: Any = None) -> Any:
    path = Path(path)
    meta = read_meta(path)
    if meta.get("format") != FORMAT:
        raise JixiaoError(f"{path}：分类器格式 {meta.get('format')} 不是 {FORMAT}；请运行 `jixiao train` 重新训练")
    try:
        with (path / MODEL_FILE).open("rb") as f:
            model = pickle.load(f)
    except (OSError, pickle.UnpicklingError, AttributeError, ModuleNotFoundError, EOFError) as e:
        raise JixiaoError(f"{path}：无法加载分类器（{e.__class__.__name__}）；请运行 `jixiao train` 重新训练") from e
    if hasattr(model, "load_extra"):
        model.load_extra(path)
    if expected is not None and not isinstance(model, expected):
        raise JixiaoError(f"{path}: holds a {type(model).__name__}, not a {expected.__name__}")
    if embedder is not None and hasattr(model, "_embedder"):
        model._embedder = embedder
        model.embedder_name = embedder.model_name
    return model
