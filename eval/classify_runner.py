"""Scoring tier classifiers: the shipped model on held-out fixtures, or any approach by grouped CV.

The classifier helpers come from ``jixiao.models.classifier`` (``APPROACHES``,
``load_shipped``), but every runner takes them as arguments, so the evaluation can be
tested with a fake and needs no trained model.

Classifiers predict cost as 14 whatever the scheme (the corpus has too few scheme-B cost
rows to learn 41-43), so by default scores merge the cost tiers; ``merge_cost=False``
instead puts each prediction into the scheme of its gold table before comparing.
"""

from __future__ import annotations

import inspect
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tqdm import tqdm

from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import Scheme
from jixiao.corpus.taxonomy import merge_cost as _merge_cost
from jixiao.errors import JixiaoError
from jixiao.eval.classification_metrics import ClassificationMetrics, classification_metrics
from jixiao.eval.fixture_sets import FixtureSet
from jixiao.eval.splits import grouped_kfold

log = logging.getLogger("jixiao.eval")

ClassifierFactory = Callable[[], Any]  # () -> TierClassifier (fit / predict)
MAX_ERRORS_LISTED = 50

#: How predictions are made, side by side for every approach: each row alone; the whole
#: table decoded together from its row order only; and the same with the level 1 the
#: table prints (where it prints one; a level 1 filled in by hand is never given).
DECODINGS = ("row", "table", "table+L1")


@dataclass
class Misclassified:
    table_id: str
    name: str
    value: str | None
    gold: str
    predicted: str
    confidence: float


@dataclass
class ApproachResult:
    approach: str
    decoding: str = "row"
    rows: int = 0
    folds: int | None = None
    metrics: ClassificationMetrics | None = None
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    top_confusions: list[tuple[str, str, int]] = field(default_factory=list)
    errors: list[Misclassified] = field(default_factory=list)  # the first MAX_ERRORS_LISTED wrong rows
    error: str | None = None  # why the approach could not be scored
    #: The same scores on the rows whose level 2 the table did not print (``inferred_levels``):
    #: where a reviewer needs the model most.
    inferred_rows: int = 0
    inferred: ClassificationMetrics | None = None

    @property
    def label(self) -> str:
        return self.approach if self.decoding == "row" else f"{self.approach} [{self.decoding}]"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class ClassifyEvalResult:
    mode: str  # "fixtures", "cv" or "cv-corrections"
    merge_cost: bool
    tables: int
    approaches: list[ApproachResult]
    fixtures: FixtureSet | None = None
    unlabeled_rows: int = 0  # rows without a gold code (seed 001 prints level 1 only): not scored
    corrected_rows: int | None = None  # mode "cv-corrections": rows reviewers corrected

    def to_dict(self) -> dict:
        return {
            "kind": "classify",
            "mode": self.mode,
            "corrected_rows": self.corrected_rows,
            "merge_cost": self.merge_cost,
            "tables": self.tables,
            "unlabeled_rows": self.unlabeled_rows,
            "fixtures": self.fixtures.to_dict() if self.fixtures else None,
            "approaches": [a.to_dict() for a in self.approaches],
        }


@dataclass
class _Row:
    table: GoalTable
    indicator: Indicator


def labeled_rows(tables: Sequence[GoalTable]) -> tuple[list[_Row], int]:
    """Rows with a gold code and a name, and how many rows were left out for lacking one."""
    rows, skipped = [], 0
    for t in tables:
        for ind in t.indicators:
            if ind.code and (ind.name or "").strip():
                rows.append(_Row(t, ind))
            else:
                skipped += 1
    return rows, skipped


def _input(row: _Row, with_declared: bool = False) -> Any:
    from jixiao.models.classifier.contract import ClassifyInput
    from jixiao.models.classifier.examples import printed_level1

    t = row.table
    return ClassifyInput(
        name=row.indicator.name,
        value=row.indicator.value,
        project=t.project,
        goal=t.goal,
        group=t.source or t.id,
        table_id=t.id,
        declared_level1=printed_level1(row.indicator) if with_declared else None,
    )


