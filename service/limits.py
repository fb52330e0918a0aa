"""Request limits: body size before anything is buffered, and upload type by content.

A size check after ``await request.form()`` is too late: the multipart parser has
already spooled the whole body to disk. The middleware counts bytes as they arrive
(and trusts a declared Content-Length only to refuse early), so an oversized or
endless upload costs at most the limit. The type is decided by the bytes, never by
the file name, because a renamed file is the common case (``.xls`` saved as
``.xlsx``, a PDF called ``.txt``).
"""

from __future__ import annotations

import io
import zipfile

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jixiao.service.problems import ApiProblem, problem_response

#: Room for multipart boundaries and form fields on top of the file itself.
MULTIPART_OVERHEAD = 64 * 1024
#: JSON bodies (a few tables, a few hundred rows) never come near this.
MAX_JSON_BYTES = 5 * 1024 * 1024

_ACCEPTED = ".xlsx .docx .csv .txt .md .pdf"


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

        await self.app(scope, counted, send)


def sniff_upload(data: bytes, filename: str) -> str:
    """ "zip-xlsx" | "zip-docx" | "pdf" | "text"; anything else is a 415 problem.

    Only the zip's central directory is read here (no decompression); the zip-bomb caps
    are checked by the parser before any entry is inflated.
    """
    if not data:
        raise ApiProblem(422, f"上传的文件“{filename}”为空", kind="empty-file")
    head = data[:8]
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError) as e:
            raise ApiProblem(422, f"文件“{filename}”是损坏或不完整的压缩文档", kind="parse-error") from e
        if "xl/workbook.xml" in names:
            return "zip-xlsx"
        if "word/document.xml" in names:
            return "zip-docx"
        raise ApiProblem(415, f"文件“{filename}”是压缩包但不是 .xlsx 或 .docx；支持的类型：{_ACCEPTED}")
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ApiProblem(
            415, f"文件“{filename}”是旧版 Office 格式（.xls/.doc），请另存为 .xlsx 或 .docx 后上传"
        )
    if _looks_like_text(data):
        return "text"
    raise ApiProblem(415, f"无法识别文件“{filename}”的类型（不是表格、文档或文本）；支持的类型：{_ACCEPTED}")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:65536]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    for enc in ("utf-8-sig", "utf-16", "gb18030"):
        if enc == "utf-16" and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError:
            # the sample may cut a multi-byte character at its end
            try:
                text = sample[:-3].decode(enc) if len(sample) == 65536 else None
            except UnicodeDecodeError:
                text = None
        if text is None:
            continue
        control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
        return control <= max(2, len(text) // 100)
    return False
