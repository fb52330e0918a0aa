"""Stage 3: rows of similar past projects, kept only where they fit this project.

Retrieval (dense + BM25 over project texts and indicator names) proposes rows; a row
survives only when its specific words all appear in this project's text, or when it has
none (a generic row such as ``资金支付及时率`` fits any project). A row naming another
project's object (车辆, 厕所, 参保, 水稻 for a road project) or carrying its numbers in the
name (``建设普通省道二级公路32.1公里``) is dropped, and counts or money in its value are
never copied (see ``values.borrowed_value``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.taxonomy import TIERS, Scheme, merge_cost, to_scheme
from jixiao.models.corpus_index import CorpusIndex, IndexRow
from jixiao.models.drafting.candidates import Candidate
from jixiao.models.drafting.index_views import row_evidence, table_view
from jixiao.models.drafting.project_reading import ProjectFacts
from jixiao.models.drafting.relevance import (
    CLOSE_PROJECT,
    QueryWords,
    WordStats,
    fits,
    project_relevance,
    specific_words,
    table_authors,
)
from jixiao.models.drafting.same_programme import same_programme, table_cores
from jixiao.models.drafting.text_match import bigram_dice, key_of
from jixiao.models.drafting.values import GroundedValue, borrowed_value
from jixiao.models.hybrid import FusionConfig
from jixiao.models.suggest_schema import Evidence, SimilarProject

_DIGIT = re.compile(r"\d")
_RATE_NAME = re.compile(r"(率|比例)$")
#: The value of a count this project has not stated: qualitative, for the drafter to quantify.
COUNT_PLACEHOLDER = "按计划完成"


@dataclass(frozen=True)
class RetrievalConfig:
    fusion: FusionConfig = field(default_factory=FusionConfig)
    n_similar: int = 10
    n_name_hits: int = 20
    postings_cap: int = 20
    #: Near-duplicate names (bigram Dice at least this) merge into one candidate.
    dice_threshold: float = 0.75
    max_evidence: int = 5
    #: Below this relevance a project is not similar at all and lends no specific row.
    min_relevance: float = 0.15
    #: A generic row (no specific word) needs this many authors using it.
    min_generic_support: int = 2
    #: From a project this related (the same kind of project: 国家基本公共卫生服务 for
    #: another county's 国家基本公共卫生服务项目) a row is lent even when it shares no word
    #: with this project's text; its numbers are still never copied.
    borrow_relevance: float = 0.6


@dataclass
class ScoredProject:
    table: int
    relevance: float
    cosine: float


@dataclass
class _Group:
    code: str
    key: str
    names: Counter[str] = field(default_factory=Counter)
    rows: list[tuple[float, IndexRow]] = field(default_factory=list)  # (relevance, row)

    @property
    def relevance(self) -> float:
        return max((r for r, _ in self.rows), default=0.0)


def similar_projects(
    ix: CorpusIndex, qvec, qtokens, facts: ProjectFacts, stats: WordStats, cfg: RetrievalConfig
) -> list[ScoredProject]:
    """Retrieved projects scored by relevance, most relevant first."""
    hits = ix.search("projects", qvec, qtokens, cfg.fusion)
    if not hits:
        return []
    cosines = [h.dense or 0.0 for h in hits]
    typical, best = float(np.median(cosines)), max(cosines)
    words = QueryWords.of({w: stats.idf(w) for w in facts.vocabulary})
    texts = ix.proj_texts
    scored = []
    for hit in hits:
        cos = float(hit.dense or 0.0)
        scored.append((project_relevance(words.overlap(texts[hit.id]), cos, typical, best), cos, hit.id))
    # Only the best texts' tables are read: each text lends at most 3 tables, so the first
    # n_similar texts by relevance hold the n_similar most relevant tables.
    scored.sort(key=lambda x: (-x[0], -x[1]))
    out = [
        ScoredProject(t, rel, cos)
        for rel, cos, text_id in scored[: cfg.n_similar]
        for t in ix.tables_of_project_text(text_id, cap=3)
    ]
    if facts.core:
        cores = table_cores(ix)
        for p in out:
            if same_programme(facts.core, cores[p.table]):
                # The same programme in another county (国家基本公共卫生服务 for 国家基本公共卫生
                # 服务项目) is the same kind of project, however short or long either goal text is.
                p.relevance = max(p.relevance, cfg.borrow_relevance)
    out.sort(key=lambda p: (-p.relevance, -p.cosine, p.table))
    return out[: cfg.n_similar]


def corpus_candidates(
    ix: CorpusIndex,
    qvec,
    qtokens,
    facts: ProjectFacts,
    projects: list[ScoredProject],
    scheme: Scheme,
    cfg: RetrievalConfig,
) -> list[Candidate]:
    groups: dict[tuple[str, str], _Group] = {}
    relevance_of = {p.table: p.relevance for p in projects}
    fit_memo: dict[tuple[str, int], bool] = {}

    def fitting(name: str, rel: float) -> bool:
        level = 2 if rel >= cfg.borrow_relevance else 1 if rel >= CLOSE_PROJECT else 0
        key = (name, level)
        got = fit_memo.get(key)
        if got is None:
            got = fit_memo[key] = not _DIGIT.search(name) and (level == 2 or fits(name, facts.text, rel))
        return got

    #: Per (tier, name), not per row: a name recurs in many retrieved rows.
    shapes: dict[tuple[str, str], _Shape | None] = {}

    def add(row: IndexRow, rel: float) -> None:
        if row.code is None or not fitting(row.name, rel):
            return
        got = shapes.get((row.code, row.name), False)
        if got is False:
            got = shapes[(row.code, row.name)] = _shape(row.code, row.name, scheme)
        if got is None:
            return  # another project's money; cost comes from this project's budget
        code, key, specific = got
        # A specific row needs a related source; a generic one is weaker evidence.
        if specific and rel < cfg.min_relevance and row.table not in relevance_of:
            rel = max(rel, 0.5)  # retrieved by its own name and about this project's object
        elif not specific:
            rel = min(rel, 0.45)
        g = groups.get((code, key))
        if g is None:  # not setdefault: that built a group (and its Counter) for every row
            g = groups[(code, key)] = _Group(code, key)
        g.names[row.name] += 1
        g.rows.append((rel, row))

    for p in projects:
        if p.relevance < cfg.min_relevance:
            continue
        for row in ix.rows_of_table(p.table):
            add(row, p.relevance)
    for hit in ix.search("indicators", qvec, qtokens, cfg.fusion, limit=cfg.n_name_hits):
        # A name that fits no project, however related, is skipped before its rows are read.
        if not fitting(ix.ind_texts[hit.id], CLOSE_PROJECT):
            continue
        for row in ix.rows_of_name(hit.id, cap=cfg.postings_cap):
            add(row, relevance_of.get(row.table, 0.0))
    return [
        c for c in (_candidate(ix, cl, facts, cfg, relevance_of) for cl in _merge(groups, cfg)) if c is not None
    ]


class _Shape(NamedTuple):
    code: str  # the row's tier in this draft's scheme
    key: str  # near-duplicate names share it
    specific: bool  # names some project's object


def _shape(tier: str, name: str, scheme: Scheme) -> _Shape | None:
    """What a row's tier and name say for this draft; None for a cost row."""
    code = to_scheme(TIERS[tier], scheme).code
    if merge_cost(code) == "14":
        return None
    return _Shape(code, key_of(name) or name, bool(specific_words(name)))


