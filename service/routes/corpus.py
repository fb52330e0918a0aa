"""The corpus routes: add reviewed tables, import files, record and list reviewers' corrections.

Writes need a write key, whose name is recorded (``JIXIAO_API_KEYS=name:key``); the
list of corrections needs read access. Every write is one database transaction, and
the engine then catches its index up with the store.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from jixiao.corpus.corrections import CorrectionError, CorrectionTargetMissing
from jixiao.corpus.review import complete_table
from jixiao.service.api_models import (
    AddTablesRequest,
    AddTablesResponse,
    CorrectionOut,
    CorrectionResponse,
    CorrectionsList,
    ImportFileOut,
    ImportResponse,
    IndicatorCorrection,
)
from jixiao.service.deps import (
    Engine,
    get_engine,
    get_store,
    require_read_access,
    require_write_key,
    run_blocking,
)
from jixiao.service.input_limits import check_tables
from jixiao.service.problems import NOT_FOUND_RESPONSE, PROBLEM_RESPONSES, ApiProblem

log = logging.getLogger("jixiao.service")

IMPORT_PATH = "/v1/corpus/import"
#: The name of the write key the request presented (recorded in the log and in corrections).
WriterName = Annotated[str, Depends(require_write_key)]

router = APIRouter(tags=["corpus"], responses=PROBLEM_RESPONSES)


@router.post(
    "/v1/corpus/tables",
    response_model=AddTablesResponse,
    status_code=201,
    summary="把审核通过的目标表加入语料库并增量更新索引",
)
async def add_tables(
    body: AddTablesRequest,
    request: Request,
    who: WriterName,
    engine: Annotated[Engine, Depends(get_engine)],
) -> AddTablesResponse:
    check_tables(body.tables)  # before anything is stored
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
    stored = await run_blocking(request, lambda: engine.add_tables(tables, who=who), compute=False)
    # status() waits for the index lock, which another addition may hold for seconds: off the loop.
    status = await run_blocking(request, engine.status, compute=False)
    return AddTablesResponse(
        added=[t.id for t in stored], corpus_version=status.corpus_version, index_size=status.index_size
    )


@router.post(
    IMPORT_PATH,
    response_model=ImportResponse,
    status_code=201,
    summary="导入目标表文件或 zip 压缩包（.xlsx .docx .csv .txt .md .pdf .jsonl），逐个文件报告结果",
)
async def import_files(
    request: Request,
    who: WriterName,
    source: str = Query("upload", min_length=1, max_length=100, description="来源名称，记入出处"),
    dry_run: bool = Query(False, description="只解析与报告，不写入"),
) -> ImportResponse:
    from jixiao.corpus.importer import ImportItem, import_items, zip_items
    from jixiao.service.routes.tables import _read_file

    data, filename = await _read_file(request)
    store = get_store(request)
    if filename.lower().endswith(".zip") or data[:4] == b"PK\x03\x04" and not filename.lower().endswith(
        (".xlsx", ".docx")
    ):
        items = zip_items(data, filename)
    else:
        items = iter([ImportItem(filename, lambda: data)])
    report = await run_blocking(
        request, lambda: import_items(items, store, source=source, who=who, dry_run=dry_run), compute=False
    )
    engine = getattr(request.app.state, "engine", None)
    if report.tables and not dry_run and hasattr(engine, "sync"):
        await run_blocking(request, engine.sync, True, compute=False)
    return ImportResponse(
        import_id=report.import_id,
        source=report.source,
        dry_run=report.dry_run,
        files=[ImportFileOut(**vars(f)) for f in report.files],
        tables=report.tables,
        rows=report.rows,
        duplicates=report.duplicates,
        failures=report.failures,
        corpus_version=None if report.version is None else str(report.version),
    )


@router.patch(
    "/v1/corpus/tables/{table_id}/indicators/{n}",
    response_model=CorrectionResponse,
    responses=NOT_FOUND_RESPONSE,
    summary="更正语料库中一行指标的类别、名称或指标值（记录更正人、时间与原值）",
)
async def correct_indicator(
    body: IndicatorCorrection,
    request: Request,
    who: WriterName,
    table_id: str = Path(..., max_length=300),
    n: int = Path(..., ge=0, le=10_000, description="指标行号，从 0 开始"),
) -> CorrectionResponse:
    wanted = body.model_dump(exclude_unset=True)
    if not wanted:
        raise ApiProblem(422, "请至少提供一项更正：code、name、period_value 或 annual_value", kind="validation")
    store = get_store(request)
    try:
        made = await run_blocking(request, store.correct, table_id, n, wanted, who, compute=False)
    except CorrectionTargetMissing as e:
        raise ApiProblem(404, str(e), kind="not-found") from e
    except CorrectionError as e:
        raise ApiProblem(422, str(e), kind="invalid-correction") from e
    log.info("%r 更正：%s 第 %d 行：%s", who, table_id, n, ", ".join(c.field for c in made))
    return CorrectionResponse(
        table_id=table_id,
        position=n,
        corrections=[CorrectionOut(**vars(c)) for c in made],
        corpus_version=str(made[0].version),
    )


@router.get(
    "/v1/corpus/corrections",
    response_model=CorrectionsList,
    summary="列出审核人员的更正记录（最新的在前）",
    dependencies=[Depends(require_read_access)],
)
async def list_corrections(
    request: Request,
    table_id: str | None = Query(None, max_length=300),
    limit: int = Query(100, ge=1, le=1000),
    # SQLite and PostgreSQL take 64-bit offsets; a larger one was a 500 (fuzzing, schemathesis).
    offset: int = Query(0, ge=0, le=2**62),
) -> CorrectionsList:
    store = get_store(request)
    items = await run_blocking(
        request, lambda: store.corrections(table_id=table_id, limit=limit, offset=offset), compute=False
    )
    return CorrectionsList(corrections=[CorrectionOut(**vars(c)) for c in items])
