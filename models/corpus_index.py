"""The persisted retrieval index of one corpus under one embedding model.

What is indexed are *distinct texts*: indicator names and project texts (name + goal).
Drafters copy last year's table, so the same names recur across thousands of tables;
embedding and searching each distinct text once, then expanding hits to the rows that
use it (postings), keeps build time, memory and query time proportional to the
vocabulary of the corpus rather than to its row count.

Rows are stored column-wise in numpy arrays (table, name, tier, value per indicator
row) instead of a million small Python objects, for the same reason.

On disk (``settings.index_dir``) every build is a fresh sub-directory written under a
temporary name, renamed when complete, and made current by atomically replacing the
``CURRENT`` pointer file: a crash mid-build leaves the previous index untouched and no
partial index that could be loaded. ``meta.json`` records the corpus version and the
model (name, dim); loading checks both, because vectors of another model or rows of
another corpus would give wrong answers without any error.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from jixiao.corpus.normalize import name_key, normalize_text, normalize_value
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import TIERS
from jixiao.errors import JixiaoError
from jixiao.models.bm25 import BM25Index, category_terms, make_tokenizer, mine_terms, tokenize
from jixiao.models.embedding_base import Embedder
from jixiao.models.hybrid import FusionConfig, Hit, fuse
from jixiao.models.vector_index import VectorIndex, factory_string

FORMAT_VERSION = 1
CODES: tuple[str, ...] = tuple(TIERS)
#: Project texts longer than this are cut before embedding: the head of a goal says what
#: the project is; the tail is detail that only dilutes the vector.
PROJECT_TEXT_CHARS = 400
#: How many corpus-wide most used indicators to keep per tier (the weak fill).
GENERAL_PER_TIER = 10
CURRENT = "CURRENT"


class IndexMissingError(JixiaoError):
    """No index has been built in the index directory yet."""


class IndexMismatchError(JixiaoError):
    """The stored index was built for another corpus, model or format: using it would mislead."""


@dataclass
class IndexMeta:
    corpus_version: str
    model_name: str
    dim: int
    index_kind: str
    n_tables: int = 0
    n_indicators: int = 0
    n_indicator_texts: int = 0
    n_project_texts: int = 0
    built_at: str = ""
    format: int = FORMAT_VERSION
    #: Tier code → [[indicator text id, tables using it], ...], most used first.
    general: dict[str, list[list[int]]] = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)


@dataclass
class TableColumns:
    ids: list[str]
    projects: list[str | None]
    departments: list[str | None]
    goals: list[str | None]
    amounts: np.ndarray  # float64, nan when unknown
    years: np.ndarray  # int32, 0 when unknown
    text: np.ndarray  # int32 project text id


@dataclass
class IndicatorColumns:
    """Rows sorted by table, so one table's rows are a contiguous slice."""

    table: np.ndarray  # int32
    name: np.ndarray  # int32 indicator text id
    code: np.ndarray  # int8 index into CODES, -1 when the tier is unknown
    value: np.ndarray  # int32 index into values, -1 when empty


class IndexRow(NamedTuple):
    """One indicator row as callers see it, so they never index the columns themselves.

    A named tuple, not a frozen dataclass: the drafter reads about 150 rows a query, and
    building a frozen dataclass cost three times as much.
    """

    row: int
    table: int
    name_id: int
    name: str
    code: str | None
    value: str | None


@dataclass(frozen=True)
class IndexTable:
    """One table's project facts as callers see them (amount/year None when unknown)."""

    table: int
    id: str
    project: str | None
    department: str | None
    goal: str | None
    amount: float | None
    year: int | None
    text_id: int