def _merge(groups: dict[tuple[str, str], _Group], cfg: RetrievalConfig) -> list[list[_Group]]:
    ordered = sorted(groups.values(), key=lambda g: (-g.relevance, -len(g.rows), g.key))
    clusters: list[list[_Group]] = []
    for g in ordered:
        for c in clusters:
            if c[0].code == g.code and bigram_dice(c[0].key, g.key) >= cfg.dice_threshold:
                c.append(g)
                break
        else:
            clusters.append([g])
    return clusters


def _candidate(
    ix: CorpusIndex,
    cluster: list[_Group],
    facts: ProjectFacts,
    cfg: RetrievalConfig,
    relevance_of: dict[int, float],
) -> Candidate | None:
    names: Counter[str] = Counter()
    rows: list[tuple[float, IndexRow]] = []
    for g in cluster:
        names.update(g.names)
        rows.extend(g.rows)
    rows.sort(key=lambda r: (-r[0], r[1].row))
    head = cluster[0].names.most_common(1)[0][0]
    code = cluster[0].code
    values = Counter(r.value for _, r in rows if r.value)
    ranked_values = values.most_common()  # sorted once: most_common(n) is its first n
    value = None
    for v, _ in ranked_values:
        value = borrowed_value(v, head, code, facts.year)
        if value is not None:
            break
    if value is None and code == "11" and _RATE_NAME.search(head):
        # A rate in the count tier (接种率 ≥90%) is a target convention, not a count.
        value = next((v for v in (borrowed_value(x, head, "12", facts.year) for x in values) if v), None)
    if value is None and code == "11" and specific_words(head) and values:
        # Another project's count is its fact: the row is offered, its number is not.
        value = GroundedValue(COUNT_PLACEHOLDER, "同类项目的数量仅供参考（见依据），请按本项目任务填写", True)
    if value is None:
        return None
    tables = {r.table for _, r in rows}
    author_of = table_authors(ix)
    authors = {author_of[t] for t in tables}
    rel = rows[0][0]  # the highest: rows are sorted by relevance, highest first
    specific = bool(specific_words(head))
    lent = specific and rel >= CLOSE_PROJECT  # a related project's own deliverable
    # An unquantified wording is lent by one author only from the same kind of project: from
    # a merely related one (小学教育公用经费 for a school repair, 0.32) "安全情况 有效" under
    # 生态效益 is that drafter's wording and tier, and says nothing this project does not.
    vague = value.qualitative and not (lent and rel >= cfg.borrow_relevance)
    if (not specific or vague) and len(authors) < cfg.min_generic_support:
        # A generic or unquantified wording only one author uses (one department's nine
        # tables are one author) is that drafter's habit, not a convention.
        return None
    # One table of an unrelated project lends nothing: its wording and its tier are that
    # drafter's choice, whatever words it shares. For a benefit (效益) row the source must be
    # close: which effect a drafter files where is the least shared convention (安全率 as
    # 经济效益 in a heating retrofit, relevance 0.21 to a school repair; 学生受益情况 as
    # 可持续影响), while output rows of related work (业务经费拨付及时率) carry over.
    needed = CLOSE_PROJECT if code.startswith("2") else cfg.min_relevance
    if len(authors) < cfg.min_generic_support and max(relevance_of.get(t, 0.0) for t in tables) < needed:
        return None

    def evidence() -> list[Evidence]:
        out, seen = [], set()
        for rel, r in rows:
            if r.table in seen:
                continue
            seen.add(r.table)
            out.append(row_evidence(ix, r, rel))
            if len(out) >= cfg.max_evidence:
                break
        return out

    return Candidate(
        "corpus",
        code,
        normalize_text(head),
        value,
        # More tables using it adds a little, never enough to beat a clearly related one.
        min(rel * (1 + 0.05 * math.log1p(len(tables) - 1)), 0.95),
        support=len(tables),
        lazy_evidence=evidence,
        variants=[n for n, _ in names.most_common() if n != head][:5],
        value_distribution=dict(ranked_values[:5]),
    )


def similar_project_view(ix: CorpusIndex, p: ScoredProject) -> SimilarProject:
    t = table_view(ix, p.table)
    return SimilarProject(
        table_id=t.id,
        project=t.project,
        department=t.department,
        goal=t.goal[:300] if t.goal else None,
        amount=t.amount,
        relevance=p.relevance,
        similarity=round(p.cosine, 4),
    )
