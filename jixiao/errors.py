"""Errors a user can act on. The CLI prints them as one line and exits 2; HTTP maps them to 4xx."""

from __future__ import annotations


class JixiaoError(Exception):
    """Base: a problem with the user's input or configuration, never a bug."""


class ParseError(JixiaoError):
    """A file could not be read as goal tables at all (empty, binary, truncated, unknown layout)."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class UnknownCategoryError(JixiaoError):
    """A category name that is no variant of any tier; the message lists the accepted ones."""

    def __init__(self, name: str, level: str, accepted: list[str]):
        self.name = name
        self.level = level
        self.accepted = accepted
        super().__init__(f"unknown {level} category {name!r}; accepted: {', '.join(accepted)}")


# Typed refusals of an uploaded file. Each is a ParseError (one line, the CLI exits 2);
# the HTTP service maps the type, never the wording, to a status code
# (``service/problems.py``): too large → 413, not a supported type → 415, else 422.


class EmptyFile(ParseError):
    """No bytes, or only whitespace."""


class UnsupportedFileType(ParseError):
    """The content is none of the accepted types (binary, legacy OLE, a zip that is no Office file)."""


class DamagedFile(ParseError):
    """The type is known but the file is corrupt or truncated."""


class UnsupportedArchive(ParseError):
    """An Office zip we cannot open safely: encrypted, an unknown compression method or zip version."""


class ArchiveTooLarge(ParseError):
    """The content would inflate past a cap (zip bomb, PDF bomb, too many entries, cells or pages)."""
