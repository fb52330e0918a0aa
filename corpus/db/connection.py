"""Open the corpus database: the engine, SQLite's pragmas, and migrations under a lock.

SQLite runs in WAL mode (readers never wait for the writer) with a busy timeout, and a
write transaction starts with ``BEGIN IMMEDIATE`` so two writers queue instead of
failing on a lock upgrade. PostgreSQL needs nothing special: every write starts by
bumping the one ``corpus_state`` row, which serialises writers in commit order.

Migrations (Alembic) and the first fill of an empty store run once, under a lock that
holds across processes and hosts: a file lock beside the SQLite file, an advisory lock
on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from jixiao.errors import JixiaoError

log = logging.getLogger("jixiao.corpus.db")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_KEY = 0x6A697869616F  # "jixiao"
_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


class DatabaseError(JixiaoError):
    """The corpus database cannot be opened or used (unreachable, wrong driver, broken)."""


def redacted(url: str) -> str:
    """The URL as a user may see it: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(无法解析的地址)"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - a DB-API connection
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _begin)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a process crash
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``, checked with one connection; DatabaseError in Chinese otherwise."""
    shown = redacted(url)
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            # An unreachable host fails start-up within seconds instead of TCP's minutes.
            args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, connect_args=args)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError, ImportError) as e:
        raise DatabaseError(
            f"语料库数据库地址 {shown} 无效或缺少驱动（{e.__class__.__name__}）；"
            "PostgreSQL 请用 postgresql+psycopg://用户@主机:端口/库名"
        ) from e
    except (SQLAlchemyError, OSError) as e:
        reason = str(getattr(e, "orig", e) or e).strip().splitlines()[0][:160] if str(e) else ""
        raise DatabaseError(f"无法连接语料库数据库 {shown}：{reason}") from e
    return engine


def get_engine(url: str) -> Engine:
    """One engine per URL per process (a pool), migrated on first use."""
    with _ENGINES_LOCK:
        engine = _ENGINES.get(url)
        if engine is None:
            engine = create_db_engine(url)
            with bootstrap_lock(engine):
                migrate(engine)
            _ENGINES[url] = engine
        return engine


def dispose_all() -> None:
    """Close every pooled connection (tests; before forking)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


@contextmanager
def bootstrap_lock(engine: Engine) -> Iterator[None]:
    """Held while migrating or filling an empty store: across processes and hosts."""
    if engine.dialect.name == "sqlite":
        db = engine.url.database or ""
        lock_path = Path(f"{db}.lock") if db and db != ":memory:" else None
        if lock_path is None:
            yield
            return
        with lock_path.open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    else:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
                conn.commit()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (a no-op when it is there)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except SQLAlchemyError as e:
        raise DatabaseError(
            f"语料库数据库 {redacted(str(engine.url))} 迁移失败：{e.__class__.__name__}"
        ) from e


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it takes the write lock at BEGIN."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        with conn.begin():
            yield conn
