"""``POST /v1/suggest``: a project in, a drafted goal table out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jixiao.models.suggest_schema import SuggestedTable
from jixiao.service.api_models import SuggestRequest
from jixiao.service.deps import EngineDep, require_read_access, run_blocking
from jixiao.service.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["draft"], dependencies=[Depends(require_read_access)], responses=PROBLEM_RESPONSES)


@router.post("/v1/suggest", response_model=SuggestedTable, summary="为项目推荐绩效指标并起草目标")
async def suggest(body: SuggestRequest, request: Request, engine: EngineDep) -> SuggestedTable:
    return await run_blocking(request, engine.suggest, body.to_query(), body.k)
