"""Comma- or tab-separated exports: decoded text → cell grid.

Decoding (BOMs, GBK/GB18030) happens once in ``detect``; here the text is already
str. The sniff is deliberately narrow: a delimiter counts only if a row has at least
two known header cells (一级指标, 三级指标, 项目名称…) as whole cells, because prose
and PDF-to-text tables also contain commas and tabs, and those belong to
``parse_text``.
"""

from __future__ import annotations

import csv
import io

from jixiao.corpus.parsers.cells import clean_cell, trim_grid
from jixiao.corpus.parsers.vocab import Grid

KNOWN_HEADER_CELLS = frozenset(
    {
        "一级指标",
        "二级指标",
        "三级指标",
        "指标值",
        "年度指标值",
        "实施周期指标值",
        "目标值",
        "项目名称",
        "主管部门",
        "实施单位",
        "年度目标",
        "绩效指标",
    }
)
_SNIFF_ROWS = 60



def read_csv_grid(text: str, delimiter: str = ",") -> Grid:
    """Every row of the text as cells (quoted multi-line cells kept whole)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [[_unescape(clean_cell(c)) for c in row] for row in reader]
    except csv.Error:
        rows = [[_unescape(clean_cell(c)) for c in line.split(delimiter)] for line in text.splitlines()]
    return trim_grid(rows)


def _unescape(cell: str | None) -> str | None:
    """``'=100%`` → ``=100%``: undo the apostrophe writers put before formula-like text."""
    if cell and cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@"):
        return cell[1:]
    return cell


def sniff_delimiter(text: str) -> str | None:
    """ "," or "\\t" when the text is a delimited table with a header we know, else None."""
    head = "\n".join(text.splitlines()[:_SNIFF_ROWS])
    for delim in (",", "\t", ";"):
        if delim not in head:
            continue
        try:
            rows = list(csv.reader(io.StringIO(head), delimiter=delim))
        except csv.Error:
            continue
        for row in rows:
            cells = {(c or "").strip().replace(" ", "") for c in row}
            if len(cells & KNOWN_HEADER_CELLS) >= 2:
                return delim
    return None
