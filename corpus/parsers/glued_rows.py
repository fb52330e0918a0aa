"""Reader 3 of a text table: glued rows, one per line, cut at categories and values.

Some pages lost even the spaces between cells: ``产出指标数量指标补贴国有企业≥25个`` is
one row. Categories ending in 指标 are unambiguous prefixes, and a target value
starts at its operator or is the number (with unit) that ends the line.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.grid import category_cell, is_meta_label
from jixiao.corpus.parsers.vocab import OPERATOR_SIGN, SYNTHETIC_HEADER, Grid, level_cells

GLUED_HEADER = re.compile(r"一级指标[^|\t]{0,3}二级指标[^|\t]{0,3}三级指标")
_GLUED_VALUE_END = re.compile(r"^(?P<name>.*?[^\d\s.,])(?P<value>\d[\d.,]*\s*(%|‰|[\u4e00-\u9fff/]{1,5})?)$")


def glued_grid(text: str) -> Grid:
    """Rows below a glued header line, cut into level 1 | level 2 | name | value."""
    rows: Grid = []
    in_table = False
    for line in text.split("\n"):
        flat = re.sub(r"\s+", "", line)
        if not flat:
            continue
        if GLUED_HEADER.search(flat):
            rows.append(list(SYNTHETIC_HEADER))
            in_table = True
            continue
        if not in_table:
            rows.append([line.strip()])
            continue
        if len(flat) > 80 or is_meta_label(flat[:4]):
            in_table = False
            rows.append([line.strip()])
            continue
        cats, rest = _peel_categories(flat)
        name, value = _split_value(rest)
        rows.append(level_cells(cats) + [name or None, value])
    return rows


def _peel_categories(flat: str) -> tuple[list[str], str]:
    cats: list[str] = []
    while len(cats) < 2:
        m = re.match(r"^(.{1,10}?指标)(\(\d+分\))?", flat)
        if not m or not category_cell(m.group(0)):
            break
        cats.append(m.group(0))
        flat = flat[m.end() :]
    return cats, flat


def _split_value(rest: str) -> tuple[str, str | None]:
    m = OPERATOR_SIGN.search(rest)
    if m and m.start() > 0:
        return rest[: m.start()], rest[m.start() :]
    m = _GLUED_VALUE_END.match(rest)
    if m:
        return m.group("name"), m.group("value")
    return rest, None
