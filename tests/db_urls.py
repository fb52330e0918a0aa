"""Database URLs for store tests: SQLite always, PostgreSQL when JIXIAO_TEST_DATABASE_URL is set.

Each PostgreSQL test gets its own schema (through ``search_path`` in the URL), dropped
afterwards, so tests never see each other's tables.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import pytest

PG_URL = os.environ.get("JIXIAO_TEST_DATABASE_URL", "")
PG_SKIP = "PostgreSQL tests need JIXIAO_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not PG_URL, reason=PG_SKIP)),
]


def pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


def make_url_for(backend: str, home) -> tuple[str, callable]:  # noqa: ANN001
    """A fresh database URL and a function that drops it."""
    if backend == "sqlite":
        return "", lambda: None
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        from jixiao.corpus.db.connection import dispose_all

        dispose_all()
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return pg_schema_url(schema), drop
