"""The first corpus schema: state, sources, imports, tables, indicators, corrections.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "corpus_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("base_version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=True),
        sa.Column("who", sa.String(100), nullable=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("files", sa.Integer, nullable=False),
        sa.Column("tables", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
    )
    op.create_table(
        "corpus_tables",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("table_id", sa.String(300), nullable=False, unique=True),
        sa.Column("origin", sa.String(20), nullable=False),
        sa.Column("project", sa.Text, nullable=True),
        sa.Column("department", sa.Text, nullable=True),
        sa.Column("unit", sa.Text, nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("source_doc", sa.Text, nullable=True),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=True),
        sa.Column("import_id", sa.Integer, sa.ForeignKey("imports.id"), nullable=True),
        sa.Column("file_name", sa.Text, nullable=True),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("added_at", TZ, nullable=False),
        sa.Column("added_by", sa.String(100), nullable=True),
        sa.Column("added_version", sa.BigInteger, nullable=False),
        sa.Column("dedup_key", sa.String(64), nullable=False),
        sa.Column("record", sa.Text, nullable=False),
        sa.Column("original_record", sa.Text, nullable=True),
    )
    for col in ("origin", "project", "department", "year", "added_version", "dedup_key"):
        op.create_index(f"ix_corpus_tables_{col}", "corpus_tables", [col])
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "table_pk", sa.Integer, sa.ForeignKey("corpus_tables.pk", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level1", sa.String(50), nullable=True),
        sa.Column("level2", sa.String(50), nullable=True),
        sa.Column("code", sa.String(4), nullable=True),
        sa.Column("period_value", sa.Text, nullable=True),
        sa.Column("annual_value", sa.Text, nullable=True),
        sa.Column("corrected", sa.Boolean, nullable=False),
        sa.UniqueConstraint("table_pk", "position", name="uq_indicator_position"),
    )
    op.create_index("ix_indicators_code", "indicators", ["code"])
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "table_pk", sa.Integer, sa.ForeignKey("corpus_tables.pk", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("table_id", sa.String(300), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("field", sa.String(20), nullable=False),
        sa.Column("old_value", sa.Text, nullable=True),
        sa.Column("new_value", sa.Text, nullable=True),
        sa.Column("who", sa.String(100), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_corrections_table_pk", "corrections", ["table_pk"])


def downgrade() -> None:
    for name in ("corrections", "indicators", "corpus_tables", "imports", "sources", "corpus_state"):
        op.drop_table(name)
