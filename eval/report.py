"""``--report DIR``: an ``index.html`` a reviewer can open offline, plus the PNG plots.

The HTML embeds the plots (base64) as well as writing them next to it, so the one file
can be mailed or attached to a review; the PNGs are there for slides and diffs. Every
number in the terminal output is in a table here too, with a legend from tier code to
Chinese name (the plots use codes when no CJK font is installed).
"""

from __future__ import annotations

import base64
import json
import re
from html import escape
from pathlib import Path

from jixiao.corpus.taxonomy import LEVEL1_NAMES, TIERS
from jixiao.errors import JixiaoError
from jixiao.eval import plots
from jixiao.eval.classification_metrics import LevelMetrics
from jixiao.eval.classify_runner import ApproachResult, ClassifyEvalResult
from jixiao.eval.fixture_sets import FixtureSet
from jixiao.eval.suggest_runner import SuggestEvalResult

LEVEL2_NAMES = {c: t.level2 for c, t in TIERS.items()}

_CSS = """
body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2} td.l,th.l{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}
.note{color:#666;font-size:90%}
"""


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _table(head: list[str], rows: list[list[object]], left: int = 1) -> str:
    """An HTML table; the first ``left`` columns are text (left aligned)."""

    def cell(tag: str, i: int, v: object) -> str:
        cls = ' class="l"' if i < left else ""
        return f"<{tag}{cls}>{escape(str(v))}</{tag}>"

    out = ["<table><tr>" + "".join(cell("th", i, h) for i, h in enumerate(head)) + "</tr>"]
    out += ["<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>" for r in rows]
    return "\n".join(out) + "</table>"


def _img(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{escape(alt)}" title="{escape(path.name)}" src="data:image/png;base64,{data}"></p>'


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name) or "approach"


def _legend(codes: list[str]) -> str:
    rows = [
        [c, LEVEL2_NAMES.get(c) or LEVEL1_NAMES.get(c, "?"), TIERS[c].level1 if c in TIERS else ""]
        for c in codes
    ]
    return "<h3>Tier codes</h3>" + _table(["code", "name", "level 1"], rows, left=3)


def _fixtures_html(fx: FixtureSet | None) -> str:
    if fx is None:
        return ""
    parts = [f"<h2>Fixtures</h2><p>{escape(fx.path)}: {len(fx.tables)} tables scored.</p>"]
    parts.append(f"<h3>Excluded fixtures ({len(fx.excluded)})</h3>")
    parts.append(
        '<p class="note">Tables whose id or source document is in the training corpus: a model that saw them '
        "cannot be scored on them.</p>"
    )
    if fx.excluded:
        parts.append(
            _table(["id", "reason", "source"], [[e.id, e.reason, e.source or ""] for e in fx.excluded], 3)
        )
    parts.append(f"<h3>Skipped lines ({len(fx.skipped)})</h3>")
    if fx.skipped:
        parts.append(_table(["line", "problem"], [[s.line, s.problem] for s in fx.skipped], 2))
    return "\n".join(parts)


def _level_html(level: LevelMetrics, title: str) -> str:
    rows = [
        [
            c.label,
            LEVEL2_NAMES.get(c.label) or LEVEL1_NAMES.get(c.label, "?"),
            _f(c.precision),
            _f(c.recall),
            _f(c.f1),
            c.support,
            c.predicted,
        ]
        for c in level.per_class
    ]
    parts = [
        f"<h3>{escape(title)}: per class</h3>",
        _table(["code", "tier", "precision", "recall", "F1", "support", "predicted"], rows, left=2),
    ]
    conf_rows = [[g, *row] for g, row in zip(level.labels, level.confusion, strict=True)]
    parts += [
        f"<h3>{escape(title)}: confusion matrix (rows gold, columns predicted)</h3>",
        _table(["gold \\ pred", *level.labels], conf_rows),
    ]
    return "\n".join(parts)


def _comparison_html(approaches: list[ApproachResult]) -> str:
    """Every approach and decoding side by side; the ``inferred`` columns score only the
    rows whose level 2 the table did not print, where a reviewer needs the model most."""
    rows = []
    for a in approaches:
        m, inf = a.metrics, a.inferred
        if m is None:
            rows.append([a.label, a.rows, a.error or "", "", "", "", "", "", "", "", "", "", ""])
            continue
        rows.append(
            [
                a.label,
                a.rows,
                _f(m.level1.accuracy),
                _f(m.level1.macro_f1),
                _f(m.level2.accuracy),
                _f(m.level2.macro_f1),
                _f(m.ece),
                a.inferred_rows,
                _f(inf.level1.accuracy if inf else None),
                _f(inf.level2.accuracy if inf else None),
                _f(inf.level2.macro_f1 if inf else None),
                f"{a.fit_seconds:.1f}",
                f"{a.predict_seconds:.1f}",
            ]
        )
    head = [
        "approach [decoding]",
        "rows",
        "L1 accuracy",
        "L1 macro-F1",
        "L2 accuracy",
        "L2 macro-F1",
        "ECE",
        "inferred rows",
        "inferred L1 acc",
        "inferred L2 acc",
        "inferred L2 macro-F1",
        "fit s",
        "predict s",
    ]
    note = (
        "<p>Decodings: <b>row</b> predicts each row alone; <b>table</b> decodes each table's rows together "
        "(blocks, canonical order); <b>table+L1</b> also uses the level 1 the table prints, where it prints "
        "one (never a level filled in by hand).</p>"
    )
    return "<h2>Approach comparison</h2>" + note + _table(head, rows)


