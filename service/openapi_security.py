"""The API key in the OpenAPI document: a security scheme, and which operations need it.

Which routes need a key is decided by the access dependencies in ``deps``
(``require_read_access``: a key once keys are configured; ``require_write_key``: always
a key). This module only reads those dependencies off the routes, so the document can
never disagree with the code. The web page (``/``, ``/static``) and the API description
(``/docs``, ``/redoc``, ``/openapi.json``) stay open: they hold no data, and the page
must load so that a user can type the key into it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, APIRouter

from jixiao.service.deps import API_KEY_HEADER, require_read_access, require_write_key
from jixiao.service.problems import PROBLEM_MEDIA_TYPE
from jixiao.service.routes import ROUTERS

SCHEME = "ApiKey"


def _calls(dependant: Dependant) -> set[object]:
    """Every dependency callable of a route, however it is declared (route, router or parameter)."""
    found: set[object] = set()
    for sub in dependant.dependencies:
        found.add(sub.call)
        found |= _calls(sub)
    return found


def _access(route: APIRoute, router: APIRouter) -> str | None:
    calls = {d.dependency for d in [*router.dependencies, *route.dependencies]} | _calls(route.dependant)
    if require_write_key in calls:
        return "write"
    if require_read_access in calls:
        return "read"
    return None


def install_security_scheme(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that declares the key and marks the operations."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        doc.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER,
            "description": "服务配置了 JIXIAO_API_KEYS 时，读取接口需要密钥；写入语料库的接口始终需要密钥",
        }
        unauthorized = {
            "description": "需要 API 密钥",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        routes = [(route, router) for router in ROUTERS for route in router.routes]
        for route, router in routes:
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            access = _access(route, router)
            if access is None:
                continue
            # Reads: a key, or none when the server has no keys configured.
            security = [{SCHEME: []}] if access == "write" else [{SCHEME: []}, {}]
            for method in route.methods:
                op = doc.get("paths", {}).get(route.path, {}).get(method.lower())
                if op is not None:
                    op["security"] = security
                    op["responses"].setdefault("401", unauthorized)
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
