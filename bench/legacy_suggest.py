"""The suggester as it was before issue 8 (commit 4ba4afb), kept for the latency comparison only.

``bench/bench_suggest.py`` times it on the same index and queries as the current drafter,
so the "p95 within 1.2× of before" check is measured in one run on one machine state.
Not imported by the package; do not use it for anything else.

Original docstring:

Grounded indicator suggestions for a project being drafted.

Every suggestion is taken from real tables: the indicators of the most similar projects
(dense + BM25 over project name and goal) and the indicator names closest to the
project text itself. Near-duplicate names are merged into one suggestion, whose value is
the most common value among its sources, with the distribution and the rows it came
from, so a drafter or reviewer can see why it is there. Nothing is generated: where the
similar projects have nothing for a tier the scheme requires, the tier is filled with
the corpus's most typical indicators of that tier and marked ``weak``.
"""

from __future__ import annotations

import math
import sys
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from jixiao.corpus.normalize import name_key, normalize_text
from jixiao.corpus.schema import GoalTable, ValueKind
from jixiao.corpus.taxonomy import LEVEL1_NAMES, REQUIRED_LEVEL1, TIERS, Scheme, to_scheme
from jixiao.corpus.values import parse_value
from jixiao.errors import JixiaoError
from jixiao.models.corpus_index import CorpusIndex, IndexMismatchError, IndexMissingError
from jixiao.models.embedding_base import Embedder, hash_embedder_for
from jixiao.models.hybrid import FusionConfig
from jixiao.models.suggest_schema import (
    MAX_QUERY_CHARS,
    Evidence,
    ProjectQuery,
    SimilarProject,
    SuggestedTable,
    Suggestion,
)
from jixiao.settings import Settings, get_settings


@dataclass(frozen=True)
class SuggestConfig:
    fusion: FusionConfig = field(default_factory=FusionConfig)
    #: Similar projects whose indicators are drawn on.
    n_similar: int = 10
    #: Tables whose weight falls below this are not "similar" at all.
    min_table_weight: float = 0.05
    #: Indicator names retrieved directly from the project text.
    n_name_hits: int = 20
    #: Weight of a direct name hit relative to one row of the most similar table.
    name_weight: float = 0.6
    #: A name hit without a shared BM25 word counts only within this cosine of the best hit:
    #: dense search always returns *something*, and a corpus-wide nearest name that is not
    #: near the best one is no evidence (relative, because models compress cosines differently).
    name_margin: float = 0.05
    #: Rows per directly retrieved name taken as evidence (common names have thousands).
    postings_cap: int = 20
    #: Two names merge when their bigram Dice coefficient or their cosine reaches these.
    dice_threshold: float = 0.75
    cosine_threshold: float = 0.95
    per_tier: int = 5
    #: Name groups considered for merging and ranking, best first.
    max_groups: int = 300
    max_evidence: int = 5
    #: Weak suggestions added per required level 1 that retrieval left empty.
    weak_fill: int = 2


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


