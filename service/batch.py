"""A whole submission at once: files and zip archives in, one review per table and per file out.

A budget round arrives as a folder or a zip of many tables. Nothing a single member
does may stop the batch: a nested zip, a zip with thousands of entries, a file that is
no table, or two files with the same name are each reported on their own line of the
summary, and every other file is still reviewed. The archive caps of the Office
parser (entries, uncompressed size, compression ratio) apply to the archive and to
every member, so a submission cannot smuggle a bomb past them.
"""

from __future__ import annotations

import io
import logging
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from pydantic import BaseModel, Field

from jixiao.corpus.parsers import zipsafe
from jixiao.corpus.problem_text import zh_problem
from jixiao.corpus.review import DEFAULT_DISAGREEMENT_THRESHOLD, PeerNorms
from jixiao.corpus.review_rules import GRADE_ORDER, GRADE_TITLES
from jixiao.corpus.schema import ParseResult, ParseWarning
from jixiao.errors import JixiaoError
from jixiao.service.analysis import Progress, RowClassifier, TableReview, review_tables

log = logging.getLogger("jixiao.service.batch")

#: Most files one submission may hold (after unpacking archives).
MAX_BATCH_FILES = 2_000
#: Most bytes one submission may inflate to, all archives together.
MAX_BATCH_BYTES = 2 * zipsafe.MAX_UNCOMPRESSED_BYTES
_OFFICE_PARTS = ("xl/workbook.xml", "word/document.xml")


@dataclass
class Member:
    """One file of the submission: its bytes, or why it was not read."""

    name: str
    data: bytes | None
    problem: str | None = None  # Chinese, when data is None
    note: str | None = None  # Chinese, e.g. renamed because the name was taken


class SkippedRow(BaseModel):
    line: int | None = None
    text: str = ""
    problem: str  # Chinese


class FileReview(BaseModel):
    name: str
    ok: bool
    problem: str | None = None
    note: str | None = None
    layout: str | None = None
    tables: list[TableReview] = Field(default_factory=list)
    skipped: list[SkippedRow] = Field(default_factory=list)


class BatchReview(BaseModel):
    files: list[FileReview]
    grades: dict[str, int]  # 优 良 中 差 → count of tables

    def tables(self) -> list[tuple[str, TableReview]]:
        """(file name, table) of every reviewed table, by grade (优 first), then by score, then in file order."""
        rows = [(f.name, t) for f in self.files for t in f.tables]
        return sorted(
            rows,
            key=lambda r: (GRADE_ORDER.index(r[1].grade.grade), -r[1].grade.score) if r[1].grade else (9, 0),
        )


def skipped_rows(warnings: Sequence[ParseWarning]) -> list[SkippedRow]:
    return [SkippedRow(line=w.line, text=w.text, problem=zh_problem(w.problem)) for w in warnings]


def _is_office(zf: zipfile.ZipFile) -> bool:
    names = set(zf.namelist())
    return any(p in names for p in _OFFICE_PARTS)


def _archive_problem(infos: list[zipfile.ZipInfo]) -> str | None:
    if len(infos) > zipsafe.MAX_ZIP_ENTRIES:
        return f"压缩包条目过多（{len(infos)} 个，上限 {zipsafe.MAX_ZIP_ENTRIES} 个），已拒绝处理"
    if sum(i.file_size for i in infos) > zipsafe.MAX_UNCOMPRESSED_BYTES:
        return f"压缩包解压后超过 {zipsafe.MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB，已拒绝处理"
    return None


def _ratio_problem(info: zipfile.ZipInfo) -> str | None:
    if (
        info.file_size > zipsafe.MIN_RATIO_CHECK_BYTES
        and info.file_size > zipsafe.MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
    ):
        return f"压缩比超过 {zipsafe.MAX_COMPRESSION_RATIO}:1（疑似压缩炸弹），已拒绝处理"
    return None


