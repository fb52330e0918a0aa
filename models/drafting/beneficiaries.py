"""Whom a project serves, read from its text: the ``{受益对象}`` of its satisfaction and count rows.

A listed group (村民, 师生, 残疾人), a word ending in one (沿线村民), or a household jieba
splits (脱贫户 → 脱贫/户) with the register it is on (建档立卡扶贫户).
"""

from __future__ import annotations

import re

from jixiao.models.drafting.text_match import content_words, words

#: People a project serves; a word ending in one of these heads is a beneficiary too.
BENEFICIARIES = frozenset(
    [
        "群众",
        "村民",
        "居民",
        "市民",
        "农民",
        "农户",
        "师生",
        "学生",
        "教师",
        "患者",
        "病人",
        "老人",
        "老年人",
        "儿童",
        "游客",
        "企业",
        "职工",
        "残疾人",
        "困难群众",
        "参保人",
        "参保人员",
        "驾乘人员",
        "沿线群众",
        "社区居民",
        "用户",
        "住户",
        "家庭",
        "商户",
        "退役军人",
        "脱贫户",
        "贫困户",
        "监测户",
        "低保对象",
        "特困人员",
        "孕产妇",
        "农村居民",
        "城乡居民",
        "种植户",
        "养殖户",
        "干部职工",
    ]
)
_HOUSEHOLDS = ("脱贫户", "贫困户", "扶贫户", "监测户", "种植户", "养殖户", "低保户", "五保户")
_BENEFICIARY_HEAD = re.compile(r"(民|户|生|者|员|工|人)$")


def beneficiaries(clause: str) -> list[str]:
    out = []
    for w in words(clause):
        if w in BENEFICIARIES or (
            len(w) >= 2
            and w in content_words(w)
            and _BENEFICIARY_HEAD.search(w)
            and w.endswith(("村民", "居民", "农户", "师生", "学生"))
        ):
            out.append(w)
    # Households jieba splits (脱贫户 → 脱贫/户), with the register they are on (建档立卡).
    found = sorted((clause.find(b), b) for b in _HOUSEHOLDS if b in clause)
    for pos, b in found:
        if clause[max(pos - 4, 0) : pos] == "建档立卡":
            b = "建档立卡" + b
        if all(b not in w and w not in b for w in out):
            out.append(b)
    return out
