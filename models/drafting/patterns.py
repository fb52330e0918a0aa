"""Stage 2: indicator-name patterns mined from the whole corpus, per tier.

Drafters name indicators as ``<object><head>``: ``道路验收合格率``, ``校舍维修完成及时率``,
``村民满意度``. The heads (``验收合格率``, ``完成及时率``, ``满意度``) recur across domains;
the objects do not. So a pattern is a name suffix of whole jieba words that many tables
use after some object, with the object as a slot. Instantiated with *this* project's
object or beneficiaries, a pattern carries no other project's facts, and its typical
value (``验收合格率`` → 100% in most tables) is a rate or a date, never another
project's count.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from jixiao.corpus.normalize import name_key
from jixiao.corpus.taxonomy import merge_cost
from jixiao.models.corpus_index import CorpusIndex, IndexRow, indicator_code
from jixiao.models.drafting.relevance import table_authors
from jixiao.models.drafting.text_match import content_words, words

#: A pattern needs at least this many tables using it after some object.
MIN_SUPPORT = 3
#: Example rows kept per pattern, one per table, to choose a draft's two from.
MAX_EXAMPLES = 64
#: Tiers whose patterns take the project's object or beneficiaries as their slot. Counts
#: (11) and costs (14) need this project's numbers, which only the project text has.
SLOT_TIERS = ("12", "13", "21", "22", "23", "24", "31")
_HEAD = re.compile(r"(率|度|性|时间|比例|程度|水平|情况)$")
#: Heads that read right after a project's object (``河道清淤验收合格率``); others
#: (``合规率``, ``知晓率``) are about funds or policies and need their own subject.
OBJECT_HEADS = re.compile(r"(验收合格率|合格率|完成率|完成及时率|达标率|完好率|优良率|满意度)$")
_DIGIT = re.compile(r"\d")


@dataclass
class Pattern:
    code: str  # merged cost code: 11..31
    suffix: str  # 验收合格率
    support: int
    values: Counter[str] = field(default_factory=Counter)
    #: One row per table using it (corpus order, up to ``MAX_EXAMPLES``); a draft shows the
    #: two from the projects most related to it (``pick_examples``).
    examples: list[IndexRow] = field(default_factory=list)

    @cached_property
    def example_of_table(self) -> dict[int, IndexRow]:
        return {r.table: r for r in self.examples}

    @property
    def modifiers(self) -> frozenset[str]:
        """Content words of the suffix itself (``救助`` in ``救助比例``): they must fit the project."""
        return content_words(self.suffix)

    @property
    def template(self) -> str:
        return ("{受益对象}" if self.code == "31" else "{对象}") + self.suffix

    @cached_property
    def ranked_values(self) -> list[tuple[str, int]]:
        """``values.most_common()``, sorted once after mining (``most_common(n)`` is its first n)."""
        return self.values.most_common()


@dataclass
class Convention:
    """A tier whose rows share no name head but a habit: what they speak of, or how they are valued.

    可持续影响 (24) rows restate the project's purpose as lasting (保障医保工作正常运转 →
    持续保障, 消除安全隐患 → 持续影响); 经济效益 (21) rows of productive projects speak of
    income (助农增收, 增加收入). Support counts distinct authors (department, else table),
    so one document's nine tables are one habit, not nine.
    """

    code: str
    support: int
    values: Counter[str] = field(default_factory=Counter)
    examples: list[IndexRow] = field(default_factory=list)  # one row per author, as Pattern's

    @cached_property
    def example_of_table(self) -> dict[int, IndexRow]:
        return {r.table: r for r in self.examples}


#: 24 rows valued as lasting, and 21 rows about income: the two benefit conventions.
_LASTING_VALUE = re.compile(r"持续|长期|长效")
_INCOME_NAME = re.compile(r"增收|收入|产值")
MIN_CONVENTION_SUPPORT = 2


@dataclass
class PatternBook:
    by_code: dict[str, list[Pattern]]  # best supported first
    #: ``lasting`` (24) and ``income`` (21), when enough authors use them.
    conventions: dict[str, Convention] = field(default_factory=dict)

    #: Per tier, the patterns that take an object, with their own words: fixed once mined,
    #: so each query only tests the words against its project.
    _object_patterns: dict[str, list[tuple[Pattern, frozenset[str]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def fitting(self, code: str, fits) -> Iterator[Pattern]:  # noqa: ANN001 - fits: str -> bool
        """Patterns that take an object and whose own words (``救助`` in ``救助比例``) fit the project.

        Lazily, best supported first: a caller takes the first few of a long list.
        """
        got = self._object_patterns.get(code)
        if got is None:
            got = self._object_patterns[code] = [
                (p, p.modifiers) for p in self.by_code.get(code, []) if OBJECT_HEADS.search(p.suffix)
            ]
        return (p for p, modifiers in got if all(fits(w) for w in modifiers))

    @cached_property
    def top_support(self) -> int:
        """The support of the most used pattern: a pattern far below it ranks as weak evidence."""
        return max((p.support for ps in self.by_code.values() for p in ps), default=1)


def mine_patterns(ix: CorpusIndex, min_support: int = MIN_SUPPORT) -> PatternBook:
    """Suffixes of one to three words that end in a measure head, with their support and values."""
    rows = ix.rows
    if len(rows.table) == 0:
        return PatternBook({})
    # Distinct (tier, name, table) triples: a table repeating a name counts once.
    triples = np.unique(
        np.stack([rows.code.astype(np.int64), rows.name.astype(np.int64), rows.table.astype(np.int64)]),
        axis=1,
    )
    tables: dict[tuple[str, str], set[int]] = defaultdict(set)
    for c, n, t in triples.T.tolist():
        code = ix.code_of(c)
        if code is None:
            continue
        for suffix in _suffixes(ix.ind_texts[n]):
            tables[(merge_cost(code), suffix)].add(t)
    kept = {k: len(v) for k, v in tables.items() if len(v) >= min_support}
    patterns = {k: Pattern(k[0], k[1], n) for k, n in kept.items()}
    example_tables: dict[tuple[str, str], set[int]] = defaultdict(set)
    for r in range(len(rows.table)):
        code = ix.code(r)
        if code is None:
            continue
        row = None
        for suffix in _suffixes(ix.ind_texts[int(rows.name[r])]):
            p = patterns.get((merge_cost(code), suffix))
            if p is None:
                continue
            row = row or ix.row(r)
            if row.value:
                p.values[row.value] += 1
            if len(p.examples) < MAX_EXAMPLES and row.table not in example_tables[p.suffix, p.code]:
                example_tables[p.suffix, p.code].add(row.table)
                p.examples.append(row)
    by_code: dict[str, list[Pattern]] = defaultdict(list)
    for p in patterns.values():
        by_code[p.code].append(p)
    for items in by_code.values():
        # A longer head says more (验收合格率 over 合格率) unless far less used.
        items.sort(key=lambda p: (-p.support * len(p.suffix) ** 2, p.suffix))
    return PatternBook(dict(by_code), mine_conventions(ix))


def mine_conventions(ix: CorpusIndex, min_support: int = MIN_CONVENTION_SUPPORT) -> dict[str, Convention]:
    tests = {
        "lasting": ("24", lambda r: bool(r.value and _LASTING_VALUE.search(r.value))),
        "income": ("21", lambda r: bool(_INCOME_NAME.search(r.name))),
    }
    out: dict[str, Convention] = {}
    for key, (code, test) in tests.items():
        rows = [ix.row(r) for r in np.flatnonzero(ix.rows.code == indicator_code(code))]
        rows = [r for r in rows if test(r)]
        authors = {_author(ix, r.table) for r in rows}
        if len(authors) < min_support:
            continue
        conv = Convention(code, len(authors), Counter(r.value for r in rows if r.value))
        seen: set[str] = set()
        for r in rows:
            if len(conv.examples) < MAX_EXAMPLES and _author(ix, r.table) not in seen:
                seen.add(_author(ix, r.table))
                conv.examples.append(r)
        out[key] = conv
    return out


def pick_examples(source: Pattern | Convention, related: Sequence[int], n: int = 2) -> list[IndexRow]:
    """The ``n`` example rows a draft shows: from the projects most related to this one
    (``related``: table positions, most related first), so a school repair's
    ``{对象}验收合格率`` cites 安全隐患维修 rather than the first medical table that uses it;
    then in corpus order. Looks up at most ``len(related)`` tables, not the whole pool."""
    by_table = source.example_of_table
    picked = [by_table[t] for t in related if t in by_table][:n]
    for row in source.examples:
        if len(picked) >= n:
            break
        if all(row is not p for p in picked):
            picked.append(row)
    return picked


def _author(ix: CorpusIndex, t: int) -> str:
    """Who wrote a table, as far as the index knows: its department, else the table itself."""
    return table_authors(ix)[t]


def _suffixes(name: str) -> list[str]:
    """Word suffixes that leave an object in front: ``道路验收合格率`` → 合格率, 验收合格率."""
    key = name_key(name)
    if not key or _DIGIT.search(key):
        return []
    ws = words(key)
    out = []
    for n in (1, 2, 3):
        if len(ws) <= n:  # the slot must be filled by something in the real name
            break
        suffix = "".join(ws[-n:])
        if len(suffix) >= 2 and _HEAD.search(suffix) and not suffix.startswith("的"):
            out.append(suffix)
    return out
