"""Stage 4: target values a reviewer accepts.

Every value leaves this stage as an operator, a number and a unit; a date inside the
budget year; or a phrase explicitly marked qualitative. Values stated in the project
text win. A corpus value that is another project's count or money (``≥2000``,
``120000元/辆``) is that project's fact and is never copied; rates and dates are
conventions (``100%``, ``12月底前``) and carry over, re-dated to this budget year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from jixiao.corpus.schema import ValueKind
from jixiao.corpus.values import parse_value

_RATE_NAME = re.compile(r"(率|度|比例|比率|占比)$")
_RATE_UNITS = ("%", "％", "‰", "百分比")
#: A name that asks for a date (``项目完成时间``) takes a date, never a rate a drafter put there.
_DATE_NAME = re.compile(r"(时间|日期|时限|期限|时段)$")


@dataclass(frozen=True)
class GroundedValue:
    text: str
    basis: str  # Chinese: why this value
    qualitative: bool = False


def budget_deadline(year: int, month: int = 12) -> str:
    return f"{year}年{month}月底前" if month != 12 else f"{year}年12月31日前"


@lru_cache(maxsize=20_000)
def parsed(value: str | None):  # noqa: ANN201 - a ParsedValue, shared read-only
    """``parse_value``, cached: the same corpus values recur on every query."""
    return parse_value(value)


def redate(value: str, year: int) -> GroundedValue | None:
    """A deadline moved into the budget year: ``2020年12月完成`` → ``2026年12月底前``.

    None when the text is not a deadline with a month (``及时``, ``每季度``).
    """
    pv = parsed(value)
    if pv.kind is not ValueKind.DATE or not pv.deadline:
        return None
    parts = pv.deadline.split("-")
    months = [p for p in parts if len(p) == 2]
    if not months:
        return None
    month = int(months[0])
    day = int(months[1]) if len(months) > 1 else None
    text = f"{year}年{month}月{day}日前" if day else budget_deadline(year, month)
    return GroundedValue(text, f"时限按预算年度（{year}年）设定")


@lru_cache(maxsize=20_000)
def borrowed_value(value: str | None, name: str, code: str, year: int) -> GroundedValue | None:
    """A value taken from corpus rows or a pattern, if it carries no other project's facts.

    Rates (``100%``, ``≥90%``) and dates (re-dated) carry over; a bare number on a rate
    name gets its ``%``; counts and money do not (they were another project's).
    """
    if not value or code == "11":
        return None  # a count is this project's own number, never a convention
    pv = parsed(value)
    if _DATE_NAME.search(name) and pv.kind is not ValueKind.DATE:
        return None
    if pv.kind is ValueKind.DATE:
        return redate(value, year) or (
            GroundedValue(pv.text, "同类指标常用表述", qualitative=True) if pv.deadline is None else None
        )
    if pv.kind is ValueKind.NUMERIC and pv.number is not None:
        if re.search(r"(19|20)\d{2}", pv.text):
            return None
        unit = pv.unit or ""
        if unit in _RATE_UNITS or (not unit and _RATE_NAME.search(name) and 0 < pv.number <= 100):
            if pv.number > 100 or code in ("11", "14", "41", "42", "43"):
                return None
            op = pv.operator
            op = "≥" if op in (">", "≥") else op or ("" if pv.number == 100 else "≥")
            number = f"{pv.number:g}"
            return GroundedValue(f"{op}{number}%", "同类指标常用目标值")
        return None
    if pv.kind is ValueKind.QUALITATIVE and len(pv.text) <= 12 and not re.search(r"\d", pv.text):
        return GroundedValue(pv.text, "同类指标常用表述（定性）", qualitative=True)
    return None


def cost_value(amount: float) -> str:
    """The budget as a ceiling, in 万元 when it is large (how tables print it)."""
    if amount >= 10_000:
        return f"≤{_num(amount / 10_000)}万元"
    return f"≤{_num(amount)}元"


def unit_cost_value(amount: float, number: float, unit: str) -> str:
    per = amount / number
    if per >= 10_000:
        return f"≤{_num(per / 10_000)}万元/{unit}"
    return f"≤{_num(per)}元/{unit}"


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")
