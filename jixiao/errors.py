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
