"""Reader 4 of a text table: a table run into one paragraph, where only names survive.

The worst pages (OCR of scanned sheets on document-sharing mirrors) run a whole table
into one paragraph with scores glued to names: ``数量指标指标1免费发放原原种8550万粒``.
Values cannot be told from the scores there, but the names can: a category or an
``指标1`` marker starts an item, and its name runs to the first digit.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.glued_rows import GLUED_HEADER
from jixiao.corpus.parsers.grid import category_cell, is_meta_label
from jixiao.corpus.parsers.vocab import SYNTHETIC_HEADER, Grid, level_cells
from jixiao.corpus.taxonomy import is_level1_name

_FLAT_SEPARATOR = re.compile(
    r"(?P<cat>[\u4e00-\u9fff]{2,10}?指标(?:\(\d+分\))?)|(?P<mark>指标\s*\d{1,2}\s*[:：]?)"
)
_FLAT_NAME = re.compile(r"^[^\d≥≤><=%]*")


def flattened_grid(text: str) -> Grid:
    """Level 1 | level 2 | name rows from a table run into one paragraph (values lost)."""
    flat = re.sub(r"\s+", "", text)
    rows: Grid = []
    for block in GLUED_HEADER.split(flat)[1:]:
        rows.append(list(SYNTHETIC_HEADER))
        cats: list[str] = []
        for piece, sep in _flat_pieces(block[:4000]):
            if sep and category_cell(sep):
                cats = [*cats, sep][-2:] if is_level2_name_only(sep) else [sep]
            name = _FLAT_NAME.match(re.sub(r"^\d(?=[\u4e00-\u9fff])", "", piece))
            text_name = name.group(0) if name else ""
            if len(re.findall(r"[\u4e00-\u9fff]", text_name)) >= 3 and not is_meta_label(text_name[:4]):
                rows.append([*level_cells(cats), text_name, None])
                cats = []  # the grid parser carries the levels down
            elif is_meta_label(piece[:4]):
                break
    return rows


def is_level2_name_only(cell: str) -> bool:
    return category_cell(cell) and not is_level1_name(cell)


def _flat_pieces(block: str) -> list[tuple[str, str | None]]:
    """(text, separator before it) pieces of a flattened table."""
    out: list[tuple[str, str | None]] = []
    pos = 0
    sep: str | None = None
    for m in _FLAT_SEPARATOR.finditer(block):
        s, start = m.group("cat"), m.start()
        if s is not None and not category_cell(s):
            # ``亩质量指标``: the category is a suffix of what the pattern caught.
            k = next((k for k in range(1, len(s) - 1) if category_cell(s[k:])), None)
            if k is None:
                continue
            s, start = s[k:], start + k
        out.append((block[pos:start], sep))
        sep = s or ""
        pos = m.end()
    out.append((block[pos:], sep))
    return out
