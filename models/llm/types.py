"""Typed records between the assistant's stages: candidates in, model answer, checked draft out.

Kept apart from the backends and the drafter so the validator is a pure function over
these types, and so the seam to the drafting pipeline is one adapter
(``candidates_from_suggested``) rather than a dependency on its internals.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from jixiao.corpus.taxonomy import Scheme

#: Where a row came from. The drafter's origins, plus ``llm`` for a change the model made
#: that survived validation.
Origin = Literal["project", "pattern", "corpus", "llm"]
#: What became of the model's answer: taken as it came, taken after one repair round, or
#: dropped for the grounded draft.
Status = Literal["accepted", "repaired", "fallback"]


class Candidate(BaseModel):
    """One grounded suggestion the model may choose, under a stable id it must cite."""

    model_config = ConfigDict(frozen=True)

    id: str
    code: str
    name: str
    value: str | None = None
    origin: Origin = "corpus"
    weak: bool = False
    #: Texts whose numbers the model may reuse when it cites this candidate: its name,
    #: values, the names and values of its source rows.
    grounding: tuple[str, ...] = ()


class DraftContext(BaseModel):
    """Everything the validator needs to judge an answer, and to fall back without the model."""

    project_name: str
    project_goal: str | None = None
    amount: float | None = None
    year: int | None = None
    unit: str | None = None
    scheme: Scheme = Scheme.A
    candidates: list[Candidate]
    grounded_goal: str

    def candidate(self, cid: str) -> Candidate | None:
        return next((c for c in self.candidates if c.id == cid), None)

    @property
    def project_texts(self) -> list[str]:
        return [t for t in (self.project_name, self.project_goal, self.unit) if t]


class AnswerIndicator(BaseModel):
    """One row as the model must return it."""

    code: str = Field(min_length=1, max_length=8)
    name: str = Field(min_length=1, max_length=200)
    value: str | None = Field(default=None, max_length=200)
    candidate_ids: list[str] = Field(default_factory=list, max_length=20)


class DraftAnswer(BaseModel):
    """The JSON the model is asked for when it polishes a draft."""

    goal_text: str = Field(min_length=1, max_length=2000)
    indicators: list[AnswerIndicator] = Field(min_length=1, max_length=60)


class Problem(BaseModel):
    """One thing wrong with an answer. ``kind`` is a stable id; ``message`` is for the user
    (and is what the repair round sends back to the model)."""

    kind: str
    message: str
    row: int | None = None  # position in the answer's indicators


class RowFlag(BaseModel):
    """Something the user should see beside a row: a replaced value, a classifier disagreement."""

    kind: str
    message: str


class PolishedIndicator(BaseModel):
    code: str
    level1: str
    level2: str
    name: str
    value: str | None = None
    candidate_ids: list[str] = Field(default_factory=list)
    origin: Origin = "corpus"
    #: The grounded row it rests on (the first cited candidate), shown beside a rewrite.
    grounded_name: str | None = None
    grounded_value: str | None = None
    flags: list[RowFlag] = Field(default_factory=list)


class RoundRecord(BaseModel):
    """One model call and what the validator made of it (the evaluation counts these)."""

    schema_valid: bool
    fatal: int = 0
    fixes: int = 0
    error: str | None = None  # LLMError kind when the call itself failed


class PolishedDraft(BaseModel):
    """What the user gets from the assistant: a checked draft, or the grounded one and why."""

    status: Status
    model: str
    goal_text: str
    goal_origin: Origin = "corpus"
    indicators: list[PolishedIndicator] = Field(default_factory=list)
    #: Chinese, one line each: why the model's answer was changed or dropped.
    warnings: list[str] = Field(default_factory=list)
    #: Every problem the validator found, over both rounds.
    problems: list[Problem] = Field(default_factory=list)
    rounds: int = 0  # model calls made: 0 (not reached), 1, or 2 with the repair
    round_records: list[RoundRecord] = Field(default_factory=list)
    elapsed_s: float = 0.0
