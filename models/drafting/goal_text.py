"""Stage 6: the goal text, composed from this project only.

It restates the project's deliverables with the drafter's own numbers, the budget, the
deadline or year the drafter gave, and the qualitative direction of the chosen benefit and
satisfaction indicators. It never quotes another project's goal, so it cannot carry another
project's numbers or objects.
"""

from __future__ import annotations

from jixiao.corpus.taxonomy import TIERS
from jixiao.models.drafting.candidates import Candidate
from jixiao.models.drafting.project_reading import ProjectFacts
from jixiao.models.drafting.values import cost_value

_VERBS = ("提升", "提高", "改善", "保障", "促进", "增强", "减少", "降低", "持续", "带动", "减轻", "发挥", "巩固")


def compose_goal(facts: ProjectFacts, chosen: list[Candidate]) -> str:
    subject = facts.core or facts.name or "本项目"
    parts: list[str] = []
    deliverables = list(dict.fromkeys([q.phrase for q in facts.quantities] + [t.phrase for t in facts.tasks]))
    if deliverables:
        parts.append("；".join(deliverables))
    else:
        parts.append(f"按计划完成{subject}各项任务")
    # Only dates the drafter gave: a stated deadline, else the stated year, else no number.
    if facts.deadline:
        parts.append(f"于{facts.deadline}完成")
    elif facts.year_stated:
        parts.append(f"于{facts.year}年底前完成")
    else:
        parts.append("于预算年度内完成")
    if facts.amount:
        parts.append(f"项目支出控制在预算{cost_value(facts.amount).removeprefix('≤')}以内")
    stated = {e.name for e in facts.effects}
    effects = [f"{e.verb}{e.name}" for e in facts.effects if e.phrase not in deliverables]
    for c in chosen:
        # A row restating a stated effect (持续提升路况水平 for 提升路况水平) adds nothing.
        if TIERS[c.code].level1_code == "2" and not any(x in c.name for x in stated):
            effects.append(c.name if c.name.startswith(_VERBS) else f"提升{c.name}")
    if effects:
        parts.append("，".join(effects[:3]))
    sat = next((c for c in chosen if c.code == "31"), None)
    if sat:
        parts.append(f"提高{sat.name}")
    lead = f"{facts.year}年，{subject}：" if facts.year_stated else f"{subject}："
    return lead + "，".join(parts) + "。"
