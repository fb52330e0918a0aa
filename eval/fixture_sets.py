"""Labeled fixture files for evaluation, and keeping them honest against the training corpus.

A fixture table that is also in the corpus (same ``id``, or the same source document)
would be scored against a model that saw it, so it is set aside and named in the
report rather than silently dropped. Bad lines are reported with their line number and
the rest is scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jixiao.corpus.records import read_records
from jixiao.corpus.schema import GoalTable
from jixiao.settings import Settings


@dataclass
class ExcludedFixture:
    id: str
    source: str | None
    reason: str  # shown to the maintainer: "编号已在训练语料中" / "来源已在训练语料中"


@dataclass
class SkippedLine:
    line: int
    problem: str


@dataclass
class FixtureSet:
    path: str
    tables: list[GoalTable]  # the tables to score
    excluded: list[ExcludedFixture] = field(default_factory=list)
    skipped: list[SkippedLine] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "scored_tables": [t.id for t in self.tables],
            "excluded": [asdict(e) for e in self.excluded],
            "skipped_lines": [asdict(s) for s in self.skipped],
        }


def exclude_seen(
    tables: Sequence[GoalTable], corpus: Sequence[GoalTable]
) -> tuple[list[GoalTable], list[ExcludedFixture]]:
    """Split fixtures into the ones the corpus never saw and the ones it did (with why)."""
    ids = {t.id for t in corpus}
    sources = {t.source for t in corpus if t.source}
    kept, excluded = [], []
    for t in tables:
        if t.id in ids:
            excluded.append(ExcludedFixture(t.id, t.source, "编号已在训练语料中"))
        elif t.source and t.source in sources:
            excluded.append(ExcludedFixture(t.id, t.source, "来源已在训练语料中"))
        else:
            kept.append(t)
    return kept, excluded


def load_fixtures(path: str | Path, corpus: Sequence[GoalTable]) -> FixtureSet:
    """Read a record JSONL; bad lines become ``skipped``, tables the corpus holds ``excluded``."""
    tables, problems = read_records(path)
    kept, excluded = exclude_seen(tables, corpus)
    return FixtureSet(str(path), kept, excluded, [SkippedLine(p.line, p.problem) for p in problems])


def project_corpus(settings: Settings | None = None, *, corrected: bool = True) -> list[GoalTable]:
    """The corpus the shipped models are trained and indexed on (``corrected=False``: the
    labels as first stored, before reviewers' corrections)."""
    from jixiao.corpus.store import load_corpus

    return load_corpus(settings, corrected=corrected)
