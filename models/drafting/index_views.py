"""Index views the drafter reads on every query, kept once per index state.

A draft cites about fifty source tables (evidence of corpus rows and patterns, similar
projects); building each ``IndexTable`` from the columns was a tenth of the drafter's
own time. The views are frozen, so one copy serves every query; the memo lives in the
index's derived cache, which ``add_tables`` clears.
"""

from __future__ import annotations

from jixiao.models.corpus_index import CorpusIndex, IndexRow, IndexTable
from jixiao.models.suggest_schema import Evidence


def table_view(ix: CorpusIndex, t: int) -> IndexTable:
    """``ix.table(t)``, built once per table actually cited (not for the whole corpus)."""
    memo: dict[int, IndexTable] = ix.derived("drafting.table_views", lambda ix: {})  # type: ignore[assignment]
    got = memo.get(t)
    if got is None:
        got = memo[t] = ix.table(t)
    return got


def row_evidence(ix: CorpusIndex, row: IndexRow, relevance: float | None = None) -> Evidence:
    """A source row as the evidence a user sees: its table, project, name and value."""
    t = table_view(ix, row.table)
    if relevance is None:
        return Evidence(table_id=t.id, project=t.project, indicator_name=row.name, value=row.value)
    return Evidence(
        table_id=t.id, project=t.project, indicator_name=row.name, value=row.value, relevance=relevance
    )
