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
from pydantic import BaseModel
from starlette.datastructures import UploadFile

from jixiao.corpus.problem_text import zh_problem
from jixiao.corpus.review import PeerNorms
from jixiao.corpus.review_table_only import TableOnlyFindings
from jixiao.corpus.schema import ParseResult
from jixiao.fast_models import constructed
from jixiao.models.deadline import check_deadline
from jixiao.service.analysis import corpus_norms, review_tables, severity_counts
from jixiao.service.annotate import XLSX_MEDIA_TYPE, annotated_workbook
from jixiao.service.api_models import DEFAULT_THRESHOLD, UploadedTable, UploadResponse
from jixiao.service.cancellable import parse_in_subprocess
from jixiao.service.deps import Engine, EngineDep, SettingsDep, require_read_access, run_blocking
from jixiao.service.problems import PROBLEM_RESPONSES, ApiProblem
from jixiao.settings import Settings

UPLOAD_PATH = "/v1/tables/upload"
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


class ParsedUpload(BaseModel):
    """What the parser process sends back: the parsed file, its tables completed
    (``complete_table``), and each table's table-only review findings, in table order."""

    result: ParseResult
    table_only: list[TableOnlyFindings]


def parse_upload(data: bytes, filename: str) -> ParsedUpload:
    """Sniff and parse (``parse_bytes``); its typed refusals become problems in ``problems.py``.

    The parsed tables meet the same limits as tables sent as JSON (``check_tables``),
    here in the parser worker: a 60,000-row sheet is refused with 413 before its
    tables cross to the server process, where classifying and answering them took
    +840 MB. The tables come back completed, with the findings of the review checks
    that read a table alone (``corpus.review_table_only``).
    """
    from jixiao.corpus.parsers import parse_bytes
    from jixiao.corpus.review import complete_table
    from jixiao.corpus.review_table_only import table_only_findings
    from jixiao.service.input_limits import check_tables

    parsed = parse_bytes(data, filename)
    check_tables(parsed.tables)
    # Completed and partly reviewed here, in the worker process: this work took the server's
    # GIL on every upload. The tables are this call's own, so they are completed in place.
    parsed.tables = [complete_table(t, copy=False) for t in parsed.tables]
    return ParsedUpload.model_construct(result=parsed, table_only=[table_only_findings(t) for t in parsed.tables])


def analyze_upload(
    engine: Engine, data: bytes, filename: str, threshold: float, norms: PeerNorms | None = None
) -> tuple[ParseResult, list[UploadedTable]]:
    upload = parse_in_subprocess(data, filename)  # terminated at the request's deadline
    check_deadline("review")
    parsed = upload.result
    reviews = review_tables(engine, parsed.tables, threshold, norms, completed=True, table_only=upload.table_only)
    return parsed, [constructed(UploadedTable, **r.__dict__) for r in reviews]  # validated fields, as they are


def analyze_upload_for(
    settings: Settings, engine: Engine, data: bytes, filename: str, threshold: float
) -> tuple[ParseResult, list[UploadedTable]]:
    """``analyze_upload`` with the corpus's peer norms looked up in the same worker thread.

    As a route dependency the lookup (a database version query) took a worker-thread
    hand-off of its own on every upload.
    """
    return analyze_upload(engine, data, filename, threshold, corpus_norms(settings))


def annotated_disposition(filename: str) -> str:
    """``attachment`` named after the upload's base name; ``/`` and ``\\`` never survive.

    A crafted name (``../../x.xlsx``) must not suggest a path to the browser: the
    directory part is dropped and every reserved character percent-encoded.
    """
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0].strip(". ") or "upload"
    return f"attachment; filename=\"annotated.xlsx\"; filename*=UTF-8''{quote(stem + '-审核.xlsx', safe='')}"


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
    summary="上传目标表文件（.xlsx .docx .csv .txt .md .pdf），返回解析、分类、审核意见与等级",
    openapi_extra=_UPLOAD_BODY,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "JSON，或 format=xlsx 时的标注工作簿"}},
)
async def upload(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    format: Literal["json", "xlsx"] = Query("json", description="xlsx：返回带标注的工作簿"),
    threshold: float = Query(DEFAULT_THRESHOLD, ge=0.0, le=1.0),
    llm: bool = Query(False, description="为含糊或归类不当的指标附上大模型的改写建议（经校验，不自动采用）"),
):
    data, filename = await _read_file(request)
    parsed, results = await run_blocking(request, analyze_upload_for, settings, engine, data, filename, threshold)
    if llm and format == "json":
        from jixiao.service.llm_review import propose_for_results

        await run_blocking(request, propose_for_results, results, settings, engine, compute=False)
    if format == "xlsx":
        content = await run_blocking(request, annotated_workbook, results)
        return Response(
            content,
            media_type=XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": annotated_disposition(filename)},
        )
    findings = [f for r in results for f in r.findings]
    return UploadResponse(
        filename=filename,
        layout=parsed.layout,
        tables=results,
        warnings=[w.model_copy(update={"problem": zh_problem(w.problem)}) for w in parsed.warnings],
        counts=severity_counts(findings),
    )
