"""The normalised corpus store: every table jixiao retrieves from and trains on.

JSONL of GoalTable dumps, one table a line, because the corpus is small (hundreds of
tables), is read whole at start-up, is appended to by ``POST /v1/corpus/tables``, and
stays diffable and greppable; SQLite would add a schema to migrate and buy nothing at
this size. The store lives in ``$JIXIAO_HOME/corpus/``:

- ``tables.jsonl``: what ``jixiao corpus build`` made from the packaged data (the seeds,
  parsed; the external labeled tables, as labeled);
- ``added.jsonl``: tables reviewers added through the API, appended atomically.

The corpus version is a hash of the tables' content, so an index built on another
corpus can be recognised and refused.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.corpus.data_paths import EXTERNAL_TABLES, seed_files
from jixiao.corpus.errors import JixiaoError
from jixiao.corpus.normalize import name_key
from jixiao.corpus.records import read_records
from jixiao.corpus.schema import GoalTable, ParseWarning
from jixiao.settings import Settings, get_settings

_LOCK = threading.Lock()


@dataclass
class BuildReport:
    tables: list[GoalTable]
    warnings: list[ParseWarning] = field(default_factory=list)

    @property
    def per_source(self) -> Counter[str]:
        return Counter(origin(t) for t in self.tables)

    @property
    def per_tier(self) -> Counter[str]:
        return Counter(i.code or "?" for t in self.tables for i in t.indicators)

    @property
    def duplicates(self) -> list[tuple[str, int]]:
        """Indicator names (normalised) used by more than one table, most repeated first."""
        seen: Counter[str] = Counter()
        display: dict[str, str] = {}
        for t in self.tables:
            for key, name in {name_key(i.name): i.name for i in t.indicators}.items():
                seen[key] += 1
                display.setdefault(key, name)
        return [(display[k], n) for k, n in seen.most_common() if n > 1]


def origin(t: GoalTable) -> str:
    """Which part of the corpus a table came from: seeds, external (labeled) or added (API)."""
    if t.id.startswith("seed"):
        return "seeds"
    if t.id.startswith("added-"):
        return "added"
    return "external"


def build_from_package() -> BuildReport:
    """Parse the seeds and read the labeled tables shipped inside the package."""
    from jixiao.corpus.parsers.text import parse_text

    tables: list[GoalTable] = []
    warnings: list[ParseWarning] = []
    for path in seed_files():
        result = parse_text(path.read_text(encoding="utf-8"), f"seeds/{path.name}")
        tables.extend(result.tables)
        warnings.extend(result.warnings)
    external, problems = read_records(EXTERNAL_TABLES)
    if problems:
        raise JixiaoError(
            f"{EXTERNAL_TABLES}: {len(problems)} bad records, first: line {problems[0].line}: "
            f"{problems[0].problem}"
        )
    tables.extend(external)
    return BuildReport(tables, warnings)


def corpus_version(tables: Iterable[GoalTable]) -> str:
    h = hashlib.sha256()
    for t in sorted(tables, key=lambda t: t.id):
        h.update(t.model_dump_json().encode())
    return h.hexdigest()[:16]


def _read_jsonl(path: Path) -> list[GoalTable]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise JixiaoError(f"{path}: cannot read the corpus store ({e}); run `jixiao corpus build`") from e
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append(GoalTable.model_validate_json(line))
            except ValueError as e:
                raise JixiaoError(
                    f"{path}:{n}: corrupt corpus store line ({e.__class__.__name__}); "
                    "run `jixiao corpus build`"
                ) from e
    return out


def _write_jsonl_atomic(path: Path, tables: Iterable[GoalTable]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Per process and thread: two threads building the store must not share a temp file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for t in tables:
            f.write(t.model_dump_json() + "\n")
    tmp.replace(path)


def build_store(settings: Settings | None = None) -> BuildReport:
    """Rebuild ``tables.jsonl`` from the package data. Added tables are kept."""
    settings = settings or get_settings()
    report = build_from_package()
    _write_jsonl_atomic(settings.corpus_dir / "tables.jsonl", report.tables)
    return report


def load_corpus(settings: Settings | None = None) -> list[GoalTable]:
    """All tables: the built store (built on first use) plus the tables added through the API."""
    settings = settings or get_settings()
    base = settings.corpus_dir / "tables.jsonl"
    tables = _read_jsonl(base) if base.exists() else build_store(settings).tables
    added = settings.corpus_dir / "added.jsonl"
    if added.exists():
        tables = tables + _read_jsonl(added)
    return tables


def add_tables(new: list[GoalTable], settings: Settings | None = None) -> list[GoalTable]:
    """Append reviewed tables (ids made unique with an ``added-`` prefix), atomically."""
    settings = settings or get_settings()
    path = settings.corpus_dir / "added.jsonl"
    with _LOCK:
        existing = _read_jsonl(path) if path.exists() else []
        ids = {t.id for t in existing}
        stored = []
        for t in new:
            t = t.model_copy(deep=True)
            if not t.id.startswith("added-"):
                t.id = f"added-{t.id}"
            base, n = t.id, 1
            while t.id in ids:
                n += 1
                t.id = f"{base}-{n}"
            ids.add(t.id)
            stored.append(t)
        _write_jsonl_atomic(path, existing + stored)
    return stored