@dataclass
class _Group:
    """Rows of one (tier, name_key), before near-duplicate merging."""

    code: str
    key: str
    names: Counter[str] = field(default_factory=Counter)
    text_ids: set[int] = field(default_factory=set)
    table_weight: dict[int, float] = field(default_factory=dict)  # similar table → its weight
    direct: dict[int, float] = field(default_factory=dict)  # text id retrieved by name → its weight
    tables: set[int] = field(default_factory=set)  # every table whose rows were collected
    evidence: list[tuple[float, int, float]] = field(default_factory=list)  # (weight, row, similarity)

    @property
    def score(self) -> float:
        return _score([self])


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
        tables = load_tables(settings)
        version = _version(tables)
        try:
            index = CorpusIndex.load(
                settings.index_dir, corpus_version=version, model_name=embedder.model_name, dim=embedder.dim
            )
        except (IndexMissingError, IndexMismatchError) as e:
            if not rebuild:
                raise
            print(f"jixiao: building the index ({e})", file=sys.stderr)
            index = CorpusIndex.build(
                tables,
                embedder,
                corpus_version=version,
                kind=index_kind or settings_index_kind(settings),
                progress=progress,
            )
            index.save(settings.index_dir)
        return cls(index, embedder, _config(cfg), settings)

    def add_tables(self, tables: Sequence[GoalTable], corpus_version: str | None = None) -> None:
        """Index newly stored tables without a rebuild; persisted when loaded from settings.

        The caller stores the tables first (``corpus.store.add_tables``) and passes the
        stored copies, so the version saved here is the one ``load`` will compute.
        """
        with self._lock:
            if corpus_version is None:
                if self.settings is not None:
                    corpus_version = _version(load_tables(self.settings))
                else:
                    corpus_version = _version(list(tables)) + "+" + self.index.meta.corpus_version[:8]
            self.index.add_tables(tables, self.embedder, corpus_version=corpus_version)
            if self.settings is not None:
                self.index.save(self.settings.index_dir)

    # ---- suggesting -----------------------------------------------------------------

    def suggest(self, q: ProjectQuery, k: int = 20) -> SuggestedTable:
        if k < 1:
            raise JixiaoError(f"k must be at least 1, got {k}")
        q, warnings = _checked(q)
        scheme = q.scheme or Scheme.A
        text = normalize_text(" ".join(x for x in (q.name, q.goal) if x))
        # Encoding is the slow part and touches no index state: outside the lock.
        qvec = self.embedder.encode_queries([text])
        with self._lock:
            qtokens = self.index.tokenize_query(text)
            similar = self._similar_tables(q, qvec, qtokens)
            groups = self._collect(similar, qvec, qtokens, scheme)
            clusters = self._merge(groups)
            chosen = self._select(clusters, scheme, k)
            suggestions = [self._suggestion(c) for c in chosen]
            weak, weak_warnings = self._weak_fill(suggestions, scheme, qvec)
        suggestions += weak
        warnings += weak_warnings
        tiers: dict[str, list[Suggestion]] = {}
        for code in TIERS:
            items = sorted((s for s in suggestions if s.code == code), key=lambda s: (s.weak, -s.score))
            if items:
                tiers[code] = items
        projects = [self._similar_project(t, sim) for t, _, sim in similar]
        return SuggestedTable(
            query=q,
            scheme=scheme,
            goal_text=draft_goal(q, tiers, projects),
            tiers=tiers,
            similar_projects=projects,
            warnings=warnings,
        )

    def _similar_tables(self, q: ProjectQuery, qvec, qtokens) -> list[tuple[int, float, float]]:
        """(table, weight, cosine) of the most similar projects, best first."""
        ix, cfg = self.index, self.config
        ranked: list[tuple[int, float, float]] = []
        hits = ix.search("projects", qvec, qtokens, cfg.fusion)
        # The typical cosine of a retrieved project: what "not particularly similar" scores
        # under this model (e5 compresses cosines into 0.7-0.95, the hash double does not).
        ref = float(np.median([h.dense or 0.0 for h in hits])) if hits else 0.0
        for hit in hits:
            # Copied tables share one text; a few copies are evidence enough.
            for t in ix.proj_postings(hit.id)[: 3 * cfg.n_similar]:
                ranked.append((int(t), hit.score * _context_bonus(q, ix, int(t)), float(hit.dense or 0.0)))
            if len(ranked) >= 3 * cfg.n_similar:
                break
        ranked.sort(key=lambda r: -r[1])
        ranked = ranked[: cfg.n_similar]
        if not ranked:
            return []
        # Rank sets the base weight (fused scores are flat under RRF); where the cosine sits
        # between the typical and the best one discounts projects that are merely the least
        # dissimilar ones in a small corpus.
        best = max(sim for _, _, sim in ranked)
        out = []
        for r, (t, _, sim) in enumerate(ranked):
            rel = (sim - ref) / (best - ref) if best > ref else 1.0
            w = min(max(rel, 0.0), 1.0) / math.sqrt(r + 1)
            if w >= cfg.min_table_weight or not out:
                out.append((t, w, sim))
        return out

    def _collect(self, similar, qvec, qtokens, scheme: Scheme) -> dict[tuple[str, str], _Group]:
        ix, cfg = self.index, self.config
        groups: dict[tuple[str, str], _Group] = {}

        def add(row: int, weight: float, sim: float, direct: bool = False) -> None:
            code = ix.code(row)
            if code is None:
                return
            code = to_scheme(TIERS[code], scheme).code
            text_id = int(ix.rows.name[row])
            name = ix.ind_texts[text_id]
            key = ix.name_keys[text_id]
            g = groups.get((code, key))
            if g is None:
                g = groups[(code, key)] = _Group(code, key)
            g.names[name] += 1
            g.text_ids.add(text_id)
            t = int(ix.rows.table[row])
            g.tables.add(t)
            if direct:
                g.direct[text_id] = max(g.direct.get(text_id, 0.0), weight)
            else:
                g.table_weight[t] = max(g.table_weight.get(t, 0.0), weight)
            g.evidence.append((weight, row, sim))

        for t, w, sim in similar:
            for row in ix.table_rows(t):
                add(int(row), w, sim)
        hits = ix.search("indicators", qvec, qtokens, cfg.fusion, limit=cfg.n_name_hits)
        best = max((h.dense or 0.0 for h in hits), default=0.0)
        hits = [h for h in hits if h.sparse is not None or (h.dense or 0.0) >= best - cfg.name_margin]
        for rank, hit in enumerate(hits):
            w = cfg.name_weight / math.sqrt(rank + 1)
            for row in ix.ind_postings(hit.id)[: cfg.postings_cap]:
                add(int(row), w, float(hit.dense or 0.0), direct=True)
        return groups

    def _merge(self, groups: dict[tuple[str, str], _Group]) -> list[list[_Group]]:
        """Greedy clustering within a tier: a group joins the first cluster whose head it resembles."""
        cfg = self.config
        # The tail beyond a few hundred groups can never reach a draft of k suggestions.
        ordered = sorted(groups.values(), key=lambda g: (-g.score, g.key))[: cfg.max_groups]
        ids = [min(g.text_ids) for g in ordered]
        vecs = self.index.ind_dense.vectors(np.array(ids, dtype=np.int64))
        grams = [_bigrams(g.key) for g in ordered]
        heads: dict[str, list[int]] = {}  # tier → positions of cluster heads
        clusters: dict[int, list[_Group]] = {}
        for i, g in enumerate(ordered):
            for h in heads.get(g.code, ()):
                if (
                    _dice(grams[h], grams[i]) >= cfg.dice_threshold
                    or float(vecs[h] @ vecs[i]) >= cfg.cosine_threshold
                ):
                    clusters[h].append(g)
                    break
            else:
                heads.setdefault(g.code, []).append(i)
                clusters[i] = [g]
        return list(clusters.values())

    def _select(self, clusters: list[list[_Group]], scheme: Scheme, k: int) -> list[list[_Group]]:
        """Best cluster of every required level 1 first, then the rest by score, capped per tier."""
        cfg = self.config
        scored = sorted(clusters, key=lambda c: -_score(c))
        chosen: list[list[_Group]] = []
        per_tier: Counter[str] = Counter()
        for l1 in REQUIRED_LEVEL1[scheme]:
            best = next((c for c in scored if TIERS[c[0].code].level1_code == l1), None)
            if best is not None and len(chosen) < k:
                chosen.append(best)
                per_tier[best[0].code] += 1
        for c in scored:
            if len(chosen) >= k:
                break
            if any(c is x for x in chosen) or per_tier[c[0].code] >= cfg.per_tier:
                continue
            chosen.append(c)
            per_tier[c[0].code] += 1
        return chosen

    def _suggestion(self, cluster: list[_Group], weak: bool = False) -> Suggestion:
        ix, cfg = self.index, self.config
        names: Counter[str] = Counter()
        evidence: list[tuple[float, int, float]] = []
        tables: set[int] = set()
        for g in cluster:
            names.update(g.names)
            evidence.extend(g.evidence)
            tables |= g.tables
        # The head group's most used spelling names the suggestion.
        head = cluster[0].names.most_common(1)[0][0]
        evidence.sort(key=lambda e: (-e[0], -e[2], e[1]))
        values: Counter[str] = Counter()
        first_seen: dict[str, int] = {}
        seen_rows: set[int] = set()
        for n, (_, row, _) in enumerate(evidence):
            if row in seen_rows:
                continue
            seen_rows.add(row)
            v = ix.value(row)
            if v:
                values[v] += 1
                first_seen.setdefault(v, n)
        suggested = min(values, key=lambda v: (-values[v], first_seen[v])) if values else None
        ev, ev_tables = [], set()
        for _, row, sim in evidence:
            t = int(ix.rows.table[row])
            if t in ev_tables:
                continue
            ev_tables.add(t)
            ev.append(
                Evidence(
                    table_id=ix.tables.ids[t],
                    project=ix.tables.projects[t],
                    indicator_name=ix.ind_texts[int(ix.rows.name[row])],
                    value=ix.value(row),
                    similarity=round(sim, 4),
                )
            )
            if len(ev) >= cfg.max_evidence:
                break
        tier = TIERS[cluster[0].code]
        return Suggestion(
            name=head,
            code=tier.code,
            level1=tier.level1,
            level2=tier.level2,
            suggested_value=suggested,
            value_distribution=dict(values.most_common()),
            evidence=ev,
            support=0 if weak else len(tables),
            score=0.0 if weak else round(_score(cluster), 4),
            weak=weak,
            variants=[n for n, _ in names.most_common() if n != head][:5],
        )

    def _weak_fill(
        self, suggestions: list[Suggestion], scheme: Scheme, qvec
    ) -> tuple[list[Suggestion], list[str]]:
        ix, cfg = self.index, self.config
        covered = {TIERS[s.code].level1_code for s in suggestions}
        out, warnings = [], []
        for l1 in REQUIRED_LEVEL1[scheme]:
            if l1 in covered:
                continue
            candidates: dict[int, tuple[str, int]] = {}
            for code, items in ix.meta.general.items():
                mapped = to_scheme(TIERS[code], scheme)
                if mapped.level1_code != l1:
                    continue
                for rank, (text_id, _) in enumerate(items):
                    candidates.setdefault(text_id, (mapped.code, rank))
            if not candidates:
                warnings.append(f"the corpus has no {LEVEL1_NAMES[l1]} to suggest; write them by hand")
                continue
            ids = np.array(sorted(candidates), dtype=np.int64)
            sims = dict(zip(ids.tolist(), ix.ind_dense.similarities(qvec, ids).tolist(), strict=True))
            # Typical for the tier first (general rank), then closest to this project.
            best = sorted(ids.tolist(), key=lambda i: (candidates[i][1] - 5 * sims[i], i))[: cfg.weak_fill]
            for text_id in best:
                code = candidates[text_id][0]
                g = _Group(code, name_key(ix.ind_texts[text_id]))
                g.names[ix.ind_texts[text_id]] += 1
                g.text_ids.add(text_id)
                for row in ix.ind_postings(text_id)[: cfg.postings_cap]:
                    g.evidence.append((0.0, int(row), sims[text_id]))
                out.append(self._suggestion([g], weak=True))
            warnings.append(
                f"no similar project has {LEVEL1_NAMES[l1]}; filled with the corpus's typical ones (weak)"
            )
        return out, warnings

    def _similar_project(self, t: int, sim: float) -> SimilarProject:
        tc = self.index.tables
        goal = tc.goals[t]
        amount = float(tc.amounts[t])
        return SimilarProject(
            table_id=tc.ids[t],
            project=tc.projects[t],
            department=tc.departments[t],
            goal=goal[:300] if goal else None,
            amount=None if math.isnan(amount) else amount,
            similarity=round(sim, 4),
        )


