"""The goal text against the indicators: 完整性 of the goal, and 相关性 both ways.

A reviewer reads the goal (绩效目标) and then the indicators: every deliverable and every
number the goal promises should be measured by some indicator, and a quantity indicator
about something the goal never mentions is suspicious. Matching is by shared numbers
and shared character bigrams (after dropping words every table uses), which is crude
but transparent: the message quotes the words that found no match.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.review_rules import Finding, Rule, Severity, row_finding, table_finding
from jixiao.corpus.schema import GoalTable

#: A goal shorter than this says nothing a reviewer can check.
MIN_GOAL_CHARS = 12
#: Indicators that only restate that the unit works: they measure nothing of the project.
BOILERPLATE_RE = re.compile(
    r"保障.{0,8}(正常|顺利)(运转|开展|运行|进行)|(工作|业务)(顺利|正常|有序)(开展|运转|推进|进行)"
    r"|维持.{0,6}正常运转|确保.{0,8}(顺利|正常)|提高工作效率|提升服务(水平|质量)$|促进.{0,8}事业发展$"
    r"|完成.{0,4}(工作|任务)$|履行.{0,6}职能"
)
_GOAL_BOILERPLATE = re.compile(r"保障|确保|正常|顺利|运转|开展|工作|提高|提升|促进|推动|加强|进一步")
#: Words every goal and indicator uses: they would make everything match everything.
_STOP = (
    "工作",
    "项目",
    "开展",
    "完成",
    "提高",
    "提升",
    "保障",
    "实施",
    "相关",
    "有效",
    "进一步",
    "确保",
    "数量",
    "人数",
    "次数",
    "个数",
    "情况",
    "按时",
    "及时",
    "年度",
    "全年",
    "本年",
    "指标",
    "目标",
    "资金",
    "经费",
    "专项",
    "以上",
    "不少",
    "达到",
    "服务",
    "水平",
    "质量",
    "合格",
    "完成率",
)
#: Verbs that introduce a deliverable in a goal text (建设X, 发放X, 培训X).
_DELIVER = re.compile(
    r"(完成|建设|新建|改建|扩建|改造|维修|修缮|采购|购置|发放|培训|举办|资助|救助|补助|清淤|养护|配备|安装|"
    r"整治|治理|修复|种植|新增|慰问|免费提供|印制)"
    r"(?P<obj>[\u4e00-\u9fff]{2,12})"
)
_NUMBER = re.compile(
    r"(?<![\d.])(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>万人次|万人|人次|人|户|次|个|所|公里|千米|米|平方米|亩|吨|台|套|家|项|场|期|册|份|间|座|辆|处|条|%)"
)
#: A goal's number may be split over rows (屋面3,200 = 屋面2,000 + 外墙1,200): sums of this many
#: rows in the same unit count as covering it. Percentages never add up. Only the first
#: ``MAX_PARTS`` values in that unit are combined, which bounds the work on a 500-row table.
MAX_SUMMANDS = 3
MAX_PARTS = 30
#: Characters of the goal's clause quoted before its number; longer clauses start with “…”.
QUOTE_CHARS = 16
#: Quantity words that may follow a verb before its object (救助不少于…).
_LEAD = re.compile(r"^(不少于|不低于|不超过|达到|约|共|累计|全部|各类|了)+")
_NUM_IN = re.compile(r"\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]+")


#: Texts up to this long (indicator names, values, deliverable objects) are memoised:
#: they recur across the rows and tables of every upload (满意度, ≥95%); a goal is longer.
_SHORT_TEXT = 64


def _bigrams(*parts: str) -> frozenset[str]:
    """Character bigrams of the parts joined by spaces, without the stop words.

    Computed part by part and united: neither a stop word nor a CJK run spans the space
    between two parts, so the union equals the set of the joined text (tested), and a
    short part, seen before, costs a lookup.
    """
    if len(parts) == 1:
        return _part_bigrams(parts[0])
    out: set[str] = set()
    for part in parts:
        out |= _part_bigrams(part)
    return frozenset(out)


def _part_bigrams(text: str) -> frozenset[str]:
    return _short_bigrams(text) if len(text) <= _SHORT_TEXT else _text_bigrams(text)


def _text_bigrams(text: str) -> frozenset[str]:
    t = text
    for w in _STOP:
        t = t.replace(w, " ")
    grams: set[str] = set()
    for run in _CJK.findall(t):
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(grams)


_short_bigrams = lru_cache(maxsize=4096)(_text_bigrams)


def _numbers(text: str) -> set[float]:
    return {float(n) for n in _NUM_IN.findall(text)}


def goal_text(table: GoalTable) -> str:
    return normalize_text(" ".join(g for g in (table.period_goal, table.annual_goal) if g))


def check_goal(table: GoalTable) -> list[Finding]:
    """完整性 of the goal: present, and specific enough to check indicators against."""
    goal = goal_text(table)
    if not goal:
        return [
            table_finding(
                table.id,
                Rule.MISSING_GOAL,
                Severity.ERROR,
                "未填写绩效目标（年度目标或实施周期总目标）",
                "goal",
            )
        ]
    content = "".join(_CJK.findall(_GOAL_BOILERPLATE.sub("", goal)))
    if len(goal) < MIN_GOAL_CHARS or (not _NUM_IN.search(goal) and len(content) < MIN_GOAL_CHARS):
        return [
            table_finding(
                table.id,
                Rule.VAGUE_GOAL,
                Severity.WARNING,
                f"绩效目标“{goal[:40]}”过于笼统，应写明做什么、做多少、达到什么效果",
                "goal",
            )
        ]
    return []


def check_goal_coverage(table: GoalTable) -> list[Finding]:
    """Numbers and deliverables in the goal with no indicator measuring them (相关性)."""
    goal = goal_text(table)
    if not goal or not table.indicators:
        return []
    ind_parts = [p for i in table.indicators for p in (i.name, i.period_value or "", i.annual_value or "")]
    ind_numbers = _numbers(" ".join(ind_parts))
    ind_grams = _bigrams(*ind_parts)  # the bigrams of the parts joined by spaces
    by_unit = _values_by_unit(table)
    out: list[Finding] = []
    reported: set[str] = set()
    for m in _NUMBER.finditer(goal):
        number = float(m.group("num"))
        if number in ind_numbers or _sums_to(number, by_unit.get(m.group("unit"), [])):
            continue
        phrase = _quote(goal, m)
        if phrase in reported:
            continue
        reported.add(phrase)
        out.append(
            table_finding(
                table.id,
                Rule.GOAL_NOT_COVERED,
                Severity.WARNING,
                f"绩效目标中的“{phrase}”没有对应的量化指标",
                "goal",
            )
        )
    for m in _DELIVER.finditer(goal):
        obj = _LEAD.sub("", m.group("obj"))
        grams = _bigrams(obj)
        if not grams or grams & ind_grams or m.group(0) in reported:
            continue
        reported.add(m.group(0))
        out.append(
            table_finding(
                table.id,
                Rule.GOAL_NOT_COVERED,
                Severity.INFO,
                f"绩效目标提到“{m.group(0)}”，但没有指标衡量它",
                "goal",
            )
        )
    return out[:6]


def _quote(goal: str, m: re.Match[str]) -> str:
    """The goal's clause up to the number, cut on the left so the message stays short."""
    clause = re.split(r"[，,；;。、]", goal[: m.end()])[-1].strip()
    head = len(clause) - len(m.group(0))
    return clause if head <= QUOTE_CHARS else "…" + clause[head - QUOTE_CHARS :]