class Postings:
    """Text id → the row ids using it (CSR), rebuilt from the row → text column."""

    def __init__(self, text_of_row: np.ndarray, n_texts: int):
        order = np.argsort(text_of_row, kind="stable")
        counts = np.bincount(text_of_row, minlength=n_texts)
        self.offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.rows = order.astype(np.int64)

    def __call__(self, text_id: int) -> np.ndarray:
        return self.rows[self.offsets[text_id] : self.offsets[text_id + 1]]

    def count(self, text_id: int) -> int:
        return int(self.offsets[text_id + 1] - self.offsets[text_id])


def project_text(t: GoalTable) -> str:
    return normalize_text(" ".join(x for x in (t.project, t.goal) if x))[:PROJECT_TEXT_CHARS] or t.id


def indicator_code(code: str | None) -> int:
    return CODES.index(code) if code in TIERS else -1


@lru_cache(maxsize=4)
def _tokenizer(terms: tuple[str, ...]):
    return make_tokenizer(terms)


class _Interner:
    def __init__(self, dedupe: bool = True, items: Sequence[str] = ()):
        self.dedupe = dedupe
        self.items = list(items)
        self.ids = {s: i for i, s in enumerate(self.items)}

    def __call__(self, s: str) -> int:
        if not self.dedupe:
            self.items.append(s)
            return len(self.items) - 1
        i = self.ids.get(s)
        if i is None:
            i = self.ids[s] = len(self.items)
            self.items.append(s)
        return i


def encode_texts(
    embedder: Embedder, texts: Sequence[str], batch_size: int = 64, progress: bool = False, desc: str = ""
) -> np.ndarray:
    """Passage vectors for (already distinct) texts, in batches, with a progress bar."""
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    with tqdm(total=len(texts), desc=desc, unit="条", file=sys.stderr, disable=not progress) as bar:
        for i in range(0, len(texts), batch_size):
            batch = list(texts[i : i + batch_size])
            out[i : i + len(batch)] = embedder.encode_passages(batch)
            bar.update(len(batch))
    return out


