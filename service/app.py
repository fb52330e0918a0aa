"""The FastAPI application factory.

``create_app(settings, engine)`` takes the engine as an argument so tests, the load
benchmark and ``jixiao serve`` build the same app around different engines. Without
one, the shipped engine is loaded during startup (never on the first request), and a
model or index that cannot be loaded stops the server with the reason in the log
instead of serving empty answers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from jixiao import __version__
from jixiao.service.deps import Engine, LibraryEngine
from jixiao.service.limits import MAX_JSON_BYTES, BodySizeLimit
from jixiao.service.memory import tune_gc_for_serving
from jixiao.service.openapi_security import install_security_scheme
from jixiao.service.problems import CatchAll, install_problem_handlers
from jixiao.service.routes import ROUTERS
from jixiao.service.routes.corpus import IMPORT_PATH
from jixiao.service.routes.review import BATCH_PATH
from jixiao.service.routes.tables import UPLOAD_PATH
from jixiao.settings import Settings, get_settings

log = logging.getLogger("jixiao.service")
STATIC_DIR = Path(__file__).resolve().parent / "static"

DESCRIPTION = """
项目支出绩效目标表的起草与审核服务。

- `POST /v1/suggest`：按项目名称和目标推荐三级指标与指标值，并起草绩效目标；
- `POST /v1/classify`：判断指标的一级、二级类别（附置信度与依据）；
- `POST /v1/tables/upload`：上传 .xlsx .docx .csv .txt .md .pdf，返回解析、分类与审核意见（`?format=xlsx` 返回标注工作簿）；
- `POST /v1/review`：审核 JSON 格式的目标表（四项审核标准得分与优/良/中/差等级）；
- `POST /v1/review/batch`：批量审核多个文件或 zip 压缩包（`?format=xlsx` 返回汇总工作簿）；
- `POST /v1/corpus/tables`：把审核通过的目标表加入语料库（需 `X-API-Key`）。

错误一律以 `application/problem+json` 返回。
"""


def create_app(
    settings: Settings | None = None,
    engine: Engine | None = None,
    engine_factory: Callable[[Settings], Engine] | None = None,
) -> FastAPI:
    """The app. ``engine`` is used as is; else ``engine_factory`` (default: the shipped
    engine) runs once at startup in a worker thread."""
    settings = settings or get_settings()
    factory = engine_factory or (lambda s: LibraryEngine.load(s))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.engine is None:
            log.info("启动中：加载引擎（主目录 %s）", settings.home)
            app.state.engine = await anyio.to_thread.run_sync(factory, settings)
            tune_gc_for_serving()
        yield

    app = FastAPIOffline(  # /docs and /redoc served from the package: offline sites have no CDN
        title="jixiao 绩效目标表服务",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_security_scheme(app)

    @app.get("/", include_in_schema=False)
    def web_page() -> FileResponse:
        """The drafting and review page; it calls the same /v1 routes as any client."""
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    # The page's scripts, one file per section, so each part of the page changes on its own.
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    app.add_middleware(CatchAll)  # inside BodySizeLimit: every 500 answered, keep-alive kept
    app.add_middleware(
        BodySizeLimit,
        upload_limit=int(settings.max_upload_mb * 1024 * 1024),
        upload_paths=(UPLOAD_PATH, IMPORT_PATH, BATCH_PATH),
        json_limit=MAX_JSON_BYTES,
    )
    return app
