"""Polish a grounded draft with an LLM, validated, with one repair round and a grounded fallback.

``polish_draft(context, chat, checker)`` is the seam to the drafter: it knows the
project and the candidates (``DraftContext``), not how they were retrieved. The
adapter ``context_from_suggested`` builds that context from today's ``SuggestedTable``.
Whatever happens (a server down, a slow model, an answer that fails validation twice),
the result is a usable draft and, when the model's work was dropped, a Chinese line
saying why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

from jixiao.corpus.review import DEFAULT_DISAGREEMENT_THRESHOLD
from jixiao.models.classifier.contract import ClassifyInput, TierPrediction
from jixiao.models.llm.chat import ChatModel, LLMError
from jixiao.models.llm.prompts import answer_schema, draft_messages, repair_messages
from jixiao.models.llm.types import (
    Candidate,
    DraftContext,
    PolishedDraft,
    Problem,
    RoundRecord,
)
from jixiao.models.llm.validate import Checked, ground_rows, grounded_rows, parse_answer, review_rows
from jixiao.models.suggest_schema import SuggestedTable

log = logging.getLogger("jixiao.llm")


class TierChecker(Protocol):
    """The shipped classifier as the validator uses it (the service engine fits)."""

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]: ...


def context_from_suggested(table: SuggestedTable) -> DraftContext:
    """Today's grounded draft as candidates with stable ids (``c1`` … in table order)."""
    cands = []
    for n, s in enumerate(table.suggestions, start=1):
        grounding = [*s.value_distribution, *s.variants]
        for e in s.evidence:
            grounding += [e.indicator_name, e.value or ""]
        cands.append(
            Candidate(
                id=f"c{n}",
                code=s.code,
                name=s.name,
                value=s.suggested_value,
                origin=getattr(s, "origin", None) or "corpus",
                weak=s.weak,
                grounding=tuple(g for g in grounding if g),
            )
        )
    q = table.query
    return DraftContext(
        project_name=q.name,
        project_goal=q.goal,
        amount=q.amount,
        year=q.year,
        unit=q.unit,
        scheme=table.scheme,
        candidates=cands,
        grounded_goal=table.goal_text,
    )


def check_reply(
    reply: str, ctx: DraftContext, checker: TierChecker | None, threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD
) -> Checked:
    """Every stage of validation on one reply: parse, ground, classify, review."""
    answer, problems = parse_answer(reply)
    if answer is None:
        return Checked(fatal=problems)
    checked = ground_rows(answer, ctx)
    if not checked.ok:
        return checked
    predictions: Sequence[TierPrediction | None] = ()
    if checker is not None and checked.rows:
        inputs = [
            ClassifyInput(name=r.name, value=r.value, project=ctx.project_name, goal=ctx.project_goal)
            for r in checked.rows
        ]
        try:
            predictions = [p.in_scheme(ctx.scheme) for p in checker.classify(inputs)]
        except Exception:  # noqa: BLE001 - the tier check is advisory; drafting must not fail on it
            log.exception("用分类器核对大模型回答时出错；各行未作标记")
    return review_rows(checked, ctx, predictions, threshold)


def polish_draft(
    ctx: DraftContext,
    chat: ChatModel,
    checker: TierChecker | None,
    *,
    timeout_s: float = 60.0,
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> PolishedDraft:
    """The model's draft when it survives validation (after at most one repair), else the grounded one."""
    t0 = time.monotonic()
    deadline = t0 + timeout_s
    messages = draft_messages(ctx)
    schema = answer_schema()
    problems: list[Problem] = []
    usable: tuple[Checked, int] | None = None  # a first answer that needed only fixes
    records: list[RoundRecord] = []

    def fallback(reason: str) -> PolishedDraft:
        if usable is not None:
            return _accepted(ctx, chat, *usable, problems, records, t0)
        return PolishedDraft(
            status="fallback",
            model=chat.name,
            goal_text=ctx.grounded_goal,
            indicators=grounded_rows(ctx),
            warnings=[f"{reason}；已返回检索生成的草稿（未经大模型修改）"],
            problems=problems,
            rounds=len(records),
            round_records=records,
            elapsed_s=round(time.monotonic() - t0, 3),
        )

    for attempt in (1, 2):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return fallback("大模型没有在时限内完成（JIXIAO_LLM_TIMEOUT）")
        try:
            reply = chat.complete(messages, schema=schema, timeout_s=remaining)
        except LLMError as e:
            log.info("调用大模型失败：%s", e.kind)
            records.append(RoundRecord(schema_valid=False, error=e.kind))
            return fallback(e.reason)
        checked = check_reply(reply, ctx, checker, threshold)
        problems += checked.fatal + checked.fixes
        records.append(
            RoundRecord(
                schema_valid=not any(p.kind in ("not-json", "schema") for p in checked.fatal),
                fatal=len(checked.fatal),
                fixes=len(checked.fixes),
            )
        )
        if checked.ok and (not checked.fixes or attempt == 2):
            return _accepted(ctx, chat, checked, attempt, problems, records, t0)
        if checked.ok:
            usable = (checked, attempt)
        if attempt == 1:
            messages = repair_messages(messages, reply, checked.fatal + checked.fixes)
    shown = "；".join(dict.fromkeys(p.message for p in problems if p.kind != "ungrounded-number"))[:300]
    return fallback(f"大模型的回答两次未通过校验（{shown or '数字无来源'}）")


def _accepted(
    ctx: DraftContext,
    chat: ChatModel,
    checked: Checked,
    attempt: int,
    problems: list[Problem],
    records: list[RoundRecord],
    t0: float,
) -> PolishedDraft:
    return PolishedDraft(
        status="accepted" if attempt == 1 else "repaired",
        model=chat.name,
        goal_text=checked.goal_text,
        goal_origin="llm" if checked.goal_from_model else "corpus",
        indicators=checked.rows,
        warnings=[p.message for p in checked.fixes],
        problems=problems,
        rounds=len(records),
        round_records=records,
        elapsed_s=round(time.monotonic() - t0, 3),
    )