def settings_index_kind(settings: Settings) -> str:
    return settings.index_kind or "auto"


def _config(cfg: dict) -> SuggestConfig:
    if "config" in cfg:
        return cfg["config"]
    fusion_keys = {"method", "rrf_k", "dense_weight", "depth"}
    fusion = FusionConfig(**{k: v for k, v in cfg.items() if k in fusion_keys})
    rest = {k: v for k, v in cfg.items() if k not in fusion_keys}
    try:
        return replace(SuggestConfig(fusion=fusion), **rest)
    except TypeError as e:
        raise JixiaoError(f"unknown suggester option: {e}") from e


def _checked(q: ProjectQuery) -> tuple[ProjectQuery, list[str]]:
    name = (q.name or "").strip()
    goal = (q.goal or "").strip() or None
    if not normalize_text(name) and not normalize_text(goal):
        raise JixiaoError("empty project: give a project name or goal text")
    warnings = []
    if len(name) + len(goal or "") > MAX_QUERY_CHARS:
        total = len(name) + len(goal or "")
        name = name[:MAX_QUERY_CHARS]
        if goal:
            goal = goal[: max(MAX_QUERY_CHARS - len(name), 0)] or None
        warnings.append(f"project text has {total} characters; only the first {MAX_QUERY_CHARS} were used")
    return q.model_copy(update={"name": name, "goal": goal}), warnings


