"""The corpus store: every table jixiao retrieves from and trains on, in a database.

SQLite (WAL) at ``$JIXIAO_HOME/jixiao.db`` by default, PostgreSQL when
``JIXIAO_DATABASE_URL`` says so (several workers or hosts on one corpus). The packaged
data stays JSONL in the repository: it is the source, the database is the store. On
first use an empty database is filled: from an earlier JSONL store under
``$JIXIAO_HOME/corpus/`` when there is one (migrated, with a log line), else from the
package.

The store's ``version`` only grows: every addition, import and correction takes the
next one inside its transaction, so a worker compares one number to know whether its
index is behind, and fetches exactly the tables added since.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from jixiao.corpus.corrections import Correction, apply_correction
from jixiao.corpus.data_paths import EXTERNAL_TABLES, seed_files
from jixiao.corpus.db import repository as repo
from jixiao.corpus.db.connection import bootstrap_lock, get_engine, write_transaction
from jixiao.corpus.db.schema import corpus_tables, corrections, indicators
from jixiao.corpus.normalize import name_key
from jixiao.corpus.records import read_records
from jixiao.corpus.schema import GoalTable, ParseWarning
from jixiao.errors import JixiaoError
from jixiao.settings import Settings, get_settings

log = logging.getLogger("jixiao.corpus.store")

PACKAGE_ORIGINS = ("seeds", "external")
_FILLED: set[str] = set()
_FILLED_LOCK = threading.Lock()


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


@dataclass(frozen=True)
class CorpusSnapshot:
    """The tables at one version, read together."""

    tables: list[GoalTable]
    version: int
    base_version: int


@dataclass(frozen=True)
class AddResult:
    stored: list[GoalTable]
    duplicates: list[GoalTable]
    version: int


def origin(t: GoalTable) -> str:
    """Which part of the corpus a table came from: seeds, external, added (API) or imported."""
    if t.id.startswith("seed"):
        return "seeds"
    if t.id.startswith("added-"):
        return "added"
    if t.id.startswith("imported-"):
        return "imported"
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
            f"{EXTERNAL_TABLES}：{len(problems)} 条记录无法读取，第一条在第 {problems[0].line} 行："
            f"{problems[0].problem}"
        )
    tables.extend(external)
    return BuildReport(tables, warnings)


def corpus_version(tables: Iterable[GoalTable]) -> str:
    """A content hash of tables held in memory (the classifier's check; test corpora)."""
    h = hashlib.sha256()
    for t in sorted(tables, key=lambda t: t.id):
        h.update(t.model_dump_json().encode())
    return h.hexdigest()[:16]


def _unique_ids(conn, new: Sequence[GoalTable], prefix: str) -> list[GoalTable]:  # noqa: ANN001
    """Copies with ids no stored table has: ``prefix`` added, then ``-2``, ``-3``… on a clash."""
    out = [t.model_copy(deep=True) for t in new]
    for t in out:
        if not t.id.startswith(prefix):
            t.id = f"{prefix}{t.id}"
    taken = repo.existing_ids(conn, {t.id for t in out})
    used: set[str] = set()
    for t in out:
        base, n = t.id, 1
        while t.id in taken or t.id in used:
            n += 1
            t.id = f"{base}-{n}"
            taken |= repo.existing_ids(conn, [t.id])
        used.add(t.id)
    return out


class CorpusStore:
    """One database's corpus. Thread-safe: every call opens its own connection."""

    def __init__(self, engine: Engine, settings: Settings):
        self.engine = engine
        self.settings = settings

    # ---- reading ---------------------------------------------------------------------

    def state(self) -> repo.CorpusState:
        """The version (one primary-key lookup: what workers poll)."""
        with self.engine.connect() as conn:
            return repo.read_state(conn) or repo.CorpusState(0, 0)

    def snapshot(self, *, corrected: bool = True) -> CorpusSnapshot:
        with self.engine.connect() as conn:
            state = repo.read_state(conn) or repo.CorpusState(0, 0)
            # Writers commit in version order, so "added at or before v" is exactly version v.
            tables = repo.load_tables(conn, corrected=corrected, upto_version=state.version)
        return CorpusSnapshot(tables, state.version, state.base_version)

    def tables_since(self, version: int) -> CorpusSnapshot:
        """Tables added after ``version`` (what a worker's index lacks), and the current state."""
        with self.engine.connect() as conn:
            state = repo.read_state(conn) or repo.CorpusState(0, 0)
            tables = repo.load_tables(conn, after_version=version, upto_version=state.version)
        return CorpusSnapshot(tables, state.version, state.base_version)

    def fingerprints_present(self, keys: Iterable[str]) -> set[str]:
        """Which of these duplicate keys the store already holds (an import's dry run)."""
        with self.engine.connect() as conn:
            return repo.existing_fingerprints(conn, keys)

    def corrected_rows(self) -> int:
        """How many indicator rows carry at least one reviewer's correction."""
        from sqlalchemy import func

        with self.engine.connect() as conn:
            q = select(func.count()).select_from(indicators).where(indicators.c.corrected.is_(True))
            return int(conn.execute(q).scalar() or 0)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return repo.count_tables(conn)

    # ---- writing ---------------------------------------------------------------------

    def add(
        self,
        new: Sequence[GoalTable],
        prov: repo.Provenance | None = None,
        *,
        prefix: str = "added-",
        skip_duplicates: bool = False,
    ) -> AddResult:
        """Store tables in one transaction: all of them or none, acknowledged on commit."""
        prov = prov or repo.Provenance(origin="added", source="api")
        with write_transaction(self.engine) as conn:
            version = repo.bump_version(conn)
            duplicates: list[GoalTable] = []
            todo = list(new)
            if skip_duplicates:
                keys = {id(t): repo.table_fingerprint(t) for t in todo}
                seen = repo.existing_fingerprints(conn, keys.values())
                kept = []
                for t in todo:
                    (duplicates if keys[id(t)] in seen else kept).append(t)
                    seen.add(keys[id(t)])
                todo = kept
            stored = _unique_ids(conn, todo, prefix)
            if not stored:  # nothing new: give the version back (rolled back with the transaction)
                conn.rollback()
                return AddResult([], duplicates, version - 1)
            repo.insert_tables(conn, stored, version, prov)
        return AddResult(stored, duplicates, version)

    def rebuild_package(self) -> BuildReport:
        """Replace the packaged tables (seeds, external) with a fresh parse; added ones stay."""
        report = build_from_package()
        with write_transaction(self.engine) as conn:
            version = repo.bump_version(conn, rebase=True)
            repo.delete_origins(conn, PACKAGE_ORIGINS)
            self._insert_by_origin(conn, report.tables, version, "package")
        return report

    @staticmethod
    def _insert_by_origin(conn, tables: Sequence[GoalTable], version: int, source: str) -> None:  # noqa: ANN001
        groups: dict[str, list[GoalTable]] = {}
        for t in tables:
            groups.setdefault(origin(t), []).append(t)
        for org, group in groups.items():
            repo.insert_tables(conn, group, version, repo.Provenance(origin=org, source=source))

    # ---- corrections -----------------------------------------------------------------

    def correct(
        self, table_id: str, position: int, wanted: dict[str, str | None], who: str
    ) -> list[Correction]:
        """Apply a reviewer's correction to the stored labels, keeping the original."""
        from jixiao.corpus.corrections import CorrectionTargetMissing

        with write_transaction(self.engine) as conn:
            row = conn.execute(
                select(corpus_tables.c.pk, corpus_tables.c.record, corpus_tables.c.original_record).where(
                    corpus_tables.c.table_id == table_id
                )
            ).first()
            if row is None:
                raise CorrectionTargetMissing(f"语料库中没有目标表 {table_id}")
            table = GoalTable.model_validate_json(row.record)
            fixed, changes = apply_correction(table, position, wanted)
            version = repo.bump_version(conn)
            at = repo.now()
            conn.execute(
                corpus_tables.update()
                .where(corpus_tables.c.pk == row.pk)
                .values(record=fixed.model_dump_json(), original_record=row.original_record or row.record)
            )
            ind = fixed.indicators[position]
            conn.execute(
                indicators.update()
                .where(indicators.c.table_pk == row.pk, indicators.c.position == position)
                .values(
                    name=ind.name,
                    level1=ind.level1,
                    level2=ind.level2,
                    code=ind.code,
                    period_value=ind.period_value,
                    annual_value=ind.annual_value,
                    corrected=True,
                )
            )
            out = []
            for c in changes:
                cid = conn.execute(
                    corrections.insert().values(
                        table_pk=row.pk,
                        table_id=table_id,
                        position=position,
                        field=c.field,
                        old_value=c.old,
                        new_value=c.new,
                        who=who,
                        at=at,
                        version=version,
                    )
                ).inserted_primary_key[0]
                out.append(Correction(int(cid), table_id, position, c.field, c.old, c.new, who, at, version))
        return out

    def corrections(
        self, *, table_id: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[Correction]:
        c = corrections.c
        q = select(corrections).order_by(c.id.desc()).limit(limit).offset(offset)
        if table_id:
            q = q.where(c.table_id == table_id)
        with self.engine.connect() as conn:
            return [
                Correction(
                    r.id, r.table_id, r.position, r.field, r.old_value, r.new_value, r.who, r.at, r.version
                )
                for r in conn.execute(q)
            ]

    # ---- first start -----------------------------------------------------------------

    def ensure_filled(self) -> None:
        """Fill an empty store once (across processes): from an old JSONL store, else the package."""
        with bootstrap_lock(self.engine):
            if self.state().version > 0:
                return
            old = [self.settings.corpus_dir / "tables.jsonl", self.settings.corpus_dir / "added.jsonl"]
            if any(p.exists() for p in old):
                self._migrate_jsonl(old)
                return
            log.info("语料库 %s 为空：写入随包附带的表格", _shown(self.engine))
            report = build_from_package()
            with write_transaction(self.engine) as conn:
                version = repo.bump_version(conn, rebase=True)
                self._insert_by_origin(conn, report.tables, version, "package")

    def _migrate_jsonl(self, paths: list) -> None:  # noqa: ANN001 - list[Path]
        base, added = paths
        tables = _read_jsonl(base) if base.exists() else build_from_package().tables
        extra = _read_jsonl(added) if added.exists() else []
        with write_transaction(self.engine) as conn:
            version = repo.bump_version(conn, rebase=True)
            self._insert_by_origin(conn, tables, version, "package")
            repo.insert_tables(conn, extra, version, repo.Provenance(origin="added", source="api"))
        log.warning(
            "迁移：已把旧的 JSONL 语料库（%s，%d 张表）导入数据库 %s；旧文件保留未动，可自行删除",
            base.parent,
            len(tables) + len(extra),
            _shown(self.engine),
        )


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _read_jsonl(path) -> list[GoalTable]:  # noqa: ANN001 - a Path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise JixiaoError(
            f"{path}: 旧的 JSONL 语料库无法读取（{e}）；请修复或移走该文件后重试"
            "（移走后 `jixiao corpus build` 会从随包数据重建）"
        ) from e
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                out.append(GoalTable.model_validate_json(line))
            except ValueError as e:
                raise JixiaoError(
                    f"{path}:{n}：旧语料库文件中此行已损坏（{e.__class__.__name__}）"
                ) from e
    return out


def open_store(settings: Settings | None = None) -> CorpusStore:
    """The store for these settings: connected, migrated and filled on first use."""
    settings = settings or get_settings()
    url = settings.db_url
    store = CorpusStore(get_engine(url), settings)
    key = f"{url}|{settings.corpus_dir}"
    if key not in _FILLED:
        with _FILLED_LOCK:
            if key not in _FILLED:
                store.ensure_filled()
                _FILLED.add(key)
    return store


# ---- the functions the rest of jixiao has always called ---------------------------------


def build_store(settings: Settings | None = None) -> BuildReport:
    """Rebuild the packaged tables in the store. Added and imported tables are kept."""
    return open_store(settings).rebuild_package()


def load_corpus(settings: Settings | None = None, *, corrected: bool = True) -> list[GoalTable]:
    """All tables, with reviewers' corrections applied (``corrected=False``: as first stored)."""
    return open_store(settings).snapshot(corrected=corrected).tables


def add_tables(
    new: list[GoalTable], settings: Settings | None = None, who: str | None = None
) -> list[GoalTable]:
    """Store reviewed tables (ids made unique with an ``added-`` prefix) in one transaction."""
    prov = repo.Provenance(origin="added", source="api", who=who)
    return open_store(settings).add(new, prov).stored


def current_version(settings: Settings | None = None) -> str:
    return str(open_store(settings).state().version)
