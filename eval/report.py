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
    return "<h3>类别代码</h3>" + _table(["代码", "名称", "一级指标"], rows, left=3)


def _fixtures_html(fx: FixtureSet | None) -> str:
    if fx is None:
        return ""
    parts = [f"<h2>标注集</h2><p>{escape(fx.path)}：评估 {len(fx.tables)} 张表。</p>"]
    parts.append(f"<h3>排除的标注表（{len(fx.excluded)}）</h3>")
    parts.append(
        '<p class="note">编号或来源文档已在训练语料中的表格：模型见过它们，不能用它们评估。</p>'
    )
    if fx.excluded:
        parts.append(
            _table(["编号", "原因", "来源"], [[e.id, e.reason, e.source or ""] for e in fx.excluded], 3)
        )
    parts.append(f"<h3>跳过的行（{len(fx.skipped)}）</h3>")
    if fx.skipped:
        parts.append(_table(["行号", "问题"], [[s.line, s.problem] for s in fx.skipped], 2))
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
        f"<h3>{escape(title)}：逐类</h3>",
        _table(["代码", "类别", "精确率", "召回率", "F1", "标注行数", "预测行数"], rows, left=2),
    ]
    conf_rows = [[g, *row] for g, row in zip(level.labels, level.confusion, strict=True)]
    parts += [
        f"<h3>{escape(title)}：混淆矩阵（行为标注，列为预测）</h3>",
        _table(["标注 \\ 预测", *level.labels], conf_rows),
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
        "方法 [解码]",
        "行数",
        "一级准确率",
        "一级宏 F1",
        "二级准确率",
        "二级宏 F1",
        "ECE",
        "推断行数",
        "推断行一级准确率",
        "推断行二级准确率",
        "推断行二级宏 F1",
        "训练秒",
        "预测秒",
    ]
    note = (
        "<p>解码方式：<b>row</b> 逐行单独预测；<b>table</b> 整表联合解码（同类成块、按规范顺序）；"
        "<b>table+L1</b> 另用表格印出的一级指标（仅限表格自己印出的，不用人工补填的）。"
        "“推断行”指表格未印出二级指标、需要模型判断的行。</p>"
    )
    return "<h2>方法比较</h2>" + note + _table(head, rows)


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
        ["指标", "数值"],
        [
            ["行数", a.rows],
            ["一级准确率", _f(m.level1.accuracy)],
            ["一级宏 F1", _f(m.level1.macro_f1)],
            ["二级准确率", _f(m.level2.accuracy)],
            ["二级宏 F1", _f(m.level2.macro_f1)],
            ["ECE（10 个区间）", _f(m.ece)],
            ["成本类别合并计分", "是" if m.merge_cost else "否"],
        ],
    )
    confusions = _table(
        ["标注", "预测", "行数"],
        [
            [f"{g} {LEVEL2_NAMES.get(g, '')}", f"{p} {LEVEL2_NAMES.get(p, '')}", n]
            for g, p, n in a.top_confusions
        ],
    )
    parts = [
        f"<h2>{escape(a.label)}</h2>",
        summary,
        "<h3>最常见的混淆（二级指标）</h3>",
        confusions,
        _level_html(m.level2, "二级指标"),
        _level_html(m.level1, "一级指标"),
    ]
    parts += [
        _img(cm, "混淆矩阵"),
        _img(prf, "逐类精确率、召回率、F1"),
        _img(rel, "可靠性图（校准）"),
    ]
    bins = [
        [f"{b.lower:.1f}–{b.upper:.1f}", b.count, _f(b.accuracy), _f(b.confidence)] for b in m.reliability
    ]
    parts += [
        "<h3>校准区间</h3>",
        _table(["置信度", "行数", "准确率", "平均置信度"], bins),
    ]
    if a.errors:
        rows = [[e.table_id, e.name, e.value or "", e.gold, e.predicted, _f(e.confidence)] for e in a.errors]
        parts += [
            "<h3>置信度最高的错误</h3>",
            _table(["表格", "指标", "指标值", "标注", "预测", "置信度"], rows, 3),
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
        raise JixiaoError(f"--report {out}：无法创建文件夹（{type(e).__name__}）") from e
    return out


def write_classify_report(result: ClassifyEvalResult, out: Path) -> list[Path]:
    """Write index.html and the plots; returns the files written."""
    out = _prepare(out)
    body = [
        f"<p>方式：{escape(result.mode)}；{result.tables} 张表；{result.unlabeled_rows} 行没有标注类别，未计分；"
        f"成本类别{'合并计分（41/42/43 → 14）' if result.merge_cost else '分开计分'}。</p>"
    ]
    body.append(_fixtures_html(result.fixtures))
    body.append(_comparison_html(result.approaches))
    names: list[str] = []
    scored = [a for a in result.approaches if a.metrics is not None]
    if len(scored) > 1:
        p = plots.grouped_bars(
            [a.label for a in scored],
            {
                plots.axis_title("二级准确率", "L2 accuracy"): [a.metrics.level2.accuracy for a in scored],
                plots.axis_title("二级宏 F1", "L2 macro-F1"): [a.metrics.level2.macro_f1 for a in scored],
            },
            out / "comparison.png",
            {},
            plots.axis_title("方法", "approaches"),
            plots.axis_title("得分", "score"),
        )
        body.append(_img(p, "方法比较"))
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
    index.write_text(_page("jixiao 评估：指标类别分类", body, result.to_dict()), encoding="utf-8")
    return [index] + [out / n for n in names]


def write_suggest_report(result: SuggestEvalResult, out: Path) -> list[Path]:
    out = _prepare(out)
    m = result.metrics
    body = [
        f"<p>方式：{escape(result.mode)}{f'，{result.folds} 折' if result.folds else ''}；k = {result.k}；"
        f"评估 {m.tables} 张表。</p>"
    ]
    body.append(_fixtures_html(result.fixtures))
    if result.unqueryable:
        body.append(f"<h3>未计分（{len(result.unqueryable)}）</h3>")
        body.append(_table(["编号", "原因"], [[u.id, u.reason] for u in result.unqueryable], 2))
    body.append("<h2>概要</h2>")
    body.append(
        _table(
            ["指标", "数值"],
            [
                ["表格数", m.tables],
                ["类别覆盖率（每表平均）", _f(m.tier_coverage)],
                [f"指标召回@{m.k}（合并计）", f"{_f(m.recall_at_k)}（{m.hits}/{m.gold_indicators}）"],
                ["指标召回（每表平均）", _f(m.table_mean_recall)],
                ["指标值完全一致（有标注值的命中中）", f"{_f(m.value_exact)}（n={m.value_pairs}）"],
                ["指标值类型与单位一致", _f(m.value_kind_unit)],
            ],
        )
    )
    b = result.baseline
    if b is not None:

        def pair(label: str, x: float | None, y: float | None) -> list:
            ratio = f"{x / y:.2f}" if x is not None and y else "-"
            return [label, "-" if x is None else _f(x), "-" if y is None else _f(y), ratio]

        body.append("<h2>草稿与不看项目的基线（各类别最常见名称）比较</h2>")
        body.append(
            _table(
                ["指标", "草稿", "基线", "倍数"],
                [
                    pair("类别覆盖率", m.tier_coverage, b.tier_coverage),
                    pair("严格召回（同二级，Dice ≥ 0.5）", m.recall_at_k, b.recall_at_k),
                    pair("关键词召回", m.keyword_recall, b.keyword_recall),
                    pair("切题率", m.on_topic_rate, b.on_topic_rate),
                    pair("每份草稿的审核错误", m.review_errors_per_draft, b.review_errors_per_draft),
                    pair("每份草稿的审核警告", m.review_warnings_per_draft, b.review_warnings_per_draft),
                    pair(
                        "目标文本数字来自项目输入的比例",
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
        "<h2>各类别</h2>",
        _table(["代码", "类别", "表数", "已覆盖", "覆盖率", "标注行数", "命中", "召回"], rows, 2),
    ]
    files = []
    if m.per_tier:
        p = plots.grouped_bars(
            [t.code for t in m.per_tier],
            {
                plots.axis_title("覆盖率", "coverage"): [t.coverage for t in m.per_tier],
                plots.axis_title(f"召回@{m.k}", f"recall@{m.k}"): [t.recall for t in m.per_tier],
            },
            out / "per_tier.png",
            LEVEL2_NAMES,
            plots.axis_title("各类别的建议", "suggestions per tier"),
            plots.axis_title("比例", "share"),
        )
        body.append(_img(p, "各类别覆盖率与召回"))
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
        "<h2>各表</h2>",
        _table(["表格", "项目", "覆盖率", "命中", "召回", "缺少的类别"], trows, 2),
    ]
    body.append(_legend([t.code for t in m.per_tier]))
    index = out / "index.html"
    index.write_text(_page("jixiao 评估：起草建议", body, result.to_dict()), encoding="utf-8")
    return [index, *files]
