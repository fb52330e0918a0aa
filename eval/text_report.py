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


def _rpad(text: str, width: int) -> str:
    """Right-justify by display width (the numeric columns' headings)."""
    return " " * max(0, width - _width(text)) + text


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def fixture_lines(fx: FixtureSet | None) -> list[str]:
    if fx is None:
        return []
    lines = [f"标注集：{fx.path}：评估 {len(fx.tables)} 张表"]
    if fx.excluded:
        lines.append(f"排除 {len(fx.excluded)} 张已在训练语料中的标注表：")
        by_cause: dict[tuple[str, str], list[str]] = {}
        for e in fx.excluded:
            by_cause.setdefault((e.reason, e.source or "-"), []).append(e.id)
        lines += [f"  {', '.join(ids)}  （{reason}；来源 {src}）" for (reason, src), ids in by_cause.items()]
    if fx.skipped:
        lines.append(f"跳过 {len(fx.skipped)} 行无法读取的记录：")
        lines += [f"  第 {s.line} 行：{s.problem}" for s in fx.skipped]
    return lines


def comparison_lines(approaches: list[ApproachResult]) -> list[str]:
    """One line per approach and decoding; the right-hand columns repeat the level scores
    on the rows whose level 2 the table did not print (``inferred``)."""
    width = max([22, *(len(a.label) for a in approaches)])
    head = (
        f"{_pad('方法 [解码]', width)} {_rpad('行数', 5)} {_rpad('L1准确', 7)} {'L1 F1':>7} {_rpad('L2准确', 7)} "
        f"{'L2 F1':>7} {'ECE':>6} {_rpad('|推断行', 7)} {_rpad('L1准确', 7)} {_rpad('L2准确', 7)} {'L2 F1':>7} "
        f"{_rpad('训练秒', 7)}"
    )
    lines = [head, "-" * _width(head)]
    for a in approaches:
        if a.metrics is None:
            lines.append(f"{a.label:<{width}} {a.error}")
            continue
        m, inf = a.metrics, a.inferred
        lines.append(
            f"{a.label:<{width}} {a.rows:>5} {_f(m.level1.accuracy):>7} {_f(m.level1.macro_f1):>7} "
            f"{_f(m.level2.accuracy):>7} {_f(m.level2.macro_f1):>7} {_f(m.ece):>6} "
            f"{'| ' + str(a.inferred_rows):>7} {_f(inf.level1.accuracy if inf else None):>7} "
            f"{_f(inf.level2.accuracy if inf else None):>7} {_f(inf.level2.macro_f1 if inf else None):>7} "
            f"{a.fit_seconds:>7.1f}"
        )
    return lines


def per_class_lines(level: LevelMetrics) -> list[str]:
    lines = [f"{_pad('代码', 5)} {_pad('类别', 18)} {_rpad('精确率', 6)} {_rpad('召回率', 6)} {'F1':>6} {_rpad('行数', 8)}"]
    for c in level.per_class:
        lines.append(
            f"{c.label:<5} {_pad(label_name(c.label), 18)} {c.precision:>6.3f} {c.recall:>6.3f} {c.f1:>6.3f} {c.support:>8}"
        )
    return lines


def confusion_lines(level: LevelMetrics) -> list[str]:
    width = max(4, *(len(x) + 1 for x in level.labels)) if level.labels else 4
    lines = [_pad("标注 \\ 预测", 17) + "".join(f"{x:>{width}}" for x in level.labels)]
    for label, row in zip(level.labels, level.confusion, strict=True):
        lines.append(f"{label:<17}" + "".join(f"{n:>{width}}" for n in row))
    return lines


