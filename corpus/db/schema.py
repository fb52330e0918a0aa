"""The corpus schema, declared once for both SQLite and PostgreSQL.

Real columns for what is queried or filtered (project, department, year, tier code,
origin, versions); the lossless GoalTable JSON rides beside them in ``record``, so a
table reads back exactly as it was stored. Migrations in ``migrations/versions`` create
and change these tables; this module is what the queries are written against.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

#: One row (id 1). ``version`` grows with every change; ``base_version`` is the version of
#: the last change that was not a pure addition (a rebuild of the packaged data), so an
#: index built at or after it can be caught up by adding tables instead of being rebuilt.
corpus_state = Table(
    "corpus_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("base_version", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Where tables came from: the packaged data, the API, or a named bulk import.
sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: One bulk import (or one API addition batch is not logged here; see corpus_tables.added_by).
imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=True),
    Column("who", String(100), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(20), nullable=False),
    Column("dry_run", Boolean, nullable=False, default=False),
    Column("files", Integer, nullable=False, default=0),
    Column("tables", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("failures", Integer, nullable=False, default=0),
)

corpus_tables = Table(
    "corpus_tables",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("table_id", String(300), nullable=False, unique=True),
    Column("origin", String(20), nullable=False, index=True),
    Column("project", Text, nullable=True, index=True),
    Column("department", Text, nullable=True, index=True),
    Column("unit", Text, nullable=True),
    Column("year", Integer, nullable=True, index=True),
    Column("source_doc", Text, nullable=True),
    Column("source_id", Integer, ForeignKey("sources.id"), nullable=True),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=True),
    # Provenance of imported tables: the file, its content hash, when.
    Column("file_name", Text, nullable=True),
    Column("file_sha256", String(64), nullable=True),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", String(100), nullable=True),
    Column("added_version", BigInteger, nullable=False, index=True),
    #: sha256 of (project, unit, year, rows): exact duplicates are skipped on import.
    Column("dedup_key", String(64), nullable=False, index=True),
    #: The table as the store returns it (corrections applied).
    Column("record", Text, nullable=False),
    #: The table as first stored, kept once the first correction changes ``record``.
    Column("original_record", Text, nullable=True),
)

indicators = Table(
    "indicators",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("table_pk", Integer, ForeignKey("corpus_tables.pk", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("level1", String(50), nullable=True),
    Column("level2", String(50), nullable=True),
    Column("code", String(4), nullable=True, index=True),
    Column("period_value", Text, nullable=True),
    Column("annual_value", Text, nullable=True),
    Column("corrected", Boolean, nullable=False, default=False),
    UniqueConstraint("table_pk", "position", name="uq_indicator_position"),
)

corrections = Table(
    "corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "table_pk", Integer, ForeignKey("corpus_tables.pk", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("table_id", String(300), nullable=False),
    Column("position", Integer, nullable=False),
    Column("field", String(20), nullable=False),
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("who", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
)
