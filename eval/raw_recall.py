"""How much of the labeled corpus the text parsers recover from the raw page excerpts.

The 64 labeled tables were transcribed by hand from ``raw/<id>.txt``; parsing those
same excerpts and counting the labeled rows found is an honest measure of how the
text parsers cope with real, messy pages (mojibake, flattened cells, score columns).
A labeled row counts as recovered when some parsed indicator has the same
``name_key`` or a character-bigram Dice of at least 0.8 with it.

Run: ``python -m jixiao.eval.raw_recall``.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.corpus.data_paths import EXTERNAL_RAW_DIR, EXTERNAL_TABLES
from jixiao.corpus.normalize import name_key, normalize_value
from jixiao.corpus.parsers.text import parse_text
from jixiao.corpus.schema import Indicator, ParseResult
from jixiao.corpus.taxonomy import resolve
from jixiao.errors import JixiaoError
from jixiao.models.drafting.text_match import bigram_dice  # the one Dice of the drafter and the evaluations

DICE_MIN = 0.8
FAIL_BELOW = 0.5

#: Why an excerpt fails (recall < 0.5), found by reading it. These describe the pages,
#: not the parser: a fix belongs in a general rule, never in a per-file branch.
FAILURE_REASONS: dict[str, str] = {
    "p004": "OCR 识别的表格连成一段、没有分隔符；有的名称以数字开头（“5000吨稻谷…”），同一类别的多行连在一起，"
    "只能切出部分名称",
    "p011": "PDF 按阅读顺序读出时指标值列丢失、三列名称交错：每个名称被读成上一个名称的指标值",
    "p013": "电子表格导出时单元格按列打乱（类别、名称、指标值不在同一行）",
    "p022": "类别印作 产出值/数量值/质量值（以“值”代替“指标”），表头为 三级|年度数值：没有可识别的类别名",
    "p031": "评价表头（评价指标 评价内容 指标名称…）下各行粘连，没有一级/二级/三级指标；"
    "名称与说明连在一起（“享受资助人数达到预计值”）",
    "p032": "没有表头的片段，所有行在同一行上，分值与名称粘连（“足额保障率=100% 22.5 科目调整…”）",
    "p035": "Word 表格按列展开：三级指标下各行顺序保留，但类别列排在其后，没有一行带类别；名称在中间断行",
    "p040": "两张表按列展开，名称在词中断开（“绩 效指 标”），指标值缺失",
    "p042": "没有表格：指标写成文句（“数量指标:★补助…(≥**株)>=17600株;…”）",
    "p044": "没有表格：繁体字公告，在正文中列出指标",
    "p046": "OCR 识别的 PDF，类别乱码（“工程效 果指标济益标 经效指”），名称与指标值粘连；"
    "没有留下指标表头，任何读取器都不把它当作表格",
    "p062": "OCR 识别的扫描件，表头和类别乱码（“度效标O0B年绩目”“出标产指”），各行粘连",
    "p063": "文档分享网站镜像页的 OCR 结果；各行与分值粘连，类别被 OCR 拆开",
}


@dataclass
class ExcerptScore:
    id: str
    gold: int
    recovered: int = 0
    right_level2: int = 0
    right_value: int = 0
    parsed: int = 0
    unmatched: int = 0  # parsed rows that match no gold row: junk, or rows the transcriber skipped
    untiered: int = 0  # recovered rows the parser left without a tier (its category was lost)
    error: str | None = None
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.recovered / self.gold if self.gold else 1.0


def _gold_code(row: dict) -> str | None:
    try:
        return resolve(row.get("level1"), row.get("level2")).code
    except JixiaoError:
        return None


def best_match(gold_row: dict, parsed: list[Indicator]) -> Indicator | None:
    """The parsed row that recovers a gold row (the best Dice, at least DICE_MIN), if any."""
    gk = name_key(gold_row.get("name") or "")
    best, best_score = None, 0.0
    for p in parsed:
        score = bigram_dice(gk, name_key(p.name))
        if score > best_score:
            best, best_score = p, score
    return best if best_score >= DICE_MIN else None


def match(gold_rows: list[dict], parsed: list[Indicator]) -> tuple[int, int, int, list[str]]:
    """(recovered, right level 2, right value, missed names) of gold rows in parsed rows."""
    recovered = right_l2 = right_value = 0
    missed = []
    for row in gold_rows:
        best = best_match(row, parsed)
        if best is None:
            missed.append(row.get("name") or "")
            continue
        recovered += 1
        if best.code is not None and best.code == _gold_code(row):
            right_l2 += 1
        gv = normalize_value(row.get("value")).replace(" ", "")
        pv = normalize_value(best.value).replace(" ", "")
        if gv == pv:
            right_value += 1
    return recovered, right_l2, right_value, missed


def unmatched(gold_rows: list[dict], parsed: list[Indicator]) -> int:
    """Parsed rows that match no gold row (a precision proxy for the report)."""
    keys = [name_key(r.get("name") or "") for r in gold_rows]
    return sum(1 for p in parsed if not any(bigram_dice(name_key(p.name), k) >= DICE_MIN for k in keys))


def score_all(tables_path: Path = EXTERNAL_TABLES, raw_dir: Path = EXTERNAL_RAW_DIR) -> list[ExcerptScore]:
    """Score every raw excerpt; two records sharing one raw text are scored together."""
    by_raw: dict[str, list[dict]] = defaultdict(list)
    for line in tables_path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            by_raw[rec["id"]].append(rec)
    scores = []
    for rid in sorted(by_raw):
        path = raw_dir / f"{rid}.txt"
        gold_rows = [row for rec in by_raw[rid] for row in rec.get("indicators") or []]
        sc = ExcerptScore(id=rid, gold=len(gold_rows))
        try:
            result: ParseResult = parse_text(path.read_text(encoding="utf-8"), str(path))
        except (JixiaoError, OSError) as e:
            sc.error = str(e)[:120]
            sc.missed = [r.get("name") or "" for r in gold_rows]
            scores.append(sc)
            continue
        parsed = [i for t in result.tables for i in t.indicators]
        sc.parsed = len(parsed)
        sc.recovered, sc.right_level2, sc.right_value, sc.missed = match(gold_rows, parsed)
        sc.untiered = sum(1 for row in gold_rows if (b := best_match(row, parsed)) is not None and b.code is None)
        sc.unmatched = unmatched(gold_rows, parsed)
        scores.append(sc)
    return scores


def overall(scores: list[ExcerptScore]) -> tuple[float, int, int, int, int]:
    gold = sum(s.gold for s in scores)
    rec = sum(s.recovered for s in scores)
    l2 = sum(s.right_level2 for s in scores)
    val = sum(s.right_value for s in scores)
    return (rec / gold if gold else 0.0), gold, rec, l2, val


def halves(scores: list[ExcerptScore]) -> dict[str, list[ExcerptScore]]:
    """The excerpts split two ways (ids sorted: first/second half, odd/even position).

    The text readers' rules were written after reading these excerpts, so a rule that
    only fits the pages it was written for shows up as a gap between halves.
    """
    ordered = sorted(scores, key=lambda s: s.id)
    mid = len(ordered) // 2
    return {
        "前半": ordered[:mid],
        "后半": ordered[mid:],
        "奇数位": ordered[0::2],
        "偶数位": ordered[1::2],
    }


def report(scores: list[ExcerptScore], out=sys.stdout) -> None:
    recall, gold, rec, l2, val = overall(scores)
    print(f"总召回率 {recall:.3f}（{rec}/{gold} 个标准行）", file=out)
    untiered = sum(s.untiered for s in scores)
    print(f"  召回行中：二级类别正确 {l2}/{rec}，指标值正确 {val}/{rec}", file=out)
    print(
        f"  召回但无类别（类别丢失，交给分类器）：{untiered}；"
        f"有类别者二级类别正确 {l2}/{rec - untiered}",
        file=out,
    )
    parsed = sum(s.parsed for s in scores)
    extra = sum(s.unmatched for s in scores)
    print(f"  解析出 {parsed} 行，其中 {extra} 行不对应任何标准行", file=out)
    for label, part in halves(scores).items():
        r, g, k, _l2, _v = overall(part)
        spurious = sum(s.unmatched for s in part)
        print(
            f"  {label}（{part[0].id}…{part[-1].id}，{len(part)} 段摘录）：召回率 {r:.3f}（{k}/{g}），"
            f"{spurious} 个解析行不对应标准行",
            file=out,
        )
    print("编号   标准 召回 二级 取值 解析 多余 召回率", file=out)
    for s in scores:
        print(
            f"{s.id:6} {s.gold:4d} {s.recovered:4d} {s.right_level2:4d} {s.right_value:4d} {s.parsed:6d} "
            f"{s.unmatched:5d} "
            f"{s.recall:.2f}{'  出错 ' + s.error if s.error else ''}",
            file=out,
        )
    failing = [s for s in scores if s.recall < FAIL_BELOW]
    print(f"\n召回率低于 {FAIL_BELOW} 的摘录 {len(failing)} 段：", file=out)
    for s in failing:
        reason = FAILURE_REASONS.get(s.id, "尚未查看")
        print(f"  {s.id}: {reason}", file=out)


def main(argv: list[str] | None = None) -> int:
    report(score_all())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
