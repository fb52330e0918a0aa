"""Plain-text tables for the terminal: what ``jixiao eval`` prints without ``--json``."""

from __future__ import annotations

import unicodedata

from jixiao.corpus.taxonomy import LEVEL1_NAMES, TIERS
from jixiao.eval.classification_metrics import LevelMetrics
from jixiao.eval.classify_runner import ApproachResult, ClassifyEvalResult
from jixiao.eval.fixture_sets import FixtureSet
from jixiao.eval.suggest_runner import SuggestEvalResult


def label_name(code: str) -> str:
    if code in TIERS:
        return TIERS[code].level2
    return LEVEL1_NAMES.get(code, code)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    """Left-justify by display width: a Chinese character takes two terminal columns."""
    return text + " " * max(0, width - _width(text))


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def fixture_lines(fx: FixtureSet | None) -> list[str]:
    if fx is None:
        return []
    lines = [f"fixtures: {fx.path}: {len(fx.tables)} tables scored"]
    if fx.excluded:
        lines.append(f"excluded {len(fx.excluded)} fixture tables already in the training corpus:")
        by_cause: dict[tuple[str, str], list[str]] = {}
        for e in fx.excluded:
            by_cause.setdefault((e.reason, e.source or "-"), []).append(e.id)
        lines += [f"  {', '.join(ids)}  ({reason}; source {src})" for (reason, src), ids in by_cause.items()]
    if fx.skipped:
        lines.append(f"skipped {len(fx.skipped)} bad lines:")
        lines += [f"  line {s.line}: {s.problem}" for s in fx.skipped]
    return lines


def comparison_lines(approaches: list[ApproachResult]) -> list[str]:
    """One line per approach and decoding; the right-hand columns repeat the level scores
    on the rows whose level 2 the table did not print (``inferred``)."""
    width = max([22, *(len(a.label) for a in approaches)])
    head = (
        f"{'approach':<{width}} {'rows':>5} {'L1 acc':>7} {'L1 F1':>7} {'L2 acc':>7} {'L2 F1':>7} {'ECE':>6} "
        f"{'| inf.':>6} {'L1 acc':>7} {'L2 acc':>7} {'L2 F1':>7} {'fit s':>7}"
    )
    lines = [head, "-" * len(head)]
    for a in approaches:
        if a.metrics is None:
            lines.append(f"{a.label:<{width}} {a.error}")
            continue
        m, inf = a.metrics, a.inferred
        lines.append(
            f"{a.label:<{width}} {a.rows:>5} {_f(m.level1.accuracy):>7} {_f(m.level1.macro_f1):>7} "
            f"{_f(m.level2.accuracy):>7} {_f(m.level2.macro_f1):>7} {_f(m.ece):>6} "
            f"{'| ' + str(a.inferred_rows):>6} {_f(inf.level1.accuracy if inf else None):>7} "
            f"{_f(inf.level2.accuracy if inf else None):>7} {_f(inf.level2.macro_f1 if inf else None):>7} "
            f"{a.fit_seconds:>7.1f}"
        )
    return lines


def per_class_lines(level: LevelMetrics) -> list[str]:
    lines = [f"{'code':<5} {'tier':<18} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}"]
    for c in level.per_class:
        lines.append(
            f"{c.label:<5} {_pad(label_name(c.label), 18)} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f} {c.support:>8}"
        )
    return lines


def confusion_lines(level: LevelMetrics) -> list[str]:
    width = max(4, *(len(x) + 1 for x in level.labels)) if level.labels else 4
    lines = ["gold \\ predicted " + "".join(f"{x:>{width}}" for x in level.labels)]
    for label, row in zip(level.labels, level.confusion, strict=True):
        lines.append(f"{label:<17}" + "".join(f"{n:>{width}}" for n in row))
    return lines