def _approach_html(a: ApproachResult, out: Path, prefix: str) -> tuple[str, list[str]]:
    m = a.metrics
    if m is None:
        return f"<h2>{escape(a.label)}</h2><p>{escape(a.error or '')}</p>", []
    cm = plots.confusion_heatmap(
        m.level2, out / f"{prefix}confusion.png", LEVEL2_NAMES, f"{a.label}: 二级指标"
    )
    rel = plots.reliability_diagram(
        m.reliability, m.ece, out / f"{prefix}reliability.png", f"{a.label}: 校准"
    )
    prf = plots.grouped_bars(
        m.level2.labels,
        {
            plots.axis_title("精确率", "precision"): [c.precision for c in m.level2.per_class],
            plots.axis_title("召回率", "recall"): [c.recall for c in m.level2.per_class],
            "F1": [c.f1 for c in m.level2.per_class],
        },
        out / f"{prefix}per_class.png",
        LEVEL2_NAMES,
        f"{a.label}: 各二级指标",
        plots.axis_title("得分", "score"),
    )
    summary = _table(
        ["metric", "value"],
        [
            ["rows", a.rows],
            ["level-1 accuracy", _f(m.level1.accuracy)],
            ["level-1 macro-F1", _f(m.level1.macro_f1)],
            ["level-2 accuracy", _f(m.level2.accuracy)],
            ["level-2 macro-F1", _f(m.level2.macro_f1)],
            ["ECE (10 bins)", _f(m.ece)],
            ["cost tiers merged", "yes" if m.merge_cost else "no"],
        ],
    )
    confusions = _table(
        ["gold", "predicted", "rows"],
        [
            [f"{g} {LEVEL2_NAMES.get(g, '')}", f"{p} {LEVEL2_NAMES.get(p, '')}", n]
            for g, p, n in a.top_confusions
        ],
    )
    parts = [
        f"<h2>{escape(a.label)}</h2>",
        summary,
        "<h3>Most frequent confusions (level 2)</h3>",
        confusions,
        _level_html(m.level2, "Level 2"),
        _level_html(m.level1, "Level 1"),
    ]
    parts += [
        _img(cm, "confusion matrix"),
        _img(prf, "per-class precision, recall, F1"),
        _img(rel, "reliability diagram"),
    ]
    bins = [
        [f"{b.lower:.1f}–{b.upper:.1f}", b.count, _f(b.accuracy), _f(b.confidence)] for b in m.reliability
    ]
    parts += [
        "<h3>Reliability bins</h3>",
        _table(["confidence", "rows", "accuracy", "mean confidence"], bins),
    ]
    if a.errors:
        rows = [[e.table_id, e.name, e.value or "", e.gold, e.predicted, _f(e.confidence)] for e in a.errors]
        parts += [
            "<h3>Most confident errors</h3>",
            _table(["table", "indicator", "value", "gold", "predicted", "confidence"], rows, 3),
        ]
    return "\n".join(parts), [cm.name, rel.name, prf.name]


def _page(title: str, body: list[str], result_json: dict) -> str:
    # Raw JSON inside <script> (no HTML escaping there); "<" escaped so "</script>" cannot occur.
    data = json.dumps(result_json, ensure_ascii=False).replace("<", "\\u003c")
    return (
        f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><h1>{escape(title)}</h1>\n"
        + "\n".join(body)
        + f'\n<script type="application/json" id="metrics">{data}</script></body></html>\n'
    )


def _prepare(out: Path) -> Path:
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise JixiaoError(f"--report {out}: cannot create the folder ({e.strerror})") from e
    return out


