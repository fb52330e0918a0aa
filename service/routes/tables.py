"""``POST /v1/tables/upload``: a file in; parsed tables, every row classified and reviewed out.

The form is read here rather than through an ``UploadFile`` parameter so that the size
limit (raised while the body streams in) and the content sniffing answer with their
own problem documents instead of FastAPI's generic body error.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from jixiao.corpus.errors import ParseError
from jixiao.corpus.schema import ParseResult
from jixiao.models.deadline import check_deadline
from jixiao.service.analysis import analyze_table, severity_counts
from jixiao.service.annotate import XLSX_MEDIA_TYPE, annotated_workbook
from jixiao.service.api_models import DEFAULT_THRESHOLD, UploadedTable, UploadResponse
from jixiao.service.cancellable import parse_in_subprocess
from jixiao.service.deps import Engine, get_engine, require_read_access, run_blocking
from jixiao.service.limits import sniff_upload
from jixiao.service.problems import PROBLEM_RESPONSES, ApiProblem

UPLOAD_PATH = "/v1/tables/upload"
#: Words in a parser error that mean the archive was refused as a decompression bomb.
_BOMB_WORDS = ("bomb", "uncompressed", "compression ratio", "too many entries", "解压", "压缩比", "条目")

router = APIRouter(tags=["review"], dependencies=[Depends(require_read_access)], responses=PROBLEM_RESPONSES)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def parse_upload(data: bytes, filename: str) -> ParseResult:
    """Sniff, then parse; parser refusals become 413 (bombs) or 422 problems."""
    sniff_upload(data, filename)
    from jixiao.corpus.parsers import parse_bytes

    try:
        return parse_bytes(data, filename)
    except ParseError as e:
        problem = e.problem.lower()
        if any(w in problem for w in _BOMB_WORDS):
            raise ApiProblem(
                413, f"文件“{filename}”解压后过大或条目过多，已拒绝处理（{e.problem}）", kind="zip-bomb"
            ) from e
        raise


def analyze_upload(
    engine: Engine, data: bytes, filename: str, threshold: float
) -> tuple[ParseResult, list[UploadedTable]]:
    parsed = parse_in_subprocess(data, filename)  # terminated at the request's deadline
    results = []
    for table in parsed.tables:
        check_deadline("review")
        results.append(analyze_table(engine, table, threshold))
    return parsed, results


async def _read_file(request: Request) -> tuple[bytes, str]:
    ctype = request.headers.get("content-type", "").lower()  # media types are case-insensitive
    if not ctype.startswith("multipart/form-data"):
        raise ApiProblem(
            415, "请以 multipart/form-data 表单上传文件（字段名 file）", kind="unsupported-media-type"
        )
    limit = int(request.app.state.settings.max_upload_mb * 1024 * 1024)
    async with request.form(max_files=1, max_fields=10) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise ApiProblem(422, "表单中缺少文件字段 file", kind="validation")
        data = await file.read(limit + 1)
        name = file.filename or "upload"
    if len(data) > limit:
        raise ApiProblem(413, f"上传文件超过 {request.app.state.settings.max_upload_mb:g} MB 的上限")
    return data, name


@router.post(
    UPLOAD_PATH,
    response_model=UploadResponse,
    summary="上传目标表文件（.xlsx .docx .csv .txt .md .pdf），返回解析、分类与审核结果",
    openapi_extra=_UPLOAD_BODY,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "JSON，或 format=xlsx 时的标注工作簿"}},
)
async def upload(
    request: Request,
    format: Literal["json", "xlsx"] = Query("json", description="xlsx：返回带标注的工作簿"),
    threshold: float = Query(DEFAULT_THRESHOLD, ge=0.0, le=1.0),
):
    data, filename = await _read_file(request)
    engine = get_engine(request)
    parsed, results = await run_blocking(request, analyze_upload, engine, data, filename, threshold)
    if format == "xlsx":
        content = await run_blocking(request, annotated_workbook, results)
        stem = filename.rsplit(".", 1)[0] or "upload"
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={
                "Content-Disposition": f"attachment; filename=\"annotated.xlsx\"; filename*=UTF-8''{quote(stem + '-审核.xlsx')}"
            },
        )
    findings = [f for r in results for f in r.findings]
    return UploadResponse(
        filename=filename,
        layout=parsed.layout,
        tables=results,
        warnings=parsed.warnings,
        counts=severity_counts(findings),
    )
