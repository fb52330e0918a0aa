"""What routes depend on (through ``Depends``): settings, the engine, the corpus store.

The engine, the concurrency helpers and the API-key checks live in their own modules
(``engine``, ``concurrency``, ``security``); their names are re-exported here so
older imports keep working.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from jixiao.service.concurrency import ReadWriteLock, run_blocking
from jixiao.service.engine import Engine, EngineStatus, LibraryEngine
from jixiao.service.security import API_KEY_HEADER, require_read_access, require_write_key
from jixiao.settings import Settings

__all__ = [
    "API_KEY_HEADER",
    "EngineDep",
    "SettingsDep",
    "Engine",
    "EngineStatus",
    "LibraryEngine",
    "ReadWriteLock",
    "get_engine",
    "get_settings",
    "get_store",
    "require_read_access",
    "require_write_key",
    "run_blocking",
]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    engine = getattr(request.app.state, "engine", None)
    if engine is None:
        from jixiao.service.startup import not_ready_problem

        raise not_ready_problem(request.app)
    return engine


def get_store(request: Request):  # noqa: ANN201 - a jixiao.corpus.store.CorpusStore
    """The corpus store of this app's settings (opened, migrated and filled on first use)."""
    from jixiao.corpus.store import open_store

    store = getattr(request.app.state, "store", None)
    if store is None:
        store = request.app.state.store = open_store(request.app.state.settings)
    return store


async def _engine_dependency(request: Request) -> Engine:
    """``get_engine`` as a dependency. ``async`` although nothing blocks: FastAPI runs a
    plain ``def`` dependency in a worker thread, and those hand-offs were 7 % of a loaded
    server's GIL time."""
    return get_engine(request)


async def _settings_dependency(request: Request) -> Settings:
    """``get_settings`` as a dependency, ``async`` for the same reason."""
    return request.app.state.settings


#: Route parameters: ``engine: EngineDep`` (503 while the engine loads), ``settings: SettingsDep``.
EngineDep = Annotated[Engine, Depends(_engine_dependency)]
SettingsDep = Annotated[Settings, Depends(_settings_dependency)]
