"""Reader 2 of a text table: the non-empty cells in reading order, rows rebuilt.

Many page excerpts lost their row structure altogether: rows run together on one
line, empty cells vanished, a cell wrapped over two lines. What survives is the
reading order of the non-empty cells. Read as a stream, a goal table is still
regular: categories, a name, then the header's columns right of the name (an
operator, the target, a unit, self-evaluation cells to skip). The stream is turned
back into a plain four-column grid for the grid parser.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.grid import category_cell, clean_name, header_role, is_meta_label
from jixiao.corpus.parsers.vocab import (
    IGNORE,
    L1,
    L2,
    L3,
    LEVELS,
    OP,
    OPERATOR_COLUMN_CELL,
    PERIOD,
    STARTS_WITH_OPERATOR,
    SYNTHETIC_HEADER,
    UNIT,
    VALUE,
    VALUE_LIKE,
    Grid,
    is_nature_word,
    level_cells,
)
from jixiao.corpus.parsers.wrapped_text import normalize_newlines
from jixiao.corpus.taxonomy import resolve
from jixiao.errors import JixiaoError

_SECTION_HEADING = re.compile(r"^([(（][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、)")
_REASON_COLUMN = re.compile(r"(偏差|原因|改进|备注|说明|措施)")
# How indicator names end (人数, 覆盖率, 面积(万亩)) and values, without a digit, do not.
_NAME_SHAPED = re.compile(
    r"^(?!提高|提升|降低|减少|增加|保持|达到|确保|实现|完成)[^\d≥≤><=%]{3,}"
    r"(人数|户数|个数|次数|数量|面积|率|[(（](万?[人个次户家件项所座台套篇场期处亩吨元]|万亩|平方米|公里)[)）])$"
)
_STANDALONE_LABELS = {"分值", "得分", "权重", "备注", "单位", "性质", "方向"}
_TEXT_COLUMN = re.compile(r"(描述|内容|解释|依据)")  # always filled, with free text
_UNIT_LIKE = re.compile(
    r"^(%|‰|[\u4e00-\u9fff]{1,3}|[\u4e00-\u9fff]{1,2}/[\u4e00-\u9fff]{1,2}|[a-zA-Z²³/]{1,5})$"
)


def stream_tokens(text: str, form: str) -> list[str]:
    """The non-empty cells of a text, in reading order."""
    text = normalize_newlines(text)
    if form.startswith("pipe"):
        raw = [c.strip() for ln in text.split("\n") for c in ln.split("|")]
    else:
        raw = [c for ln in text.split("\n") for c in re.split(r"[ \t\u3000\xa0]+", ln.strip())]
    tokens: list[str] = []
    for t in raw:
        if not t:
            continue
        # ``扶持发展新型农业经营主体 (个)``: a parenthesised tail belongs to the cell before.
        if tokens and re.fullmatch(r"[(（][^()（）]{1,8}[)）]", t) and not VALUE_LIKE.match(tokens[-1]):
            tokens[-1] += t
            continue
        tokens.append(t)
    return _merge_split_labels(tokens)


def _merge_split_labels(tokens: list[str]) -> list[str]:
    """``一级`` + ``指标`` and ``年度`` + ``指标值``: labels a wrap or a space cut in two."""

    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if i + 1 < len(tokens) and len(t) <= 6:
            joined = t + tokens[i + 1]
            if (
                (category_cell(joined) and (not category_cell(t) or tokens[i + 1] == "指标"))
                or (
                    header_role(joined)
                    and (not header_role(t) or (len(t) <= 2 and t not in _STANDALONE_LABELS))
                    and len(tokens[i + 1]) <= 5
                    and header_role(tokens[i + 1]) in (None, header_role(t))  # 三级 | 年度数值: two labels
                )
                or (re.fullmatch(r"[一二三]级", t) and tokens[i + 1].startswith("指标"))
            ):
                out.append(joined)
                i += 2
                continue
        out.append(t)
        i += 1
    return out


def stream_grid(tokens: list[str]) -> Grid:
    """A four-column grid (level 1 | level 2 | name | value) read from a cell stream."""

    rows: Grid = []
    i, n = 0, len(tokens)
    schedule: list[tuple[str, str]] | None = None
    in_table = False
    while i < n:
        t = tokens[i]
        role = header_role(t)
        if role in LEVELS:
            j = i
            labels = []
            while j < n and (header_role(tokens[j]) or re.fullmatch(r"绩效指标", tokens[j])):
                labels.append(tokens[j])
                j += 1
            roles = [header_role(x) for x in labels]
            if L3 in roles or (L1 in roles and L2 in roles):
                after = labels[roles.index(L3) + 1 :] if L3 in roles else labels[roles.index(L2) + 1 :]
                schedule = [(header_role(x) or "", x) for x in after]
                rows.append(list(SYNTHETIC_HEADER))
                in_table = True
                i = j
                continue
        if is_meta_label(t):
            nxt = tokens[i + 1] if i + 1 < n and not is_meta_label(tokens[i + 1]) else None
            rows.append([t, nxt])
            in_table = False if schedule is not None and rows else in_table
            i += 2 if nxt is not None else 1
            continue
        if not in_table and schedule is None and category_cell(t):
            # No header in the excerpt (a fragment): the first category opens the table.
            rows.append(list(SYNTHETIC_HEADER))
            schedule = []
            in_table = True
        if not in_table:
            rows.append([t])
            i += 1
            continue
        i = _stream_row(tokens, i, schedule or [], rows)
    return rows


def _stream_row(tokens: list[str], i: int, schedule: list[tuple[str, str]], rows: Grid) -> int:
    n = len(tokens)
    cats: list[str] = []
    while i < n and len(cats) < 2 and category_cell(tokens[i]) and not is_meta_label(tokens[i]):
        if cats and _names_a_row(tokens, i):
            break  # ``成本指标 | 成本 | 10万元``: a name that is also a category word
        cats.append(tokens[i])
        i += 1
    if (
        i >= n
        or is_meta_label(tokens[i])
        or (category_cell(tokens[i]) and not _names_a_row(tokens, i) and not _repeats_level2(cats, tokens[i]))
    ):
        rows.append(level_cells(cats) + [None, None])
        return i
    if (
        _SECTION_HEADING.match(tokens[i])
        or len(tokens[i]) > 60
        or (len(tokens[i]) > 30 and tokens[i].endswith("。"))
    ):
        return i + 1  # prose (a goal text, a report paragraph) is no indicator row
    name = tokens[i]
    i += 1
    op = value = unit = None
    for role, label in schedule or [(OP, ""), (VALUE, ""), (UNIT, "")]:
        if i >= n or category_cell(tokens[i]) or is_meta_label(tokens[i]):
            break
        t = tokens[i]
        if role == OP:
            if OPERATOR_COLUMN_CELL.match(t):
                op = t if not is_nature_word(t) else op
                i += 1
        elif role in (VALUE, PERIOD):
            if _SECTION_HEADING.match(t) or _name_shaped(t):
                break  # the value cell is missing: this is the next row's name
            if value is None or role == VALUE:
                value = t
            i += 1
        elif role == UNIT:
            if _UNIT_LIKE.match(t) and not VALUE_LIKE.match(t):
                unit = t if t not in ("无", "空") else unit
                i += 1
        elif role == IGNORE:
            if _REASON_COLUMN.search(label):
                continue
            if _name_shaped(t) and not VALUE_LIKE.match(t):
                break  # the self-evaluation cells are missing: this is the next row's name
            if (
                VALUE_LIKE.match(t)
                or len(t) <= 8
                or (_TEXT_COLUMN.search(label) and not _SECTION_HEADING.match(t))
            ):
                i += 1
    while i < n and _skippable(tokens[i]):
        i += 1
    if value is not None:
        if op and not STARTS_WITH_OPERATOR.match(value):
            value = op + value
        if unit and not value.endswith(unit):
            value += unit
    rows.append(level_cells(cats) + [name, value])
    return i


def _name_shaped(token: str) -> bool:
    """Whether a cell ends like an indicator name, once template hints (``(≥**人)``) and
    trailing notes (``(按月平均)``) are set aside."""
    if _NAME_SHAPED.search(token):
        return True
    bare = re.sub(r"([(（][^()（）]{0,12}[)）])+$", "", clean_name(token))
    return bare != token and bool(_NAME_SHAPED.search(bare))


def _skippable(token: str) -> bool:
    """A leftover self-evaluation cell (``100%``, ``8``, ``优``), never a name."""
    cjk = len(re.findall(r"[\u4e00-\u9fff]", token))
    return bool(VALUE_LIKE.match(token)) and cjk <= 3 and len(token) <= 12 and not category_cell(token)


def _repeats_level2(cats: list[str], token: str) -> bool:
    """``服务对象满意度指标 | 服务对象满意度``: a row never prints its level 2 twice, so a
    category word that repeats the level 2 just read is the row's name."""
    if not cats:
        return False
    try:
        return resolve(None, token).code == resolve(None, cats[-1]).code
    except JixiaoError:
        return False


def _names_a_row(tokens: list[str], i: int) -> bool:
    """A category word followed by a value is an indicator's name, not a category."""
    return i + 1 < len(tokens) and bool(VALUE_LIKE.match(tokens[i + 1]))
