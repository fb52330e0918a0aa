"""A hand-built grounded draft for the LLM tests: a rural-road maintenance project."""

from __future__ import annotations

from jixiao.corpus.taxonomy import Scheme
from jixiao.models.llm.types import Candidate, DraftContext


def road_context(scheme: Scheme = Scheme.A) -> DraftContext:
    cands = [
        Candidate(id="c1", code="11", name="养护农村公路里程", value="≥120公里", grounding=("养护里程", "≥120公里")),
        Candidate(id="c2", code="12", name="养护工程验收合格率", value="≥95%", grounding=("≥95%", "≥98%")),
        Candidate(id="c3", code="13", name="养护任务完成时间", value="12月底前"),
        Candidate(id="c4", code="14", name="每公里养护成本", value="≤1万元"),
        Candidate(id="c5", code="22", name="群众出行条件", value="有效改善"),
        Candidate(id="c6", code="24", name="公路使用年限延长", value="≥5年"),
        Candidate(id="c7", code="31", name="沿线群众满意度", value="≥90%", grounding=("≥90%", "≥85%")),
    ]
    if scheme is Scheme.B:
        cands.append(Candidate(id="c8", code="41", name="养护资金", value="≤120万元"))
    return DraftContext(
        project_name="2025年农村公路养护项目",
        project_goal="完成全县农村公路日常养护120公里，保障道路安全畅通",
        amount=1_200_000,
        year=2025,
        scheme=scheme,
        candidates=cands,
        grounded_goal="2025年农村公路养护项目：完成全县农村公路日常养护120公里，保障道路安全畅通。",
    )


def answer(**over) -> dict:  # noqa: ANN003
    """A valid answer to ``road_context``; ``over`` replaces top-level keys."""
    a = {
        "goal_text": "年度内完成全县农村公路养护120公里，验收合格率≥95%，群众满意度≥90%。",
        "indicators": [
            {"code": "11", "name": "农村公路日常养护里程", "value": "≥120公里", "candidate_ids": ["c1"]},
            {"code": "12", "name": "养护工程验收合格率", "value": "≥95%", "candidate_ids": ["c2"]},
            {"code": "13", "name": "养护任务完成时间", "value": "12月底前", "candidate_ids": ["c3"]},
            {"code": "14", "name": "每公里养护成本", "value": "≤1万元", "candidate_ids": ["c4"]},
            {"code": "24", "name": "公路使用年限延长", "value": "≥5年", "candidate_ids": ["c6"]},
            {"code": "31", "name": "沿线群众满意度", "value": "≥90%", "candidate_ids": ["c7"]},
        ],
    }
    a.update(over)
    return a
