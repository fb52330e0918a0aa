"""``GET /v1/taxonomy`` and ``GET /v1/health``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from jixiao.corpus.taxonomy import LEVEL1_NAMES, REQUIRED_LEVEL1, TIERS, accepted_names
from jixiao.service.api_models import HealthResponse, StartupHealth, TaxonomyResponse, TierOut
from jixiao.service.deps import get_engine, require_read_access, run_blocking

router = APIRouter(tags=["meta"])


@router.get(
    "/v1/taxonomy",
    response_model=TaxonomyResponse,
    dependencies=[Depends(require_read_access)],
    summary="指标分类体系（A、B 两类口径）",
)
async def taxonomy() -> TaxonomyResponse:
    return TaxonomyResponse(
        tiers=[
            TierOut(
                code=t.code,
                level1_code=t.level1_code,
                level1=t.level1,
                level2=t.level2,
                label=t.label,
                schemes=list(t.schemes),
            )
            for t in TIERS.values()
        ],
        level1=dict(LEVEL1_NAMES),
        required_level1={s: list(codes) for s, codes in REQUIRED_LEVEL1.items()},
        variants=accepted_names(),
    )


@router.get(
    "/v1/health",
    response_model=HealthResponse | StartupHealth,
    summary="服务状态：模型、语料版本、索引规模；启动期间为启动进度",
)
async def health(request: Request) -> HealthResponse | StartupHealth | JSONResponse:
    """Open without a key, so load balancers and probes can call it.

    While ``jixiao serve`` prepares the engine: 503 (not ready, for probes) with
    ``status: starting``, the step and the progress (0 to 1), or ``status: failed`` and
    the reason. 200 means ready.
    """
    startup = getattr(request.app.state, "startup", None)
    if getattr(request.app.state, "engine", None) is None and startup is not None:
        snap = StartupHealth(**startup.snapshot())
        return JSONResponse(snap.model_dump(), status_code=503, headers={"Retry-After": "2"})
    engine = get_engine(request)
    s = await run_blocking(request, engine.status, compute=False)
    return HealthResponse(
        status="ok",
        model=s.model,
        classifier=s.classifier,
        corpus_version=s.corpus_version,
        corpus_tables=s.corpus_tables,
        index_size=s.index_size,
    )
