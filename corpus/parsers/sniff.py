"""What an upload is, decided once, by its bytes: Excel, Word, PDF or text.

The parser and the HTTP service used to decide this separately, with different rules
(a 64 KB text sample in one, the whole file in the other), and could disagree on the
same file. Now ``sniff`` is the only place: ``parse_bytes`` dispatches on its answer,
and its refusals are typed errors (``EmptyFile``, ``UnsupportedFileType``,
``DamagedFile``, ``UnsupportedArchive``, ``ArchiveTooLarge``) that the service maps to
status codes. A zip is Office by its entries, after the zip-bomb caps on its central
directory (nothing is inflated here); whether text really decodes is decided by the
decoder that reads it (``detect.decode_text_counted``), on the whole file.
"""

from __future__ import annotations

import codecs
from enum import StrEnum

from jixiao.corpus.parsers.zipsafe import office_kind, open_office_zip
from jixiao.errors import EmptyFile, UnsupportedFileType

SUPPORTED = ".xlsx .docx .pdf .csv .txt .md .jsonl, and HTML tables saved as .xls"
#: The same list for the service's Chinese messages.
ACCEPTED_UPLOADS = ".xlsx .docx .csv .txt .md .pdf .jsonl，以及另存为 .xls 的 HTML 表格"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: A NUL byte this early means binary, unless a UTF-16 byte-order mark says otherwise.
_BINARY_PROBE = 8192


class FileKind(StrEnum):
    XLSX = "xlsx"
    DOCX = "docx"
    PDF = "pdf"
    TEXT = "text"

    @property
    def label(self) -> str:
        """How messages name the kind (``no goal table found in this Excel workbook``)."""
        return {"xlsx": "Excel workbook", "docx": "Word document", "pdf": "PDF", "text": "text"}[self.value]


def sniff(data: bytes, source: str) -> FileKind:
    """The kind of an upload; a typed ParseError when it is none we read."""
    if not data or not data.strip():
        raise EmptyFile(source, "empty file")
    if data.startswith(_ZIP_MAGIC):
        with open_office_zip(data, source) as zf:
            kind = office_kind(zf)
        if kind is None:
            raise UnsupportedFileType(source, f"zip archive is neither .xlsx nor .docx; supported: {SUPPORTED}")
        return FileKind(kind)
    if data.startswith(b"%PDF"):
        return FileKind.PDF
    if data.startswith(_OLE_MAGIC):
        raise UnsupportedFileType(
            source, "legacy .xls/.doc (OLE) format is not supported: save it as .xlsx or .docx"
        )
    if b"\x00" in data[:_BINARY_PROBE] and not data.startswith(_UTF16_BOMS):
        raise UnsupportedFileType(source, f"binary content, not a supported file type ({SUPPORTED})")
    return FileKind.TEXT
