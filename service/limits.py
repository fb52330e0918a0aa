"""Request limits: body size before anything is buffered; memory handed back after large bodies.

A size check after ``await request.form()`` is too late: the multipart parser has
already spooled the whole body to disk. The middleware counts bytes as they arrive
(and trusts a declared Content-Length only to refuse early), so an oversized or
endless upload costs at most the limit. The upload's type is decided by the bytes, in
one place: ``jixiao.corpus.parsers.sniff``.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jixiao.service.memory import release_free_memory
from jixiao.service.problems import problem_response

#: Room for multipart boundaries and form fields on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024
#: JSON bodies (a few tables, a few hundred rows) never come near this.
MAX_JSON_BYTES = 5 * 1024 * 1024
#: After a request whose body was at least this large, the heap's free pages are handed
#: back (``malloc_trim``): the body, its parse and its response are garbage by then, and
#: glibc would otherwise keep their pages, leaving the server 150-250 MB above idle.
TRIM_AFTER_BYTES = 256 * 1024



class BodyTooLarge(StarletteHTTPException):
    """An HTTPException so FastAPI's body reader re-raises it instead of answering 400."""

    def __init__(self, limit: int):
        super().__init__(413, f"请求内容超过 {limit / 1024 / 1024:.1f} MB 的上限")


class BodySizeLimit:
    """Pure ASGI middleware: 413 as soon as a body exceeds its route's limit."""

    def __init__(self, app: ASGIApp, upload_limit: int, upload_paths: tuple[str, ...], json_limit: int):
        self.app = app
        self.upload_limit = upload_limit + MULTIPART_OVERHEAD
        self.upload_paths = upload_paths
        self.json_limit = json_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] in self.upload_paths else self.json_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem_response(
                413,
                f"请求内容 {int(declared) / 1024 / 1024:.1f} MB，超过 {limit / 1024 / 1024:.1f} MB 的上限",
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send)
        finally:
            if seen >= TRIM_AFTER_BYTES:
                release_free_memory()
