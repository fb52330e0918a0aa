"""Classify and review tables with an engine: the one place routes and the CLI share.

A route only validates, calls one of these in a worker thread and wraps the result,
so the upload, review and classify endpoints give the same answer for the same row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from jixiao.corpus.review import (
    DEFAULT_DISAGREEMENT_THRESHOLD,
    Finding,
    Severity,
    complete_table,
    declared_code,
    declared_level1,
    review_table,
)
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import Scheme, agrees, level1_code, resolve
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.examples import inputs_from_table
from jixiao.service.api_models import ClassifyRow, RowClassification, UploadedTable
from jixiao.service.deps import Engine


def declared_for_row(row: ClassifyRow) -> tuple[str | None, str | None]:
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


def classify_rows(
    engine: Engine,
    rows: list[ClassifyRow],
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
    return _classified(engine, inputs, declared, scheme or Scheme.A, as_table)


def _classified(
    engine: Engine,
    inputs: list[ClassifyInput],
    declared: list[tuple[str | None, str | None]],
    scheme: Scheme,
    as_table: bool = False,
    table_scheme: Scheme | None = None,
) -> list[RowClassification]:
    """Predictions expressed in ``scheme``, each compared with the (code, level 1) declared for its row."""
    preds = engine.classify_table(inputs, table_scheme) if as_table else engine.classify(inputs)
    out = []
    for i, (x, pred, (code, l1)) in enumerate(zip(inputs, preds, declared, strict=True)):
        p = pred.in_scheme(scheme)
        out.append(
            RowClassification(
                index=i,
                name=x.name,
                prediction=p,
                declared_code=code,
                agrees=agrees(p.code, code, l1, scheme),
            )
        )
    return out


def analyze_table(
    engine: Engine, table: GoalTable, threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD, classify: bool = True
) -> UploadedTable:
    """Every row classified (in the table's scheme, the rows decoded together as the table
    they are) and the table reviewed with those predictions."""
    table = complete_table(table)
    scheme = table.scheme or Scheme.A
    classifications: list[RowClassification] = []
    if classify and table.indicators:
        inputs = inputs_from_table(table)
        declared = [(declared_code(i), declared_level1(i)) for i in table.indicators]
        classifications = _classified(
            engine, inputs, declared, scheme, as_table=True, table_scheme=table.scheme
        )
    findings = review_table(table, [c.prediction for c in classifications], threshold)
    return UploadedTable(table=table, classifications=classifications, findings=findings)


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    c = Counter(f.severity for f in findings)
    return {s: c.get(s, 0) for s in Severity}