def write_classify_report(result: ClassifyEvalResult, out: Path) -> list[Path]:
    """Write index.html and the plots; returns the files written."""
    out = _prepare(out)
    body = [
        f"<p>Mode: {escape(result.mode)}; {result.tables} tables; {result.unlabeled_rows} rows without a gold "
        f"tier not scored; cost tiers {'merged (41/42/43 → 14)' if result.merge_cost else 'kept apart'}.</p>"
    ]
    body.append(_fixtures_html(result.fixtures))
    body.append(_comparison_html(result.approaches))
    names: list[str] = []
    scored = [a for a in result.approaches if a.metrics is not None]
    if len(scored) > 1:
        p = plots.grouped_bars(
            [a.label for a in scored],
            {
                "L2 accuracy": [a.metrics.level2.accuracy for a in scored],
                "L2 macro-F1": [a.metrics.level2.macro_f1 for a in scored],
            },
            out / "comparison.png",
            {},
            "approaches",
            "score",
        )
        body.append(_img(p, "approach comparison"))
        names.append(p.name)
    codes: set[str] = set()
    for a in result.approaches:
        prefix = "" if len(result.approaches) == 1 else f"{_slug(a.label)}_"
        html, files = _approach_html(a, out, prefix)
        body.append(html)
        names += files
        if a.metrics:
            codes |= set(a.metrics.level2.labels)
    body.append(_legend(sorted(codes, key=lambda c: (c not in TIERS, c))))
    index = out / "index.html"
    index.write_text(_page("jixiao eval classify", body, result.to_dict()), encoding="utf-8")
    return [index] + [out / n for n in names]


def write_suggest_report(result: SuggestEvalResult, out: Path) -> list[Path]:
    out = _prepare(out)
    m = result.metrics
    body = [
        f"<p>Mode: {escape(result.mode)}{f', {result.folds} folds' if result.folds else ''}; k = {result.k}; "
        f"{m.tables} tables scored.</p>"
    ]
    body.append(_fixtures_html(result.fixtures))
    if result.unqueryable:
        body.append(f"<h3>Not scored ({len(result.unqueryable)})</h3>")
        body.append(_table(["id", "reason"], [[u.id, u.reason] for u in result.unqueryable], 2))
    body.append("<h2>Summary</h2>")
    body.append(
        _table(
            ["metric", "value"],
            [
                ["tables", m.tables],
                ["tier coverage (mean per table)", _f(m.tier_coverage)],
                [f"indicator recall@{m.k} (pooled)", f"{_f(m.recall_at_k)} ({m.hits}/{m.gold_indicators})"],
                ["indicator recall (mean per table)", _f(m.table_mean_recall)],
                ["value exact (of hits with a gold value)", f"{_f(m.value_exact)} (n={m.value_pairs})"],
                ["value same kind and unit", _f(m.value_kind_unit)],
            ],
        )
    )
    b = result.baseline
    if b is not None:

        def pair(label: str, x: float | None, y: float | None) -> list:
            ratio = f"{x / y:.2f}" if x is not None and y else "-"
            return [label, "-" if x is None else _f(x), "-" if y is None else _f(y), ratio]

        body.append("<h2>Draft against the query-blind baseline (most frequent names per tier)</h2>")
        body.append(
            _table(
                ["metric", "draft", "baseline", "ratio"],
                [
                    pair("tier coverage", m.tier_coverage, b.tier_coverage),
                    pair("strict recall (same L2, Dice ≥ 0.5)", m.recall_at_k, b.recall_at_k),
                    pair("keyword recall", m.keyword_recall, b.keyword_recall),
                    pair("on-topic rate", m.on_topic_rate, b.on_topic_rate),
                    pair("review errors per draft", m.review_errors_per_draft, b.review_errors_per_draft),
                    pair(
                        "review warnings per draft", m.review_warnings_per_draft, b.review_warnings_per_draft
                    ),
                    pair(
                        "goal-text numbers from the query",
                        m.goal_numbers_from_query,
                        b.goal_numbers_from_query,
                    ),
                ],
                1,
            )
        )
    rows = [
        [
            t.code,
            LEVEL2_NAMES.get(t.code, "?"),
            t.tables,
            t.covered,
            _f(t.coverage),
            t.gold_indicators,
            t.hits,
            _f(t.recall),
        ]
        for t in m.per_tier
    ]
    body += [
        "<h2>Per tier</h2>",
        _table(["code", "tier", "tables", "covered", "coverage", "gold rows", "hits", "recall"], rows, 2),
    ]
    files = []
    if m.per_tier:
        p = plots.grouped_bars(
            [t.code for t in m.per_tier],
            {"coverage": [t.coverage for t in m.per_tier], f"recall@{m.k}": [t.recall for t in m.per_tier]},
            out / "per_tier.png",
            LEVEL2_NAMES,
            "suggestions per tier",
            "share",
        )
        body.append(_img(p, "per-tier coverage and recall"))
        files.append(p)
    trows = [
        [
            s.table_id,
            s.project or "",
            _f(s.coverage),
            f"{s.hits}/{len(s.matches)}",
            _f(s.recall),
            " ".join(c for c in s.gold_codes if c not in s.covered_codes),
        ]
        for s in result.per_table
    ]
    body += [
        "<h2>Per table</h2>",
        _table(["table", "project", "coverage", "hits", "recall", "missed tiers"], trows, 2),
    ]
    body.append(_legend([t.code for t in m.per_tier]))
    index = out / "index.html"
    index.write_text(_page("jixiao eval suggest", body, result.to_dict()), encoding="utf-8")
    return [index, *files]
