"""Request and response models of the suggestion service.

Separate from ``suggest.py`` because the HTTP layer and the evaluation harness import
these shapes without wanting FAISS or the embedding model loaded.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from jixiao.corpus.schema import Amount, Year
from jixiao.corpus.taxonomy import TIERS, Scheme

#: Longest project text (name + goal) a query may carry before it is cut. A goal table's
#: goal is a paragraph; ten thousand characters is a pasted document, not a goal.
MAX_QUERY_CHARS = 10_000


class ProjectQuery(BaseModel):
    """A project being drafted: what the drafter knows before writing indicators."""

    name: str
    goal: str | None = None
    amount: Amount | None = None  # 元
    unit: str | None = None  # implementing unit / department
    year: Year | None = None
    scheme: Scheme | None = None


class Evidence(BaseModel):
    """One source row a suggestion rests on, so a reviewer can check where it came from."""

    table_id: str
    project: str | None = None
    indicator_name: str
    value: str | None = None
    #: Cosine of the project text with the source project (a similar project's row) or with
    #: the indicator name (a name retrieved directly from the project text).
    similarity: float


class Suggestion(BaseModel):
    name: str
    code: str
    level1: str
    level2: str
    suggested_value: str | None = None
    value_distribution: dict[str, int] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    #: Distinct tables among the collected rows: similar projects using it, plus the tables
    #: of its directly retrieved names (at most ``postings_cap`` per name). 0 when weak.
    support: int = 0
    score: float = 0.0
    #: True when nothing similar backs it: a tier the scheme requires was filled from the
    #: corpus-wide most frequent indicators of that tier.
    weak: bool = False
    variants: list[str] = Field(default_factory=list)


class SimilarProject(BaseModel):
    table_id: str
    project: str | None = None
    department: str | None = None
    goal: str | None = None
    amount: float | None = None
    similarity: float


class SuggestedTable(BaseModel):
    query: ProjectQuery
    scheme: Scheme
    goal_text: str
    #: Tier code → suggestions ranked best first; codes in taxonomy order.
    tiers: dict[str, list[Suggestion]] = Field(default_factory=dict)
    similar_projects: list[SimilarProject] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def suggestions(self) -> list[Suggestion]:
        return [s for code in self.tiers for s in self.tiers[code]]

    def covered_level1(self) -> set[str]:
        return {TIERS[c].level1_code for c, items in self.tiers.items() if items}
