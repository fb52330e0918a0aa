"""Rewrite proposals for the rows a review flags as vague or mis-tiered, validated like drafts.

The model sees the table's project, the flagged rows with the reviewer's finding, and
grounded candidates with ids: the table's own rows (``r1`` …) and indicators of similar
projects in the corpus (``c1`` …). A proposal survives only when it cites real ids,
uses a tier of the table's scheme, is quantified, passes the value rules of
``corpus.review``, and every number in it appears in the project text or a cited
candidate. Proposals are returned beside the original row and never applied.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.review import (
    DEFAULT_DISAGREEMENT_THRESHOLD,
    Finding,
    Rule,
    check_disagreements,
    value_findings,
)
from jixiao.corpus.schema import GoalTable, Indicator, ValueKind
from jixiao.corpus.taxonomy import TIERS, Scheme
from jixiao.corpus.values import parse_value
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.llm.chat import ChatMessage, ChatModel, LLMError
from jixiao.models.llm.numbers import grounding_set, show, ungrounded
from jixiao.models.llm.polish import TierChecker
from jixiao.models.llm.types import Candidate, Problem, RowFlag
from jixiao.models.llm.validate import parse_answer, tier_code
from jixiao.models.suggest_schema import SuggestedTable

log = logging.getLogger("jixiao.llm")

#: Findings that make a row worth a rewrite proposal.
TARGET_RULES = (Rule.VAGUE_VALUE, Rule.TIER_DISAGREEMENT, Rule.VALUE_TIER_MISMATCH)
MAX_TARGETS = 20
_VALUE_RULES = {Rule.EMPTY_VALUE, Rule.VAGUE_VALUE, Rule.MISSING_UNIT, Rule.VALUE_TIER_MISMATCH}


class RewriteTarget(BaseModel):
    index: int  # position in the table's indicators
    name: str
    code: str | None = None
    value: str | None = None
    rule: str
    problem: str


class RewriteContext(BaseModel):
    table_id: str
    project: str | None = None
    goal: str | None = None
    scheme: Scheme = Scheme.A
    targets: list[RewriteTarget]
    candidates: list[Candidate]

    def candidate(self, cid: str) -> Candidate | None:
        return next((c for c in self.candidates if c.id == cid), None)


class AnswerRewrite(BaseModel):
    row: int  # 1-based, as the prompt numbers them
    code: str = Field(min_length=1, max_length=8)
    name: str = Field(min_length=1, max_length=200)
    value: str = Field(min_length=1, max_length=200)
    candidate_ids: list[str] = Field(default_factory=list, max_length=20)


class RewriteAnswer(BaseModel):
    rewrites: list[AnswerRewrite] = Field(max_length=60)


class RewriteProposal(BaseModel):
    """A checked rewrite of one row, shown beside the original; the user decides."""

    indicator_index: int
    original_name: str
    original_code: str | None = None
    original_value: str | None = None
    problem: str
    code: str
    level1: str
    level2: str
    name: str
    value: str
    candidate_ids: list[str]
    origin: Literal["llm"] = "llm"
    flags: list[RowFlag] = Field(default_factory=list)


class RewriteResult(BaseModel):
    #: proposed: at least one proposal survived; none: no row needed one; failed: the model
    #: gave nothing usable (see warnings).
    status: Literal["proposed", "none", "failed"]
    model: str = ""
    proposals: list[RewriteProposal] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    rounds: int = 0


def rewrite_context(
    table: GoalTable, findings: Sequence[Finding], similar: SuggestedTable | None = None
) -> RewriteContext:
    """The flagged rows, and the candidates a rewrite may rest on."""
    targets: dict[int, RewriteTarget] = {}
    for f in findings:
        if f.rule in TARGET_RULES and f.indicator_index is not None and f.indicator_index not in targets:
            ind = table.indicators[f.indicator_index]
            targets[f.indicator_index] = RewriteTarget(
                index=f.indicator_index, name=ind.name, code=ind.code, value=ind.value, rule=f.rule, problem=f.message
            )
    cands = [
        Candidate(id=f"r{i + 1}", code=ind.code, name=ind.name, value=ind.value, origin="project")
        for i, ind in enumerate(table.indicators)
        if ind.code in TIERS
    ]
    if similar is not None:
        for n, s in enumerate(similar.suggestions, start=1):
            grounding = [*s.value_distribution, *(e.value or "" for e in s.evidence)]
            cands.append(
                Candidate(
                    id=f"c{n}",
                    code=s.code,
                    name=s.name,
                    value=s.suggested_value,
                    grounding=tuple(g for g in grounding if g),
                )
            )
    return RewriteContext(
        table_id=table.id,
        project=table.project,
        goal=table.goal,
        scheme=table.scheme or Scheme.A,
        targets=sorted(targets.values(), key=lambda t: t.index)[:MAX_TARGETS],
        candidates=cands,
    )


SYSTEM = (
    "你是财政绩效目标表的审核助手。审核发现部分指标表述含糊或归类不当，请为每个这样的指标给出一个可考核的改写建议。"
    "只输出一个 JSON 对象。规则：改写后的指标值必须量化（运算符+数值+单位，或完成时限）；"
    "每个数字都必须出现在项目信息或所引用候选（candidate_ids）的名称、指标值中，不得编造；"
    "code 只能用 allowed_codes 中的代码；row 用给出的行号。"
)
SHAPE = '{"rewrites": [{"row": 3, "code": "22", "name": "…", "value": "≥90%", "candidate_ids": ["r2", "c1"]}]}'


def rewrite_messages(ctx: RewriteContext) -> list[ChatMessage]:
    payload = {
        "project": {"name": ctx.project, "goal": ctx.goal},
        "allowed_codes": {c: f"{t.level1}/{t.level2}" for c, t in TIERS.items() if ctx.scheme in t.schemes},
        "rows_to_rewrite": [
            {"row": t.index + 1, "code": t.code, "name": t.name, "value": t.value, "problem": t.problem}
            for t in ctx.targets
        ],
        "candidates": [{"id": c.id, "code": c.code, "name": c.name, "value": c.value} for c in ctx.candidates],
    }
    user = f"```json\n{json.dumps(payload, ensure_ascii=False)}\n```\n只返回如下结构的 JSON：{SHAPE}"
    return [ChatMessage(role="system", content=SYSTEM), ChatMessage(role="user", content=user)]


def check_rewrites(
    answer: RewriteAnswer,
    ctx: RewriteContext,
    predictions: Sequence[object | None] = (),
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> tuple[list[RewriteProposal], list[Problem], list[Problem]]:
    """(proposals that survived, fatal problems, dropped proposals). Pure; ``predictions``
    are the classifier's for each answer rewrite, in order."""
    targets = {t.index: t for t in ctx.targets}
    proposals: list[RewriteProposal] = []
    fatal: list[Problem] = []
    dropped: list[Problem] = []
    base_texts = [t for t in (ctx.project, ctx.goal) if t]
    for k, a in enumerate(answer.rewrites):
        i = a.row - 1
        target = targets.get(i)
        if target is None:
            fatal.append(Problem(kind="not-a-target", row=i, message=f"第 {a.row} 行不在需要改写的行中"))
            continue
        code = tier_code(a.code, ctx.scheme)
        unknown = [cid for cid in a.candidate_ids if ctx.candidate(cid) is None]
        if code is None:
            fatal.append(Problem(kind="unknown-tier", row=i, message=f"第 {a.row} 行的类别代码“{a.code}”不存在"))
        if not a.candidate_ids or unknown:
            what = f"引用了不存在的候选编号 {'、'.join(unknown)}" if unknown else "没有引用任何候选编号"
            fatal.append(Problem(kind="unknown-id" if unknown else "no-citation", row=i, message=f"第 {a.row} 行{what}"))
        if code is None or not a.candidate_ids or unknown:
            continue
        cited = [ctx.candidate(cid) for cid in a.candidate_ids]
        allowed = grounding_set(base_texts + [x for c in cited if c for x in (c.name, c.value or "", *c.grounding)])
        name, value = normalize_text(a.name), normalize_text(a.value)
        # A name states facts: only the project's own or the original row's; a value may use the cited targets.
        bad = ungrounded(name, grounding_set([*base_texts, target.name])) + ungrounded(value, allowed)
        if bad:
            dropped.append(
                Problem(
                    kind="ungrounded-number",
                    row=i,
                    message=f"第 {a.row} 行的改写含无来源的数字 {'、'.join(show(n) for n in bad)}，未采用",
                )
            )
            continue
        if parse_value(value).kind not in (ValueKind.NUMERIC, ValueKind.DATE):
            dropped.append(Problem(kind="still-vague", row=i, message=f"第 {a.row} 行的改写“{value}”仍未量化，未采用"))
            continue
        tier = TIERS[code]
        row_table = GoalTable(
            id=ctx.table_id,
            scheme=ctx.scheme,
            indicators=[Indicator(name=name, level1=tier.level1, level2=tier.level2, code=code, annual_value=value)],
        )
        rejected = [f for f in value_findings(row_table, [code]) if f.rule in _VALUE_RULES]
        if rejected:
            dropped.append(
                Problem(kind=f"review-{rejected[0].rule}", row=i, message=f"第 {a.row} 行的改写：{rejected[0].message}，未采用")
            )
            continue
        pred = predictions[k] if k < len(predictions) else None
        flags = [
            RowFlag(kind="classifier-disagrees", message=f.message)
            for f in check_disagreements(row_table, [pred], threshold)  # type: ignore[list-item]
        ]
        proposals.append(
            RewriteProposal(
                indicator_index=i,
                original_name=target.name,
                original_code=target.code,
                original_value=target.value,
                problem=target.problem,
                code=code,
                level1=tier.level1,
                level2=tier.level2,
                name=name,
                value=value,
                candidate_ids=list(a.candidate_ids),
                flags=flags,
            )
        )
    return proposals, fatal, dropped


