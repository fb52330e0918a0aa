"""Stage 1b: figures a project states inside its goals, read as rows with the drafter's numbers.

Goal texts state more than ``完成…120公里``: a rate they promise (``住院救助比例达到70%``),
an effect with its size (``增加特色产业产值80万元``), a deliverable counted after its verb
(``采购马铃薯原原种425万粒``, ``开展7个小型水利工程建设``). Read as tasks or effects they
became names carrying numbers (``马铃薯原原种425万粒完成率``), which no reviewer accepts;
read here they become the indicator the budget officer would write, with the project's own
figure as its value: ``住院救助比例 ≥70%``, ``特色产业产值 ≥80万元``, ``采购马铃薯原原种数量
≥425万粒``, ``补助标准 ≤1500元/生·学期``. Numbered goals run together without punctuation (``…抽检工作 目标2:加强…``) are
split so each goal is read on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jixiao.models.drafting.row_names import CLASSIFIERS, clean_name, counted_object, split_qualifier
from jixiao.models.drafting.text_match import content_words

_NUM = r"(?P<num>\d+(?:\.\d+)?)\s*"
#: ``X率达到70%``, ``X比例不低于90%``: a rate the project promises.
_RATE = re.compile(
    r"(?P<name>[\u4e00-\u9fff“”\"]{2,30}?(?:率|比例|覆盖面))\s*(?:要|须|应)?"
    r"(?P<op>达到|达|保持在|保持|不低于|不少于|高于|在|为)?\s*" + _NUM + r"%\s*(?P<up>以上)?"
)
#: ``补助标准为:每生1500元/学期``: a unit standard the project pays, a cost row.
_STANDARD = re.compile(
    r"(?P<name>[\u4e00-\u9fff]{0,8}标准)(?:为|是)?\s*[:：]?\s*(?:每(?P<per>[生人户亩])\s*)?"
    + _NUM
    + r"(?P<unit>万元|元)\s*(?:/\s*(?P<period>学期|年|月|人|户|亩|次))?"
)
#: ``增加特色产业产值80万元``: an effect stated with its size in money.
_MONEY_EFFECT = re.compile(
    r"^(?P<verb>增加|提高|提升|带动|实现|减少|降低|节约|节省)(?P<name>[\u4e00-\u9fff]{2,16}?)"
    r"(?:达到|达|约)?\s*" + _NUM + r"(?P<unit>亿元|万元|元)$"
)
#: ``采购马铃薯原原种425万粒``: a deliverable counted after its verb, in a unit the main
#: reader does not know (粒, 头, 只, 公斤) or after the object.
_COUNTED_TASK = re.compile(
    r"^(?P<verb>采购|购置|购买|发放|培训|种植|养殖|建设|新建|改造|维修|修缮|安装|印制|制作|举办|开展|"
    r"完成|检测|抽检|监测|救助|资助|补助|扶持|接种|配送|调运|储备|收储)"
    r"(?P<before>[\u4e00-\u9fff]{0,16}?)" + _NUM + r"(?P<mult>万|千|百|亿)?"
    r"(?P<unit>粒|头|只|羽|公斤|千克|斤|株|棵|个|所|座|处|项|台|套|批|场|次|期|户|人次|人|名)"
    r"(?P<after>[\u4e00-\u9fff]{0,16})$"
)
_BARE_MEASURE = re.compile(r"次数|人数|人次|户数|数量|场次|期数")
_VERB_KEEPS = (
    "采购",
    "购置",
    "购买",
    "发放",
    "培训",
    "种植",
    "养殖",
    "印制",
    "制作",
    "接种",
    "调运",
    "储备",
    "收储",
)
#: Words that head a numbered goal written inline: ``…工作 目标2:加强…``.
_NUMBERED = re.compile(r"(?<=[^\s，,。；;:：])\s*(?=目标\s*\d+\s*[:：])")
_LEAD = re.compile(r"^(?:目标\s*\d+\s*[:：]|\d+\s*[.、)）]|[(（]\d+[)）])?\s*(?:通过|力争|确保|使|让)?")
_RATE_LEAD = re.compile(r"^(?:使|让|确保|保证|实现|其中|全年|年度)+")


@dataclass(frozen=True)
class Figure:
    """A row the project states with its number: name, value (operator, number, unit), tier."""

    name: str
    value: str
    code: str
    phrase: str


def split_numbered(goal: str) -> str:
    """``目标1:完成抽检工作 目标2:加强监管`` → the same with a clause break before each goal."""
    return _NUMBERED.sub("；", goal)


def has_figure(text: str) -> bool:
    return bool(re.search(r"\d", text))


def stated_figures(clause: str, economy: re.Pattern[str], ecology: re.Pattern[str]) -> list[Figure]:
    """Rates, sized effects and counted deliverables a clause states, with its own numbers."""
    c = _LEAD.sub("", clause.strip())
    out: list[Figure] = []
    if m := _STANDARD.search(c):
        per = "·".join(x for x in (m.group("per"), m.group("period")) if x)
        value = f"≤{m.group('num')}{m.group('unit')}" + (f"/{per}" if per else "")
        return [Figure(m.group("name"), value, "14", clause)]
    for m in _RATE.finditer(c):
        name = _RATE_LEAD.sub("", m.group("name")).strip('“”"') or m.group("name")
        if len(name) < 3 or not content_words(name) and not name.endswith("率"):
            continue
        op = "≤" if m.group("op") in ("在",) and "以内" in c[m.end() : m.end() + 3] else "≥"
        value = "100%" if float(m.group("num")) == 100 else f"{op}{m.group('num')}%"
        out.append(Figure(name, value, "12", clause))
    if out:
        return out
    if m := _MONEY_EFFECT.match(c):
        name = m.group("name")
        if content_words(name):
            op = "≤" if m.group("verb") in ("减少", "降低") and "成本" in name else "≥"
            code = "23" if ecology.search(name) else "21" if economy.search(name + m.group("verb")) else "22"
            out.append(Figure(name, f"{op}{m.group('num')}{m.group('unit')}", code, clause))
        return out
    if m := _COUNTED_TASK.match(c):
        # 200人以下: the qualifier is the value's operator; 3间手术室: the classifier's noun is counted.
        after, qualified = split_qualifier(m.group("after"))
        obj = m.group("before") + after
        if m.group("unit") in CLASSIFIERS and (counted := counted_object(after)):
            obj = counted
        obj = clean_name(re.sub(r"(工作|任务)$", "", obj))
        if len(obj) >= 2 and content_words(obj):
            verb = m.group("verb")
            keep = verb in _VERB_KEEPS or _BARE_MEASURE.fullmatch(obj)  # 补助次数, not 次数
            name = f"{verb}{obj}" if keep and verb not in obj else obj
            if not name.endswith(("数", "数量", "量")):
                name += "人数" if m.group("unit") in ("人", "名") else "数量"
            value = f"{qualified or '≥'}{m.group('num')}{m.group('mult') or ''}{m.group('unit')}"
            out.append(Figure(name, value, "11", clause))
    return out
