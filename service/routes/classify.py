"""``POST /v1/classify``: indicator rows in, tier codes with confidence and explanation out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jixiao.service.analysis import classify_rows
from jixiao.service.api_models import ClassifyRequest, ClassifyResponse
from jixiao.service.deps import EngineDep, require_read_access, run_blocking
from jixiao.service.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["review"], dependencies=[Depends(require_read_access)], responses=PROBLEM_RESPONSES)


@router.post("/v1/classify", response_model=ClassifyResponse, summary="判断指标所属的一级、二级类别")
async def classify(body: ClassifyRequest, request: Request, engine: EngineDep) -> ClassifyResponse:
    results = await run_blocking(
        request, classify_rows, engine, body.rows, body.scheme, body.project, body.goal, body.table
    )
    return ClassifyResponse(scheme=body.scheme or "A", results=results)