def predict_decodings(model: Any, rows: list[_Row]) -> dict[str, list[Any]]:
    """Predictions for ``rows`` under every decoding in ``DECODINGS`` (row order kept).

    Rows are predicted once; the table-aware decodings re-decode them one table at a
    time with the model's fitted decoder (rows of a table are consecutive in ``rows``).
    A model whose predictions carry no probabilities is scored row by row only.
    """
    from jixiao.models.classifier.table_predict import decode_predictions, decoder_of

    plain = [_input(r) for r in rows]
    row_preds = list(model.predict(plain)) if rows else []
    if len(row_preds) != len(rows) or not all(getattr(p, "probabilities", None) for p in row_preds):
        return {"row": row_preds}  # without probabilities there is nothing to decode
    out: dict[str, list[Any]] = {"row": row_preds, "table": [], "table+L1": []}
    decoder = decoder_of(model, row_preds)
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and rows[end].table is rows[start].table:
            end += 1
        scheme = rows[start].table.scheme
        for name, declared in (("table", False), ("table+L1", True)):
            inputs = [_input(r, with_declared=declared) for r in rows[start:end]]
            out[name] += decode_predictions(
                decoder, inputs, row_preds[start:end], scheme if declared else None
            )
        start = end
    return out


def _predicted_code(pred: Any, row: _Row, merge_cost: bool) -> str:
    if merge_cost or not hasattr(pred, "in_scheme"):
        return pred.code
    return pred.in_scheme(row.table.scheme or Scheme.A).code


def _score(
    approach: str,
    rows: list[_Row],
    preds: list[Any],
    merge_cost: bool,
    folds: int | None,
    decoding: str = "row",
) -> ApproachResult:
    if not rows:
        return ApproachResult(
            approach=approach, decoding=decoding, folds=folds, error="nothing to score: no labeled rows"
        )
    if len(preds) != len(rows):
        raise JixiaoError(f"分类方法 {approach!r} 对 {len(rows)} 行给出了 {len(preds)} 个预测")
    gold = [r.indicator.code for r in rows]
    pred = [_predicted_code(p, r, merge_cost) for p, r in zip(preds, rows, strict=True)]
    conf = [float(p.confidence) for p in preds]
    metrics = classification_metrics(gold, pred, conf, merge_cost=merge_cost)
    inferred = [i for i, r in enumerate(rows) if "level2" in r.indicator.inferred_levels]
    inferred_metrics = (
        classification_metrics(
            [gold[i] for i in inferred],
            [pred[i] for i in inferred],
            [conf[i] for i in inferred],
            merge_cost=merge_cost,
        )
        if inferred
        else None
    )
    norm = _merge_cost if merge_cost else (lambda c: c)
    wrong = [(r, g, p, c) for r, g, p, c in zip(rows, gold, pred, conf, strict=True) if norm(g) != norm(p)]
    confusions = Counter((norm(g), norm(p)) for _, g, p, _ in wrong)
    return ApproachResult(
        approach=approach,
        decoding=decoding,
        rows=len(rows),
        folds=folds,
        metrics=metrics,
        top_confusions=[(g, p, n) for (g, p), n in confusions.most_common(10)],
        errors=[
            Misclassified(r.table.id, r.indicator.name, r.indicator.value, norm(g), norm(p), round(c, 4))
            for r, g, p, c in sorted(wrong, key=lambda w: -w[3])[:MAX_ERRORS_LISTED]
        ],
        inferred_rows=len(inferred),
        inferred=inferred_metrics,
    )


def _score_all(
    approach: str, rows: list[_Row], preds: dict[str, list[Any]], merge_cost: bool, folds: int | None
) -> list[ApproachResult]:
    return [_score(approach, rows, preds[d], merge_cost, folds, d) for d in DECODINGS if d in preds]


