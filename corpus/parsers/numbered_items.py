"""Reader 5 of a text table: items marked ``指标1:`` ``指标2:`` … on a scrambled page.

Some spreadsheet exports come out column by column: labels, names, targets and scores
out of row order, so no reading by rows or cells can pair them. What survives is the
template's item marker: ``指标3:建档人数`` starts an indicator wherever it sits, its
name runs to the next space, and its target is the value right after the name, if one
follows. A category printed between items applies to the items after it; items before
any category keep the marker, which tells the grid parser to keep them without a tier
(the classifier gives one later) instead of dropping them or guessing one.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.grid import category_cell, header_role, is_meta_label
from jixiao.corpus.parsers.vocab import (
    ITEM_MARKER,
    STARTS_WITH_OPERATOR,
    SYNTHETIC_HEADER,
    VALUE_LIKE,
    Grid,
    level_cells,
)

#: Below this many markers a page is not read this way.
MIN_ITEMS = 3


def count_items(tokens: list[str]) -> int:
    return sum(bool(ITEM_MARKER.match(t)) for t in tokens)


def numbered_grid(tokens: list[str]) -> Grid:
    """Level 1 | level 2 | marked name | value rows, one per item marker."""
    rows: Grid = [list(SYNTHETIC_HEADER)]
    cats: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        m = ITEM_MARKER.match(t)
        if not m:
            if _category_heading(t):
                cats = [*cats, t][-2:]
            i += 1
            continue
        marker, name = t[: m.end()], t[m.end() :].strip()
        i += 1
        if not name and i < n and not ITEM_MARKER.match(tokens[i]):
            name, i = tokens[i], i + 1
        if not name or category_cell(name) or is_meta_label(name) or _value_only(name):
            continue  # an empty template item (``指标2:`` then the next category)
        value = None
        if i < n and _is_value(tokens[i]):
            value = tokens[i]
            i += 1
        rows.append([*level_cells(cats), marker + name, value])
        cats = []  # the grid parser carries the levels down
    return rows


def _category_heading(token: str) -> bool:
    """A printed category (``质量指标``, ``效益指标(30分)``), not a header label."""
    return category_cell(token) and header_role(token) is None and "指标" in token


def _value_only(token: str) -> bool:
    """``38508人`` is no name; ``0-6岁儿童健康管理数`` is one that starts with a digit."""
    return bool(VALUE_LIKE.match(token)) and len(re.findall(r"[\u4e00-\u9fff]", token)) < 3


def _is_value(token: str) -> bool:
    return bool(VALUE_LIKE.match(token) or STARTS_WITH_OPERATOR.match(token)) and not ITEM_MARKER.match(token)
