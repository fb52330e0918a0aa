"""The messages sent to the model: the task, the project, the candidates with their ids.

The rules the validator enforces are stated in the prompt too, so a capable model gets
them right the first time and the repair round is the exception.
"""

from __future__ import annotations

import json

from jixiao.corpus.taxonomy import LEVEL1_NAMES, REQUIRED_LEVEL1, TIERS
from jixiao.models.llm.chat import ChatMessage
from jixiao.models.llm.types import DraftAnswer, DraftContext, Problem

SYSTEM = (
    "你是财政项目支出绩效目标表的编写助手。你只输出一个 JSON 对象，不输出其他文字。\n"
    "规则：\n"
    "1. 只能从给出的候选指标中选择指标，每个指标必须在 candidate_ids 中引用它所依据的候选编号；不得凭空新增指标。\n"
    "2. 可以改写指标名称使其贴合本项目，但不得改变它衡量的内容。\n"
    "3. 指标值和绩效目标中的每个数字，都必须出现在项目信息或所引用候选的名称、指标值中；不得编造或改动数字"
    "（例如不得把“≥95%”改成“100%”）。没有依据时保留候选的指标值。\n"
    "4. code 只能使用 allowed_codes 中的类别代码，且必须覆盖 required_level1 中的每个一级指标。\n"
    "5. 绩效目标 goal_text 用一段话概括本项目年度目标，只使用上述有依据的数字。"
)

ANSWER_SHAPE = '{"goal_text": "…", "indicators": [{"code": "11", "name": "…", "value": "…", "candidate_ids": ["c1"]}]}'


def answer_schema() -> dict:
    """The JSON schema sent as ``response_format`` where the server supports it."""
    return DraftAnswer.model_json_schema()


def draft_messages(ctx: DraftContext) -> list[ChatMessage]:
    payload = {
        "project": {
            "name": ctx.project_name,
            "goal": ctx.project_goal,
            "amount_yuan": ctx.amount,
            "year": ctx.year,
            "unit": ctx.unit,
        },
        "scheme": ctx.scheme.value,
        "allowed_codes": {c: f"{t.level1}/{t.level2}" for c, t in TIERS.items() if ctx.scheme in t.schemes},
        "required_level1": [LEVEL1_NAMES[x] for x in REQUIRED_LEVEL1[ctx.scheme]],
        "candidates": [
            {"id": c.id, "code": c.code, "name": c.name, "value": c.value, "weak": c.weak} for c in ctx.candidates
        ],
        "grounded_goal": ctx.grounded_goal,
    }
    user = (
        "请为下面的项目从候选指标中选择并改写绩效指标，润色绩效目标。\n"
        f"```json\n{json.dumps(payload, ensure_ascii=False)}\n```\n"
        f"只返回如下结构的 JSON：{ANSWER_SHAPE}"
    )
    return [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=user)]


def repair_messages(previous: list[ChatMessage], reply: str, problems: list[Problem]) -> list[ChatMessage]:
    """The conversation so far plus the validator's problems: the one repair round."""
    listed = "\n".join(f"- {p.message}" for p in problems[:12])
    return [
        *previous,
        ChatMessage(role="assistant", content=reply[:4000]),
        ChatMessage(
            role="user",
            content=f"你的回答有以下问题：\n{listed}\n请修正这些问题，重新输出完整的 JSON：{ANSWER_SHAPE}",
        ),
    ]
