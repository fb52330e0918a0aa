"""BM25 over jieba tokens, with a user dictionary of domain terms mined from the corpus.

jieba's stock dictionary splits the words this domain lives on (``知晓率``, ``满意度``,
``医疗救助``, ``参保率``) into pieces that match unrelated indicators. Frequent n-grams
of the corpus's own indicator and project names are the terms drafters actually write,
so they are added to a *private* ``jieba.Tokenizer``: the global one is shared with the
rest of the process and must not change under other callers.

Scoring is a sparse matrix of precomputed BM25 term weights (documents x vocabulary);
a query sums a few columns. That stays fast at hundreds of thousands of documents, where
``rank_bm25`` loops over every document in Python per query term.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import jieba
import numpy as np
from scipy import sparse

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.taxonomy import LEVEL1_NAMES, TIERS

jieba.setLogLevel(logging.WARNING)

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_TOKEN_OK = re.compile(r"[\u4e00-\u9fff0-9a-z]")
_STOPWORDS = {"的", "和", "及", "与", "或", "等", "对", "在", "为", "了", "是", "有", "其", "各", "之"}
#: Words of the category names themselves and common indicator heads: always terms.
_FIXED_TERMS = (
    "满意度",
    "知晓率",
    "合格率",
    "覆盖率",
    "完成率",
    "及时率",
    "达标率",
    "参保率",
    "到位率",
    "使用率",
    "执行率",
    "发放率",
    "受益人数",
    "服务对象",
    "可持续影响",
    "社会效益",
    "经济效益",
    "生态效益",
)


def category_terms() -> list[str]:
    names = set(LEVEL1_NAMES.values())
    for t in TIERS.values():
        names.add(t.level2)
        names.add(t.level2.removesuffix("指标"))
    return sorted(names | set(_FIXED_TERMS))


def mine_terms(
    texts: Iterable[str], min_df: int = 3, max_words: int = 3, max_len: int = 8, limit: int = 3000
) -> list[str]:
    """Frequent compounds of 2..``max_words`` consecutive jieba words in the given (unique) texts.

    Working on word sequences, not raw character n-grams, keeps term edges on word
    boundaries: a character n-gram such as ``助对象`` (from ``救助对象``) is frequent too
    and would break ``医疗救助`` apart once in the dictionary. A compound is dropped when a
    longer kept compound containing it is as frequent (it never occurs on its own).
    """
    df: Counter[str] = Counter()
    for text in texts:
        grams: set[str] = set()
        for run in _CJK_RUN.findall(normalize_text(text)):
            words = jieba.lcut(run)
            for n in range(2, max_words + 1):
                for i in range(len(words) - n + 1):
                    seq = words[i : i + n]
                    if seq[0] in _STOPWORDS or seq[-1] in _STOPWORDS:
                        continue
                    g = "".join(seq)
                    if len(g) <= max_len:
                        grams.add(g)
        df.update(grams)
    frequent = {g: c for g, c in df.items() if c >= min_df}
    subsumed: set[str] = set()
    for h, c in frequent.items():
        for i in range(len(h)):
            for j in range(i + 2, len(h) + 1 - (i == 0)):
                g = h[i:j]
                if frequent.get(g, 0) and frequent[g] <= c:
                    subsumed.add(g)
    kept = [g for g in frequent if g not in subsumed]
    kept.sort(key=lambda g: (-frequent[g] * len(g), g))
    return kept[:limit]


def make_tokenizer(terms: Sequence[str]) -> jieba.Tokenizer:
    """A private jieba tokenizer that knows the domain terms (never touches jieba's global one).

    It starts from a copy of the global tokenizer's stock dictionary (which the drafter
    uses as it is), so the dictionary is read from disk once per process, not twice:
    each read takes about a second of start-up or of a first request.
    """
    tok = jieba.Tokenizer()
    jieba.dt.check_initialized()
    with jieba.dt.lock:
        tok.FREQ, tok.total = dict(jieba.dt.FREQ), jieba.dt.total
    tok.initialized = True
    for term in terms:
        # A frequency above what the stock dictionary gives common words makes jieba keep
        # the term whole, while cut_for_search still yields its dictionary sub-words.
        tok.add_word(term, freq=max(tok.FREQ.get(term, 0), 5000))
    return tok


def tokenize(tok: jieba.Tokenizer, text: str) -> list[str]:
    """Search-mode tokens of the normalised text, minus punctuation and stop words."""
    t = normalize_text(text).lower()
    if not t:
        return []
    return [w for w in tok.lcut_for_search(t) if w.strip() and w not in _STOPWORDS and _TOKEN_OK.search(w)]


class BM25Index:
    """Okapi BM25 over pre-tokenised documents (Lucene idf: never negative)."""

    def __init__(self, vocab: dict[str, int], weights: sparse.csc_matrix, k1: float, b: float):
        self.vocab = vocab
        self.weights = weights
        self.k1 = k1
        self.b = b

    @property
    def n_docs(self) -> int:
        return self.weights.shape[0]

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> BM25Index:
        vocab: dict[str, int] = {}
        rows, cols = [], []
        for d, tokens in enumerate(docs):
            for w in tokens:
                rows.append(d)
                cols.append(vocab.setdefault(w, len(vocab)))
        n = len(docs)
        tf = sparse.coo_matrix(
            (
                np.ones(len(rows), dtype=np.float32),
                (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)),
            ),
            shape=(n, max(len(vocab), 1)),
        ).tocsr()
        tf.sum_duplicates()
        dl = np.asarray(tf.sum(axis=1)).ravel().astype(np.float32)
        avgdl = float(dl.mean()) if n and dl.mean() > 0 else 1.0
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float64)
        idf = np.log((n - df + 0.5) / (df + 0.5) + 1.0).astype(np.float32)
        norm = k1 * (1 - b + b * dl / avgdl)
        row_of = np.repeat(np.arange(n), np.diff(tf.indptr))
        data = tf.data
        tf.data = idf[tf.indices] * data * (k1 + 1) / (data + norm[row_of])
        return cls(vocab, tf.tocsc(), k1, b)

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """Each document's score: its weights of the query's distinct terms, added term by term.

        Read straight from the CSC arrays (a column's rows are distinct): scipy's column
        slice and sum gave the same float32 sums at twice the cost, twice in every suggest.
        """
        ids = sorted({self.vocab[w] for w in query_tokens if w in self.vocab})
        out = np.zeros(self.n_docs, dtype=np.float32)
        w = self.weights
        for i in ids:
            start, end = w.indptr[i], w.indptr[i + 1]
            out[w.indices[start:end]] += w.data[start:end]
        return out

    def search(self, query_tokens: Sequence[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (doc ids, scores), best first; documents scoring 0 are left out."""
        s = self.scores(query_tokens)
        if s.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, s.size)
        top = np.argpartition(-s, k - 1)[:k]
        top = top[np.argsort(-s[top], kind="stable")]
        top = top[s[top] > 0]
        return top, s[top]

    def save(self, directory: Path, prefix: str) -> None:
        sparse.save_npz(directory / f"{prefix}.bm25.npz", self.weights.tocsr(), compressed=False)
        (directory / f"{prefix}.bm25.json").write_text(
            json.dumps({"k1": self.k1, "b": self.b, "vocab": self.vocab}, ensure_ascii=False),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path, prefix: str) -> BM25Index:
        meta = json.loads((directory / f"{prefix}.bm25.json").read_text(encoding="utf-8"))
        weights = sparse.load_npz(directory / f"{prefix}.bm25.npz").tocsc()
        return cls(meta["vocab"], weights, meta["k1"], meta["b"])
