"""Reader 4 of a text table: a table run into one paragraph, where only names survive.

The worst pages (OCR of scanned sheets on document-sharing mirrors) run a whole table
into one paragraph with scores glued to names: ``数量指标指标1免费发放原原种8550万粒``.
A category or an ``指标1`` marker starts an item, and its name runs to the first digit.
Several items under one category are told apart by the values between them: a run of
values that holds a percentage, or two values (target, actual) in a row, or that ends
the piece, closes a name, and the text after it is the next name. A lone number with a
unit inside the text (``5000吨稻谷…``) belongs to the name. A value is kept only when the
target is repeated as the actual value (``100%100%``); any other may carry a glued score.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.grid import category_cell, header_role, is_meta_label
from jixiao.corpus.parsers.vocab import MEASURE_WORDS, OPERATOR_WORDS, SYNTHETIC_HEADER, Grid, level_cells
from jixiao.corpus.taxonomy import is_level1_name

#: The indicator header run into the paragraph. OCR often garbles the merged 一级指标 cell
#: (``级标 一指``), so 二级指标 and 三级指标 side by side are enough.
FLAT_HEADER = re.compile(r"(?:一级指标[^|\t]{0,3})?二级指标[^|\t]{0,3}三级指标")
_FLAT_SEPARATOR = re.compile(
    r"(?P<cat>[\u4e00-\u9fff]{2,10}?指标(?:\(\d+分\))?)|(?P<mark>指标\s*\d{1,2}\s*[:：]?)"
)
_FLAT_NAME = re.compile(r"^[^\d≥≤><=%]*")


def flattened_grid(text: str) -> Grid:
    """Level 1 | level 2 | name | value rows from a table run into one paragraph."""
    flat = re.sub(r"\s+", "", text)
    rows: Grid = []
    for block in FLAT_HEADER.split(flat)[1:]:
        rows.append(list(SYNTHETIC_HEADER))
        cats: list[str] = []
        for piece, sep in _flat_pieces(block[:4000]):
            if sep and category_cell(sep):
                cats = [*cats, sep][-2:] if is_level2_name_only(sep) else [sep]
            if is_meta_label(piece[:4]):
                break
            for text_name, value in _named_items(re.sub(r"^\d(?=[\u4e00-\u9fff])", "", piece)):
                if (
                    len(re.findall(r"[\u4e00-\u9fff]", text_name)) >= 3
                    and not is_meta_label(text_name[:4])
                    and header_role(text_name) is None  # the header's value labels
                    and "。" not in text_name  # a sentence of the page, no name
                ):
                    rows.append([*level_cells(cats), text_name, value])
                    cats = []  # the grid parser carries the levels down
    return rows


#: A run of values: numbers, each with a percentage or a short unit (``100%100%``,
#: ``0起0起``: a value with its unit repeated is target and actual).
_ITEM = r"[≥≤><=]?\d[\d.,]*(?:%|‰|[\u4e00-\u9fff]{1,2}(?=\d|$))?"
_VALUE_RUN = re.compile(rf"(?:(?P<rep>\d[\d.,]*[\u4e00-\u9fff]{{1,2}})(?P=rep)|{_ITEM})+")
_RUN_ITEM = re.compile(rf"(\d[\d.,]*[\u4e00-\u9fff]{{1,2}})(?=\1)|{_ITEM}")
_MEASURE = "|".join(re.escape(w) for w in sorted(MEASURE_WORDS, key=len, reverse=True))
#: A number that is no quantity inside a name: bare, followed by no measure word.
_BARE_INSIDE = re.compile(rf"(?<=[\u4e00-\u9fff])\d[\d.,]*(?!\d|[.,]|%|{_MEASURE})")


def _named_items(piece: str) -> list[tuple[str, str | None]]:
    """(name, target) items of one piece, cut at the value runs that close a name."""
    items: list[tuple[str, str | None]] = []
    pos = 0
    for run in _VALUE_RUN.finditer(piece):
        values = [m.group(0) for m in _RUN_ITEM.finditer(run.group(0))]
        closes = "%" in run.group(0) or "‰" in run.group(0) or len(values) >= 2 or run.end() == len(piece)
        name = piece[pos : run.start()].lstrip("、,，。;；:： ")
        if not closes or not re.search(r"[\u4e00-\u9fff]", name):
            continue
        bare = _BARE_INSIDE.search(name)
        if not _unit_tail(piece, pos):
            # Cut at a bare number, the run's values belong to the text after the cut.
            name, text_value = _text_target(name[: bare.start()] if bare else name)
            items.append((name, text_value if bare else _target(values) or text_value))
        pos = run.end()
    rest = piece[pos:].lstrip("、,，。;；:： ")
    name = _FLAT_NAME.match(rest)
    if name and name.group(0) and not _unit_tail(piece, pos):
        items.append((name.group(0), None))
    return items


_OPERATOR_WORD = re.compile("|".join(re.escape(w) for w in OPERATOR_WORDS if len(w) >= 2 and not w.isascii()))


def _text_target(name: str) -> tuple[str, str | None]:
    """A name with its text target and actual glued on: ``成本控制不超过预算不超过预算``.

    Target and actual printed alike (``专款专用专款专用``) are cut down to one copy, which
    is the target; when that target starts with an operator word it is no part of the
    name. Without a repeat nothing is cut: ``价格不高于市场价`` is a whole name.
    """
    for k in range(2, min(12, len(name) // 2) + 1):
        tail = name[-k:]
        if name[-2 * k : -k] == tail:
            while name.endswith(tail + tail):
                name = name[:-k]
            if _OPERATOR_WORD.match(tail) and len(re.findall(r"[\u4e00-\u9fff]", name[:-k])) >= 2:
                name = name[:-k]
            return name, tail
    return name, None


def _unit_tail(piece: str, pos: int) -> bool:
    """``2021年12`` | ``月完成``: text that goes on a number's unit is the rest of a value."""
    return pos > 0 and piece[pos - 1].isdigit() and piece[pos:].startswith(MEASURE_WORDS)


def _target(values: list[str]) -> str | None:
    """The first value of a run when it is surely the target: repeated, with its unit, as
    the actual value next to it (``100%100%``). Anything else may have a score glued to
    it on either side (``290%`` is 2 points and 90%)."""
    if len(values) >= 2 and values[1] == values[0] and not re.fullmatch(r"[\d.,]+", values[0]):
        return values[0]
    return None


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
