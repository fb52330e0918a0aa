"""Text that is a table written out as text, in whatever shape the text took.

PDF-to-markdown converters (seed 003) write tab-separated rows with merged cells left
blank and cells sometimes shifted; web pages copied as markdown write ``| a | b |``
rows; the corpus's stored page excerpts write one cell per line ending in ``|``, or
cells separated by spaces, or, for OCR'd scans, no separators at all. The text is read
in up to six ways, from the most to the least structure it keeps, one reader each:

1. as a grid (rows and columns as written): ``text_grid``;
2. as a stream of non-empty cells in reading order, for rows that ran together:
   ``cell_stream``;
3. as the items a template marks ``指标1:`` ``指标2:``, on pages exported column by column:
   ``numbered_items``;
4. as a stream of glued cells (``产出指标数量指标足额保障率=100%``) cut apart: ``glued_rows``;
5. as glued rows (``产出指标数量指标补贴国有企业≥25个``), one per line: ``glued_rows``;
6. as a flattened paragraph, cut at categories and value runs: ``flattened_text``.

Text with no table at all, only indicators in sentences, is another layout
(``prose_indicators``), tried after this one.

Every reading ends in the grid parser, so one set of rules decides categories, names
and values; of the readings tried, the one with the most well-formed rows (a tier or an
item marker, and a name that is no value, note or sentence) wins. Later readings run only when the earlier ones come up
short, so a clean table is never second-guessed.
"""


from __future__ import annotations

import re

from jixiao.corpus.normalize import to_simplified
from jixiao.corpus.parsers.cell_stream import stream_grid, stream_tokens
from jixiao.corpus.parsers.flattened_text import FLAT_HEADER, flattened_grid
from jixiao.corpus.parsers.glued_rows import GLUED_HEADER, glued_grid, glued_prefix, split_glued
from jixiao.corpus.parsers.grid import category_cell, grid_to_tables
from jixiao.corpus.parsers.numbered_items import MIN_ITEMS, count_items, numbered_grid
from jixiao.corpus.parsers.text_grid import text_form, to_grid
from jixiao.corpus.parsers.vocab import ITEM_MARKER, VALUE_LIKE, Grid
from jixiao.corpus.parsers.wrapped_text import normalize_newlines
from jixiao.corpus.schema import ParseResult
from jixiao.errors import UnknownCategoryError

__all__ = ["detect", "parse", "readable", "stream_tokens", "to_grid"]

_INDICATOR_HEADER = re.compile(r"一\s*级\s*指\s*标|二\s*级\s*指\s*标|三\s*级\s*指\s*标")

_PINYIN_GLOSS = re.compile(r"(?<=[\u3400-\u9fff])\([a-zA-Zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]{1,8}\)")


def readable(text: str) -> str:
    """One newline convention, simplified characters, no pinyin glosses.

    Pages scraped through a pinyin-annotating proxy print ``指標(biāo)``; the gloss
    would hide every label and category from the parser.
    """
    text = normalize_newlines(text)
    if "(" in text:
        text = _PINYIN_GLOSS.sub("", text)
    return to_simplified(text)


def detect(text: str) -> float:
    """How sure we are that ``text`` is a text table with an indicator header."""
    text = readable(text)
    form = text_form(text)
    if not _INDICATOR_HEADER.search(text):
        # A fragment without its header: rows that start with printed categories.
        cats = sum(category_cell(t) or glued_prefix(t) for t in stream_tokens(text, form)[:2000])
        return 0.35 if cats >= 3 else 0.0
    return {"tab": 0.9, "pipe-rows": 0.85, "pipe-cells": 0.8, "spaces": 0.4}[form]



def parse(text: str, source: str) -> ParseResult:
    """Every goal table in a text table; the grid parser's warnings ride along.

    Raises UnknownCategoryError only when no reading finds a usable row and one of them
    found rows whose categories are all unknown (the grid parser's rule).
    """
    text = readable(text)
    form, grid = to_grid(text)
    errors: list[UnknownCategoryError] = []
    best = _read(grid, source, f"text-table ({form})", errors)
    if form != "tab" or not _count(best)[0]:
        tokens = stream_tokens(text, form)
        readings = [(lambda: stream_grid(tokens), f"text-table ({form}, cell stream)")]
        if count_items(tokens) >= MIN_ITEMS:
            readings.append((lambda: numbered_grid(tokens), f"text-table ({form}, numbered items)"))
        if sum(glued_prefix(t) for t in tokens) >= 2:
            readings.append((lambda: stream_grid(split_glued(tokens)), f"text-table ({form}, glued cells)"))
        flat = re.sub(r"\s+", "", text)
        if GLUED_HEADER.search(flat):
            readings.append((lambda: glued_grid(text), "text-table (glued rows)"))
        if FLAT_HEADER.search(flat):
            readings.append((lambda: flattened_grid(text), "text-table (flattened paragraph)"))
        for make, layout in readings:
            other = _read(make(), source, layout, errors)
            if _count(other) > _count(best):
                best = other
    if best is None or not best.tables:
        if errors:
            raise errors[0]
        return best or ParseResult(layout=f"text-table ({form})")
    return best


def _read(grid: Grid, source: str, layout: str, errors: list[UnknownCategoryError]) -> ParseResult | None:
    try:
        result = grid_to_tables(grid, source)
    except UnknownCategoryError as e:
        errors.append(e)
        return None
    result.layout = layout
    return result


def _count(result: ParseResult | None) -> tuple[int, int]:
    """Distinct indicator rows that read well, then those with a value.

    A row reads well with a tier (or an item marker such as ``指标3:``) and a name that
    is neither a value, nor a bracketed note (``(百分比)``), nor a sentence. Distinct
    names, because a reading that takes the actual-value column for a second row
    (``验收合格率`` twice) is no better for it.
    """
    if result is None:
        return (0, 0)
    good = {
        i.name: i
        for t in result.tables
        for i in t.indicators
        if (i.code or ITEM_MARKER.match(i.raw or "")) and _name_reads_well(i.name)
    }
    return (len(good), sum(1 for i in good.values() if i.value))


def _name_reads_well(name: str) -> bool:
    outside = re.sub(r"[(（][^()（）]*[)）]", "", name)
    return not VALUE_LIKE.match(name) and len(re.findall(r"[\u4e00-\u9fff]", outside)) >= 2 and "。" not in name
