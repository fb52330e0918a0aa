"""The grounded composer: a project in, a reviewed draft out, with no LLM.

Stages, each a module passing typed objects: project reading → candidates from three
sources (project, pattern, corpus) with relevance → selection → values → goal text →
self-check. ``Suggester.suggest`` is the one function that returns the grounded draft;
the draft's ``candidates`` carry stable ids so a later step (an LLM polish) can cite
them and fall back to this result when its own answer fails validation.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import TIERS, Scheme, to_scheme
from jixiao.errors import JixiaoError
from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.drafting.candidates import Candidate
from jixiao.models.drafting.corpus_candidates import (
    RetrievalConfig,
    corpus_candidates,
    similar_project_view,
    similar_projects,
)
from jixiao.models.drafting.goal_text import compose_goal
from jixiao.models.drafting.patterns import PatternBook, mine_patterns
from jixiao.models.drafting.project_reading import ProjectFacts, read_project
from jixiao.models.drafting.relevance import WordStats, _in_text, word_stats
from jixiao.models.drafting.selection import in_scheme, ranked, select
from jixiao.models.drafting.self_check import DraftContext, self_check
from jixiao.models.drafting.sources import (
    convention_candidates,
    fallback,
    fallback_tier,
    instantiate,
    pattern_candidates,
    project_candidates,
)
from jixiao.models.embedding_base import Embedder, hash_embedder_for
from jixiao.models.hybrid import FusionConfig
from jixiao.models.suggest_schema import MAX_QUERY_CHARS, ProjectQuery, SuggestedTable
from jixiao.settings import Settings, get_settings

log = logging.getLogger("jixiao.drafting")

#: Candidates returned beside the draft for a later step to cite.
MAX_CANDIDATES = 60
#: Characters of the project text the dense query vector reads: the name and the start of
#: the goal, where projects say what they are. Encoding time grows with length (about 30 ms
#: for 210 characters, 17 ms for 128, on two cores); BM25 and the project reading still see
#: the whole text.
QUERY_VECTOR_CHARS = 128


@dataclass(frozen=True)
class SuggestConfig:
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)


def resolve_embedder(name: str | None = None, settings: Settings | None = None) -> Embedder:
    """``hash`` / ``hash-<dim>`` gives the model-free test double; anything else the real loader."""
    double = hash_embedder_for(name)
    if double is not None:
        return double
    from jixiao.models.embedding import load_embedder

    return load_embedder(name, settings)


def load_tables(settings: Settings | None = None) -> list[GoalTable]:
    from jixiao.corpus.store import load_corpus

    return load_corpus(settings)


def _version(tables: Sequence[GoalTable]) -> str:
    from jixiao.corpus.store import corpus_version

    return corpus_version(tables)


def settings_index_kind(settings: Settings) -> str:
    return settings.index_kind or "auto"


class Suggester:
    def __init__(
        self,
        index: CorpusIndex,
        embedder: Embedder,
        config: SuggestConfig | None = None,
        settings: Settings | None = None,
    ):
        self.index = index
        self.embedder = embedder
        self.config = config or SuggestConfig()
        self.settings = settings
        self._lock = threading.RLock()

    # ---- construction ---------------------------------------------------------------

    @classmethod
    def from_tables(
        cls,
        tables: Sequence[GoalTable],
        embedder: Embedder,
        *,
        index_kind: str = "auto",
        progress: bool = False,
        **cfg,
    ) -> Suggester:
        index = CorpusIndex.build(
            tables, embedder, corpus_version=_version(tables), kind=index_kind, progress=progress
        )
        return cls(index, embedder, _config(cfg))

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        *,
        rebuild: bool = True,
        progress: bool = True,
        index_kind: str | None = None,
        **cfg,
    ) -> Suggester:
        """The index for the current corpus and model: loaded, or (re)built and saved.

        With ``rebuild=False`` a missing or mismatched index raises its JixiaoError instead.
        """
        settings = settings or get_settings()
        embedder = embedder or resolve_embedder(settings.embedding_model, settings)
        from jixiao.corpus.store import open_store
        from jixiao.models.index_sync import sync_index

        result = sync_index(
            settings.index_dir,
            embedder,
            open_store(settings).snapshot(),
            kind=index_kind or settings_index_kind(settings),
            rebuild=rebuild,
            progress=progress,
        )
        if result.how != "loaded":
            log.warning("索引%s", result.title)
        return cls(result.index, embedder, _config(cfg), settings)

    def add_tables(
        self, tables: Sequence[GoalTable], corpus_version: str | None = None, *, persist: bool = True
    ) -> None:
        """Index newly stored tables without a rebuild; saved when loaded from settings.

        The caller stores the tables first (``corpus.store``) and passes the stored copies
        and the store's version. An index saved without some table is caught up on the
        next load, so ``persist=False`` (a worker catching up with another's additions)
        loses nothing.
        """
        with self._lock:
            if corpus_version is None:
                if self.settings is not None:
                    from jixiao.corpus.store import current_version

                    corpus_version = current_version(self.settings)
                else:
                    corpus_version = _version(list(tables)) + "+" + self.index.meta.corpus_version[:8]
            self.index.add_tables(tables, self.embedder, corpus_version=corpus_version)
            if self.settings is not None and persist:
                from jixiao.models.index_sync import save_index

                save_index(self.index, self.settings.index_dir)

    # ---- drafting -------------------------------------------------------------------

    def suggest(self, q: ProjectQuery, k: int = 20) -> SuggestedTable:
        """The grounded draft: indicators by tier with values and evidence, goal text, findings."""
        if k < 1:
            raise JixiaoError(f"建议条数 k 至少为 1（收到 {k}）")
        q, warnings = _checked(q)
        scheme = q.scheme or Scheme.A
        facts = read_project(q)
        text = normalize_text(" ".join(x for x in (q.name, q.goal) if x))
        # Encoding is the slow part and touches no index state: outside the lock.
        qvec = self.embedder.encode_queries([text[:QUERY_VECTOR_CHARS]])
        cfg = self.config.retrieval
        with self._lock:
            ix = self.index
            stats: WordStats = ix.derived("drafting.word_stats", word_stats)  # type: ignore[assignment]
            book: PatternBook = ix.derived("drafting.patterns", mine_patterns)  # type: ignore[assignment]
            qtokens = ix.tokenize_query(text)
            projects = similar_projects(ix, qvec, qtokens, facts, stats, cfg)
            cands = project_candidates(facts, scheme)
            related = [p.table for p in projects]  # most relevant first: the patterns' examples
            cands += pattern_candidates(ix, facts, book, lambda w: _in_text(w, facts.text), related)
            cands += convention_candidates(ix, facts, book, related)
            cands += corpus_candidates(ix, qvec, qtokens, facts, projects, scheme, cfg)
            if not any(c.code == "22" for c in cands) and (social := fallback("2", facts, scheme)):
                # 社会效益 is the benefit tier most tables use: a plainly generic row, marked weak.
                cands.append(social)
            cands = [in_scheme(c, scheme) for c in cands]
            chosen = select(cands, scheme, k)
            chosen, findings = self_check(
                chosen,
                scheme,
                lambda l1: self._fill(l1, cands, chosen, facts, book, scheme),
                lambda code: _fill_tier(code, cands, chosen, facts),
                DraftContext(
                    name=q.name, amount=facts.amount, year=facts.year, goal=lambda rows: compose_goal(facts, rows)
                ),
            )
            similar = [similar_project_view(ix, p) for p in projects]
        # Rows the self-check added are candidates too, so every chosen row has a citable id.
        known = {id(c) for c in cands}
        cands += [c for c in chosen if id(c) not in known]
        ids = _ids(cands)
        # A chosen row appears twice (in its tier and among the candidates): one model serves both.
        shown = {id(c): c.to_suggestion(ids[id(c)]) for c in chosen}
        tiers: dict[str, list] = {}
        for code in TIERS:
            items = [shown[id(c)] for c in ranked([c for c in chosen if c.code == code])]
            if items:
                tiers[code] = items
        if facts.generic:
            warnings.append(
                "未能从项目名称中识别出具体的建设或服务对象，草稿由通用指标模式生成，请补充项目名称或绩效目标"
            )
        if not facts.quantities:
            warnings.append("项目文本中未找到可量化的产出（如“完成…120公里”），数量指标请按实际任务补充")
        if not facts.amount:
            warnings.append("未提供预算金额，成本指标无法给出上限，请补充预算金额")
        return SuggestedTable(
            query=q,
            scheme=scheme,
            goal_text=compose_goal(facts, chosen),
            tiers=tiers,
            similar_projects=sorted(similar, key=lambda p: -p.relevance),
            warnings=warnings,
            year=facts.year,
            findings=findings,
            generic=facts.generic,
            candidates=[shown.get(id(c)) or c.to_suggestion(ids[id(c)]) for c in _cited(cands, chosen)],
        )

    def _fill(
        self,
        l1: str,
        cands: list[Candidate],
        chosen: list[Candidate],
        facts: ProjectFacts,
        book: PatternBook,
        scheme: Scheme,
    ) -> Candidate | None:
        """A required level 1 the selection left empty: the best unused candidate, else a generic pattern."""
        for c in ranked(cands):
            if TIERS[c.code].level1_code == l1 and c.value is not None and c not in chosen:
                return c
        top = book.top_support
        for code, patterns in book.by_code.items():
            for p in patterns:
                mapped = in_scheme_code(code, scheme)
                if TIERS[mapped].level1_code != l1 or p.modifiers:
                    continue
                c = instantiate(self.index, p, facts, top, weak=True)
                if c is not None:
                    c.code = mapped
                    return c
        return fallback(l1, facts, scheme)


def _fill_tier(
    code: str, cands: list[Candidate], chosen: list[Candidate], facts: ProjectFacts
) -> Candidate | None:
    """A required output tier the selection left empty: the best unused candidate, else a placeholder."""
    for c in ranked(cands):
        if c.code == code and c.value is not None and c not in chosen:
            return c
    return fallback_tier(code, facts)


def in_scheme_code(code: str, scheme: Scheme) -> str:
    return to_scheme(TIERS[code], scheme).code


def _cited(cands: list[Candidate], chosen: list[Candidate]) -> list[Candidate]:
    """The chosen rows and the best of the rest, up to ``MAX_CANDIDATES``, most relevant first."""
    taken = {id(c) for c in chosen}
    rest = [c for c in ranked(cands) if id(c) not in taken]
    return ranked(chosen + rest[: max(MAX_CANDIDATES - len(chosen), 0)])


def _ids(cands: list[Candidate]) -> dict[int, str]:
    prefix = {"project": "p", "pattern": "t", "corpus": "c"}
    counts: dict[str, int] = {}
    out: dict[int, str] = {}
    for c in cands:
        if id(c) in out:
            continue
        counts[c.origin] = counts.get(c.origin, 0) + 1
        out[id(c)] = f"{prefix[c.origin]}{counts[c.origin]}"
    return out


def _config(cfg: dict) -> SuggestConfig:
    if "config" in cfg:
        return cfg["config"]
    fusion_keys = {"method", "rrf_k", "dense_weight", "depth"}
    fusion = FusionConfig(**{k: v for k, v in cfg.items() if k in fusion_keys})
    rest = {k: v for k, v in cfg.items() if k not in fusion_keys}
    try:
        return SuggestConfig(retrieval=replace(RetrievalConfig(fusion=fusion), **rest))
    except TypeError as e:
        raise JixiaoError(f"未知的推荐参数：{e}") from e


def _checked(q: ProjectQuery) -> tuple[ProjectQuery, list[str]]:
    name = (q.name or "").strip()
    goal = (q.goal or "").strip() or None
    if not normalize_text(name) and not normalize_text(goal):
        raise JixiaoError("项目为空：请填写项目名称或绩效目标")
    warnings = []
    if len(name) + len(goal or "") > MAX_QUERY_CHARS:
        total = len(name) + len(goal or "")
        name = name[:MAX_QUERY_CHARS]
        if goal:
            goal = goal[: max(MAX_QUERY_CHARS - len(name), 0)] or None
        warnings.append(f"项目文本共 {total} 字，只使用了前 {MAX_QUERY_CHARS} 字")
    return q.model_copy(update={"name": name, "goal": goal}), warnings
