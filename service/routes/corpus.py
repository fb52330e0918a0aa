"""``POST /v1/corpus/tables``: add reviewed tables to the corpus and the index (API key required)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from jixiao.corpus.review import complete_table
from jixiao.service.api_models import AddTablesRequest, AddTablesResponse
from jixiao.service.deps import get_engine, require_write_key, run_blocking
from jixiao.service.input_limits import check_tables
from jixiao.service.problems import PROBLEM_RESPONSES, ApiProblem

router = APIRouter(tags=["corpus"], dependencies=[Depends(require_write_key)], responses=PROBLEM_RESPONSES)


@router.post(
    "/v1/corpus/tables",
    response_model=AddTablesResponse,
    status_code=201,
    summary="把审核通过的目标表加入语料库并增量更新索引",
)
async def add_tables(body: AddTablesRequest, request: Request) -> AddTablesResponse:
    check_tables(body.tables)  # before anything is stored
    engine = get_engine(request)
    empty = [t.id for t in body.tables if not t.indicators]
    if empty:
        raise ApiProblem(422, f"以下目标表没有任何指标，未加入语料库：{'、'.join(empty)}", kind="empty-table")
    tables = [complete_table(t) for t in body.tables]
    unknown = [(t.id, i.name) for t in tables for i in t.indicators if not i.code]
    if unknown:
        tid, name = unknown[0]
        raise ApiProblem(
            422,
            f"加入语料库的指标必须有可识别的一、二级类别：表 {tid} 的“{name}”等 {len(unknown)} 行缺少或无法识别",
            kind="missing-category",
        )
    stored = await run_blocking(request, engine.add_tables, tables)
    # status() waits for the index lock, which another addition may hold for seconds: off the loop.
    status = await run_blocking(request, engine.status)
    return AddTablesResponse(
        added=[t.id for t in stored], corpus_version=status.corpus_version, index_size=status.index_size
    )
