"""API keys: which routes need one, and the name of whoever presented it.

``JIXIAO_API_KEYS=name1:key1,name2:key2`` (plain keys are accepted and named ``key1``,
``key2``… by position), so the log and reviewers' corrections say who. Keys are compared
in constant time, and every configured key is compared, so timing tells nothing about
which one nearly matched.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import Request

from jixiao.service.problems import ApiProblem
from jixiao.settings import ApiKey

log = logging.getLogger("jixiao.service")

API_KEY_HEADER = "X-API-Key"


def key_name(given: str | None, keys: tuple[ApiKey, ...]) -> str | None:
    """The name of the configured key equal to ``given``, or None."""
    if not given:
        return None
    found = None
    for k in keys:
        if hmac.compare_digest(given.encode(), k.key.encode()) and found is None:
            found = k.name
    return found


async def require_read_access(request: Request) -> str | None:
    """Reads are open unless keys are configured; then every read needs one too.

    ``async`` although it never awaits: FastAPI runs a plain ``def`` dependency in a worker
    thread, and that hand-off (twice per request) was 7 % of a loaded server's GIL time.
    """
    keys = request.app.state.settings.named_keys
    if not keys:
        return None
    name = key_name(request.headers.get(API_KEY_HEADER), keys)
    if name is None:
        raise ApiProblem(
            401,
            f"此服务已启用访问控制，请在请求头 {API_KEY_HEADER} 中提供有效的 API 密钥",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    return name


async def require_write_key(request: Request) -> str:
    """Writes always need a key; without configured keys, writing is disabled. Returns its name.

    ``async`` for the same reason as ``require_read_access``: nothing here blocks.
    """
    keys = request.app.state.settings.named_keys
    if not keys:
        raise ApiProblem(
            401,
            "服务端未配置 API 密钥（环境变量 JIXIAO_API_KEYS），写入接口已停用",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    name = key_name(request.headers.get(API_KEY_HEADER), keys)
    if name is None:
        raise ApiProblem(
            401,
            f"写入语料库需要 API 密钥：请在请求头 {API_KEY_HEADER} 中提供有效密钥",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    log.info("密钥 %r 写入：%s %s", name, request.method, request.url.path)
    return name
