"""The tier taxonomy: canonical codes for both schemes, and every printed variant.

Real tables print the same category in many ways (``经济效益`` / ``经济效益指标``,
``可持续性``, ``效果指标``, ``11-数量指标``, ``【产出指标-数量指标】``, scores such as
``(50分)``). Everything downstream (classifier labels, review rules, retrieval
filters) works on one canonical code, so all variants are resolved here and only here.

Canonical level-2 codes follow the Guangdong numbering of scheme A (``11`` … ``31``);
scheme B's cost level 2s, which have no stable printed code across provinces, get
``41``-``43`` under level 1 ``4`` (成本指标).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from jixiao.errors import UnknownCategoryError


class Scheme(StrEnum):
    """A: cost under output (``14-成本指标``). B: cost is its own level 1 (财预〔2021〕101号)."""

    A = "A"
    B = "B"


@dataclass(frozen=True)
class TierCode:
    """One level-2 category with its level 1, as a canonical code."""

    code: str
    level1: str
    level2: str
    schemes: tuple[Scheme, ...]

    @property
    def level1_code(self) -> str:
        return self.code[0]

    @property
    def label(self) -> str:
        return f"{self.code}-{self.level2}"

    def __str__(self) -> str:
        return self.label


LEVEL1_NAMES: dict[str, str] = {"1": "产出指标", "2": "效益指标", "3": "满意度指标", "4": "成本指标"}

_AB = (Scheme.A, Scheme.B)
TIERS: dict[str, TierCode] = {
    t.code: t
    for t in [
        TierCode("11", "产出指标", "数量指标", _AB),
        TierCode("12", "产出指标", "质量指标", _AB),
        TierCode("13", "产出指标", "时效指标", _AB),
        TierCode("14", "产出指标", "成本指标", (Scheme.A,)),
        TierCode("21", "效益指标", "经济效益指标", _AB),
        TierCode("22", "效益指标", "社会效益指标", _AB),
        TierCode("23", "效益指标", "生态效益指标", _AB),
        TierCode("24", "效益指标", "可持续影响指标", _AB),
        TierCode("31", "满意度指标", "服务对象满意度指标", _AB),
        TierCode("41", "成本指标", "经济成本指标", (Scheme.B,)),
        TierCode("42", "成本指标", "社会成本指标", (Scheme.B,)),
        TierCode("43", "成本指标", "生态环境成本指标", (Scheme.B,)),
    ]
}

#: Every canonical level-2 name, sorted: what an unknown level-2 error lists.
LEVEL2_NAMES: tuple[str, ...] = tuple(sorted({t.level2 for t in TIERS.values()}))

#: Level-2 codes a complete table must cover, per scheme (domain.md review rules: output,
#: benefit and satisfaction, plus cost under scheme B). Values are level-1 codes.
REQUIRED_LEVEL1: dict[Scheme, tuple[str, ...]] = {
    Scheme.A: ("1", "2", "3"),
    Scheme.B: ("1", "4", "2", "3"),
}

# Variants → level-1 code. Keys are already passed through _clean().
_LEVEL1_VARIANTS: dict[str, str] = {
    "产出": "1",
    "项目产出": "1",
    "产出指标": "1",
    "项目完成": "1",
    "项目完成指标": "1",
    "预期产出": "1",
    "预期产出指标": "1",
    "项目决策": "1",  # a mislabelled 产出 block in some published tables (see corpus README)
    "效益": "2",
    "项目效益": "2",
    "效果": "2",
    "效果指标": "2",
    "项目效果": "2",
    "预期效益": "2",
    "满意度": "3",
    "满意度指标": "3",
    "服务对象满意度": "3",
    "成本": "4",
    "成本指标": "4",
    "项目成本": "4",
}

# Variants → level-2 code. ``14`` vs ``41`` for a bare "成本" is decided by the level 1.
_LEVEL2_VARIANTS: dict[str, str] = {
    "数量": "11",
    "产出数量": "11",
    "数量指标": "11",
    "质量": "12",
    "产出质量": "12",
    "质量指标": "12",
    "时效": "13",
    "产出时效": "13",
    "时效指标": "13",
    "进度": "13",
    "进度指标": "13",
    "成本": "14",
    "产出成本": "14",
    "成本指标": "14",
    "资金成本": "14",
    "预算控制": "14",
    "预算(或投资规模)控制": "14",
    "投资规模控制": "14",
    "经济效益": "21",
    "经济": "21",
    "社会效益": "22",
    "社会": "22",
    "生态效益": "23",
    "环境效益": "23",
    "生态环境效益": "23",
    "生态": "23",
    "可持续影响": "24",
    "可持续性": "24",
    "可持续": "24",
    "可持续发展": "24",
    "可持续效益": "24",
    "可持续性影响": "24",
    "服务对象满意度": "31",
    "满意度": "31",
    "社会公众或服务对象满意度": "31",
    "社会公众满意度": "31",
    "群众满意度": "31",
    "服务对象满意": "31",
    "经济成本": "41",
    "社会成本": "42",
    "生态环境成本": "43",
    "生态成本": "43",
    "环境成本": "43",
}

#: What follows a category's stem: 指标 as a rule; some templates print ``产出值 | 数量值``
#: or ``社会效益目标`` instead, and the stem alone decides the category.
_CATEGORY_SUFFIXES = ("指标", "目标", "值")

_SCORE = re.compile(r"[(（]\s*\d+(\.\d+)?\s*分\s*[)）]")
_NUM_PREFIX = re.compile(r"^\s*\d{1,2}\s*[-－—.、．]\s*")
_BRACKETS = re.compile(r"[【】\[\]《》\s]")


@lru_cache(maxsize=4096)
def _clean(name: str) -> str:
    """Strip what decorates a category name without changing which category it is.

    Cached: a review resolves every row's printed level names, and a handful of names recur.
    """
    s = name.replace("（", "(").replace("）", ")")
    s = _SCORE.sub("", s)
    s = _NUM_PREFIX.sub("", s)
    s = _BRACKETS.sub("", s)
    s = s.strip(" :：;；,，.。")
    if s.endswith("等") and len(s) > 3:  # ``服务对象满意度指标等``: the template's "and so on"
        s = s[:-1]
    for suffix in _CATEGORY_SUFFIXES:
        if s.endswith(suffix) and (s[: -len(suffix)] in _LEVEL2_VARIANTS or s[: -len(suffix)] in _LEVEL1_VARIANTS):
            return s[: -len(suffix)]
    return s


def accepted_names() -> list[str]:
    """Every canonical name, for error messages."""
    return list(LEVEL1_NAMES.values()) + list(LEVEL2_NAMES)


def level1_code(name: str) -> str:
    """Level-1 code for a printed level-1 name (``1-产出指标``, ``效果指标``, ``产出指标(50分)``)."""
    s = _clean(name)
    if s in _LEVEL1_VARIANTS:
        return _LEVEL1_VARIANTS[s]
    raise UnknownCategoryError(name, "level1", list(LEVEL1_NAMES.values()))


#: Parsers ask these of every cell of every upload (17,000 calls for the five seed files), and
#: a miss built an exception with the list of accepted names: memoised, they stop being a
#: fifth of an upload's parsing. The answers depend on the name alone.
_NAME_MEMO = 8192


@lru_cache(maxsize=_NAME_MEMO)
def is_level1_name(name: str) -> bool:
    try:
        level1_code(name)
    except UnknownCategoryError:
        return False
    return True


@lru_cache(maxsize=_NAME_MEMO)
def is_level2_name(name: str) -> bool:
    try:
        resolve(None, name)
    except UnknownCategoryError:
        return False
    return True


@lru_cache(maxsize=_NAME_MEMO)
def split_combined(name: str) -> tuple[str, str] | None:
    """Split ``产出指标-数量指标`` / ``【产出指标-数量指标】`` into its two levels, if it is one."""
    s = name.strip().strip("【】[]")
    for sep in ("-", "－", "—", "/", "：", ":", "|"):
        if sep in s:
            a, b = s.split(sep, 1)
            if is_level1_name(a) and is_level2_name(b):
                return a, b
    return None


def resolve(level1: str | None, level2: str | None) -> TierCode:
    """Canonical tier for a printed (level 1, level 2) pair; either side may be missing.

    Raises UnknownCategoryError (listing the accepted names) when a given name is not a
    category, or when only level 1 is given and it does not fix the level 2
    (满意度 does; 产出 does not).
    """
    l1 = level1_code(level1) if level1 and level1.strip() else None
    if level2 and level2.strip():
        s = _clean(level2)
        code = _LEVEL2_VARIANTS.get(s)  # _clean() already dropped a known name's 指标
        if code is None:
            combined = split_combined(level2)
            if combined:
                return resolve(*combined)
            raise UnknownCategoryError(level2, "level2", list(LEVEL2_NAMES))
        if code == "14" and l1 == "4":
            code = "41"
        elif code == "41" and l1 == "1":
            code = "14"
        return TIERS[code]
    if l1 == "3":
        return TIERS["31"]
    raise UnknownCategoryError(level1 or "", "level2", list(LEVEL2_NAMES))


def to_scheme(tier: TierCode, scheme: Scheme) -> TierCode:
    """Express a tier in the other scheme: cost moves between 产出/14 and 成本/41-43."""
    if scheme in tier.schemes:
        return tier
    if scheme is Scheme.A and tier.code in ("41", "42", "43"):
        return TIERS["14"]
    if scheme is Scheme.B and tier.code == "14":
        return TIERS["41"]
    return tier


def merge_cost(code: str) -> str:
    """Collapse the cost tiers of both schemes into one, for comparing A with B."""
    return "14" if code in ("14", "41", "42", "43") else code


def detect_scheme(codes: list[str]) -> Scheme | None:
    """Which scheme a table's codes belong to; None when nothing in them tells."""
    if any(c in ("41", "42", "43") for c in codes):
        return Scheme.B
    if "14" in codes:
        return Scheme.A
    return None


