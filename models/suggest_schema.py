"""Request and response models of the suggestion service.

Separate from ``suggest.py`` because the HTTP layer and the evaluation harness import
these shapes without wanting FAISS or the embedding model loaded.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from jixiao.corpus.review import Finding
from jixiao.corpus.schema import Amount, Year
from jixiao.corpus.taxonomy import TIERS, Scheme

#: Longest project text (name + goal) a query may carry before it is cut. A goal table's
#: goal is a paragraph; ten thousand characters is a pasted document, not a goal.
MAX_QUERY_CHARS = 10_000

#: Budget years a query may name: tables are drafted for this year or a few ahead.
MIN_YEAR = 2000
MAX_YEARS_AHEAD = 10

#: Where a suggestion came from. The LLM step (a later stage) adds ``llm``.
Origin = Literal["project", "pattern", "corpus"]


class ProjectQuery(BaseModel):
    """A project being drafted: what the drafter knows before writing indicators."""

    name: str
    goal: str | None = None
    amount: Amount | None = None  # 元
    unit: str | None = None  # implementing unit / department
    year: Year | None = None
    scheme: Scheme | None = None

    _amount = field_validator("amount")(lambda cls, v: check_amount(v))
    _year = field_validator("year")(lambda cls, v: check_year(v))


def check_amount(v: float | None) -> float | None:
    """A budget in 元 must be positive and plausible; NaN fails both comparisons and is refused too."""
    if v is not None and not (0 < v < 1e13):
        raise PydanticCustomError("amount_invalid", "预算金额应为大于 0 的合理数值（单位：元）")
    return v


def check_year(v: int | None) -> int | None:
    last = date.today().year + MAX_YEARS_AHEAD
    if v is not None and not (MIN_YEAR <= v <= last):
        raise PydanticCustomError(
            "year_invalid", "预算年度应在 {lo} 至 {hi} 年之间", {"lo": MIN_YEAR, "hi": last}
        )
    return v


class Evidence(BaseModel):
    """One source row a suggestion rests on, so a reviewer can check where it came from."""

    table_id: str
    project: str | None = None
    indicator_name: str
    value: str | None = None
    #: How related the source project is to this one, 0..1 (shared content words weighted
    #: by rarity, plus the cosine's place among all projects); unrelated projects score ~0.
    relevance: float = 0.0
    #: Raw cosine of the project text with the source project or indicator name (for reference).
    similarity: float = 0.0


class PatternEvidence(BaseModel):
    """A corpus-wide indicator pattern, e.g. ``{对象}验收合格率``, with how many tables use it."""

    pattern: str
    #: Distinct tables whose indicator names end with this pattern.
    support: int
    #: Most common values among those rows, most used first.
    typical_values: dict[str, int] = Field(default_factory=dict)
    #: The slot filler taken from this project (its object or beneficiaries); None when generic.
    slot: str | None = None


class Suggestion(BaseModel):
    #: Stable within one draft (``p1``, ``t3``, ``c7``): what an LLM step cites.
    id: str = ""
    origin: Origin = "corpus"
    name: str
    code: str
    level1: str
    level2: str
    suggested_value: str | None = None
    value_distribution: dict[str, int] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    #: Distinct tables backing it: source tables of a corpus row, tables using a pattern;
    #: 0 for the project's own facts and placeholders.
    support: int = 0
    score: float = 0.0
    #: True for a generic row: a pattern with no object of this project in it, or a
    #: placeholder the self-check added for a required tier (support 0), to be completed.
    weak: bool = False
    variants: list[str] = Field(default_factory=list)
    #: 0..1; lists are sorted by it. Project facts 1.0, patterns by support, corpus rows by
    #: the relevance of the projects they come from.
    relevance: float = 0.0
    #: ``project``: the phrase of the project text the indicator was read from.
    source_phrase: str | None = None
    #: ``pattern``: the pattern with its support and two example rows in ``evidence``.
    pattern: PatternEvidence | None = None
    #: How the value was set, in Chinese (``项目文本所述``, ``预算年度内``, ``不超过预算``...).
    value_basis: str | None = None
    #: True when the value is a qualitative phrase rather than a number or a date.
    qualitative: bool = False


class SimilarProject(BaseModel):
    table_id: str
    project: str | None = None
    department: str | None = None
    goal: str | None = None
    amount: float | None = None
    #: 0..1, comparable across queries (see ``Evidence.relevance``); the list is sorted by it.
    relevance: float = 0.0
    similarity: float = 0.0


class SuggestedTable(BaseModel):
    query: ProjectQuery
    scheme: Scheme
    goal_text: str
    #: Tier code → suggestions ranked best first; codes in taxonomy order.
    tiers: dict[str, list[Suggestion]] = Field(default_factory=dict)
    similar_projects: list[SimilarProject] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    #: The budget year the values are set in (the query's, the one in the name, or this year).
    year: int | None = None
    #: Review findings the self-check could not repair (none when the draft passes).
    findings: list[Finding] = Field(default_factory=list)
    #: True when no object was recognised in the project text: the draft is generic patterns.
    generic: bool = False
    #: The chosen rows and the best other candidates (60 in all at most), with stable ids,
    #: most relevant first: what an LLM step may cite and choose from.
    candidates: list[Suggestion] = Field(default_factory=list)

    @property
    def suggestions(self) -> list[Suggestion]:
        return [s for code in self.tiers for s in self.tiers[code]]

    def covered_level1(self) -> set[str]:
        return {TIERS[c].level1_code for c, items in self.tiers.items() if items}