def evaluate_fixtures(
    fixtures: FixtureSet, classifier: Any, *, approach: str = "shipped", merge_cost: bool = True
) -> ClassifyEvalResult:
    """Score an already trained classifier on the fixture tables it never saw."""
    rows, unlabeled = labeled_rows(fixtures.tables)
    t0 = time.perf_counter()
    preds = predict_decodings(classifier, rows) if rows else {"row": []}
    results = _score_all(approach, rows, preds, merge_cost, None)
    for result in results:
        result.predict_seconds = round(time.perf_counter() - t0, 3)
    return ClassifyEvalResult(
        mode="fixtures",
        merge_cost=merge_cost,
        tables=len(fixtures.tables),
        approaches=results,
        fixtures=fixtures,
        unlabeled_rows=unlabeled,
    )


def cross_validate(
    tables: Sequence[GoalTable],
    approaches: dict[str, ClassifierFactory],
    *,
    folds: int = 5,
    seed: int = 0,
    merge_cost: bool = True,
    progress: bool = True,
) -> ClassifyEvalResult:
    """For each approach: per fold, fit a fresh model on the other folds' tables, predict this
    fold, then score the pooled predictions. Every approach sees the same folds.

    An approach that fails (a missing optional dependency, say) is reported with its error
    when several are compared; when it is the only one, its error is raised.
    """
    splits = grouped_kfold(tables, k=folds, seed=seed)
    _, unlabeled = labeled_rows(tables)
    results = []
    for name, make in approaches.items():
        try:
            results += _cv_one(name, make, tables, splits, merge_cost, progress)
        except (JixiaoError, ImportError, ValueError) as e:
            if len(approaches) == 1:
                raise
            log.warning("方法 %s 评估失败：%s", name, e)
            results.append(ApproachResult(approach=name, folds=len(splits), error=f"评估失败：{type(e).__name__}: {e}"))
    return ClassifyEvalResult(
        mode="cv", merge_cost=merge_cost, tables=len(tables), approaches=results, unlabeled_rows=unlabeled
    )


def _cv_one(
    name: str,
    make: ClassifierFactory,
    tables: Sequence[GoalTable],
    splits: list,
    merge_cost: bool,
    progress: bool,
    train_tables: Sequence[GoalTable] | None = None,
) -> list[ApproachResult]:
    """``train_tables`` (aligned with ``tables``): the labels to train on, where they differ
    from the labels scored (the corrections comparison trains on the labels as first stored)."""
    train_tables = tables if train_tables is None else train_tables
    pooled_rows: list[_Row] = []
    pooled: dict[str, list[Any]] = {}
    fit_s = pred_s = 0.0
    for fold in tqdm(splits, desc=f"交叉验证 {name}", unit="折", file=sys.stderr, disable=not progress):
        train_rows, _ = labeled_rows([train_tables[i] for i in fold.train])
        test_rows, _ = labeled_rows([tables[i] for i in fold.test])
        if not test_rows:
            continue
        if not train_rows:
            raise JixiaoError(f"分类方法 {name!r} 的某一折没有已标注的训练行")
        t0 = time.perf_counter()
        model = make().fit(
            [_input(r, with_declared=True) for r in train_rows], [r.indicator.code for r in train_rows]
        )
        t1 = time.perf_counter()
        preds = predict_decodings(model, test_rows)
        pred_s += time.perf_counter() - t1
        fit_s += t1 - t0
        if len(preds["row"]) != len(test_rows):
            raise JixiaoError(
                f"approach {name!r} returned {len(preds['row'])} predictions for {len(test_rows)} rows"
            )
        pooled_rows += test_rows
        for d, p in preds.items():
            pooled.setdefault(d, []).extend(p)
    results = _score_all(name, pooled_rows, pooled, merge_cost, len(splits))
    for result in results:
        result.fit_seconds = round(fit_s, 3)
        result.predict_seconds = round(pred_s, 3)
    return results