def agrees(
    predicted: str,
    declared_code: str | None = None,
    declared_level1: str | None = None,
    scheme: Scheme | str | None = None,
) -> bool | None:
    """Does a predicted tier agree with what a table declares for the row? The one rule
    the CLI, the API and the review findings share.

    - A declared level 2 is compared code to code, with cost merged: 14 (scheme A) and
      41-43 (scheme B) are one category, since the classifier learns cost as one tier
      and a table's scheme, not the row, decides how it is printed.
    - A declared level 1 alone is compared with the predicted level 1. Cost belongs to
      成本指标 (4) in either scheme, and to 产出指标 (1) unless the table follows scheme B,
      where cost has left 产出: a cost row filed under 产出 in a scheme-B table is misfiled.
    - Nothing declared gives None (nothing to compare).

    ``predicted`` and ``declared_code`` are canonical codes, ``declared_level1`` a level-1
    code (``1``-``4``), ``scheme`` the table's scheme when known.
    """
    if declared_code:
        return merge_cost(declared_code) == merge_cost(predicted)
    if declared_level1:
        if merge_cost(predicted) == "14":
            if declared_level1 == "4":
                return True
            return declared_level1 == "1" and (scheme is None or Scheme(scheme) is Scheme.A)
        return predicted[:1] == declared_level1
    return None
