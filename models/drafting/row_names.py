"""Grammar rules that turn a phrase of the project's text into an indicator row's name.

The project reader cuts a clause around its number or its verb; what is left is the
clause's own words, and a budget officer reads them as a name only when they name a thing.
Words that qualify the number (每年, 以上, 左右) belong to the value or to nothing; a
modifier ending in 的 (必要的, 完备的) says how the thing should be, not what it is; an
adjectival phrase (更加完善) is no task at all; a count's classifier (5个, 3间) counts the
noun that follows it, not the place before it. jieba's part-of-speech tags tell a noun
owner (此类人员的医疗保障 → 此类人员医疗保障) from a modifier, and its word boundaries keep
a name from starting mid-word (完备 is not 完 + 备).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import jieba.posseg as posseg

jieba.setLogLevel(logging.WARNING)

#: How often a figure recurs: part of the value's period, never of the name.
_PERIOD_ANYWHERE = re.compile(r"每(?:年度|年|季度|季|月|周|日|天|学期|学年)")
_PERIOD_EDGE = re.compile(r"^(?:全年|年均|月均|年度内|年内|当年)+|(?:全年|年均|月均|年度内|年内|当年|年度)+$")
#: Words right after a count that qualify it: 900人以上 is ≥900人, 200人以下 is ≤200人.
_VALUE_QUALIFIER = re.compile(r"^(?:以上|以下|左右|以内|之内|上下|余|多)")
_AT_MOST = ("以下", "以内", "之内")
_QUALIFIER_END = re.compile(r"(?:以上|以下|左右|以内|之内)$")
#: A quantifier before a task's object (建立一个…, 建设一批…) is not part of its name.
_QUANTIFIER_LEAD = re.compile(r"^(?:一个|一批|一套|一支|一项|一种|一系列|若干|各类|各项|多个|多项)")
#: A comparative adverb makes the phrase a quality the work should have, not a task.
_COMPARATIVE = re.compile(r"更加|更为|进一步|越来越|日益|日趋|愈加")
#: A leading verb phrase that is a relative clause however jieba tags it (符合要求的…).
_CLAUSE_VERB = re.compile(r"^(?:符合|满足|具备|达到|需要|必须|必要)")
#: Units that classify the noun after them (5个库房, 3间手术室), unlike measures (120公里).
CLASSIFIERS = frozenset("个座所栋幢间处条台套辆艘家项件盏块张口眼株棵批册份")
#: Verbs whose count of people names the people served (医疗补助发放人数, 农民培训人数).
_SERVE_VERB = re.compile(r"^(发放|资助|救助|补助|慰问|培训|帮扶|安置|表彰|奖励)(.{2,12})$")
#: ``对X进行Y``: the task is Y, X is whom it serves.
_FOR_WHOM = re.compile(r"^(?:对|为|向)(?P<who>.{2,16}?)(?:进行|给予|开展|实施)(?P<what>.{2,16})$")
#: A counted object is a noun compound: a short one, as tables name it.
_MAX_OBJECT = 8
_NOUNISH = ("n", "vn", "a", "b", "j", "l")
_TIME_LEAD = re.compile(r"^(?:上|本|当|今|明|下)(?:一)?(?:年度|学年|学期|季度|年)")
_MODIFIER_TAGS = ("v", "d", "z", "p", "c", "u")


@lru_cache(maxsize=20_000)
def _tagged(text: str) -> tuple[tuple[str, str], ...]:
    return tuple((p.word, p.flag) for p in posseg.cut(text))


def clean_name(name: str) -> str:
    """Drop period words (每年, 全年) and a trailing value qualifier (以上) from a name."""
    out = _PERIOD_ANYWHERE.sub("", name)
    out = _PERIOD_EDGE.sub("", out)
    out = _QUALIFIER_END.sub("", out)
    return out if len(out) >= 2 else name


def split_qualifier(after: str) -> tuple[str, str | None]:
    """The text after a count without its value qualifier, and the operator it implies."""
    m = _VALUE_QUALIFIER.match(after)
    if not m:
        return after, None
    return after[m.end() :], "≤" if m.group(0) in _AT_MOST else "≥"


def without_modifier(phrase: str) -> str:
    """``必要的办公设备`` → ``办公设备``; ``辖区群众的健康体检`` → ``辖区群众健康体检``.

    A noun owner before 的 stays (its 的 goes); anything else before 的 is a modifier.
    """
    if "的" not in phrase:
        return phrase
    owner, _, rest = phrase.partition("的")
    if not owner or len(rest) < 2:
        return phrase
    # A time word before 的 is no part of the name (当年新创业的 → 新创业). A verb or adverb
    # makes the rest a modifier (完备的, 必须的), and so do adjectives alone (必要的);
    # nouns, with the adjectives that narrow them (新创业), name an owner.
    tags = [(w, f) for w, f in _tagged(_TIME_LEAD.sub("", owner)) if not f.startswith("t")]
    owner = "".join(w for w, _ in tags)
    clause = any(f.startswith(_MODIFIER_TAGS) and f != "vn" for _, f in tags)
    nouns = any(f.startswith(("n", "r", "l", "i", "j")) or f == "vn" for _, f in tags)
    if nouns and not clause and not _CLAUSE_VERB.match(owner):
        return owner + rest
    return rest


def task_object(rest: str) -> str | None:
    """The object of a task clause after its verb, or None when it names no task.

    Strips a leading particle only when it is a word of its own (做好对口帮扶: 对口 is one
    word), a quantifier (一套), and a modifier ending in 的; a comparative phrase
    (功能更加完善) is a quality, not a deliverable.
    """
    first = _tagged(rest)[0][0] if rest else ""
    if first in ("好", "了", "完", "对"):
        rest = rest[1:]
    rest = _QUANTIFIER_LEAD.sub("", rest)
    if _COMPARATIVE.search(rest):
        return None
    rest = without_modifier(rest)
    return rest if len(rest) >= 2 else None


def counted_object(after: str) -> str | None:
    """The noun compound right after a classifier count: ``5个标准档案库房消防设备的…`` → 标准档案库房.

    Whole words only, up to eight characters, so the count names the thing it counts and not
    every noun behind it.
    """
    out = ""
    for word, flag in _tagged(after):
        if not flag.startswith(_NOUNISH) or len(out) + len(word) > _MAX_OBJECT:
            break
        out += word
    has_noun = any(f.startswith("n") for w, f in _tagged(out)) if out else False
    return out if len(out) >= 2 and has_noun else None


def people_count_name(phrase: str) -> str | None:
    """A count of people served, named from the phrase before it: ``对X进行发放医疗补助`` → 医疗补助发放.

    None when the phrase is no service to people.
    """
    m = _FOR_WHOM.match(phrase)
    what = m.group("what") if m else phrase
    if v := _SERVE_VERB.match(what):
        return v.group(2) + v.group(1)
    return what if m else None