def _context_bonus(q: ProjectQuery, ix: CorpusIndex, t: int) -> float:
    """Small preference for projects of similar size, year and unit; never overrides the text."""
    bonus = 1.0
    amount = float(ix.tables.amounts[t])
    if q.amount and q.amount > 0 and amount > 0 and not math.isnan(amount):
        bonus += 0.05 * math.exp(-abs(math.log10(q.amount / amount)))
    year = int(ix.tables.years[t])
    if q.year and year and abs(q.year - year) <= 1:
        bonus += 0.02
    unit, dept = name_key(q.unit or ""), name_key(ix.tables.departments[t] or "")
    # Both must be non-empty: "" is a substring of every name (a unit of only punctuation).
    if unit and dept and (unit in dept or dept in unit):
        bonus += 0.05
    return bonus


def _score(cluster: Sequence[_Group]) -> float:
    """Similar tables using the indicator (by their weight, once each), plus direct name matches.

    Name matches add to the table evidence rather than taking a max with it: an
    indicator both used by a similar project and close to the project text is the
    strongest suggestion there is.
    """
    tables: dict[int, float] = {}
    direct: dict[int, float] = {}
    for g in cluster:
        for t, w in g.table_weight.items():
            tables[t] = max(tables.get(t, 0.0), w)
        for i, w in g.direct.items():
            direct[i] = max(direct.get(i, 0.0), w)
    return sum(tables.values()) + sum(direct.values())


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)} or {s}