class CorpusIndex:
    def __init__(
        self,
        meta: IndexMeta,
        tables: TableColumns,
        rows: IndicatorColumns,
        ind_texts: list[str],
        proj_texts: list[str],
        values: list[str],
        ind_dense: VectorIndex,
        proj_dense: VectorIndex,
        ind_tokens: list[list[str]],
        proj_tokens: list[list[str]],
        ind_bm25: BM25Index | None = None,
        proj_bm25: BM25Index | None = None,
    ):
        self.meta = meta
        self.tables = tables
        self.rows = rows
        self.ind_texts = ind_texts
        self.proj_texts = proj_texts
        self.values = values
        self.ind_dense = ind_dense
        self.proj_dense = proj_dense
        self.ind_tokens = ind_tokens
        self.proj_tokens = proj_tokens
        self.ind_bm25 = ind_bm25 or BM25Index.build(ind_tokens)
        self.proj_bm25 = proj_bm25 or BM25Index.build(proj_tokens)
        #: Seconds per build stage (read, tokenise, embed, index), for the benchmarks.
        self.build_stats: dict[str, float] = {}
        self._derive()

    # ---- building -------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        tables: Iterable[GoalTable],
        embedder: Embedder,
        *,
        corpus_version: str,
        kind: str = "auto",
        progress: bool = False,
        batch_size: int = 64,
        terms: Sequence[str] | None = None,
        dedupe: bool = True,
        encoder: Callable[[list[str], str], np.ndarray] | None = None,
    ) -> CorpusIndex:
        """Index ``tables``. Each distinct text is tokenised and embedded once.

        ``dedupe=False`` indexes every row's text separately (the naive baseline the
        benchmark compares against); ``encoder(texts, desc)`` replaces the embedder's
        passage encoding (the benchmark's replay of known vectors).
        """
        factory_string(kind, 1)  # an unknown kind fails now, not after the embedding
        clock = time.perf_counter()
        stats: dict[str, float] = {}
        cols = _columns(tables, _Interner(dedupe), _Interner(dedupe), _Interner(), progress)
        tcols, rcols, ind_in, proj_in, val_in = cols
        stats["read_s"] = time.perf_counter() - clock
        if terms is None:
            unique = list(dict.fromkeys(ind_in.items + [t for t in tcols.projects if t]))
            terms = mine_terms(unique) + category_terms()
        tok = _tokenizer(tuple(terms))
        cache: dict[str, list[str]] = {}

        def tokens(s: str) -> list[str]:
            if not dedupe:
                return tokenize(tok, s)
            got = cache.get(s)
            if got is None:
                got = cache[s] = tokenize(tok, s)
            return got

        ind_tokens = [
            tokens(s) for s in tqdm(ind_in.items, desc="分词", unit="条", file=sys.stderr, disable=not progress)
        ]
        proj_tokens = [tokens(s) for s in proj_in.items]
        stats["tokenise_s"] = time.perf_counter() - clock - stats["read_s"]
        if encoder is None:

            def encoder(texts: list[str], desc: str) -> np.ndarray:
                return encode_texts(embedder, texts, batch_size, progress, desc)

        mark = time.perf_counter()
        ind_vecs = encoder(ind_in.items, "编码指标名称")
        proj_vecs = encoder(proj_in.items, "编码项目文本")
        stats["embed_s"] = time.perf_counter() - mark
        meta = IndexMeta(
            corpus_version=corpus_version,
            model_name=embedder.model_name,
            dim=int(embedder.dim),
            index_kind=kind,
            terms=list(terms),
        )
        mark = time.perf_counter()
        index = cls(
            meta,
            tcols,
            rcols,
            ind_in.items,
            proj_in.items,
            val_in.items,
            VectorIndex.build(ind_vecs, kind, dim=embedder.dim),
            VectorIndex.build(proj_vecs, kind, dim=embedder.dim),
            ind_tokens,
            proj_tokens,
        )
        stats["index_s"] = time.perf_counter() - mark
        stats["total_s"] = time.perf_counter() - clock
        index.build_stats = stats
        return index

    def add_tables(self, tables: Sequence[GoalTable], embedder: Embedder, *, corpus_version: str) -> None:
        """Append tables in place: only texts never seen before are embedded and added."""
        self._check_model(embedder)
        self._derived.clear()  # patterns and word statistics are rebuilt on the grown corpus
        ind_in, proj_in, val_in = (
            _Interner(items=self.ind_texts),
            _Interner(items=self.proj_texts),
            _Interner(items=self.values),
        )
        n_ind, n_proj = len(ind_in.items), len(proj_in.items)
        tcols, rcols, *_ = _columns(tables, ind_in, proj_in, val_in, False, table_offset=len(self.tables.ids))
        tok = _tokenizer(tuple(self.meta.terms))
        new_ind, new_proj = ind_in.items[n_ind:], proj_in.items[n_proj:]
        # Everything that can fail (encoding) happens before the first mutation.
        ind_vecs, proj_vecs = encode_texts(embedder, new_ind), encode_texts(embedder, new_proj)
        self.ind_tokens.extend(tokenize(tok, s) for s in new_ind)
        self.proj_tokens.extend(tokenize(tok, s) for s in new_proj)
        self.ind_dense.add(ind_vecs)
        self.proj_dense.add(proj_vecs)
        t = self.tables
        self.tables = TableColumns(
            t.ids + tcols.ids,
            t.projects + tcols.projects,
            t.departments + tcols.departments,
            t.goals + tcols.goals,
            np.concatenate([t.amounts, tcols.amounts]),
            np.concatenate([t.years, tcols.years]),
            np.concatenate([t.text, tcols.text]),
        )
        r = self.rows
        self.rows = IndicatorColumns(
            *(np.concatenate([getattr(r, f), getattr(rcols, f)]) for f in ("table", "name", "code", "value"))
        )
        self.ind_texts, self.proj_texts, self.values = ind_in.items, proj_in.items, val_in.items
        self.ind_bm25 = BM25Index.build(self.ind_tokens)
        self.proj_bm25 = BM25Index.build(self.proj_tokens)
        self.meta.corpus_version = corpus_version
        self._derive()

    def _derive(self) -> None:
        """Everything computed from the columns: postings, table slices, counts, general indicators."""
        self.ind_postings = Postings(self.rows.name, len(self.ind_texts))
        # Dedup keys of indicator names (suggestion merging); extended, never recomputed.
        keys = getattr(self, "name_keys", [])
        keys.extend(name_key(t) or t for t in self.ind_texts[len(keys) :])
        self.name_keys: list[str] = keys
        self.proj_postings = Postings(self.tables.text, len(self.proj_texts))
        n = len(self.tables.ids)
        counts = np.bincount(self.rows.table, minlength=n)
        self.table_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        m = self.meta
        m.n_tables, m.n_indicators = n, len(self.rows.table)
        m.n_indicator_texts, m.n_project_texts = len(self.ind_texts), len(self.proj_texts)
        m.built_at = m.built_at or datetime.now(UTC).isoformat(timespec="seconds")
        m.general = _general(self.rows, len(self.ind_texts), self.ind_tokens)
        #: Structures other stages derive from the columns (patterns, word statistics),
        #: built once on first use and dropped whenever the columns change.
        self._derived: dict[str, object] = {}

    def derived(self, key: str, build: Callable[[CorpusIndex], object]) -> object:
        """``build(self)``, computed once per index state and shared by every suggester on it."""
        got = self._derived.get(key)
        if got is None:
            got = self._derived[key] = build(self)
        return got

    # ---- queries --------------------------------------------------------------------

    def table_rows(self, t: int) -> np.ndarray:
        return np.arange(self.table_offsets[t], self.table_offsets[t + 1])

    def search(
        self,
        side: str,
        qvec: np.ndarray,
        qtokens: Sequence[str],
        fusion: FusionConfig,
        limit: int | None = None,
    ) -> list[Hit]:
        """Fused dense + BM25 hits over distinct texts of one side (``indicators``/``projects``).

        Every hit carries its dense cosine, computed for BM25-only hits too, so callers
        can report one comparable similarity.
        """
        dense, bm25 = (
            (self.ind_dense, self.ind_bm25) if side == "indicators" else (self.proj_dense, self.proj_bm25)
        )
        d_scores, d_ids = dense.search(qvec, fusion.depth)
        s_ids, s_scores = bm25.search(qtokens, fusion.depth)
        hits = fuse(d_ids[0], d_scores[0], s_ids, s_scores, fusion, limit or fusion.depth)
        missing = [h.id for h in hits if h.dense is None]
        if missing:
            sims = dict(zip(missing, dense.similarities(qvec, np.array(missing)).tolist(), strict=True))
            hits = [h if h.dense is not None else Hit(h.id, h.score, sims[h.id], h.sparse) for h in hits]
        return hits

    def tokenize_query(self, text: str) -> list[str]:
        return tokenize(_tokenizer(tuple(self.meta.terms)), text)

    def row(self, row: int) -> IndexRow:
        r = int(row)
        name_id = int(self.rows.name[r])
        return IndexRow(
            r, int(self.rows.table[r]), name_id, self.ind_texts[name_id], self.code(r), self.value(r)
        )

    def table(self, t: int) -> IndexTable:
        tc, t = self.tables, int(t)
        amount, year = float(tc.amounts[t]), int(tc.years[t])
        return IndexTable(
            t,
            tc.ids[t],
            tc.projects[t],
            tc.departments[t],
            tc.goals[t],
            None if np.isnan(amount) else amount,
            year or None,
            int(tc.text[t]),
        )

    def rows_of_table(self, t: int) -> list[IndexRow]:
        start, stop = int(self.table_offsets[t]), int(self.table_offsets[t + 1])
        return self._rows_at(slice(start, stop), range(start, stop))

    def rows_of_name(self, text_id: int, cap: int | None = None) -> list[IndexRow]:
        """Rows using one distinct indicator name (the first ``cap``: common names have thousands)."""
        ids = self.ind_postings(text_id)[:cap]
        return self._rows_at(ids, ids.tolist())

    def _rows_at(self, at: slice | np.ndarray, numbers: Sequence[int]) -> list[IndexRow]:
        """``row`` for many rows at once (``at`` selects them, ``numbers`` are their row numbers).

        The columns are read as slices, not element by element: the drafter reads about 150
        rows a query, and numpy scalar indexing dominated.
        """
        rows = self.rows
        texts, values = self.ind_texts, self.values
        return [
            IndexRow(r, t, n, texts[n], CODES[c] if c >= 0 else None, values[v] if v >= 0 else None)
            for r, t, n, c, v in zip(
                numbers,
                rows.table[at].tolist(),
                rows.name[at].tolist(),
                rows.code[at].tolist(),
                rows.value[at].tolist(),
                strict=True,
            )
        ]

    def tables_of_project_text(self, text_id: int, cap: int | None = None) -> list[int]:
        return [int(t) for t in self.proj_postings(text_id)[:cap]]

    @property
    def n_tables(self) -> int:
        return len(self.tables.ids)

    def value(self, row: int) -> str | None:
        v = int(self.rows.value[row])
        return self.values[v] if v >= 0 else None

    def code(self, row: int) -> str | None:
        return self.code_of(int(self.rows.code[row]))

    @staticmethod
    def code_of(stored: int) -> str | None:
        """The tier code of a stored code column entry (-1 is unknown)."""
        return CODES[stored] if stored >= 0 else None

    # ---- persistence ----------------------------------------------------------------

    def save(self, index_dir: Path) -> Path:
        """Write a new version directory, then atomically point ``CURRENT`` at it."""
        index_dir.mkdir(parents=True, exist_ok=True)
        name = f"{self.meta.corpus_version}-{_slug(self.meta.model_name)}-{uuid.uuid4().hex[:8]}"
        tmp = index_dir / f".tmp-{name}"
        try:
            tmp.mkdir()
            self._write(tmp)
            final = index_dir / name
            tmp.rename(final)
            pointer = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
            pointer.write_text(name + "\n", encoding="utf-8")
            os.replace(pointer, index_dir / CURRENT)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_stale(index_dir, keep=name)
        return final

    def _write(self, d: Path) -> None:
        (d / "meta.json").write_text(json.dumps(asdict(self.meta), ensure_ascii=False), encoding="utf-8")
        t, r = self.tables, self.rows
        (d / "tables.json").write_text(
            json.dumps(
                {"ids": t.ids, "projects": t.projects, "departments": t.departments, "goals": t.goals},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        (d / "texts.json").write_text(
            json.dumps(
                {
                    "indicators": self.ind_texts,
                    "projects": self.proj_texts,
                    "values": self.values,
                    "indicator_tokens": self.ind_tokens,
                    "project_tokens": self.proj_tokens,
                },
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        with (d / "columns.npz").open("wb") as f:
            np.savez(
                f,
                amounts=t.amounts,
                years=t.years,
                table_text=t.text,
                row_table=r.table,
                row_name=r.name,
                row_code=r.code,
                row_value=r.value,
            )
        self.ind_dense.save(d / "indicators.faiss")
        self.proj_dense.save(d / "projects.faiss")
        self.ind_bm25.save(d, "indicators")
        self.proj_bm25.save(d, "projects")

    @staticmethod
    def current_dir(index_dir: Path) -> Path:
        pointer = index_dir / CURRENT
        if not pointer.exists():
            raise IndexMissingError(f"{index_dir} 中没有检索索引；请运行 `jixiao index build`")
        d = index_dir / pointer.read_text(encoding="utf-8").strip()
        if not (d / "meta.json").exists():
            raise IndexMissingError(f"{pointer} 指向的索引 {d.name} 不存在；请运行 `jixiao index build`")
        return d

    @staticmethod
    def read_meta(index_dir: Path) -> IndexMeta:
        d = CorpusIndex.current_dir(index_dir)
        try:
            return IndexMeta(**json.loads((d / "meta.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as e:  # truncated JSON, a field this version lacks
            raise IndexMismatchError(
                f"{d} 中的索引元数据无法读取（{e.__class__.__name__}）；请运行 `jixiao index build` 重建"
            ) from e

    @classmethod
    def load(
        cls, index_dir: Path, *, corpus_version: str | None, model_name: str | None, dim: int | None = None
    ) -> CorpusIndex:
        """Load the current index, refusing one built for another corpus or model.

        ``None`` for a check skips it (inspection tools); the service always passes both.
        """
        meta = cls.read_meta(index_dir)
        problems = []
        if meta.format != FORMAT_VERSION:
            problems.append(f"格式 {meta.format}（本版本读取 {FORMAT_VERSION}）")
        if model_name is not None and meta.model_name != model_name:
            problems.append(f"嵌入模型 {meta.model_name!r}（当前为 {model_name!r}）")
        if dim is not None and meta.dim != dim:
            problems.append(f"向量维度 {meta.dim}（当前为 {dim}）")
        if corpus_version is not None and meta.corpus_version != corpus_version:
            problems.append(f"语料库版本 {meta.corpus_version}（当前为 {corpus_version}）")
        if problems:
            raise IndexMismatchError(
                f"{index_dir} 中的索引建立时使用的是{'、'.join(problems)}；请运行 `jixiao index build` 重建"
            )
        d = cls.current_dir(index_dir)
        try:
            tj = json.loads((d / "tables.json").read_text(encoding="utf-8"))
            xj = json.loads((d / "texts.json").read_text(encoding="utf-8"))
            with np.load(d / "columns.npz") as z:
                cols = {k: z[k] for k in z.files}
            index = cls(
                meta,
                TableColumns(
                    tj["ids"],
                    tj["projects"],
                    tj["departments"],
                    tj["goals"],
                    cols["amounts"],
                    cols["years"],
                    cols["table_text"],
                ),
                IndicatorColumns(cols["row_table"], cols["row_name"], cols["row_code"], cols["row_value"]),
                xj["indicators"],
                xj["projects"],
                xj["values"],
                VectorIndex.load(d / "indicators.faiss"),
                VectorIndex.load(d / "projects.faiss"),
                xj["indicator_tokens"],
                xj["project_tokens"],
                BM25Index.load(d, "indicators"),
                BM25Index.load(d, "projects"),
            )
        except (OSError, KeyError, ValueError, RuntimeError, zipfile.BadZipFile) as e:
            raise IndexMismatchError(
                f"{d} 中的索引无法读取（{e.__class__.__name__}）；请运行 `jixiao index build` 重建"
            ) from e
        if index.ind_dense.size != len(index.ind_texts) or index.proj_dense.size != len(index.proj_texts):
            raise IndexMismatchError(
                f"{d} 中的索引不一致（向量数与文本数不同）；请运行 `jixiao index build` 重建"
            )
        return index

    def _check_model(self, embedder: Embedder) -> None:
        if embedder.model_name != self.meta.model_name or embedder.dim != self.meta.dim:
            raise IndexMismatchError(
                f"索引建立时使用的嵌入模型是 {self.meta.model_name!r}（{self.meta.dim} 维），"
                f"不是 {embedder.model_name!r}（{embedder.dim} 维）；请运行 `jixiao index build` 重建"
            )


def _columns(
    tables, ind_in: _Interner, proj_in: _Interner, val_in: _Interner, progress: bool, table_offset: int = 0
):
    ids, projects, departments, goals, amounts, years, ttext = [], [], [], [], [], [], []
    r_table, r_name, r_code, r_value = [], [], [], []
    # Names and values repeat across tables; normalising each distinct one once matters at scale.
    names: dict[str, str] = {}
    values: dict[str | None, str] = {}
    total = len(tables) if hasattr(tables, "__len__") else None
    for ti, t in enumerate(
        tqdm(tables, total=total, desc="读取表格", unit="张表", file=sys.stderr, disable=not progress)
    ):
        ids.append(t.id)
        projects.append(t.project)
        departments.append(t.department or t.unit)
        goals.append(t.goal)
        amounts.append(t.amount if t.amount is not None else np.nan)
        years.append(t.year or 0)
        ttext.append(proj_in(project_text(t)))
        for ind in t.indicators:
            name = names.get(ind.name)
            if name is None:
                name = names[ind.name] = normalize_text(ind.name)
            if not name:
                continue
            raw_value = ind.value
            value = values.get(raw_value)
            if value is None:
                value = values[raw_value] = normalize_value(raw_value)
            r_table.append(table_offset + ti)
            r_name.append(ind_in(name))
            r_code.append(indicator_code(ind.code))
            r_value.append(val_in(value) if value else -1)
    tcols = TableColumns(
        ids,
        projects,
        departments,
        goals,
        np.array(amounts, dtype=np.float64),
        np.array(years, dtype=np.int32),
        np.array(ttext, dtype=np.int32),
    )
    rcols = IndicatorColumns(
        np.array(r_table, dtype=np.int32),
        np.array(r_name, dtype=np.int32),
        np.array(r_code, dtype=np.int8),
        np.array(r_value, dtype=np.int32),
    )
    return tcols, rcols, ind_in, proj_in, val_in


def _general(
    rows: IndicatorColumns, n_texts: int, tokens: Sequence[Sequence[str]]
) -> dict[str, list[list[int]]]:
    """Per tier, the most generic indicator names: used by many tables, made of the tier's common words.

    Exact names rarely repeat across issuers (``服务对象满意度`` / ``群众满意度`` /
    ``受益群众满意度``), so the count of tables alone ranks almost everything equal; the
    share of the tier's names containing each of a name's words separates a typical
    ``服务对象满意度`` from an idiosyncratic one.
    """
    out: dict[str, list[list[int]]] = {}
    if len(rows.table) == 0:
        return out
    pairs = np.unique(
        np.stack([rows.code.astype(np.int64), rows.name.astype(np.int64), rows.table.astype(np.int64)]),
        axis=1,
    )
    for c in np.unique(pairs[0]):
        if c < 0:
            continue
        counts = np.bincount(pairs[1][pairs[0] == c], minlength=n_texts)
        names = np.flatnonzero(counts)
        word_df: dict[str, int] = {}
        for i in names:
            for w in set(tokens[i]):
                word_df[w] = word_df.get(w, 0) + 1

        scores = {}
        for i in names.tolist():
            ws = set(tokens[i])
            typical = sum(word_df[w] for w in ws) / (len(ws) * len(names)) if ws else 0.0
            scores[i] = counts[i] + typical
        top = sorted(scores, key=lambda i: (-scores[i], len(tokens[i]), i))[:GENERAL_PER_TIER]
        out[CODES[int(c)]] = [[int(i), int(counts[i])] for i in top]
    return out


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in s)[:40]


def _remove_stale(index_dir: Path, keep: str) -> None:
    """Delete older version directories (and temp leftovers of crashed builds)."""
    try:
        current = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except OSError:
        current = keep
    for p in index_dir.iterdir():
        if not p.is_dir() or p.name in (keep, current):
            continue
        # A temp dir may belong to a build running right now in another process.
        if p.name.startswith(".tmp-") and time.time() - p.stat().st_mtime < 24 * 3600:
            continue
        shutil.rmtree(p, ignore_errors=True)
