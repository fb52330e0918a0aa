"""Every error the HTTP service returns, as RFC 9457 problem details in Chinese.

Clients (budget systems, a browser form) need one machine-readable shape for every
failure and a sentence a drafter can act on. Bad input must never surface as a 500
with a traceback, so every exception class the routes can meet is mapped here, and
the catch-all still answers with a problem document.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jixiao.corpus.parsers.sniff import ACCEPTED_UPLOADS
from jixiao.errors import (
    ArchiveTooLarge,
    DamagedFile,
    EmptyFile,
    JixiaoError,
    ParseError,
    UnknownCategoryError,
    UnsupportedArchive,
    UnsupportedFileType,
)

log = logging.getLogger("jixiao.service")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "https://jixiao.invalid/problems/"

_TITLES = {
    400: "请求有误",
    401: "需要 API 密钥",
    403: "无权执行此操作",
    404: "资源不存在",
    405: "不支持该请求方法",
    413: "上传内容过大",
    415: "不支持的文件类型",
    422: "请求内容无法处理",
    500: "服务内部错误",
    503: "服务尚未就绪",
    504: "处理超时",
}


class Problem(BaseModel):
    """The body of every error response (for the OpenAPI schema)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class ApiProblem(Exception):
    """Raised by routes and dependencies; rendered by the handler below."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _default_kind(status)
        self.title = title or _TITLES.get(status, "错误")
        self.headers = headers
        self.errors = errors


def _default_kind(status: int) -> str:
    return {
        400: "bad-request",
        401: "unauthorized",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        413: "payload-too-large",
        415: "unsupported-media-type",
        422: "unprocessable",
        500: "internal",
        503: "not-ready",
        504: "timeout",
    }.get(status, "error")


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    body = Problem(
        type=_TYPE_BASE + (kind or _default_kind(status)),
        title=title or _TITLES.get(status, "错误"),
        status=status,
        detail=detail,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


#: Responses every route documents in OpenAPI.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": _TITLES[code]}
    for code in (400, 401, 413, 415, 422, 500, 503, 504)  # 503: still starting, or the database is away
}
#: The 404 of routes that address one stored thing (a table, a row).
NOT_FOUND_RESPONSE: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": _TITLES[404]}
}


#: Chinese wording for the pydantic error types a client meets most.
_ERROR_ZH = {
    "missing": "缺少必填字段",
    "json_invalid": "JSON 格式错误",
    "too_short": "内容过少或为空",
    "too_long": "内容过长或条目过多",
    "string_too_short": "不能为空",
    "string_too_long": "文字过长",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "model_type": "应为对象",
    "extra_forbidden": "不允许的字段",
}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        kind = str(e.get("type", ""))
        out.append({"loc": loc, "msg": _ERROR_ZH.get(kind, str(e.get("msg", ""))), "type": kind})
    return out


def parse_problem(exc: ParseError) -> ApiProblem:
    """The status of a refused file comes from the error's type, never from its wording."""
    from jixiao.corpus.problem_text import zh_problem

    name, why = exc.source, zh_problem(exc.problem)
    if isinstance(exc, ArchiveTooLarge):
        return ApiProblem(413, f"文件“{name}”过大或过于复杂，已拒绝处理（{why}）", kind="zip-bomb")
    if isinstance(exc, UnsupportedFileType):
        return ApiProblem(
            415, f"不支持文件“{name}”的类型，支持的类型：{ACCEPTED_UPLOADS}（{why}）", kind="unsupported-media-type"
        )
    if isinstance(exc, UnsupportedArchive):
        return ApiProblem(
            415,
            f"文件“{name}”已加密或使用了不支持的压缩方式，请在 Excel 或 Word 中重新保存后上传（{why}）",
            kind="unsupported-archive",
        )
    if isinstance(exc, EmptyFile):
        return ApiProblem(422, f"上传的文件“{name}”为空", kind="empty-file")
    if isinstance(exc, DamagedFile):
        return ApiProblem(422, f"文件“{name}”已损坏或不完整（{why}）", kind="parse-error")
    return ApiProblem(422, f"无法解析上传的文件：{why}", kind="parse-error")


class CatchAll:
    """Pure ASGI middleware: an unexpected exception becomes a 500 problem, and stays here.

    Starlette's handler for ``Exception`` answers and then re-raises, and uvicorn
    closes a connection whose application raised, so the client's next request on the
    same keep-alive connection failed too. Here the exception is logged and answered
    without re-raising; only if the response had already started is it passed on.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise
            log.exception("未处理的错误：%s %s", scope.get("method"), scope.get("path"))
            await problem_response(500, "服务内部错误，已记录日志；请稍后重试或联系管理员")(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(
            exc.status, exc.detail, kind=exc.kind, title=exc.title, headers=exc.headers, errors=exc.errors
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        first = errors[0] if errors else {"loc": [], "msg": ""}
        where = ".".join(first["loc"]) or "请求体"
        return problem_response(
            422,
            f"请求内容不符合接口要求：{where}：{first['msg']}（共 {len(errors)} 处）",
            kind="validation",
            errors=errors,
        )

    @app.exception_handler(UnknownCategoryError)
    async def _unknown_category(_: Request, exc: UnknownCategoryError) -> JSONResponse:
        return problem_response(
            422,
            f"无法识别的指标类别“{exc.name}”，可用的类别：{'、'.join(exc.accepted)}",
            kind="unknown-category",
        )

    @app.exception_handler(ParseError)
    async def _parse_error(request: Request, exc: ParseError) -> JSONResponse:
        return await _api_problem(request, parse_problem(exc))

    @app.exception_handler(SQLAlchemyError)
    async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # The corpus database is down or unreachable: nothing was written, the client may retry.
        log.warning("数据库出错：%s %s：%s", request.method, request.url.path, exc.__class__.__name__)
        return problem_response(503, "语料库数据库暂时无法访问，请稍后重试", kind="database-unavailable")

    @app.exception_handler(JixiaoError)
    async def _jixiao_error(_: Request, exc: JixiaoError) -> JSONResponse:
        return problem_response(422, f"请求无法完成：{exc}", kind="invalid-input")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = {
            400: "请求体无法解析，请检查格式与编码",
            404: "请求的地址不存在，可用接口见 /docs",
            405: "该地址不支持此请求方法，可用接口见 /docs",
        }.get(exc.status_code, str(exc.detail))
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("未处理的错误：%s %s", request.method, request.url.path)
        return problem_response(500, "服务内部错误，已记录日志；请稍后重试或联系管理员")