def _unpack(name: str, data: bytes) -> list[Member]:
    """The members of a (non-Office) zip; the archive itself as one problem when it breaks a cap."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError, EOFError):
        return [Member(name, None, "压缩包已损坏或不完整")]
    if _is_office(zf):
        return [Member(name, data)]
    if problem := _archive_problem(infos):
        return [Member(name, None, problem)]
    out: list[Member] = []
    for info in infos:
        if info.is_dir():
            continue
        member = f"{name}/{info.filename}"
        if problem := _ratio_problem(info):
            out.append(Member(member, None, problem))
            continue
        try:
            body = zf.read(info)
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
            RuntimeError,
        ):
            out.append(Member(member, None, "压缩包中的该文件已损坏或已加密，无法读取"))
            continue
        if body.startswith(b"PK\x03\x04") and not _office_bytes(body):
            out.append(Member(member, None, "压缩包中嵌套的压缩包不予处理，请解压后再上传"))
            continue
        out.append(Member(member, body))
    return out or [Member(name, None, "压缩包中没有文件")]


def _office_bytes(data: bytes) -> bool:
    try:
        return _is_office(zipfile.ZipFile(io.BytesIO(data)))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False


def _declared_size(data: bytes) -> int:
    """What a zip says it inflates to (its central directory; nothing is inflated)."""
    try:
        return sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return len(data)


def expand(files: Sequence[tuple[str, bytes]]) -> list[Member]:
    """Every file of the submission, archives unpacked one level, names made unique.

    Besides the caps per archive, the whole submission may not inflate past
    ``MAX_BATCH_BYTES``: many small archives must not add up to a bomb.
    """
    members: list[Member] = []
    budget = MAX_BATCH_BYTES
    for name, data in files:
        size = _declared_size(data) if data.startswith(b"PK\x03\x04") else len(data)
        if size > budget:
            members.append(
                Member(
                    name,
                    None,
                    f"整批文件解压后超过 {MAX_BATCH_BYTES // (1024 * 1024)} MB 的上限，此文件未处理",
                )
            )
            continue
        budget -= size
        if data.startswith(b"PK\x03\x04"):
            members.extend(_unpack(name, data))
        else:
            members.append(Member(name, data))
    if len(members) > MAX_BATCH_FILES:
        dropped = members[MAX_BATCH_FILES:]
        members = members[:MAX_BATCH_FILES] + [
            Member(f"其余 {len(dropped)} 个文件", None, f"一次最多审核 {MAX_BATCH_FILES} 个文件，其余未处理")
        ]
    seen: dict[str, int] = {}
    for m in members:
        key = m.name.lower()
        if key in seen:
            seen[key] += 1
            p = PurePosixPath(m.name)
            new = str(p.with_name(f"{p.stem}（{seen[key]}）{p.suffix}"))
            m.note = f"与另一文件同名，已改名为“{new}”"
            m.name = new
        else:
            seen[key] = 1
    return members


def _parse(member: Member) -> tuple[ParseResult | None, str | None]:
    """(parsed tables, None), or (None, the Chinese reason the file was refused)."""
    from jixiao.corpus.parsers import parse_bytes

    try:
        return parse_bytes(member.data or b"", member.name), None
    except JixiaoError as e:
        return None, zh_problem(getattr(e, "problem", str(e)))


def review_files(
    classifier: RowClassifier | None,
    files: Sequence[tuple[str, bytes]],
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
    norms: PeerNorms | None = None,
    progress: Progress | None = None,
) -> BatchReview:
    """Parse every member, review all tables together (batched classification), report per file in order."""
    slots: list[tuple[Member, ParseResult | None, str | None]] = []
    for m in expand(files):
        if m.data is None:
            slots.append((m, None, m.problem))
        else:
            slots.append((m, *_parse(m)))
    tables = [t for _, pr, _ in slots if pr is not None for t in pr.tables]
    reviews = iter(review_tables(classifier, tables, threshold, norms, progress))
    results: list[FileReview] = []
    for m, pr, problem in slots:
        if pr is None:
            results.append(FileReview(name=m.name, ok=False, problem=problem, note=m.note))
            continue
        results.append(
            FileReview(
                name=m.name,
                ok=True,
                note=m.note,
                layout=pr.layout,
                tables=[next(reviews) for _ in pr.tables],
                skipped=skipped_rows(pr.warnings),
            )
        )
    counts = Counter(t.grade.grade for f in results for t in f.tables if t.grade)
    log.info(
        "批量审核：%d 个文件，%d 张表，%d 个文件被拒收",
        len(results),
        len(tables),
        sum(not f.ok for f in results),
    )
    return BatchReview(files=results, grades={GRADE_TITLES[g]: counts.get(g, 0) for g in GRADE_ORDER})
