"""Structured target values and amounts.

Review rules (quantified? dated? does the annual value fit the period value?) and
value suggestions need the operator, number and unit separately, or the deadline, or
the knowledge that a value is only qualitative. These are pure functions of the text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jixiao.corpus.normalize import normalize_value
from jixiao.corpus.schema import ParsedValue, ValueKind

#: Units of a value stated in per cent, which the rate checks (over 100%, peers' targets) compare;
#: a value in ``‰`` is a ratio too (a bare ratio under 成本 is flagged) but is not per cent.
PERCENT_UNITS = ("%", "百分比")
RATIO_UNITS = (*PERCENT_UNITS, "‰")
_OPS = {"≥": "≥", "≤": "≤", ">": ">", "<": "<", "=": "=", "≈": "≈", "约": "≈", "≠": "≠"}
_NUM_RE = re.compile(
    r"^(?P<op>[≥≤><=≈≠]|约)?\s*(?P<num>[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+(?:\.\d+)?)\s*(?P<unit>[^\d\s,，;；。]{0,12}?)\s*[。.]?$"
)
_NUM_ANY = re.compile(
    r"(?P<op>[≥≤><=≈≠]|约)?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>%|[^\d\s,，;；。()（）]{1,8})?"
)
_DATE_PATTERNS = [
    re.compile(r"(?P<y>(19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    re.compile(r"(?P<y>(19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月"),
    re.compile(r"(?P<y>(19|20)\d{2})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?"),
    re.compile(r"(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    re.compile(r"(?P<m>\d{1,2})\s*月(份)?\s*(底|末|前|之前|以前|内)"),
    re.compile(r"(?P<y>(19|20)\d{2})\s*年\s*(底|末|内|前)"),
]
_DEADLINE_WORDS = ("前", "之前", "以前", "底", "末", "内完成", "完成", "截止", "以内")
_TIME_WORDS = re.compile(
    r"^(每月|每季度|每年|每周|按月|按季|按时|及时|当年|年内|年底前|年度内|上半年|下半年)"
)


@lru_cache(maxsize=65536)
def parse_value(text: str | None) -> ParsedValue:
    """Classify and decompose one target value.

    Memoised (review rules, the classifier and the drafter parse the same values again
    and again), so the result is shared: read it, never modify it.

    ``≥90%`` → numeric(≥, 90, %); ``2024年12月31日前`` → date(deadline 2024-12-31);
    ``有效提高`` → qualitative. An operator alone does not make a value numeric.
    """
    raw = text or ""
    t = normalize_value(raw)
    if not t:
        return ParsedValue(kind=ValueKind.EMPTY, text="")
    for pat in _DATE_PATTERNS:
        m = pat.search(t)
        if m and (len(t) <= 24 or any(w in t for w in _DEADLINE_WORDS)):
            gd = m.groupdict()
            y, mo, d = gd.get("y"), gd.get("m"), gd.get("d")
            if mo and not 1 <= int(mo) <= 12:
                continue
            parts = [y or "", f"{int(mo):02d}" if mo else "", f"{int(d):02d}" if d else ""]
            deadline = "-".join(p for p in parts if p)
            return ParsedValue(
                kind=ValueKind.DATE, text=t, deadline=deadline, operator="≤" if "前" in t else None
            )
    compact = t.replace(" ", "")
    m = _NUM_RE.match(compact)
    if m:
        num = float(m.group("num").replace(",", ""))
        unit = m.group("unit") or None
        op = _OPS.get(m.group("op") or "")
        return ParsedValue(kind=ValueKind.NUMERIC, text=t, operator=op, number=num, unit=unit)
    if _TIME_WORDS.match(compact):
        return ParsedValue(kind=ValueKind.DATE, text=t)
    # A number inside prose ("资助城乡居民约496万人") is still a quantity, with its context.
    m = _NUM_ANY.search(compact)
    if m and not re.search(r"[\u4e00-\u9fff]{6,}", compact[: m.start()]):
        num = float(m.group("num"))
        return ParsedValue(
            kind=ValueKind.NUMERIC,
            text=t,
            operator=_OPS.get(m.group("op") or ""),
            number=num,
            unit=m.group("unit") or None,
        )
    return ParsedValue(kind=ValueKind.QUALITATIVE, text=t)


_AMOUNT_RE = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(?P<unit>亿元|万元|千元|元|亿|万)?"
)
_UNIT_FACTOR = {"亿元": 1e8, "亿": 1e8, "万元": 1e4, "万": 1e4, "千元": 1e3, "元": 1.0}


def parse_amount(text: str | None, default_unit: str = "元") -> float | None:
    """Amount in 元 from printed text; ``default_unit`` is the table's ``单位：万元`` header."""
    if text is None:
        return None
    t = normalize_value(str(text)).replace(" ", "")
    m = _AMOUNT_RE.search(t)
    if not m:
        return None
    num = float(m.group("num").replace(",", ""))
    unit = m.group("unit") or default_unit
    return round(num * _UNIT_FACTOR.get(unit, 1.0), 2)
