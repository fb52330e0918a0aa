"""Candidates read from the project itself and instantiated from corpus-wide patterns.

``project`` candidates carry only the drafter's own numbers (stated quantities, the
budget, the budget year); ``pattern`` candidates put this project's object or
beneficiaries into a head many tables use, with the head's typical rate or date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from jixiao.corpus.taxonomy import Scheme
from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.drafting.candidates import Candidate
from jixiao.models.drafting.index_views import row_evidence
from jixiao.models.drafting.patterns import SLOT_TIERS, Convention, Pattern, PatternBook, pick_examples
from jixiao.models.drafting.project_reading import ProjectFacts
from jixiao.models.drafting.values import (
    GroundedValue,
    borrowed_value,
    budget_deadline,
    cost_value,
    redate,
    unit_cost_value,
)
from jixiao.models.suggest_schema import PatternEvidence

#: How tables measure paying out a subsidy.
_PAYOUT_HEADS = ("发放及时率", "发放准确率", "发放到位率")
#: Patterns instantiated per tier: enough to cover the tier, few enough to stay specific.
PATTERNS_PER_TIER = {"12": 2, "13": 2, "21": 1, "22": 1, "23": 1, "24": 1, "31": 1}
_QTY_VALUE = re.compile(r"^[≥≤](?P<num>\d+(?:\.\d+)?)(?P<mult>万|千|百|亿)?(?P<unit>.+)$")
_MULT = {"万": 1e4, "千": 1e3, "百": 1e2, "亿": 1e8}


def project_candidates(facts: ProjectFacts, scheme: Scheme) -> list[Candidate]:
    out: list[Candidate] = []
    for q in facts.quantities:
        out.append(
            Candidate(
                "project", q.code, q.name, GroundedValue(q.value, "项目文本所述"), 1.0, source_phrase=q.phrase
            )
        )
    cost_code = "41" if scheme is Scheme.B else "14"
    if facts.amount:
        phrase = facts.amount_phrase or f"预算金额 {facts.amount:,.0f} 元"
        out.append(
            Candidate(
                "project",
                cost_code,
                f"{facts.core}总成本" if facts.core else "项目总成本",
                GroundedValue(cost_value(facts.amount), "不超过项目预算"),
                1.0,
                source_phrase=phrase,
            )
        )
        unit_cost = _unit_cost(facts)
        if unit_cost:
            out.append(unit_cost)
    deadline = budget_deadline(facts.year)
    basis = f"预算年度（{facts.year}年）内完成"
    phrase = facts.deadline_phrase or f"预算年度 {facts.year}年"
    if facts.deadline:
        stated = redate(
            facts.deadline if "年" in facts.deadline else f"{facts.year}年{facts.deadline}", facts.year
        )
        if stated:
            deadline, basis = stated.text, "项目文本所述"
    what = facts.core or "项目"
    out.append(
        Candidate(
            "project", "13", f"{what}完成时间", GroundedValue(deadline, basis), 1.0, source_phrase=phrase
        )
    )
    for t in facts.tasks:
        # A deliverable without a number: its completion, at the rate tables use for it.
        out.append(
            Candidate(
                "project",
                "12",
                f"{t.name}完成率",
                GroundedValue("100%", "项目文本所述任务，按全部完成设定"),
                0.9,
                source_phrase=t.phrase,
            )
        )
    for e in facts.effects:
        value = GroundedValue(
            "明显改善" if e.verb in ("方便", "美化") else f"有效{e.verb}",
            "项目文本所述（定性）",
            True,
        )
        out.append(Candidate("project", e.code, e.name, value, 0.95, source_phrase=e.phrase))
    return out


def _unit_cost(facts: ProjectFacts) -> Candidate | None:
    """Budget ÷ the one stated length or area: a unit cost the drafter can check at a glance."""
    for q in facts.quantities:
        m = _QTY_VALUE.match(q.value)
        if q.code != "11" or not m or m.group("unit") not in ("公里", "千米", "米", "平方米", "亩", "立方米"):
            continue
        number = float(m.group("num")) * _MULT.get(m.group("mult") or "", 1.0)
        unit = m.group("unit")
        if number <= 0 or facts.amount is None:
            return None
        return Candidate(
            "project",
            "14",  # 41 under scheme B, like every candidate (selection.in_scheme)
            f"{re.sub(r'(里程|长度|面积|量)$', '', q.name)}单位成本",
            GroundedValue(unit_cost_value(facts.amount, number, unit), "预算金额 ÷ 项目文本所述数量"),
            0.98,
            source_phrase=f"预算金额 {facts.amount:,.0f} 元；{q.phrase}",
        )
    return None


def pattern_candidates(
    ix: CorpusIndex,
    facts: ProjectFacts,
    book: PatternBook,
    fits: Callable[[str], bool],
    related: Sequence[int] = (),
) -> list[Candidate]:
    out: list[Candidate] = []
    top = book.top_support
    for code in SLOT_TIERS:
        n = PATTERNS_PER_TIER.get(code, 0)
        taken: list[str] = []
        for rank, p in enumerate(book.fitting(code, fits)):
            if n <= 0:
                break
            if _slot(p, facts) is None and not facts.generic:
                continue
            if any(p.suffix in t or t in p.suffix for t in taken):
                continue  # 合格率 after 验收合格率 says the same thing
            taken.append(p.suffix)
            c = instantiate(ix, p, facts, top, rank=rank, related=related)
            if c is not None:
                out.append(c)
                n -= 1
    if facts.grant:
        # A subsidy is paid out: 补贴发放及时率, 补助发放准确率, with the heads tables use for it.
        for code in ("12", "13"):
            p = next((p for p in book.by_code.get(code, []) if p.suffix in _PAYOUT_HEADS), None)
            c = instantiate(ix, p, facts, top, slot=facts.grant, related=related) if p else None
            if c is not None:
                out.append(c)
    return out


#: A project that produces or earns something: its 经济效益 is its beneficiaries' income.
_PRODUCTIVE = re.compile(r"种植|养殖|产业|农业|农户|农民|加工|旅游|增收|收入|产值|就业|合作社")
_LASTING_VERBS = ("提升", "提高", "改善", "保障", "增强", "优化", "维护", "美化")
#: Relevance of a convention row: under the project's facts and the named patterns, but the
#: row its tier gets when nothing specific covers it.
CONVENTION_RELEVANCE = 0.6


def convention_candidates(
    ix: CorpusIndex, facts: ProjectFacts, book: PatternBook, related: Sequence[int] = ()
) -> list[Candidate]:
    """可持续影响 (24) and, for productive projects, 经济效益 (21), each put in this project's words.

    24 restates the project's first promised effect as lasting (``提升路况水平`` →
    ``持续提升路况水平``, 长期), else its object (``校舍维修持续发挥效益``); 21 is the income
    of the project's beneficiaries (``带动农户增收``), only when the project text speaks of
    producing or earning. Each carries the corpus convention's support and two example rows.
    """
    out: list[Candidate] = []
    if facts.generic:
        return out
    lasting = book.conventions.get("lasting")
    if lasting is not None:
        effect = next((e for e in facts.effects if e.verb in _LASTING_VERBS), None)
        if effect is not None:
            name, phrase, slot = f"持续{effect.verb}{effect.name}", effect.phrase, effect.name
        else:
            name, phrase, slot = f"{facts.core}持续发挥效益", None, facts.core
        basis = "项目效果长期保持（同类表可持续影响的写法）"
        out.append(_convention(ix, lasting, name, slot, "长期", basis, phrase, related))
    income = book.conventions.get("income")
    if income is not None and _PRODUCTIVE.search(facts.text) and not any(e.code == "21" for e in facts.effects):
        who = next((b for b in facts.beneficiaries if b != "企业"), None) or "群众"
        basis = "项目文本涉及生产经营（同类表经济效益的写法）"
        out.append(_convention(ix, income, f"带动{who}增收", who, "有效带动", basis, None, related))
    return out


def _convention(
    ix: CorpusIndex,
    conv: Convention,
    name: str,
    slot: str | None,
    value: str,
    basis: str,
    phrase: str | None,
    related: Sequence[int],
) -> Candidate:
    evidence = [row_evidence(ix, e) for e in pick_examples(conv, related)]
    template = "持续{效果}" if conv.code == "24" else "带动{受益对象}增收"
    return Candidate(
        "pattern",
        conv.code,
        name,
        GroundedValue(value, basis, True),
        CONVENTION_RELEVANCE,
        support=conv.support,
        source_phrase=phrase,
        pattern=PatternEvidence(
            pattern=template, support=conv.support, typical_values=dict(conv.values.most_common(3)), slot=slot
        ),
        evidence=evidence,
        value_distribution=dict(conv.values.most_common(5)),
    )


def instantiate(
    ix: CorpusIndex,
    p: Pattern,
    facts: ProjectFacts,
    top_support: int,
    weak: bool = False,
    rank: int = 0,
    slot: str | None = None,
    related: Sequence[int] = (),
) -> Candidate | None:
    slot = slot or _slot(p, facts)
    name = slot + p.suffix if slot else _generic_name(p)
    value = None
    for v, _ in p.ranked_values:
        value = borrowed_value(v, name, p.code, facts.year)
        if value is not None:
            break
    if value is None:
        return None
    evidence = [row_evidence(ix, e) for e in pick_examples(p, related)]
    return Candidate(
        "pattern",
        p.code,
        name,
        value,
        # Patterns rank under the project's own facts, in the book's order within a tier.
        max(0.85 - 0.05 * rank, 0.5) if p.support >= top_support / 10 else 0.5,
        support=p.support,
        pattern=PatternEvidence(
            pattern=p.template, support=p.support, typical_values=dict(p.ranked_values[:3]), slot=slot
        ),
        evidence=evidence,
        value_distribution=dict(p.ranked_values[:5]),
        weak=weak or slot is None,
    )


def _slot(p: Pattern, facts: ProjectFacts) -> str | None:
    if p.code == "31":
        if p.suffix != "满意度":
            return None
        if facts.beneficiaries:
            return facts.beneficiaries[0]
        if facts.grant:
            return f"{facts.grant}对象"
        return "服务对象" if facts.core else None
    return facts.core


def _generic_name(p: Pattern) -> str:
    """A pattern with no object to put in front: the head alone, made to read as a name."""
    if p.code == "31":
        return "服务对象满意度" if p.suffix == "满意度" else p.suffix
    return "项目" + p.suffix


#: Last-resort rows for a required level 1 nothing else covers: qualitative, plainly generic.
_FALLBACK = {
    "1": ("12", "{对象}任务完成率", "100%", False),
    "2": ("22", "{对象}服务水平", "有效提升", True),
    "3": ("31", "服务对象满意度", "满意", True),
    "4": ("41", "项目成本", "不超过批复预算", True),
}


def fallback(level1: str, facts: ProjectFacts, scheme: Scheme) -> Candidate | None:
    """A plainly generic row for a level 1 the corpus offered nothing for, marked weak."""
    if level1 not in _FALLBACK:
        return None
    code, name, value, qualitative = _FALLBACK[level1]
    if level1 == "1" and scheme is Scheme.A and not facts.amount:
        code, name, value, qualitative = "14", "项目成本", "不超过批复预算", True
    return _placeholder(code, name, value, qualitative, facts)


def _placeholder(code: str, template: str, value: str, qualitative: bool, facts: ProjectFacts) -> Candidate:
    """A generic row (support 0, weak): the template is shown as its pattern, honestly unsupported."""
    return Candidate(
        "pattern",
        code,
        template.format(对象=facts.core or "项目"),
        GroundedValue(value, "通用表述，请按项目实际填写", qualitative),
        0.3,
        pattern=PatternEvidence(
            pattern=template, support=0, slot=facts.core if "{对象}" in template else None
        ),
        weak=True,
    )


_TIER_FALLBACK = {
    "11": ("{对象}任务数量", "按计划完成"),
    "12": ("{对象}质量达标情况", "符合相关标准和规范"),
    "13": ("{对象}完成时间", None),
    "14": ("项目成本", "不超过批复预算"),
}


def fallback_tier(code: str, facts: ProjectFacts) -> Candidate | None:
    """A placeholder for a required output tier: qualitative and weak, for the drafter to complete."""
    if code not in _TIER_FALLBACK:
        return None
    name, value = _TIER_FALLBACK[code]
    return _placeholder(code, name, value or budget_deadline(facts.year), code != "13", facts)
