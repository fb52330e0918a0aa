"""``POST /v1/review``: a GoalTable in JSON, the reviewer's findings out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from jixiao.corpus.schema import GoalTable
from jixiao.service.analysis import analyze_table, severity_counts
from jixiao.service.api_models import DEFAULT_THRESHOLD, ReviewResponse
from jixiao.service.deps import EngineDep, require_read_access, run_blocking
from jixiao.service.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["review"], dependencies=[Depends(require_read_access)], responses=PROBLEM_RESPONSES)


@router.post("/v1/review", response_model=ReviewResponse, summary="审核一张绩效目标表")
async def review(
    table: GoalTable,
    request: Request,
    engine: EngineDep,
    classify: bool = Query(True, description="同时用分类模型核对每行的类别（规则 tier-disagreement）"),
    threshold: float = Query(
        DEFAULT_THRESHOLD, ge=0.0, le=1.0, description="模型与申报类别不一致时报告的最低置信度"
    ),
) -> ReviewResponse:
    result = await run_blocking(request, analyze_table, engine, table, threshold, classify)
    return ReviewResponse(
        table_id=result.table.id,
        scheme=result.table.scheme,
        findings=result.findings,
        counts=severity_counts(result.findings),
        classifications=result.classifications,
    )
