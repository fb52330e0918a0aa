"""Re-export of :mod:`jixiao.errors`, where the errors now live.

Kept so that code written against ``jixiao.corpus.errors`` keeps importing; new code
imports ``jixiao.errors`` (which depends on nothing, ending the settings ↔ corpus loop).
"""

from jixiao.errors import (
    ArchiveTooLarge,
    DamagedFile,
    EmptyFile,
    JixiaoError,
    ParseError,
    UnknownCategoryError,
    UnsupportedArchive,
    UnsupportedFileType,
)

__all__ = [
    "ArchiveTooLarge",
    "DamagedFile",
    "EmptyFile",
    "JixiaoError",
    "ParseError",
    "UnknownCategoryError",
    "UnsupportedArchive",
    "UnsupportedFileType",
]
