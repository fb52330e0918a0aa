"""Rewrite proposals for reviewed tables: the one place the upload route and ``jixiao review --llm`` share.

One time budget (JIXIAO_LLM_TIMEOUT, inside the request timeout) covers the whole
upload, so a submission of many tables cannot hold a request past it: tables not
reached get a warning instead of a proposal.
"""

from __future__ import annotations

import logging
import time

from jixiao.errors import JixiaoError
from jixiao.models.llm.assist import effective_timeout, shared_chat_model
from jixiao.models.llm.rewrite import RewriteResult, propose_rewrites, rewrite_context
from jixiao.models.suggest_schema import ProjectQuery, SuggestedTable
from jixiao.service.api_models import UploadedTable
from jixiao.settings import Settings

log = logging.getLogger("jixiao.service")


def _similar(engine, r: UploadedTable) -> SuggestedTable | None:  # noqa: ANN001 - an Engine
    """Indicators of similar projects as extra candidates; none when the engine has no suggester."""
    t = r.table
    name = t.project or t.goal or ""
    if not hasattr(engine, "suggest") or not name.strip():
        return None
    try:
        return engine.suggest(ProjectQuery(name=name, goal=t.goal, scheme=t.scheme), 20)
    except JixiaoError as e:
        log.info("没有可供 %s 改写参考的相似项目：%s", t.id, e)
        return None


def propose_for_results(
    results: list[UploadedTable], settings: Settings, engine, timeout_s: float | None = None  # noqa: ANN001
) -> None:
    """Set ``rewrites`` on every reviewed table (in place): proposals, none needed, or why not.

    ``timeout_s`` defaults to the service's budget; the CLI passes JIXIAO_LLM_TIMEOUT.
    """
    chat, reason = shared_chat_model(settings)
    deadline = time.monotonic() + (timeout_s or effective_timeout(settings))
    for r in results:
        ctx = rewrite_context(r.table, r.findings)
        if not ctx.targets:
            r.rewrites = RewriteResult(status="none", model=chat.name if chat else "")
            continue
        if chat is None:
            r.rewrites = RewriteResult(status="failed", warnings=[f"{reason}；未给出改写建议"])
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0.5:
            r.rewrites = RewriteResult(
                status="failed", model=chat.name, warnings=["大模型的时限（JIXIAO_LLM_TIMEOUT）已用完，此表未给出改写建议"]
            )
            continue
        ctx = rewrite_context(r.table, r.findings, _similar(engine, r))
        r.rewrites = propose_rewrites(ctx, chat, engine, timeout_s=deadline - time.monotonic())
