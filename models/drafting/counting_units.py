"""The counting units a project's own text states its deliverables in.

``完成农村公路日常养护120公里`` is a deliverable because ``公里`` counts something; ``120万元`` is
not, because money is the budget, not an output. The list and the measure each unit names
(``公里`` → 里程) are vocabulary, kept apart from the reading logic that uses them.
"""

from __future__ import annotations

import re

#: Counting units a deliverable is stated in, longest first so ``万平方米`` wins over ``米``.
UNITS = sorted(
    [
        "公里",
        "千米",
        "延米",
        "平方米",
        "平米",
        "立方米",
        "方",
        "亩",
        "公顷",
        "米",
        "吨",
        "人次",
        "人",
        "名",
        "户",
        "家",
        "个",
        "栋",
        "幢",
        "座",
        "所",
        "间",
        "处",
        "条",
        "项",
        "台",
        "套",
        "辆",
        "艘",
        "次",
        "场",
        "期",
        "批",
        "件",
        "份",
        "册",
        "株",
        "棵",
        "口",
        "眼",
        "盏",
        "块",
        "张",
        "km",
    ],
    key=len,
    reverse=True,
)
#: A stated quantity, not a rate (``合格率``) and not a duration (``3个月``).
QTY = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<mult>万|千|百|亿)?(?P<unit>"
    + "|".join(UNITS)
    + r")(?![\u4e00-\u9fff]*率)(?!月|工作日|小时)"
)
#: What an indicator counted in a unit measures (``公里`` → ``里程``); others are ``数量``.
MEASURE = {
    "公里": "里程",
    "千米": "里程",
    "km": "里程",
    "米": "长度",
    "延米": "长度",
    "平方米": "面积",
    "平米": "面积",
    "亩": "面积",
    "公顷": "面积",
    "立方米": "量",
    "方": "量",
    "吨": "量",
    "人": "人数",
    "名": "人数",
    "人次": "人次",
    "户": "户数",
    "家": "数量",
    "次": "次数",
    "场": "场次",
    "期": "期数",
}
PERSON_UNITS = ("人", "名", "人次", "户")
