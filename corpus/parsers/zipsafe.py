"""Refuse hostile Office files before any XML is inflated or parsed.

.xlsx and .docx are zip archives of XML, and they arrive from the HTTP service, so a
small upload can inflate to gigabytes (zip bomb) or carry a DTD that expands entities
(billion laughs) or fetches files (XXE). The caps are checked on the central
directory, which costs nothing; Python's zipfile stops an entry at its declared size
(a lying header fails the CRC check), so the declared sizes are real bounds. OOXML
parts never legitimately contain a DTD, so any ``<!DOCTYPE``/``<!ENTITY`` is refused
outright. On top of this, openpyxl parses through defusedxml (it uses it whenever it
is installed) and python-docx's lxml parser has entity resolution switched off.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from jixiao.corpus.parsers.cells import one_line
from jixiao.errors import ArchiveTooLarge, DamagedFile, ParseError, UnsupportedArchive

#: Caps for one uploaded .xlsx/.docx. Module constants so a deployment can change them.
MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
#: An entry larger than MIN_RATIO_CHECK_BYTES may not inflate more than this many times.
MAX_COMPRESSION_RATIO = 100
MIN_RATIO_CHECK_BYTES = 1024 * 1024

#: What Office writes; zipfile also knows bzip2/lzma, which no .xlsx/.docx uses.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
#: zipfile's own ceiling: a higher "version needed to extract" raises NotImplementedError.
_MAX_VERSION = 63
_ENCRYPTED = 0x1
#: Everything zipfile and zlib raise on a damaged archive. NotImplementedError (method,
#: version) and RuntimeError (encryption) are refused up front in ``open_office_zip``,
#: and caught here too because the local header may disagree with the directory.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    OSError,
    ValueError,
    EOFError,
    NotImplementedError,
    RuntimeError,
)
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_CHUNK = 1 << 16


def open_office_zip(data: bytes, source: str) -> zipfile.ZipFile:
    """The archive, once it passed the caps; a typed ParseError (one line) when it does not."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (NotImplementedError, RuntimeError) as e:  # a zip version or feature zipfile lacks
        raise UnsupportedArchive(source, f"unsupported zip archive: {one_line(e)}") from e
    except ZIP_ERRORS as e:
        raise DamagedFile(source, f"corrupt or truncated zip archive (.xlsx/.docx): {one_line(e)}") from e
    for i in infos:
        if i.flag_bits & _ENCRYPTED:
            raise UnsupportedArchive(source, f"zip entry {i.filename} is encrypted: remove the password and save again")
        if i.compress_type not in _METHODS or i.extract_version > _MAX_VERSION:
            raise UnsupportedArchive(
                source,
                f"zip entry {i.filename} uses an unsupported compression method ({i.compress_type}) "
                f"or zip version ({i.extract_version / 10:.1f}): save the file again from Excel or Word",
            )
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ArchiveTooLarge(source, f"zip has too many entries ({len(infos)} > {MAX_ZIP_ENTRIES}): refused")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ArchiveTooLarge(
            source,
            f"zip uncompressed size {total // (1024 * 1024)} MB exceeds the cap of "
            f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB: refused",
        )
    for i in infos:
        if i.file_size > MIN_RATIO_CHECK_BYTES and i.file_size > MAX_COMPRESSION_RATIO * max(
            i.compress_size, 1
        ):
            raise ArchiveTooLarge(
                source,
                f"zip entry {i.filename} has compression ratio {i.file_size // max(i.compress_size, 1)}:1 "
                f"(cap {MAX_COMPRESSION_RATIO}:1), a zip bomb: refused",
            )
    return zf


def check_no_dtd(zf: zipfile.ZipFile, source: str) -> None:
    """Refuse any XML part that declares a DTD or entities (XXE, billion laughs)."""
    for info in zf.infolist():
        if not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        tail = b""
        try:
            with zf.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    window = tail + chunk
                    if any(m in window for m in _DTD_MARKERS):
                        raise ParseError(
                            source, f"zip entry {info.filename} declares a DTD/entities: refused"
                        )
                    tail = chunk[-16:]
        except ZIP_ERRORS as e:
            raise DamagedFile(source, f"corrupt or truncated zip archive (.xlsx/.docx): {one_line(e)}") from e


def office_kind(zf: zipfile.ZipFile) -> str | None:
    """ "xlsx", "docx" or None, from the entries (never from the file name)."""
    names = set(zf.namelist())
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "word/document.xml" in names:
        return "docx"
    return None


def safe_office_zip(data: bytes, source: str) -> tuple[zipfile.ZipFile, str | None]:
    """Caps, then the DTD scan; returns the archive and its kind."""
    zf = open_office_zip(data, source)
    check_no_dtd(zf, source)
    return zf, office_kind(zf)
