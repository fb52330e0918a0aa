"""Stage 1: what the project says about itself.

An experienced budget officer starts from the project's own text: the deliverables and
numbers it states (``完成农村公路日常养护120公里``), whom it serves (``村民``, ``师生``), the
effects it promises (``提升路况水平``), its deadline, budget and year. These are the most
trustworthy indicators a draft can have, because every number in them is the drafter's own.
Pure functions of the query: regular expressions for quantities, jieba for words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.values import parse_amount
from jixiao.models.drafting.beneficiaries import BENEFICIARIES, beneficiaries
from jixiao.models.drafting.counting_units import MEASURE, PERSON_UNITS, QTY
from jixiao.models.drafting.row_names import (
    CLASSIFIERS,
    clean_name,
    counted_object,
    people_count_name,
    split_qualifier,
    task_object,
)
from jixiao.models.drafting.stated_figures import split_numbered, stated_figures
from jixiao.models.drafting.text_match import content_words, words
from jixiao.models.suggest_schema import ProjectQuery

_LEAD = re.compile(r"^(?:全年|年度内|年内|计划|预计|力争|累计|共计|共|合计|约|完成|实现|新增|其中)+")
_MEASURE_END = re.compile(r"(数量|数|量|面积|里程|长度|人次|规模)$")
_DIGITS = re.compile(r"\d")
_OBJECT_AFTER = re.compile(r"([\u4e00-\u9fff]{2,12}?)(?=以及|及|和|、|完成|进行|实施|\d|$)")
_CODE_PREFIX = re.compile(r"^(?:[0-9A-Za-z]{8,}\s*[-—_－]\s*|\d+(?![\d.年\-—~至到])(?:名|个|户|人|家)?(?=[\u4e00-\u9fff]{4,}))")
_CLAUSES = re.compile(r"[，,。；;、！!？?\n]+")
_YEAR_PREFIX = re.compile(r"^\s*(?:(?:19|20)\d{2}\s*[-—~至到]\s*)?((?:19|20)\d{2})\s*年度?")
_NAME_SUFFIX = re.compile(
    r"(工程|项目|专项资金|专项经费|补助资金|补助经费|资金|经费|补助|补贴|专项|工作|建设)$"
)
#: A place (…省/市/区/县/州/旗 before at least four more characters), a year, the funding
#: level (中央/省级/市级…) or 支持 at the head of a project name.
_CORE_LEAD = re.compile(
    r"^(?:[\u4e00-\u9fff]{1,4}?(?<!城)(?:省|市|区|县|州|旗|自治区)+(?![委级内直属场民政])(?=.{4,})"
    r"|(?:19|20)\d{2}\s*年度?|中央|省级|市级|县级|区级|州级|本级|支持|关于)"
)
_GRANT = re.compile(r"(补贴|补助|津贴|助学金|奖补|奖励|救助)(?:资金|经费|专项资金|项目|金)*$")
_EFFECT = re.compile(
    r"^(?:进一步|有效|切实|持续|全面|不断)?(提升|提高|改善|保障|促进|增强|减少|降低|方便|确保|优化|美化|消除|缓解|维护|发挥|减轻|巩固|激发|带动|满足|丰富|推动|稳定|增加|扩大|鼓励)(.{2,30})$"
)
#: Clauses that state a deliverable by its verb (开展医疗救助, 组织干部业务培训).
_TASK = re.compile(
    r"^(?:按时|按期|按规定|全面|认真|及时|切实|积极|年内|全年|深入|持续|大力)?(?:开展|组织|实施|完成|推进|落实|举办|做好|"
    r"建设|新建|改造|修缮|维修|维护|购置|采购|安装|编制|建立|组建|培训|资助|发放|救助|提供|加大|加强|扶持|"
    r"补助|排查|整治|治理|推广|打击|宣传|监测|检测|抽检|巡查|印制|制作|支持)(.{2,24})$"
)
#: ``为残疾人提供基本康复服务``, ``对特殊学校残疾贫困学生进行资助``: the service or support is the task.
_TASK_FOR = re.compile(r"^(?:为|向)(?P<who>.{2,12}?)提供(?P<what>.{2,20})$")
_TASK_TO = re.compile(r"^对(?P<who>.{2,16}?)(?:进行|给予|开展|实施)(?P<what>.{2,12})$")
#: What a clause says before its task: numbering (目标1:, 1., (2)), a year, a plan.
_TASK_LEAD = re.compile(
    r"^(?:目标\s*\d+\s*[:：]?|\d+\s*[.、)）]|[(（]\d+[)）]|[一二三四五六七八九十]+[是、.])?\s*"
    r"(?:(?:19|20)\d{2}\s*年度?)?(?:计划|预计|拟|通过项目实施)?"
)
#: ``主要用于文物修缮、宣传、文创产品开发等支出``: each listed use is a deliverable.
_USES = re.compile(r"用于(?P<items>[^，,。；;：:\n]{2,80})")
#: ``做好安全生产、防灾减灾救灾工作``: a list of tasks under one verb.
_TASK_LIST = re.compile(
    r"(?:开展|做好|加强|组织|推进|落实)(?P<items>[^，,。；;：:\n、]{2,30}(?:、[^，,。；;：:\n、]{2,30})+?)"
    r"等?(?:工作|任务|活动)"
)
_USES_END = re.compile(r"(?:等+)?(?:方面|相关)?(?:的)?(?:支出|开支|费用|工作)?$")
#: Listed uses that are the budget's lines, not deliverables (人员经费, 办公经费).
_NOT_A_DELIVERABLE = re.compile(r"(人员|经费|费用|费|支出|开支|工资|津贴|资金)$")
MAX_TASKS = 5
_DEADLINE = re.compile(
    r"(?:(?P<y>(?:19|20)\d{2})\s*年)?\s*(?P<m>\d{1,2})\s*月(?:\s*(?P<d>\d{1,2})\s*日)?\s*(?:底|末)?\s*(?:前|之前|以前)"
)
_AMOUNT_IN_TEXT = re.compile(
    r"(?:预算|投资|资金|经费|金额)[^，。；\d]{0,6}(\d+(?:\.\d+)?\s*(?:亿元|万元|元))"
)
_ECOLOGY = re.compile(r"生态|环境|水质|绿化|排放|污染|水土|植被|空气|河湖|湿地")
_ECONOMY = re.compile(r"收入|增收|产值|经济|效益|成本节约|营收|就业")


@dataclass(frozen=True)
class Quantity:
    """A deliverable with its number, as stated: ``农村公路日常养护里程 ≥120公里``."""

    name: str
    value: str  # operator + number + unit
    phrase: str  # the clause it was read from
    #: 11 for a count; a stated rate is 12, an effect stated with its size 21/22/23.
    code: str = "11"


@dataclass(frozen=True)
class Task:
    """A deliverable stated without a number: ``组织干部业务培训`` → ``干部业务培训``."""

    name: str
    phrase: str


@dataclass(frozen=True)
class Effect:
    """A promised effect without a number: ``提升路况水平`` → name ``路况水平``, verb ``提升``."""

    name: str
    verb: str
    code: str  # 21 / 22 / 23
    phrase: str


@dataclass
class ProjectFacts:
    name: str
    core: str | None  # the object the project works on: 农村公路养护
    year: int
    amount: float | None
    amount_phrase: str | None
    quantities: list[Quantity] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    beneficiaries: list[str] = field(default_factory=list)
    deadline: str | None = None  # as stated, e.g. 10月底前
    deadline_phrase: str | None = None
    #: Every content word of the name and goal: what rows must be about to fit.
    vocabulary: frozenset[str] = frozenset()
    text: str = ""
    #: False when the year is only today's: the goal text then quotes no year.
    year_stated: bool = False
    #: What a subsidy project pays out (补贴, 补助, 津贴…), read from the end of its name.
    grant: str | None = None

    @property
    def generic(self) -> bool:
        return not self.core


def read_project(q: ProjectQuery, today: date | None = None) -> ProjectFacts:
    today = today or date.today()
    name = normalize_text(q.name or "")
    goal = normalize_text(q.goal or "")
    # With the counts taken out too, so 全校师生 (from 全校1500名师生) is the project's wording.
    text = f"{name}。{goal}。{QTY.sub('', goal)}" if goal else name
    stated_year = q.year or _stated_year(name) or _stated_year(goal)
    year = stated_year or today.year
    amount, amount_phrase = q.amount, None
    if amount is None:
        m = _AMOUNT_IN_TEXT.search(goal)
        if m:
            amount, amount_phrase = parse_amount(m.group(1)), m.group(0)
    facts = ProjectFacts(
        name=name,
        core=project_core(name),
        year=year,
        amount=amount,
        amount_phrase=amount_phrase,
        vocabulary=content_words(text),
        text=text,
        year_stated=stated_year is not None,
    )
    m = _GRANT.search(re.sub(r"[（(][^）)]*[）)]", "", name).strip())
    # Paid out to people (补贴, 津贴, or a text that says 发放), not a transfer to a programme.
    if m and (m.group(1) in ("补贴", "津贴", "助学金") or "发放" in text):
        facts.grant = m.group(1)
    previous = facts.core or ""
    for item, phrase in _uses(goal)[:MAX_TASKS]:
        facts.tasks.append(Task(item, phrase))
    for clause in (c.strip() for c in _CLAUSES.split(split_numbered(goal))):
        if not clause:
            continue
        figures = [
            Quantity(f.name, f.value, f.phrase, f.code) for f in stated_figures(clause, _ECONOMY, _ECOLOGY)
        ]
        for qty in figures or _quantities(clause, previous):
            facts.quantities.append(qty)
            previous = qty.name if qty.code == "11" else previous
        # An effect may carry a count (保障全校1500名师生教学安全): the count is read above,
        # the effect is what is left without it. A clause read as figures is done: its number
        # is a row's value, and a name with a number in it (脱贫户收入10.9万元) is no indicator.
        if figures:
            pass
        elif (m := _EFFECT.match(_effect_clause(clause))) and not _DIGITS.search(m.group(2)):
            facts.effects.append(_effect(m.group(1), m.group(2), clause))
        elif QTY.search(clause) and len(facts.tasks) < MAX_TASKS and (task := _task_after_count(clause)):
            facts.tasks.append(Task(task, clause))
        elif not QTY.search(clause) and len(facts.tasks) < MAX_TASKS:
            for task in _tasks(clause):
                if len(facts.tasks) < MAX_TASKS and all(task != t.name for t in facts.tasks):
                    facts.tasks.append(Task(task, clause))
        if facts.deadline is None and (m := _DEADLINE.search(clause)):
            facts.deadline, facts.deadline_phrase = m.group(0), clause
        facts.beneficiaries += [b for b in beneficiaries(clause) if b not in facts.beneficiaries]
    if not facts.core and facts.quantities:
        facts.core = _object_of(facts.quantities[0].name)
    return facts


def project_core(name: str) -> str | None:
    """The object of the project name: ``2026年农村公路养护工程`` → ``农村公路养护``.

    None when nothing specific is left (``2026年专项资金``): the draft is then generic.
    """
    # A budget code (51000021R000000019951-), a hotline (12350) or a head count (19名) leads
    # some names: no object, and a number in every pattern row's name.
    core = _CODE_PREFIX.sub("", normalize_text(name)).strip()
    core = _YEAR_PREFIX.sub("", core).strip()
    core = re.sub(r"[（(][^）)]*[）)]", "", core).strip()
    # Where and by whom, not what: 隆阳区2021年中央… → …, 支持西青区国有企业… → 国有企业…
    for _ in range(3):
        stripped = _CORE_LEAD.sub("", core)
        if stripped == core or len(stripped) < 4 or not content_words(_NAME_SUFFIX.sub("", stripped)):
            break
        core = stripped
    for _ in range(3):
        stripped = _NAME_SUFFIX.sub("", core)
        if stripped == core or len(stripped) < 2:
            break
        core = stripped
    if _NAME_SUFFIX.fullmatch(core) or not content_words(core):
        return None
    return core


def _stated_year(text: str) -> int | None:
    m = re.search(r"((?:19|20)\d{2})\s*年", text)
    return int(m.group(1)) if m else None


def _quantities(clause: str, previous: str) -> list[Quantity]:
    out = []
    start = 0
    for m in QTY.finditer(clause):
        before = clause[start : m.start()]
        start = m.end()
        unit = m.group("unit")
        number = m.group("num") + (m.group("mult") or "")
        after, qualified = split_qualifier(clause[m.end() :])  # 900人以上: 以上 is the value's
        op = qualified or ("≤" if re.search(r"不超过|以内|控制在", clause) else "≥")
        phrase = clean_name(_LEAD.sub("", _TASK_LEAD.sub("", before.strip())).strip())
        if len(phrase) > 20:
            continue  # a sentence, not the name of a deliverable
        if unit in PERSON_UNITS:
            who = next(
                (w for w in words(after)[:1] if len(w) >= 2 and w in BENEFICIARIES | content_words(w)), None
            )
            if who:
                measure = "户数" if unit == "户" else ("人次" if unit == "人次" else "人数")
                out.append(Quantity(f"受益{who}{measure}", f"{op}{number}{unit}", clause))
                continue
            phrase = people_count_name(phrase) or phrase
        if (not phrase or phrase.endswith("的") or not content_words(phrase)) and (obj := _object_after(after)):
            phrase = obj  # 2台服务器托管服务, 符合要求的12个住宅小区: the object follows the count
        elif unit in CLASSIFIERS and (obj := counted_object(after)):
            phrase = obj  # 市档案馆5个标准档案库房: a classifier counts the noun after it, not the place
        if not phrase:
            phrase = previous
        if not phrase or not content_words(phrase):
            continue
        measure = MEASURE.get(unit, "数量")
        name = phrase if _MEASURE_END.search(phrase) else phrase + measure
        out.append(Quantity(name, f"{op}{number}{unit}", clause))
    return out


def _object_after(after: str) -> str | None:
    m = _OBJECT_AFTER.match(after)
    return m.group(1) if m and content_words(m.group(1)) else None


def _task_after_count(clause: str) -> str | None:
    """``…12个住宅小区以及城中村完成天然气管道改造``: the task stated after the count."""
    tail = clause[[m.end() for m in QTY.finditer(clause)][-1] :]
    m = re.search(r"(?:完成|实施|开展|进行)(.{2,16})$", tail)
    task = _task_name(m.group(1)) if m else None
    return task if task and content_words(task) and not _DIGITS.search(task) else None


def _tasks(clause: str) -> list[str]:
    """The deliverables a clause states without a number, by verb, by beneficiary or as uses."""
    c = _TASK_LEAD.sub("", clause).strip()
    if m := _TASK_FOR.match(c):
        task = _task_name(m.group("what"))
    elif m := _TASK_TO.match(c):
        task = _task_name(m.group("who") + m.group("what"))
    elif m := _TASK.match(c):
        task = _task_name(m.group(1))
        if task and len(task) < 3:
            return []  # 资助智力、精神… : the head of a list, not a deliverable
    else:
        return []
    return [task] if task and content_words(task) and not _DIGITS.search(task) else []


def _uses(goal: str) -> list[tuple[str, str]]:
    """``主要用于文物修缮、宣传、文创产品开发等支出`` → 文物修缮, 宣传, 文创产品开发 (with the phrase).

    A list of tasks after their verb (``开展…业务评估、法律服务、…宣传等工作``) is read the same way.
    """
    out = []
    matches = [*_USES.finditer(goal), *_TASK_LIST.finditer(goal)]
    for m in sorted(matches, key=lambda m: m.start()):
        items = _USES_END.sub("", m.group("items"))
        for item in re.split(r"[、及和与]", items):
            item = item.strip()
            if _deliverable(item):
                out.append((item, m.group(0)))
    return out


def _deliverable(item: str) -> bool:
    return 2 <= len(item) <= 16 and bool(content_words(item)) and not _NOT_A_DELIVERABLE.search(item)


def _task_name(rest: str) -> str | None:
    """The object of a task clause, cut at a purpose (``，以…``/``为…``) and trailing particles."""
    rest = re.split(r"(?:工作|任务|等|的)$", rest)[0]
    rest = re.sub(r"(?:力度|水平|一批|一套|若干)$", "", rest)
    return task_object(rest)


def _effect_clause(clause: str) -> str:
    """The clause as an effect reads: without counts, numbering (目标1:, 1.) or a paired verb (保持和稳定)."""
    c = _TASK_LEAD.sub("", QTY.sub("", clause)).strip()
    return re.sub(r"^(?:通过[^，,]{0,20}?(?=提高|提升|改善)|保持和|巩固和|维护和)", "", c)


def _effect(verb: str, what: str, clause: str) -> Effect:
    code = "23" if _ECOLOGY.search(what) else "21" if _ECONOMY.search(what) else "22"
    return Effect(name=what, verb=verb, code=code, phrase=clause)


def _object_of(name: str) -> str | None:
    return _MEASURE_END.sub("", name) or None
