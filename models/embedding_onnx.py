"""The same sentence-transformers model, exported to ONNX and run with ONNX Runtime.

Every suggest and classify request waits on one encoder forward pass. Through torch and
sentence-transformers a single e5-small query costs 25-70 ms on this CPU; the same graph
in ONNX Runtime costs about a third of that, and with int8 dynamic quantisation of the
weights (per output channel, activations quantised on the fly) about a seventh. The
export is made once from the loaded sentence-transformers model and kept beside the
other artifacts; after that the service loads ONNX Runtime and the tokenizer only, with
no torch import, which is also what makes a warm restart fast.

The graph includes pooling and L2 normalisation, so its output is the sentence vector.
The tokenizer saved beside it is the one sentence-transformers actually uses (its
``backend_tokenizer``), so token ids are identical to the torch path.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jixiao.models.embedding_passes import plan_batches
from jixiao.models.folders import swap_in
from jixiao.settings import ENCODERS

__all__ = ["ENCODERS", "OnnxEmbedder", "ensure_export"]

log = logging.getLogger("jixiao.models.embedding_onnx")

MARKER = "onnx_export.json"
EXPORT_VERSION = 1
FP32_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
OPSET = 17
#: At most this many texts per forward pass (``embedding_passes.plan_batches`` cuts the passes
#: by length). Sixteen short texts keep a layer's activations in cache; 32 and 64 measured slower.
BATCH_SIZE = 16


@dataclass(frozen=True)
class ExportInfo:
    """What the marker file records: enough to tell a stale export from a current one."""

    source: str
    fingerprint: str
    dim: int
    max_length: int
    pooling: str
    prompts: dict[str, str]
    pad_id: int
    version: int = EXPORT_VERSION


def source_fingerprint(folder: Path) -> str:
    """Names, sizes and mtimes of the model folder's top-level files: a re-conversion changes it."""
    h = hashlib.blake2b(digest_size=8)
    for p in sorted(folder.iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def export_dir(models_dir: Path, source: Path) -> Path:
    """One export folder per source model folder, under ``$JIXIAO_HOME/models/onnx``."""
    digest = hashlib.blake2b(str(source.resolve()).encode(), digest_size=4).hexdigest()
    return models_dir / "onnx" / f"{source.name}-{digest}"


def read_export(folder: Path) -> ExportInfo | None:
    try:
        data = json.loads((folder / MARKER).read_text())
        info = ExportInfo(**data)
    except (OSError, ValueError, TypeError):
        return None
    if info.version != EXPORT_VERSION:
        return None
    if not all((folder / f).is_file() for f in (FP32_FILE, INT8_FILE, TOKENIZER_FILE)):
        return None
    return info


def current_export(models_dir: Path, source: Path) -> Path | None:
    """The export folder of ``source`` if it is complete and made from the current files."""
    folder = export_dir(models_dir, source)
    info = read_export(folder)
    if info is None or info.fingerprint != source_fingerprint(source):
        return None
    return folder


def _pooling_mode(st_model) -> str:  # noqa: ANN001 - a SentenceTransformer
    """'mean' or 'cls'; anything else cannot be exported (the caller falls back to torch)."""
    for module in st_model:
        if type(module).__name__ != "Pooling":
            continue
        mode = getattr(module, "pooling_mode", None)  # sentence-transformers ≥ 6
        if mode is None:
            mode = module.get_pooling_mode_str()  # older releases
        mode = mode[0] if isinstance(mode, list | tuple) and len(mode) == 1 else mode
        if mode in ("mean", "cls"):
            return mode
        raise ValueError(f"pooling {mode!r} is not supported by the ONNX export")
    raise ValueError("the model has no Pooling module")


def export_onnx(st_model, source: Path, dest: Path) -> Path:  # noqa: ANN001 - a SentenceTransformer
    """Write fp32 and int8 ONNX graphs plus the tokenizer into ``dest`` (swapped in whole)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from jixiao.models.embedding import embedding_dimension

    t0 = time.perf_counter()
    pooling = _pooling_mode(st_model)
    transformer = st_model[0].auto_model.eval()
    pad_id = st_model.tokenizer.pad_token_id
    pad_id = 0 if pad_id is None else int(pad_id)

    class Encoder(torch.nn.Module):
        def __init__(self, model):  # noqa: ANN001
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):  # noqa: ANN001, ANN202
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if pooling == "cls":
                vec = hidden[:, 0]
            else:
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(vec, p=2.0, dim=1)

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        ids = torch.tensor([[0, 100, 200, 2], [0, 5, 2, pad_id]])
        mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
        dynamic = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
        # The tracer warns (in English) about Python branches in the attention code; the
        # parity test against torch (cosine >= 0.99) is what shows the graph is right.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Encoder(transformer),
                (ids, mask),
                str(tmp / FP32_FILE),
                input_names=["input_ids", "attention_mask"],
                output_names=["embedding"],
                dynamic_axes={**dynamic, "embedding": {0: "batch"}},
                opset_version=OPSET,
                dynamo=False,
            )
        log.info("已把 %s 导出为 ONNX，用时 %.1f 秒；正在量化为 int8", source.name, time.perf_counter() - t0)
        # Per-channel weights: per-tensor int8 drops the worst cosine to ~0.986, per-channel keeps it ≥ 0.99.
        with _quiet_root_logger():
            quantize_dynamic(
                str(tmp / FP32_FILE), str(tmp / INT8_FILE), weight_type=QuantType.QInt8, per_channel=True
            )
        (tmp / TOKENIZER_FILE).write_text(st_model.tokenizer.backend_tokenizer.to_str())
        info = ExportInfo(
            source=str(source.resolve()),
            fingerprint=source_fingerprint(source),
            dim=int(embedding_dimension(st_model)),
            max_length=int(st_model.max_seq_length),
            pooling=pooling,
            prompts=dict(st_model.prompts or {}),
            pad_id=pad_id,
        )
        (tmp / MARKER).write_text(json.dumps(info.__dict__, ensure_ascii=False, indent=1))
        swap_in(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("ONNX 模型已就绪，用时 %.1f 秒：%s", time.perf_counter() - t0, dest)
    return dest


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    """The quantiser logs a line per tensor on the root logger, and one English warning that
    advises pre-processing (not needed: the parity test checks the int8 graph); keep its errors."""

    def drop_info(record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR

    root = logging.getLogger()
    root.addFilter(drop_info)  # a logger's filter sees only records logged on it, not propagated ones
    try:
        yield
    finally:
        root.removeFilter(drop_info)


def ensure_export(models_dir: Path, source: Path, load_st) -> Path:  # noqa: ANN001 - () -> SentenceTransformer
    """The current export of ``source``, exporting it (once, under a file lock) when missing."""
    folder = current_export(models_dir, source)
    if folder is not None:
        return folder
    dest = export_dir(models_dir, source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{dest.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            folder = current_export(models_dir, source)
            if folder is None:
                folder = export_onnx(load_st(), source, dest)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


class OnnxEmbedder:
    """The ``Embedder`` contract over an exported graph: tokenizers + ONNX Runtime, no torch.

    Each forward pass runs on one thread, and ``threads`` passes run side by side (ONNX
    Runtime releases the GIL), fed from one queue per embedder. For the short texts this
    project encodes, a pass split over two cores spends much of its time synchronising
    them: on two quiet cores, two single-threaded passes at once encoded 350-390 texts/s
    of corpus rows against 170-300 for one pass on two threads, and a query costs less than
    half the CPU time. The queue also bounds the passes of all concurrent requests
    together, so 32 clients never start 32 passes on 2 cores.
    """

    def __init__(self, folder: Path, model_name: str, *, int8: bool, threads: int = 2):
        from tokenizers import Tokenizer

        info = read_export(folder)
        if info is None:
            raise ValueError(f"{folder} is not a complete ONNX export")
        self.model_name = model_name
        self.encoder = "onnx-int8" if int8 else "onnx"
        #: The embedding cache keeps each encoder's vectors apart (they differ by up to 1 %).
        self.cache_name = f"{model_name}#{self.encoder}"
        self.dim = info.dim
        self.prompts = dict(info.prompts)
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=info.max_length)
        self._graph = str(folder / (INT8_FILE if int8 else FP32_FILE))
        self.session = _session(self._graph, 1)
        self.pad_id = info.pad_id
        self.source = Path(info.source)
        self._torch_model = None
        self._torch_lock = threading.Lock()
        self.threads = max(1, int(threads))
        self._passes = ThreadPoolExecutor(self.threads, thread_name_prefix="jixiao-onnx")
        #: The same graph on every core, for a lone text on an idle server (a suggest query):
        #: made on first use, it costs about 120 MB and makes such a query about 1.5x faster.
        self._solo = None
        self._solo_lock = threading.Lock()
        self._in_flight = 0
        self._count_lock = threading.Lock()

    @property
    def model(self):  # noqa: ANN201 - a SentenceTransformer
        """The same model in sentence-transformers, loaded on first use, for code that trains it.

        SetFit fine-tunes the encoder's torch weights; serving never touches this, so
        torch is imported only when something asks.
        """
        with self._torch_lock:
            if self._torch_model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                from jixiao.models.embedding import quiet_transformers

                quiet_transformers()
                self._torch_model = SentenceTransformer(str(self.source), device="cpu", local_files_only=True)
                self._torch_model.to(torch.float32)
                self._torch_model.prompts = {**(self._torch_model.prompts or {}), **self.prompts}
            return self._torch_model

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage")

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        prefix = self.prompts.get(kind, "")
        encodings = self.tokenizer.encode_batch([prefix + t for t in texts])
        batches = plan_batches([len(e.ids) for e in encodings], BATCH_SIZE, self.threads)
        if len(batches) == 1 and self.threads > 1 and self._enter_alone():
            try:
                out[batches[0]] = self._forward([encodings[i] for i in batches[0]], self._solo_session())
            finally:
                self._leave()
            return out
        passes = self._passes.map(self._run, [[encodings[i] for i in rows] for rows in batches])
        for rows, vecs in zip(batches, passes, strict=True):
            out[rows] = vecs
        return out

    def _enter_alone(self) -> bool:
        """Count a pass in, if no other pass is running (then it may use every core)."""
        with self._count_lock:
            if self._in_flight:
                return False
            self._in_flight += 1
            return True

    def _leave(self) -> None:
        with self._count_lock:
            self._in_flight -= 1

    def _solo_session(self):  # noqa: ANN202 - an InferenceSession
        with self._solo_lock:
            if self._solo is None:
                self._solo = _session(self._graph, self.threads)
            return self._solo

    def _run(self, encodings: list) -> np.ndarray:
        """One single-threaded pass from the queue."""
        with self._count_lock:
            self._in_flight += 1
        try:
            return self._forward(encodings, self.session)
        finally:
            self._leave()

    def _forward(self, encodings: list, session) -> np.ndarray:  # noqa: ANN001 - an InferenceSession
        """One forward pass over texts of similar length, padded to the longest."""
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for r, e in enumerate(encodings):
            n = len(e.ids)
            ids[r, :n] = e.ids
            mask[r, :n] = 1
        (vecs,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
        return vecs


def _session(path: str, threads: int):  # noqa: ANN202 - an InferenceSession
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
