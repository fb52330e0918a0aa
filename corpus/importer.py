"""Bulk import of a bureau's own tables: files and folders (or a zip) into the store.

Streams: one file is read, parsed and committed at a time, so ten thousand files need no
more memory than the largest one. Each file is its own transaction: a crash loses at
most the file being written, never an acknowledged one, and never leaves half a table.
Exact duplicates (same project, unit, year and rows) are skipped, so running the same
import again adds nothing. One unreadable file is a line in the report, never the end
of the import.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jixiao.corpus.db import repository as repo
from jixiao.corpus.db.connection import write_transaction
from jixiao.corpus.problem_text import zh_problem
from jixiao.errors import JixiaoError, ParseError

log = logging.getLogger("jixiao.corpus.import")

SUFFIXES = (".xlsx", ".docx", ".csv", ".txt", ".md", ".pdf", ".jsonl")
#: Caps on an uploaded zip of tables (the API's import route).
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
#: Warnings kept per file in the report (the count is always exact).
MAX_WARNINGS_KEPT = 20


@dataclass(frozen=True)
class ImportItem:
    """One input file: its name (for the report and provenance) and how to read it."""

    name: str
    read: Callable[[], bytes]


@dataclass
class FileReport:
    file: str
    sha256: str | None = None
    tables: int = 0
    rows: int = 0
    duplicates: int = 0
    warnings: int = 0
    warning_lines: list[str] = field(default_factory=list)
    failure: str | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    import_id: int | None = None
    files: list[FileReport] = field(default_factory=list)
    version: int | None = None

    @property
    def tables(self) -> int:
        return sum(f.tables for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def failures(self) -> int:
        return sum(1 for f in self.files if not f.ok)


def collect_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[FileReport]]:
    """Supported files under the given files and folders (recursive, sorted), and the
    arguments that are neither (as failed report lines)."""
    found: list[Path] = []
    bad: list[FileReport] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES))
        elif p.is_file():
            found.append(p)
        else:
            bad.append(FileReport(str(p), failure="文件或文件夹不存在"))
    return found, bad


def path_items(paths: Iterable[Path]) -> Iterator[ImportItem]:
    for p in paths:
        yield ImportItem(str(p), p.read_bytes)


def zip_items(data: bytes, name: str) -> Iterator[ImportItem]:
    """The supported members of an uploaded zip, within caps checked on its directory first."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ParseError(name, f"不是有效的 zip 压缩包（{e.__class__.__name__}）") from e
    wanted = [i for i in infos if Path(i.filename).suffix.lower() in SUFFIXES and not i.filename.startswith("__MACOSX")]
    if len(wanted) > MAX_ZIP_MEMBERS:
        raise ParseError(name, f"压缩包内文件过多（{len(wanted)} 个，上限 {MAX_ZIP_MEMBERS}）")
    if sum(i.file_size for i in wanted) > MAX_ZIP_TOTAL_BYTES:
        raise ParseError(name, "压缩包解压后过大，已拒绝处理")
    for info in wanted:
        member = f"{name}/{info.filename}"
        if info.file_size > MAX_ZIP_MEMBER_BYTES:
            yield ImportItem(member, _refuse(member, "解压后超过单个文件上限"))
        else:
            yield ImportItem(member, lambda info=info: zf.read(info))


def _refuse(name: str, problem: str) -> Callable[[], bytes]:
    def read() -> bytes:
        raise ParseError(name, problem)

    return read


def import_items(
    items: Iterable[ImportItem],
    store,  # noqa: ANN001 - a jixiao.corpus.store.CorpusStore
    *,
    source: str = "import",
    who: str | None = None,
    dry_run: bool = False,
    on_file: Callable[[FileReport], None] | None = None,
) -> ImportReport:
    """Parse and store every item, one transaction per file; the report says what happened."""
    from jixiao.corpus.parsers import parse_bytes

    report = ImportReport(source=source, dry_run=dry_run)
    with write_transaction(store.engine) as conn:
        report.import_id = repo.start_import(conn, source, who, dry_run)
    seen_in_dry_run: set[str] = set()
    status = "failed"
    try:
        for item in items:
            fr = FileReport(item.name)
            try:
                data = item.read()
                fr.sha256 = hashlib.sha256(data).hexdigest()
                parsed = parse_bytes(data, item.name)
                del data
                tables = [t for t in parsed.tables if t.indicators]
                fr.warnings = len(parsed.warnings) + (len(parsed.tables) - len(tables))
                fr.warning_lines = [
                    f"第 {w.line or '?'} 行：{zh_problem(w.problem)}" for w in parsed.warnings[:MAX_WARNINGS_KEPT]
                ]
                if len(tables) < len(parsed.tables):
                    fr.warning_lines.append(f"{len(parsed.tables) - len(tables)} 张表没有指标行，未导入")
                if dry_run:
                    keys = [repo.table_fingerprint(t) for t in tables]
                    stored_keys = store.fingerprints_present(keys) | seen_in_dry_run
                    kept = []
                    for t, k in zip(tables, keys, strict=True):
                        if k not in stored_keys:
                            kept.append(t)
                            stored_keys.add(k)
                    seen_in_dry_run.update(keys)
                    fr.duplicates = len(tables) - len(kept)
                else:
                    prov = repo.Provenance(
                        origin="imported",
                        source=source,
                        who=who,
                        import_id=report.import_id,
                        file_name=item.name,
                        file_sha256=fr.sha256,
                    )
                    result = store.add(tables, prov, prefix="imported-", skip_duplicates=True)
                    fr.duplicates = len(result.duplicates)
                    kept = result.stored
                    report.version = result.version
                fr.tables = len(kept)
                fr.rows = sum(len(t.indicators) for t in kept)
            except ParseError as e:  # this file only; the reason in Chinese
                fr.failure = zh_problem(e.problem)
            except JixiaoError as e:  # the library's own errors are already Chinese
                fr.failure = " ".join(str(e).split())[:300]
            except (OSError, MemoryError, ValueError) as e:
                log.warning("导入 %s：%s：%s", item.name, e.__class__.__name__, e)
                fr.failure = f"无法读取（{e.__class__.__name__}）"
            report.files.append(fr)
            if on_file is not None:
                on_file(fr)
        status = "done"
    finally:
        with write_transaction(store.engine) as conn:
            repo.finish_import(
                conn,
                report.import_id,
                status=status,
                files=len(report.files),
                tables=report.tables,
                duplicates=report.duplicates,
                failures=report.failures,
            )
    log.info(
        "导入 %s（%s）：%d 个文件，%d 张表，%d 张重复，%d 个失败",
        report.import_id,
        source,
        len(report.files),
        report.tables,
        report.duplicates,
        report.failures,
    )
    return report
