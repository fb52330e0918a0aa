"""Reader 3 of a text table: glued rows, one per line, cut at categories and values.

Some pages lost even the spaces between cells: ``产出指标数量指标补贴国有企业≥25个`` is
one row. Categories ending in 指标 are unambiguous prefixes, and a target value
starts at its operator (a sign, or a word such as 不低于 or 达到) or is the number
(with unit) that ends the line. A score glued after a percentage (``95%10``) is cut off.

The same cuts serve a cell stream whose cells are glued rows (``split_glued``): a
fragment without its header, or rows whose separators were spaces between rows only.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.grid import category_cell, is_meta_label
from jixiao.corpus.parsers.vocab import OPERATOR_SIGN, OPERATOR_WORDS, SYNTHETIC_HEADER, Grid, level_cells

GLUED_HEADER = re.compile(r"一级指标[^|\t]{0,3}二级指标[^|\t]{0,3}三级指标")
_GLUED_VALUE_END = re.compile(
    r"^(?P<name>.*?[^\d\s.,])(?P<value>\d[\d.,]*\s*(%|‰|[\u4e00-\u9fff/]{1,5})?(\d{1,2}(\.\d+)?)?)$"
)
#: Operator words that open a glued value (one-character ``约`` is too common inside names),
#: and 达到 when a number or 目标值/预计值 follows it (``享受资助人数达到预计值``).
_VALUE_LEAD = re.compile(
    "|".join(re.escape(w) for w in OPERATOR_WORDS if len(w) >= 2 and not w.isascii())
    + r"|达到(?=\d|(?:预计|预期|目标)值?)"
)
_BARE_NUMBER = re.compile(r"[\d.,]+")
#: A score glued after a value that ends in a percentage or a bound word.
_GLUED_SCORE = re.compile(r"^(?P<value>.*?(?:%|‰|以上|以下|以内))\d{1,2}(?:\.\d+)?$")
#: The trailing value of a glued stream cell: a short unit at most, so ``建设4个示范点`` stays a name.
_CELL_VALUE_END = re.compile(
    r"^(?P<name>.*?[\u4e00-\u9fff)）])(?P<value>\d[\d.,]*\s*([%‰](以上|以下|以内|达标)?(\d{1,2}(\.\d+)?)?|[\u4e00-\u9fff/]{1,3})?)$"
)


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
        m = re.match(r"^(.{1,10}?指标)(\(\d+(-\d+)?分\)|\(\d+(-\d+)?\)分)?", flat)
        if not m or not category_cell(m.group(0)):
            break
        cats.append(m.group(0))
        flat = flat[m.end() :]
    return cats, flat


def _split_value(rest: str, value_end: re.Pattern[str] = _GLUED_VALUE_END) -> tuple[str, str | None]:
    m = OPERATOR_SIGN.search(rest)
    if not (m and m.start() > 0):
        m = _VALUE_LEAD.search(rest)
    if m and m.start() > 0:
        return rest[: m.start()], _drop_score(rest[m.start() :])
    m = value_end.match(rest)
    if m:
        value = _drop_score(m.group("value"))
        if _BARE_NUMBER.fullmatch(value):
            # A bare number glued to a name is as likely a score (``…公里2020``) as the
            # target, so only the name is kept.
            return m.group("name"), None
        # ``合格率100%100%``: target then actual, each with its unit; the first is the target.
        while (inner := value_end.match(m.group("name"))) and not _BARE_NUMBER.fullmatch(inner.group("value")):
            m = inner
        return m.group("name"), _drop_score(m.group("value"))
    return rest, None


def split_name_value(text: str) -> tuple[str, str | None]:
    """A name and the value glued after it (``合格率≥95%``), or the text and None."""
    return _split_value(text, _CELL_VALUE_END)


def _drop_score(value: str) -> str:
    m = _GLUED_SCORE.match(value)
    return m.group("value") if m else value


def glued_prefix(token: str) -> bool:
    """Whether a cell is a glued row: categories ending in 指标, then more text.

    ``数量指标:…`` is a heading in prose (``prose_indicators``), not a glued row.
    """
    cats, rest = _peel_categories(re.sub(r"\s+", "", token))
    return bool(cats) and bool(rest) and rest[0] not in ":：,，;；、"


def split_glued(tokens: list[str]) -> list[str]:
    """Cells of a stream with glued rows cut apart: categories, name, value.

    Only cells that open with categories, or that hold a name and then an operator, are
    cut; any other cell is kept whole.
    """
    out: list[str] = []
    for token in tokens:
        cats, rest = _peel_categories(token)
        out.extend(cats)
        if not rest:
            continue
        name, value = split_name_value(rest)
        if name != rest and len(re.findall(r"[\u4e00-\u9fff]", name)) >= 2 and (cats or not _bare_label(name)):
            out.extend([name, value] if value else [name])
        else:
            out.append(rest)
    return out


def _bare_label(text: str) -> bool:
    """``合计100``, ``得分95``: a label and its number, not an indicator and its value."""
    return is_meta_label(text) or text.endswith(("分值", "得分", "分", "合计", "总分"))