def dice(a: str, b: str) -> float:
    """Bigram Dice coefficient of two name keys: 1 for equal, 0 for nothing shared."""
    return _dice(_bigrams(a), _bigrams(b))


def _dice(x: set[str], y: set[str]) -> float:
    return 2 * len(x & y) / (len(x) + len(y))


def _phrase(s: Suggestion) -> str:
    """``name value`` when the value is a number or a date; qualitative values read badly inline."""
    v = s.suggested_value
    if v and parse_value(v).kind in (ValueKind.NUMERIC, ValueKind.DATE) and not s.name.endswith(v):
        return f"{s.name}{v}"
    return s.name


def draft_goal(
    q: ProjectQuery, tiers: dict[str, list[Suggestion]], projects: Sequence[SimilarProject]
) -> str:
    """A goal paragraph assembled from the query, the top suggestions and the closest goal.

    Only retrieved material is used: the user's own goal (or the most similar project's
    goal as the opening), then one clause per level 1 from the strongest suggestions.
    """
    name = normalize_text(q.name) or "本项目"
    opening = normalize_text(q.goal or "")
    if not opening:
        ref = next((p for p in projects if p.goal), None)
        opening = (
            f"参照同类项目（{ref.project or ref.table_id}）目标：{normalize_text(ref.goal)[:120]}"
            if ref
            else ""
        )
    opening = opening.rstrip("。；; ")

    def top(codes: Sequence[str], n: int) -> list[str]:
        items = [s for c in codes for s in tiers.get(c, []) if not s.weak]
        items.sort(key=lambda s: -s.score)
        return [_phrase(s) for s in items[:n]]

    parts = []
    out = top(("11", "12", "13"), 3)
    if out:
        parts.append("完成" + "、".join(out))
    cost = top(("14", "41", "42", "43"), 1)
    if cost:
        parts.append("成本控制在" + cost[0])
    benefit = top(("21", "22", "23", "24"), 2)
    if benefit:
        parts.append("实现" + "、".join(benefit))
    sat = top(("31",), 1)
    if sat:
        parts.append(sat[0])
    text = f"{name}：{opening}。" if opening else f"{name}："
    if parts:
        text += "年度内" + "，".join(parts) + "。"
    return text