#: The two trainings the corrections comparison scores, side by side on the same folds.
CORRECTION_TRAININGS = (("without", "训练不含更正"), ("with", "训练含更正"))


def corrections_effect(
    corrected: Sequence[GoalTable],
    original: Sequence[GoalTable],
    approaches: dict[str, ClassifierFactory],
    *,
    folds: int = 5,
    seed: int = 0,
    merge_cost: bool = True,
    progress: bool = True,
) -> ClassifyEvalResult:
    """What reviewers' corrections are worth, by grouped CV that keeps each table's corrections
    in its fold: per fold, one model learns the training tables' labels as first stored and
    one learns them corrected; both predict the held-out tables, which are scored against
    their corrected labels. A held-out table's own corrections are never trained on, so
    the gain is what corrections to *other* tables bring to a table no one has corrected.

    ``original`` holds the same tables as ``corrected`` (matched by id) before corrections.
    """
    by_id = {t.id: t for t in original}
    missing = [t.id for t in corrected if t.id not in by_id]
    if missing:
        raise JixiaoError(f"更正前的语料中缺少这些表：{'、'.join(missing[:5])}")
    before = [by_id[t.id] for t in corrected]
    splits = grouped_kfold(corrected, k=folds, seed=seed)
    _, unlabeled = labeled_rows(corrected)
    results = []
    for name, make in approaches.items():
        for key, title in CORRECTION_TRAININGS:
            train = before if key == "without" else corrected
            results += _cv_one(f"{name} · {title}", make, corrected, splits, merge_cost, progress, train)
    return ClassifyEvalResult(
        mode="cv-corrections",
        merge_cost=merge_cost,
        tables=len(corrected),
        approaches=results,
        unlabeled_rows=unlabeled,
        corrected_rows=corrected_row_count(corrected, before),
    )


def corrected_row_count(corrected: Sequence[GoalTable], original: Sequence[GoalTable]) -> int:
    """Indicator rows whose tier, name or value differs between the two label sets."""
    n = 0
    for a, b in zip(corrected, original, strict=True):
        n += abs(len(a.indicators) - len(b.indicators))
        for x, y in zip(a.indicators, b.indicators, strict=False):
            n += (x.code, x.name, x.value) != (y.code, y.name, y.value)
    return n


def available_approaches() -> dict[str, ClassifierFactory]:
    """``jixiao.models.classifier.APPROACHES`` (a function, so tests can replace it)."""
    from jixiao.models.classifier import APPROACHES

    return dict(APPROACHES)


def select_approaches(name: str | None, embedder_name: str | None = None) -> dict[str, ClassifierFactory]:
    """``all``, one named approach, or (None) the shipped one.

    Factories that take an embedder get one shared instance, loaded on first use, so
    five folds of several approaches load the model once (and share its text cache).
    """
    approaches = available_approaches()
    if name is None:
        from jixiao.models.classifier import SHIPPED_APPROACH

        name = SHIPPED_APPROACH
    if name != "all" and name not in approaches:
        raise JixiaoError(f"未知的分类方法 {name!r}；可选：all、{'、'.join(approaches)}")
    chosen = approaches if name == "all" else {name: approaches[name]}
    shared: list[Any] = []

    def embedder() -> Any:
        if not shared:
            from jixiao.models.suggest import resolve_embedder
            from jixiao.settings import get_settings

            settings = get_settings()
            shared.append(resolve_embedder(embedder_name or settings.embedding_model, settings))
        return shared[0]

    return {n: _with_embedder(f, embedder) for n, f in chosen.items()}


def _with_embedder(factory: Callable[..., Any], embedder: Callable[[], Any]) -> ClassifierFactory:
    try:
        takes_embedder = "embedder" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        takes_embedder = False
    if not takes_embedder:
        return factory
    return lambda: factory(embedder=embedder())


def shipped_classifier() -> Any:
    """The trained model ``jixiao train`` saved (its loader names the command when missing)."""
    from jixiao.models.classifier import load_shipped

    return load_shipped()
