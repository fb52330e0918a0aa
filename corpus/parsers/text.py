"""Plain text (a .txt upload, or the text of a PDF) → goal tables, whatever its layout.

Every layout module says how sure it is that a text is its layout; the surest one
parses it. If it finds no table the next surest gets its turn, so one over-eager
detector cannot lose a file another layout reads. Text no layout recognises is a
user error, not an empty result: the caller must learn the file was not read.
"""

from __future__ import annotations

from types import ModuleType

from jixiao.corpus.parsers import prose_indicators, seed_blocks, seed_flattened, seed_numbered, text_tables
from jixiao.corpus.parsers.wrapped_text import normalize_newlines
from jixiao.corpus.schema import ParseResult
from jixiao.errors import JixiaoError, ParseError

#: Below this confidence a layout is not tried at all.
MIN_CONFIDENCE = 0.3

_BUILTIN: list[tuple[str, ModuleType]] = [
    ("numbered", seed_numbered),
    ("flattened", seed_flattened),
    ("blocks", seed_blocks),
    ("text_table", text_tables),
    ("prose", prose_indicators),
]


def layouts() -> list[tuple[str, ModuleType]]:
    """Every layout as (name, module with ``detect`` and ``parse``)."""
    return list(_BUILTIN)


def detect_layout(text: str) -> list[tuple[float, str]]:
    """Confidence per layout, surest first."""
    text = normalize_newlines(text)
    scores = [(float(module.detect(text)), name) for name, module in layouts()]
    return sorted(scores, key=lambda s: -s[0])


def parse_text(text: str, source: str) -> ParseResult:
    """Parse ``text`` with the layout that recognises it; raises ParseError if none does."""
    text = normalize_newlines(text)
    if not text.strip():
        raise ParseError(source, "empty text")
    modules = dict(layouts())
    ranked = [(score, name) for score, name in detect_layout(text) if score >= MIN_CONFIDENCE]
    if not ranked:
        tried = ", ".join(modules)
        raise ParseError(source, f"unknown layout: no goal-table layout recognised (tried {tried})")
    fallback: ParseResult | None = None
    failure: JixiaoError | None = None
    for _score, name in ranked:
        try:
            result = modules[name].parse(text, source)
        except JixiaoError as e:  # e.g. a category name the taxonomy does not know
            failure = failure or e
            continue
        result.layout = name
        if any(t.indicators for t in result.tables):
            return result
        if result.tables and fallback is None:
            fallback = result  # tables without indicators: kept unless a layout does better
    if fallback is not None:
        return fallback
    if failure is not None:
        raise ParseError(source, str(failure)) from failure
    names = ", ".join(name for _s, name in ranked)
    raise ParseError(source, f"unknown layout: {names} recognised the text but found no goal table in it")