def propose_rewrites(
    ctx: RewriteContext,
    chat: ChatModel,
    checker: TierChecker | None,
    *,
    timeout_s: float = 60.0,
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> RewriteResult:
    """Checked proposals for the flagged rows, with one repair round; never raises."""
    if not ctx.targets:
        return RewriteResult(status="none", model=chat.name)
    deadline = time.monotonic() + timeout_s
    messages = rewrite_messages(ctx)
    problems: list[Problem] = []
    kept: dict[int, RewriteProposal] = {}  # row → the first proposal that survived, over both rounds
    rounds = 0
    failure: str | None = None
    for attempt in (1, 2):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            failure = "大模型没有在时限内完成（JIXIAO_LLM_TIMEOUT）"
            break
        rounds = attempt
        try:
            reply = chat.complete(messages, schema=RewriteAnswer.model_json_schema(), timeout_s=remaining)
        except LLMError as e:
            failure = e.reason
            break
        answer, fatal = parse_answer(reply, RewriteAnswer)  # type: ignore[arg-type]
        dropped: list[Problem] = []
        if answer is not None:
            proposals, fatal, dropped = check_rewrites(answer, ctx, _predict(answer, ctx, checker), threshold)
            for p in proposals:
                kept.setdefault(p.indicator_index, p)
        problems += fatal + dropped
        if not (fatal or dropped) or attempt == 2:
            break
        listed = "\n".join(f"- {p.message}" for p in fatal + dropped)
        messages = [
            *messages,
            ChatMessage(role="assistant", content=reply[:4000]),
            ChatMessage(role="user", content=f"你的回答有以下问题：\n{listed}\n请修正后重新输出完整 JSON：{SHAPE}"),
        ]
    if not kept:
        reason = failure or "大模型的改写建议未通过校验（" + ("；".join(dict.fromkeys(p.message for p in problems))[:300] or "没有给出改写") + "）"
        return RewriteResult(
            status="failed", model=chat.name, warnings=[f"{reason}；未给出改写建议"], problems=problems, rounds=rounds
        )
    missing = [t.index + 1 for t in ctx.targets if t.index not in kept]
    warnings = [f"第 {'、'.join(map(str, missing))} 行没有通过校验的改写建议"] if missing else []
    if failure:
        warnings.append(failure)
    return RewriteResult(
        status="proposed",
        model=chat.name,
        proposals=sorted(kept.values(), key=lambda p: p.indicator_index),
        warnings=warnings,
        problems=problems,
        rounds=rounds,
    )


def _predict(answer: RewriteAnswer, ctx: RewriteContext, checker: TierChecker | None) -> list:
    if checker is None or not answer.rewrites:
        return []
    inputs = [ClassifyInput(name=a.name, value=a.value, project=ctx.project, goal=ctx.goal) for a in answer.rewrites]
    return [p.in_scheme(ctx.scheme) for p in checker.classify(inputs)]