def _values_by_unit(table: GoalTable) -> dict[str, list[float]]:
    """The numbers of the rows' values (annual, else period) per unit, the first ``MAX_PARTS``
    of each; per cents are left out, since they never add up."""
    out: dict[str, list[float]] = {}
    for ind in table.indicators:
        for m in _NUMBER.finditer(ind.annual_value or ind.period_value or ""):
            parts = out.setdefault(m.group("unit"), [])
            if m.group("unit") != "%" and len(parts) < MAX_PARTS:
                parts.append(float(m.group("num")))
    return out


def _sums_to(number: float, parts: list[float]) -> bool:
    """Whether two or three of ``parts`` (row values in the goal number's unit) add up to it."""
    return any(
        abs(sum(c) - number) < 1e-6 * max(1.0, number)
        for k in range(2, min(MAX_SUMMANDS, len(parts)) + 1)
        for c in combinations(parts, k)
    )


def check_indicator_relevance(table: GoalTable, codes: list[str | None]) -> list[Finding]:
    """Boilerplate indicators, and quantity indicators about something the goal never mentions."""
    goal = goal_text(table) if not check_goal(table) else ""  # a vague goal cannot rule an indicator out
    context = _bigrams(goal, table.project or "")
    out: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        name = normalize_text(ind.name)
        if BOILERPLATE_RE.search(name):
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.BOILERPLATE_INDICATOR,
                    Severity.WARNING,
                    f"“{ind.name}”是通用表述，不能反映本项目的产出或效果，建议改为具体、可衡量的指标",
                    "name",
                )
            )
            continue
        code = codes[i] if i < len(codes) else None
        if not goal or code != "11":
            continue
        grams = _bigrams(name)
        if grams and not grams & context:
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.OFF_GOAL_INDICATOR,
                    Severity.INFO,
                    f"数量指标“{ind.name}”在绩效目标和项目名称中都没有提到，请确认它属于本项目",
                    "name",
                )
            )
    return out
