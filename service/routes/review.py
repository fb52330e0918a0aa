"""``POST /v1/review`` (a GoalTable in JSON) and ``POST /v1/review/batch`` (a whole submission).

The batch route takes several files, or zip archives of them, in one multipart form
(field ``files``, repeated; ``file`` works too) and answers with one review per file and
per table; ``?format=xlsx`` gives the summary workbook instead. A file that cannot be
read is reported in its own entry and never stops the batch.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from jixiao.corpus.review import PeerNorms
from jixiao.corpus.schema import GoalTable
from jixiao.service.analysis import analyze_table, corpus_norms, severity_counts
from jixiao.service.annotate import XLSX_MEDIA_TYPE
from jixiao.service.api_models import DEFAULT_THRESHOLD, ReviewResponse
from jixiao.service.batch import MAX_BATCH_FILES, BatchReview, review_files
from jixiao.service.deps import EngineDep, SettingsDep, require_read_access, run_blocking
from jixiao.service.input_limits import check_tables
from jixiao.service.problems import PROBLEM_RESPONSES, ApiProblem

BATCH_PATH = "/v1/review/batch"

router = APIRouter(tags=["review"], dependencies=[Depends(require_read_access)], responses=PROBLEM_RESPONSES)


def get_norms(settings: SettingsDep) -> PeerNorms:
    """The corpus's peer targets for the 适当性 checks (cached until the store changes)."""
    return corpus_norms(settings)


@router.post("/v1/review", response_model=ReviewResponse, summary="审核一张绩效目标表")
async def review(
    table: GoalTable,
    request: Request,
    norms: Annotated[PeerNorms, Depends(get_norms)],
    engine: EngineDep,
    classify: bool = Query(True, description="同时用分类模型核对每行的类别（规则 tier-disagreement）"),
    threshold: float = Query(
        DEFAULT_THRESHOLD, ge=0.0, le=1.0, description="模型与申报类别不一致时报告的最低置信度"
    ),
) -> ReviewResponse:
    check_tables([table])
    result = await run_blocking(request, analyze_table, engine, table, threshold, classify, norms)
    return ReviewResponse(
        table_id=result.table.id,
        scheme=result.table.scheme,
        findings=result.findings,
        counts=severity_counts(result.findings),
        classifications=result.classifications,
        grade=result.grade,
    )


_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                }
            }
        },
    }
}


async def _read_files(request: Request) -> list[tuple[str, bytes]]:
    ctype = request.headers.get("content-type", "").lower()
    if not ctype.startswith("multipart/form-data"):
        raise ApiProblem(
            415, "请以 multipart/form-data 表单上传文件（字段名 files）", kind="unsupported-media-type"
        )
    out: list[tuple[str, bytes]] = []
    async with request.form(max_files=MAX_BATCH_FILES, max_fields=20) as form:
        for key in ("files", "file"):
            for item in form.getlist(key):
                if isinstance(item, UploadFile):
                    out.append((item.filename or f"文件{len(out) + 1}", await item.read()))
    if not out:
        raise ApiProblem(
            422, "表单中没有文件（字段名 files，可重复，也可上传一个 zip 压缩包）", kind="validation"
        )
    return out


@router.post(
    BATCH_PATH,
    response_model=BatchReview,
    summary="批量审核：多个文件或 zip 压缩包，每张表给出等级与审核意见",
    openapi_extra=_BATCH_BODY,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "JSON，或 format=xlsx 时的汇总工作簿"}},
)
async def review_batch(
    request: Request,
    norms: Annotated[PeerNorms, Depends(get_norms)],
    engine: EngineDep,
    settings: SettingsDep,
    format: Literal["json", "xlsx"] = Query("json", description="xlsx：返回汇总工作簿（每张表一页）"),
    threshold: float = Query(DEFAULT_THRESHOLD, ge=0.0, le=1.0),
):
    files = await _read_files(request)
    timeout = settings.batch_timeout_s
    # A batch runs for minutes: it must not hold one of the places interactive requests wait for.
    batch = await run_blocking(
        request, review_files, engine, files, threshold, norms, None, timeout=timeout, compute=False
    )
    if format == "xlsx":
        from jixiao.service.summary import summary_workbook

        content = await run_blocking(request, summary_workbook, batch, timeout=timeout, compute=False)
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={
                "Content-Disposition": 'attachment; filename="review-summary.xlsx"; '
                f"filename*=UTF-8''{quote('批量审核汇总.xlsx')}"
            },
        )
    return batch