def render_classify(r: ClassifyEvalResult) -> str:
    lines = [
        f"类别分类（{r.mode}）：{r.tables} 张表；{r.unlabeled_rows} 行没有标注类别，未计分"
    ]
    if r.merge_cost:
        lines.append("成本类别合并计分（14 = 41/42/43）")
    if r.corrected_rows is not None:
        lines.append(
            f"审核人员更正了 {r.corrected_rows} 行；所有模型都按更正后的标签计分，"
            "被留出的表格自身的更正从不用于训练"
        )
    lines += fixture_lines(r.fixtures)
    lines.append("")
    lines += comparison_lines(r.approaches)
    scored = [a for a in r.approaches if a.metrics is not None and a.rows]
    if len({a.approach for a in r.approaches}) == 1:  # one approach: details for each decoding
        for a in scored:
            lines += ["", f"== {a.label}", "二级指标逐类:"] + per_class_lines(a.metrics.level2)
            lines += ["", "二级指标混淆矩阵:"] + confusion_lines(a.metrics.level2)
            if a.top_confusions:
                lines += ["", "最常见的混淆（标注 → 预测：行数）:"]
                lines += [f"  {g} {label_name(g)} → {p} {label_name(p)}: {n}" for g, p, n in a.top_confusions]
    return "\n".join(lines)


def render_suggest(r: SuggestEvalResult) -> str:
    m = r.metrics
    lines = [f"起草建议（{r.mode}{f'，{r.folds} 折' if r.folds else ''}）：{m.tables} 张表，k={r.k}"]
    lines += fixture_lines(r.fixtures)
    if r.unqueryable:
        lines.append(f"未计分：{len(r.unqueryable)} 张表")
        lines += [f"  {u.id}  （{u.reason}）" for u in r.unqueryable]
    if not m.tables:
        return "\n".join([*lines, "", "无可计分内容：没有带类别的指标的表格"])
    b = r.baseline
    lines += ["", f"{_pad('指标', 34)} {_rpad('草稿', 8)} {_rpad('基线', 9)} {_rpad('倍数', 6)}"]

    def row(label: str, x: float | None, y: float | None, fmt: str = ".3f") -> None:
        xs = "-" if x is None else format(x, fmt)
        ys = "-" if y is None else format(y, fmt)
        ratio = f"{x / y:.2f}" if x is not None and y else "-"
        lines.append(f"{_pad(label, 34)} {xs:>8} {ys:>9} {ratio:>6}")

    row("类别覆盖率 (tier coverage)", m.tier_coverage, b and b.tier_coverage)
    row(f"严格召回@{r.k}（同二级，Dice≥0.5）", m.recall_at_k, b and b.recall_at_k)
    row("关键词召回 (keyword recall)", m.keyword_recall, b and b.keyword_recall)
    row("  （仅项目自身文字可达上限）", m.keyword_query_ceiling, None)
    row("切题率 (on-topic)", m.on_topic_rate, b and b.on_topic_rate)
    row("每份草稿的审核错误", m.review_errors_per_draft, b and b.review_errors_per_draft, ".2f")
    row("每份草稿的审核警告", m.review_warnings_per_draft, b and b.review_warnings_per_draft, ".2f")
    row("有错误的草稿数", m.drafts_with_errors, b and b.drafts_with_errors, "d")
    row("目标文本数字来自项目输入的比例", m.goal_numbers_from_query, b and b.goal_numbers_from_query)
    lines += [
        f"严格命中：{m.hits}/{m.gold_indicators} 个标注指标；每表平均召回 {m.table_mean_recall:.3f}",
        f"指标值完全一致 {m.value_exact:.3f}，类型与单位一致 {m.value_kind_unit:.3f}（共 {m.value_pairs} 个命中）",
        "",
        f"{_pad('代码', 5)} {_pad('类别', 18)} {_rpad('表数', 6)} {_rpad('覆盖率', 9)} {_rpad('标注', 5)} "
        f"{_rpad('命中', 5)} {_rpad('召回', 7)}",
    ]
    for t in m.per_tier:
        lines.append(
            f"{t.code:<5} {_pad(label_name(t.code), 18)} {t.tables:>6} {t.coverage:>9.3f} {t.gold_indicators:>5} "
            f"{t.hits:>5} {t.recall:>7.3f}"
        )
    return "\n".join(lines)
