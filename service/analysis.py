"""Classify, compare with the declared tier, review and grade: the one place the API and the CLI share.

It depends only on a small classifier interface (``RowClassifier``: a ``classify``
method, or any callable, from indicator inputs to tier predictions) and returns plain
result types, so ``jixiao review`` passes the shipped model's ``predict`` and the
HTTP routes pass the engine, and both give the same answer for the same row. Many
tables are classified in a few large calls (``review_tables``), which is what makes a
whole submission fast: the embedding model encodes a batch far quicker than row by row.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from jixiao.corpus.review import (
    DEFAULT_DISAGREEMENT_THRESHOLD,
    Finding,
    PeerNorms,
    Severity,
    TableGrade,
    agrees,
    complete_table,
    declared_code,
    declared_level1,
    grade_table,
    review_table,
)
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import LEVEL1_NAMES, TIERS, Scheme, level1_code, resolve
from jixiao.models.classifier.contract import ClassifyInput, TierPrediction
from jixiao.settings import Settings

#: Rows per classifier call when many tables are reviewed together.
CLASSIFY_BATCH = 256


class HasClassify(Protocol):
    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]: ...


ClassifyFn = Callable[[list[ClassifyInput]], list[TierPrediction]]
#: The classifier interface: the service engine (``.classify``) or a model's ``predict``.
RowClassifier = HasClassify | ClassifyFn
Progress = Callable[[int, int], None]


class DeclaredRow(Protocol):
    """A row as a client typed it (``ClassifyRow`` fits)."""

    name: str
    value: str | None
    level1: str | None
    level2: str | None
    project: str | None
    goal: str | None


class RowClassification(BaseModel):
    index: int
    name: str
    prediction: TierPrediction
    declared_code: str | None = None
    #: The declared tier by name (产出指标-数量指标, or only 产出指标), for people to read.
    declared_tier: str | None = None
    #: Whether the prediction agrees with the declared tier (cost tiers of A and B count
    #: as one); None when nothing was declared.
    agrees: bool | None = None


class TableReview(BaseModel):
    """One table as reviewed: its rows classified, the findings, and the grade."""

    table: GoalTable
    classifications: list[RowClassification]
    findings: list[Finding]
    grade: TableGrade | None = None
    counts: dict[Severity, int] = Field(default_factory=dict)


def _classify_fn(classifier: RowClassifier) -> ClassifyFn:
    return classifier.classify if hasattr(classifier, "classify") else classifier  # type: ignore[return-value, union-attr]


def tier_name(code: str | None, level1: str | None) -> str | None:
    """产出指标-数量指标 for a code, 产出指标 for a level 1 alone, None when nothing was declared."""
    if code in TIERS:
        return f"{TIERS[code].level1}-{TIERS[code].level2}"
    return LEVEL1_NAMES.get(level1 or "")


def declared_for_row(row: DeclaredRow) -> tuple[str | None, str | None]:
    """(code, level-1 code) a client declared; unknown names raise UnknownCategoryError."""
    if not (row.level1 or row.level2):
        return None, None
    ind = Indicator(name=row.name, level1=row.level1, level2=row.level2)
    code = declared_code(ind)
    if code is None and row.level2:
        resolve(row.level1, row.level2)  # raises with the accepted names
    l1 = declared_level1(ind)
    if l1 is None and row.level1:
        level1_code(row.level1)  # raises with the accepted names
    return code, l1


def _compare(
    inputs: Sequence[ClassifyInput],
    preds: Sequence[TierPrediction],
    declared: Sequence[tuple[str | None, str | None]],
    scheme: Scheme,
) -> list[RowClassification]:
    """Predictions expressed in ``scheme``, each compared with the (code, level 1) declared for its row."""
    out = []
    for i, (x, pred, (code, l1)) in enumerate(zip(inputs, preds, declared, strict=True)):
        p = pred.in_scheme(scheme)
        out.append(
            RowClassification(
                index=i,
                name=x.name,
                prediction=p,
                declared_code=code,
                declared_tier=tier_name(code, l1),
                agrees=agrees(p.code, code, l1),
            )
        )
    return out


def classify_rows(
    classifier: RowClassifier,
    rows: Sequence[DeclaredRow],
    scheme: Scheme | None = None,
    project: str | None = None,
    goal: str | None = None,
) -> list[RowClassification]:
    declared = [declared_for_row(r) for r in rows]  # validate before spending model time
    inputs = [
        ClassifyInput(name=r.name, value=r.value, project=r.project or project, goal=r.goal or goal)
        for r in rows
    ]
    return _compare(inputs, _classify_fn(classifier)(inputs), declared, scheme or Scheme.A)


def _inputs(table: GoalTable) -> list[ClassifyInput]:
    return [
        ClassifyInput(name=i.name, value=i.value, project=table.project, goal=table.goal)
        for i in table.indicators
    ]


def _reviewed(
    table: GoalTable, preds: Sequence[TierPrediction] | None, threshold: float, norms: PeerNorms | None
) -> TableReview:
    classifications: list[RowClassification] = []
    if preds:
        declared = [(declared_code(i), declared_level1(i)) for i in table.indicators]
        classifications = _compare(_inputs(table), preds, declared, table.scheme or Scheme.A)
    findings = review_table(table, [c.prediction for c in classifications], threshold, norms)
    return TableReview(
        table=table,
        classifications=classifications,
        findings=findings,
        grade=grade_table(findings),
        counts=severity_counts(findings),
    )


def review_tables(
    classifier: RowClassifier | None,
    tables: Sequence[GoalTable],
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
    norms: PeerNorms | None = None,
    progress: Progress | None = None,
) -> list[TableReview]:
    """Every table classified (in its scheme), reviewed and graded; rows classified in large batches.

    ``classifier=None`` reviews without the model (no tier-disagreement findings).
    ``progress(done, total)`` is called as tables finish.
    """
    done = [complete_table(t) for t in tables]
    total = len(done)
    out: list[TableReview] = []
    pending: list[GoalTable] = []
    pending_inputs: list[ClassifyInput] = []

    def flush() -> None:
        preds = _classify_fn(classifier)(pending_inputs) if classifier and pending_inputs else []
        start = 0
        for t in pending:
            n = len(t.indicators) if classifier else 0
            out.append(_reviewed(t, preds[start : start + n], threshold, norms))
            start += n
            if progress:
                progress(len(out), total)
        pending.clear()
        pending_inputs.clear()

    for t in done:
        pending.append(t)
        if classifier:
            pending_inputs.extend(_inputs(t))
        if len(pending_inputs) >= CLASSIFY_BATCH:
            flush()
    flush()
    return out


def analyze_table(
    classifier: RowClassifier,
    table: GoalTable,
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
    classify: bool = True,
    norms: PeerNorms | None = None,
) -> TableReview:
    """One table classified, reviewed and graded (the drafting self-check and ``POST /v1/review``)."""
    return review_tables(classifier if classify else None, [table], threshold, norms)[0]


_norms_cache: dict[tuple, PeerNorms] = {}
_norms_lock = threading.Lock()


def _store_key(settings: Settings) -> tuple:
    files = (settings.corpus_dir / "tables.jsonl", settings.corpus_dir / "added.jsonl")
    return tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in files)


def corpus_norms(settings: Settings) -> PeerNorms:
    """The peer targets of the corpus store (built on first use), rebuilt when the store changes."""
    from jixiao.corpus.store import load_corpus

    key = _store_key(settings)
    if key[0][1] is None and key[1][1] is None:
        return _package_norms()  # no store yet: the shipped tables, without writing a store
    with _norms_lock:
        norms = _norms_cache.get(key)
        if norms is None:
            norms = PeerNorms.build(load_corpus(settings))
            _norms_cache.clear()
            _norms_cache[key] = norms
        return norms


@functools.lru_cache(maxsize=1)
def _package_norms() -> PeerNorms:
    from jixiao.corpus.store import build_from_package

    return PeerNorms.build(build_from_package().tables)


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    c = Counter(f.severity for f in findings)
    return {s: c.get(s, 0) for s in Severity}
