"""``POST /v1/suggest``: a project in, a drafted goal table out (polished by the LLM on request);
``POST /v1/suggest/xlsx``: the edited draft as Excel."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from jixiao.corpus.writers import write_xlsx
from jixiao.service.annotate import XLSX_MEDIA_TYPE
from jixiao.service.api_models import DraftExportRequest, SuggestRequest, SuggestResponse
from jixiao.service.deps import EngineDep, SettingsDep, require_read_access, run_blocking
from jixiao.service.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["draft"], dependencies=[Depends(require_read_access)], responses=PROBLEM_RESPONSES)


@router.post("/v1/suggest", response_model=SuggestResponse, summary="为项目推荐绩效指标并起草目标")
async def suggest(
    body: SuggestRequest, request: Request, engine: EngineDep, settings: SettingsDep
) -> SuggestResponse:
    table = await run_blocking(request, engine.suggest, body.to_query(), body.k)
    out = SuggestResponse(**dict(table))  # the same field objects, no re-validation
    if body.llm:
        from jixiao.models.llm.assist import polish_suggested

        out.llm = await run_blocking(request, polish_suggested, table, settings, engine, compute=False)
        out.warnings = [*out.warnings, *out.llm.warnings]
    return out


@router.post(
    "/v1/suggest/xlsx",
    summary="把编辑后的草稿导出为 Excel 绩效目标表（一级/二级/三级指标、指标值）",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}, "description": "绩效目标表工作簿"}},
)
async def export_draft(body: DraftExportRequest) -> Response:
    """The workbook uses the writer every other export uses, so ``jixiao parse`` reads it back."""
    buf = BytesIO()
    write_xlsx([body.to_table()], buf)
    return Response(
        buf.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": 'attachment; filename="draft.xlsx"; '
            f"filename*=UTF-8''{quote(body.name[:60] + '-绩效目标表.xlsx', safe='')}"
        },
    )
