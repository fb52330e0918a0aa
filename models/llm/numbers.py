"""Numbers in free text, and whether each one is grounded in given sources.

The guard against the failure this package exists for: a model that turns ``≥95%`` into
``100%`` or borrows ``32.1公里`` from another project. A number a user sees must appear in
their own project text or in a source row the answer cites. Pure functions, no model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from jixiao.corpus.normalize import normalize_text

_ARABIC = re.compile(r"\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
#: Chinese numerals count only before a measure word: "一体化", "统一" and "进一步" are words.
_CN_NUMBER = re.compile(
    r"([零〇一二两三四五六七八九十百千]+)(?=[万亿]?(?:个|项|次|人|所|家|名|户|座|公里|千米|米|元|年|月|天|日|"
    r"小时|批|期|场|台|套|件|条|处|间|辆|吨|亩|平方米|%|％|成|倍|类|种|轮|份|册|部|篇|门|节|课时))"
)


def _cn_value(text: str) -> float | None:
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return float(total + current)


def numbers_in(text: str | None) -> list[float]:
    """Every number written in ``text``: Arabic (full-width folded, thousands separators
    dropped) and Chinese numerals before a measure word (``三项``, ``十二个月``)."""
    t = _THOUSANDS.sub("", normalize_text(text))
    out = [float(m) for m in _ARABIC.findall(t)]
    for m in _CN_NUMBER.finditer(t):
        v = _cn_value(m.group(1))
        # A lone 一 (一年内, 一次性) is phrasing far more often than a quantity.
        if v is not None and m.group(1) != "一":
            out.append(v)
    return out


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def amount_forms(amount: float | None) -> list[float]:
    """A budget in 元 as a drafter may write it: 元, 万元, 亿元."""
    if amount is None or not amount > 0:
        return []
    return [amount, round(amount / 1e4, 6), round(amount / 1e8, 8)]


def grounding_set(texts: Iterable[str | None], extra: Iterable[float] = ()) -> list[float]:
    """The numbers a text may use: every number in the source texts, plus ``extra``."""
    out: list[float] = list(extra)
    for t in texts:
        out.extend(numbers_in(t))
    return out


def ungrounded(text: str | None, allowed: Iterable[float]) -> list[float]:
    """Numbers in ``text`` that appear nowhere in ``allowed``, in order, each once."""
    pool = list(allowed)
    out: list[float] = []
    for n in numbers_in(text):
        if not any(_same(n, a) for a in pool) and not any(_same(n, o) for o in out):
            out.append(n)
    return out


def show(n: float) -> str:
    return str(int(n)) if n == int(n) else f"{n:g}"
