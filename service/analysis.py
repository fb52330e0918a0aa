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
    complete_table,
    declared_code,
    declared_level1,
    grade_table,
    review_table,
)
from jixiao.corpus.review_table_only import TableOnlyFindings
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import LEVEL1_NAMES, TIERS, Scheme, agrees, level1_code, resolve
from jixiao.fast_models import constructed
from jixiao.models.classifier.contract import ClassifyInput, TierPrediction
from jixiao.models.classifier.examples import inputs_from_table
from jixiao.settings import Settings

#: Rows per classifier call when many tables are reviewed together.
CLASSIFY_BATCH = 256


class HasClassify(Protocol):
    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]: ...


class HasClassifyTables(HasClassify, Protocol):
    """A classifier that also reads whole tables: each table's rows decoded together
    (blocks, canonical order, printed level 1; ``models.classifier.table``)."""

    def classify_tables(
        self, tables: list[list[ClassifyInput]], schemes: list[Scheme | None]
    ) -> list[list[TierPrediction]]: ...


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


def _classify_tables(
    classifier: RowClassifier, schemes: list[Scheme | None], inputs: list[list[ClassifyInput]]
) -> list[list[TierPrediction]]:
    """Every table's rows predicted in one call; decoded as tables when the classifier can."""
    if hasattr(classifier, "classify_tables"):
        return classifier.classify_tables(inputs, schemes)  # type: ignore[union-attr]
    flat = _classify_fn(classifier)([x for rows in inputs for x in rows])
    out, start = [], 0
    for rows in inputs:
        out.append(list(flat[start : start + len(rows)]))
        start += len(rows)
    return out


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
            constructed(  # every field made here with its exact type: no re-validation
                RowClassification,
                index=i,
                name=x.name,
                prediction=p,
                declared_code=code,
                declared_tier=tier_name(code, l1),
                agrees=agrees(p.code, code, l1, scheme),
            )
        )
    return out


def classify_rows(
    classifier: RowClassifier,
    rows: Sequence[DeclaredRow],
    scheme: Scheme | None = None,
    project: str | None = None,
    goal: str | None = None,
    as_table: bool = False,
) -> list[RowClassification]:
    """Each row alone, or (``as_table``) the rows as one table in order, decoded together."""
    declared = [declared_for_row(r) for r in rows]  # validate before spending model time
    inputs = [
        ClassifyInput(
            name=r.name,
            value=r.value,
            project=r.project or project,
            goal=r.goal or goal,
            declared_level1=(code[0] if code else l1) if as_table else None,
        )
        for r, (code, l1) in zip(rows, declared, strict=True)
    ]
    preds = _classify_tables(classifier, [scheme], [inputs])[0] if as_table else _classify_fn(classifier)(inputs)
    return _compare(inputs, preds, declared, scheme or Scheme.A)


def _reviewed(
    table: GoalTable,
    preds: Sequence[TierPrediction] | None,
    threshold: float,
    norms: PeerNorms | None,
    table_only: TableOnlyFindings | None = None,
) -> TableReview:
    classifications: list[RowClassification] = []
    if preds:
        declared = [(declared_code(i), declared_level1(i)) for i in table.indicators]
        classifications = _compare(inputs_from_table(table), preds, declared, table.scheme or Scheme.A)
    findings = review_table(table, [c.prediction for c in classifications], threshold, norms, table_only)
    return TableReview.model_construct(  # made here from validated parts: no re-validation
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
    completed: bool = False,
    table_only: Sequence[TableOnlyFindings] | None = None,
) -> list[TableReview]:
    """Every table classified (in its scheme), reviewed and graded; rows classified in large
    batches, each table's rows decoded together when the classifier reads whole tables.

    ``classifier=None`` reviews without the model (no tier-disagreement findings).
    ``progress(done, total)`` is called as tables finish. ``completed=True`` says the tables
    went through ``complete_table`` already and are the caller's to give away: an upload's
    parser process completes them, so the server does not deep-copy them again under the GIL.
    ``table_only`` (one per table, with ``completed``) are the findings of the table-only
    checks, made there too.
    """
    alone = list(table_only) if table_only is not None else None
    if alone is not None and len(alone) != len(tables):
        raise ValueError("table_only needs one entry per table")
    done = list(tables) if completed else [complete_table(t) for t in tables]
    total = len(done)
    out: list[TableReview] = []
    pending: list[GoalTable] = []

    def flush() -> None:
        inputs = [inputs_from_table(t) for t in pending] if classifier else []
        schemes = [t.scheme for t in pending]
        preds = _classify_tables(classifier, schemes, inputs) if classifier else [[] for _ in pending]
        for t, p in zip(pending, preds, strict=True):
            out.append(_reviewed(t, p, threshold, norms, alone[len(out)] if alone is not None else None))
            if progress:
                progress(len(out), total)
        pending.clear()

    rows = 0
    for t in done:
        pending.append(t)
        rows += len(t.indicators)
        if rows >= CLASSIFY_BATCH:
            flush()
            rows = 0
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


_norms_cache: dict[tuple[str, str], PeerNorms] = {}
_norms_lock = threading.Lock()


def corpus_norms(settings: Settings) -> PeerNorms:
    """The peer targets of the corpus store, rebuilt when its version grows.

    Without a store yet (a fresh home, the default SQLite file absent), the shipped
    tables serve, and no store is created just to review a file.
    """
    from jixiao.corpus.store import current_version, load_corpus

    if not settings.database_url and not (settings.home / "jixiao.db").exists():
        return _package_norms()
    key = (settings.db_url, current_version(settings))
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
