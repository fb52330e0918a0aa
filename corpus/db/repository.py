"""Every query the corpus store runs, over a SQLAlchemy connection.

Writers always start with ``bump_version``: the UPDATE of the single state row takes
that row's lock (PostgreSQL) or runs inside ``BEGIN IMMEDIATE`` (SQLite), so write
transactions are serialised and commit in version order. A reader that has seen
version v therefore finds every later change with ``added_version > v``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, insert, select, update

from jixiao.corpus.db.schema import corpus_state, corpus_tables, corrections, imports, indicators, sources
from jixiao.corpus.schema import GoalTable


def now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Provenance:
    """Who or what put a table in the store."""

    origin: str  # seeds | external | added | imported
    source: str  # a source name: "package", "api", or the import's --source
    who: str | None = None
    import_id: int | None = None
    file_name: str | None = None
    file_sha256: str | None = None


@dataclass(frozen=True)
class CorpusState:
    version: int
    base_version: int


def table_fingerprint(t: GoalTable) -> str:
    """Same project, unit, year and rows → the same key: the duplicate rule of imports."""
    rows = [[i.name, i.code, i.period_value, i.annual_value] for i in t.indicators]
    key = [t.project, t.unit or t.department, t.year, rows]
    return hashlib.sha256(json.dumps(key, ensure_ascii=False).encode()).hexdigest()


def read_state(conn: Connection) -> CorpusState | None:
    row = conn.execute(select(corpus_state.c.version, corpus_state.c.base_version)).first()
    return CorpusState(int(row.version), int(row.base_version)) if row else None


def bump_version(conn: Connection, *, rebase: bool = False) -> int:
    """The next version, taken inside the caller's write transaction (see module doc)."""
    if read_state(conn) is None:
        conn.execute(insert(corpus_state).values(id=1, version=0, base_version=0, updated_at=now()))
    values = {"version": corpus_state.c.version + 1, "updated_at": now()}
    if rebase:
        values["base_version"] = corpus_state.c.version + 1
    conn.execute(update(corpus_state).where(corpus_state.c.id == 1).values(**values))
    state = read_state(conn)
    assert state is not None
    return state.version


def source_id(conn: Connection, name: str) -> int:
    found = conn.execute(select(sources.c.id).where(sources.c.name == name)).scalar()
    if found is not None:
        return int(found)
    return int(conn.execute(insert(sources).values(name=name, created_at=now())).inserted_primary_key[0])


def existing_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    ids = list(ids)
    out: set[str] = set()
    for i in range(0, len(ids), 500):
        out.update(
            conn.execute(
                select(corpus_tables.c.table_id).where(corpus_tables.c.table_id.in_(ids[i : i + 500]))
            ).scalars()
        )
    return out


def existing_fingerprints(conn: Connection, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    out: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        out.update(
            conn.execute(
                select(corpus_tables.c.dedup_key).where(corpus_tables.c.dedup_key.in_(chunk))
            ).scalars()
        )
    return out


def insert_tables(conn: Connection, tables: Sequence[GoalTable], version: int, prov: Provenance) -> None:
    """Insert tables (ids already unique) and their indicator rows at ``version``."""
    sid = source_id(conn, prov.source)
    at = now()
    for t in tables:
        pk = conn.execute(
            insert(corpus_tables).values(
                table_id=t.id,
                origin=prov.origin,
                project=t.project,
                department=t.department,
                unit=t.unit,
                year=t.year,
                source_doc=t.source,
                source_id=sid,
                import_id=prov.import_id,
                file_name=prov.file_name,
                file_sha256=prov.file_sha256,
                added_at=at,
                added_by=prov.who,
                added_version=version,
                dedup_key=table_fingerprint(t),
                record=t.model_dump_json(),
            )
        ).inserted_primary_key[0]
        if t.indicators:
            conn.execute(
                insert(indicators),
                [
                    {
                        "table_pk": pk,
                        "position": n,
                        "name": i.name,
                        "level1": i.level1,
                        "level2": i.level2,
                        "code": i.code,
                        "period_value": i.period_value,
                        "annual_value": i.annual_value,
                        "corrected": False,
                    }
                    for n, i in enumerate(t.indicators)
                ],
            )


def delete_origins(conn: Connection, origins: Sequence[str]) -> int:
    """Remove the tables of these origins (a rebuild of the packaged data)."""
    pks = list(conn.execute(select(corpus_tables.c.pk).where(corpus_tables.c.origin.in_(origins))).scalars())
    for i in range(0, len(pks), 500):
        chunk = pks[i : i + 500]
        conn.execute(corrections.delete().where(corrections.c.table_pk.in_(chunk)))
        conn.execute(indicators.delete().where(indicators.c.table_pk.in_(chunk)))
        conn.execute(corpus_tables.delete().where(corpus_tables.c.pk.in_(chunk)))
    return len(pks)


def load_tables(
    conn: Connection,
    *,
    corrected: bool = True,
    after_version: int | None = None,
    upto_version: int | None = None,
) -> list[GoalTable]:
    """Tables in insertion order; ``corrected=False`` gives them as first stored."""
    col = (
        corpus_tables.c.record
        if corrected
        else func.coalesce(corpus_tables.c.original_record, corpus_tables.c.record)
    )
    q = select(col.label("record")).order_by(corpus_tables.c.pk)
    if after_version is not None:
        q = q.where(corpus_tables.c.added_version > after_version)
    if upto_version is not None:
        q = q.where(corpus_tables.c.added_version <= upto_version)
    return [GoalTable.model_validate_json(r) for r in conn.execute(q).scalars()]


def count_tables(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(corpus_tables)).scalar() or 0)


def start_import(conn: Connection, source: str, who: str | None, dry_run: bool) -> int:
    return int(
        conn.execute(
            insert(imports).values(
                source_id=source_id(conn, source),
                who=who,
                started_at=now(),
                status="running",
                dry_run=dry_run,
                files=0,
                tables=0,
                duplicates=0,
                failures=0,
            )
        ).inserted_primary_key[0]
    )


def finish_import(
    conn: Connection, import_id: int, *, status: str, files: int, tables: int, duplicates: int, failures: int
) -> None:
    conn.execute(
        update(imports)
        .where(imports.c.id == import_id)
        .values(
            finished_at=now(),
            status=status,
            files=files,
            tables=tables,
            duplicates=duplicates,
            failures=failures,
        )
    )
