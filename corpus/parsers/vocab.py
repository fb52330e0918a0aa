"""The words every table reader shares: grid type, header roles, comparison operators.

The grid parser and the text-table readers decide the same things (is this cell an
operator, does this value already start with one, which column role is this) and
used to carry their own drifted copies (one knew ``═``, the other ``不多于``). One
place now, so a new spelling is learned by every reader at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: A table as rows of cells; None is a blank (or merged-away) cell.
Grid = list[list[str | None]]
#: What the grid parser reads (any row and cell sequences).
GridLike = Sequence[Sequence[str | None]]

# --- header roles ----------------------------------------------------------------------

L1, L2, L3 = "l1", "l2", "l3"
VALUE, PERIOD, OP, UNIT, IGNORE = "value", "period", "op", "unit", "ignore"
LEVELS = (L1, L2, L3)

# --- comparison operators --------------------------------------------------------------

#: One-character comparison signs, ASCII, full-width and the box-drawing ``═`` of OCR.
OPERATOR_SIGNS = "≥≤><=＞＜≧≦＝═"
#: Operators written as words (and the two-character ASCII forms).
OPERATOR_WORDS = (
    ">=",
    "<=",
    "大于等于",
    "小于等于",
    "大于",
    "小于",
    "等于",
    "不低于",
    "不高于",
    "不少于",
    "不多于",
    "不超过",
    "约",
    "≈",
)
#: What an "operator" column holds besides operators: the indicator's nature.
NATURE_WORDS = ("定性", "定量", "正向", "反向")

SIGN_CLASS = "[" + re.escape(OPERATOR_SIGNS) + "]"
_WORDS = "|".join(re.escape(w) for w in OPERATOR_WORDS)

#: A cell that is an operator and nothing else.
OPERATOR_CELL = re.compile(rf"^(?:{SIGN_CLASS}|{_WORDS})$")
#: A cell of an operator column: an operator or a nature word.
OPERATOR_COLUMN_CELL = re.compile(rf"^(?:{SIGN_CLASS}|{_WORDS}|{'|'.join(NATURE_WORDS)})$")
#: A value that already starts with its operator (so a separate operator cell is not added).
STARTS_WITH_OPERATOR = re.compile(rf"^(?:{SIGN_CLASS}|{_WORDS})")
#: The first comparison sign inside a text (where a glued row's value starts).
OPERATOR_SIGN = re.compile(SIGN_CLASS)
#: A template's item marker opening a cell (``指标3:``): the row is an indicator whatever
#: else it lost, its category included.
ITEM_MARKER = re.compile(r"^\s*指标\s*\d{1,2}\s*[:：]")


def is_operator(cell: str) -> bool:
    return bool(OPERATOR_CELL.match(cell))


def is_nature_word(cell: str) -> bool:
    return cell in NATURE_WORDS


# --- text-table readers ------------------------------------------------------------------

#: A cell that is a value, not a name: an operator, a number, a dash, a grade word.
VALUE_LIKE = re.compile(rf"^({SIGN_CLASS}|[-+]?\d|[—–\-/／]+$|(优|良|中|差|是|否|有|无|达标|合格)$)")
#: The header the readers that rebuild rows give their four-column grids.
SYNTHETIC_HEADER: tuple[str, ...] = ("一级指标", "二级指标", "三级指标", "指标值")


def level_cells(cats: list[str]) -> list[str | None]:
    """Levels read from category tokens, as the level-1 and level-2 cells of a row."""
    from jixiao.corpus.taxonomy import is_level1_name, is_level2_name, split_combined

    l1 = l2 = None
    for c in cats:
        combined = split_combined(c)
        if combined:
            l1, l2 = combined
        elif l1 is None and l2 is None and is_level1_name(c) and (len(cats) == 2 or not is_level2_name(c)):
            l1 = c
        elif is_level2_name(c):
            l2 = c
        elif is_level1_name(c):
            l1 = c
    return [l1, l2]


#: Measure words a quantity inside a name is counted in (``5000吨稻谷储备到位率``); a number
#: followed by anything else, in text whose cells ran together, is another cell (a score).
MEASURE_WORDS: tuple[str, ...] = (
    "万人次", "人次", "万人", "万元", "亿元", "元", "平方米", "立方米", "公里", "千米", "米", "万亩", "亩", "吨", "人", "户",
    "个", "次", "所", "座", "台", "套", "件", "项", "场", "期", "名", "辆", "株", "头", "只", "册", "份", "篇", "处",
    "家", "起", "例", "种", "间", "条", "天", "月", "年", "日", "岁", "小时",
)
