"""``POST /v1/suggest``: a project in, a drafted goal table out (polished by the LLM on request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from jixiao.service.api_models import SuggestRequest, SuggestResponse
from jixiao.service.deps import get_engine, get_settings, require_read_access, run_blocking
from jixiao.service.problems import PROBLEM_RESPONSES
from jixiao.settings import Settings

router = APIRouter(tags=["draft"], dependencies=[Depends(require_read_access)], responses=PROBLEM_RESPONSES)


@router.post("/v1/suggest", response_model=SuggestResponse, summary="为项目推荐绩效指标并起草目标")
async def suggest(
    body: SuggestRequest, request: Request, settings: Annotated[Settings, Depends(get_settings)]
) -> SuggestResponse:
    engine = get_engine(request)
    table = await run_blocking(request, engine.suggest, body.to_query(), body.k)
    out = SuggestResponse(**dict(table))  # the same field objects, no re-validation
    if body.llm:
        from jixiao.models.llm.assist import polish_suggested

        out.llm = await run_blocking(request, polish_suggested, table, settings, engine)
        out.warnings = [*out.warnings, *out.llm.warnings]
    return out