def render_classify(r: ClassifyEvalResult) -> str:
    lines = [
        f"classification ({r.mode}): {r.tables} tables, {r.unlabeled_rows} rows without a gold tier not scored"
    ]
    if r.merge_cost:
        lines.append("cost tiers merged (14 = 41/42/43)")
    if r.corrected_rows is not None:
        lines.append(
            f"reviewers corrected {r.corrected_rows} rows; every model is scored on the corrected labels, "
            "and a held-out table's own corrections are never trained on"
        )
    lines += fixture_lines(r.fixtures)
    lines.append("")
    lines += comparison_lines(r.approaches)
    scored = [a for a in r.approaches if a.metrics is not None and a.rows]
    if len({a.approach for a in r.approaches}) == 1:  # one approach: details for each decoding
        for a in scored:
            lines += ["", f"== {a.label}", "level 2 per class:"] + per_class_lines(a.metrics.level2)
            lines += ["", "level 2 confusion:"] + confusion_lines(a.metrics.level2)
            if a.top_confusions:
                lines += ["", "top confusions (gold → predicted: rows):"]
                lines += [f"  {g} {label_name(g)} → {p} {label_name(p)}: {n}" for g, p, n in a.top_confusions]
    return "\n".join(lines)


def render_suggest(r: SuggestEvalResult) -> str:
    m = r.metrics
    lines = [f"suggestion ({r.mode}{f', {r.folds} folds' if r.folds else ''}): {m.tables} tables, k={r.k}"]
    lines += fixture_lines(r.fixtures)
    if r.unqueryable:
        lines.append(f"not scored: {len(r.unqueryable)} tables")
        lines += [f"  {u.id}  ({u.reason})" for u in r.unqueryable]
    if not m.tables:
        return "\n".join([*lines, "", "nothing to score: no table with a tiered indicator left"])
    b = r.baseline
    lines += ["", f"{'metric':<34} {'draft':>8} {'baseline':>9} {'ratio':>6}"]

    def row(label: str, x: float | None, y: float | None, fmt: str = ".3f") -> None:
        xs = "-" if x is None else format(x, fmt)
        ys = "-" if y is None else format(y, fmt)
        ratio = f"{x / y:.2f}" if x is not None and y else "-"
        lines.append(f"{label:<34} {xs:>8} {ys:>9} {ratio:>6}")

    row("tier coverage", m.tier_coverage, b and b.tier_coverage)
    row(f"strict recall@{r.k} (same L2, Dice≥0.5)", m.recall_at_k, b and b.recall_at_k)
    row("keyword recall", m.keyword_recall, b and b.keyword_recall)
    row("  (the query text's own words)", m.keyword_query_ceiling, None)
    row("on-topic rate", m.on_topic_rate, b and b.on_topic_rate)
    row("review errors per draft", m.review_errors_per_draft, b and b.review_errors_per_draft, ".2f")
    row("review warnings per draft", m.review_warnings_per_draft, b and b.review_warnings_per_draft, ".2f")
    row("drafts with an error", m.drafts_with_errors, b and b.drafts_with_errors, "d")
    row("goal-text numbers from the query", m.goal_numbers_from_query, b and b.goal_numbers_from_query)
    lines += [
        f"strict hits: {m.hits}/{m.gold_indicators} gold indicators; mean recall per table {m.table_mean_recall:.3f}",
        f"value exact {m.value_exact:.3f}, same kind/unit {m.value_kind_unit:.3f} (of {m.value_pairs} hits)",
        "",
        f"{'code':<5} {'tier':<18} {'tables':>6} {'coverage':>9} {'gold':>5} {'hits':>5} {'recall':>7}",
    ]
    for t in m.per_tier:
        lines.append(
            f"{t.code:<5} {_pad(label_name(t.code), 18)} {t.tables:>6} {t.coverage:>9.3f} {t.gold_indicators:>5} "
            f"{t.hits:>5} {t.recall:>7.3f}"
        )
    return "\n".join(lines)
