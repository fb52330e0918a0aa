"""Request and response bodies of the HTTP API.

The domain objects (GoalTable, ParseWarning, Finding, TierPrediction, ProjectQuery,
SuggestedTable) are reused as they are, so the API cannot drift from what the CLI and
the library produce; the models here only add the envelopes and the limits a public
endpoint needs (lengths, counts), which pydantic turns into 422 problems.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from jixiao.corpus.review import DEFAULT_DISAGREEMENT_THRESHOLD, Finding, Severity
from jixiao.corpus.schema import GoalTable, ParseWarning
from jixiao.corpus.taxonomy import Scheme
from jixiao.models.classifier.contract import TierPrediction
from jixiao.models.suggest_schema import ProjectQuery

MAX_ROWS = 500  # rows per classify request: a large table has ~40
MAX_TABLES = 100  # tables per corpus addition
ShortText = Annotated[str, Field(max_length=2_000)]
LongText = Annotated[str, Field(max_length=20_000)]


class SuggestRequest(ProjectQuery):
    """A project being drafted; ``k`` bounds how many similar sources are consulted."""

    name: str = Field(min_length=1, max_length=2_000, examples=["医疗救助专项经费"])
    goal: str | None = Field(
        default=None, max_length=20_000, examples=["提高医疗救助对象对政策的知晓程度，确保业务平稳运行"]
    )
    k: int = Field(default=20, ge=1, le=100)

    def to_query(self) -> ProjectQuery:
        return ProjectQuery.model_validate(self.model_dump(exclude={"k"}))


class ClassifyRow(BaseModel):
    """One indicator as a drafter typed it; declared levels are optional."""

    name: str = Field(min_length=1, max_length=500, examples=["服务对象满意度"])
    value: ShortText | None = Field(default=None, examples=["≥90%"])
    level1: ShortText | None = Field(default=None, examples=["满意度指标"])
    level2: ShortText | None = Field(default=None, examples=["服务对象满意度指标"])
    project: ShortText | None = None
    goal: LongText | None = None


class ClassifyRequest(BaseModel):
    rows: list[ClassifyRow] = Field(min_length=1, max_length=MAX_ROWS)
    #: Express predictions in this scheme (cost 14 under A, 41 under B); A when absent.
    scheme: Scheme | None = None
    #: Project context applied to rows that carry none.
    project: ShortText | None = None
    goal: LongText | None = None


class RowClassification(BaseModel):
    index: int
    name: str
    prediction: TierPrediction
    declared_code: str | None = None
    #: Whether the prediction agrees with the declared tier (cost tiers of A and B count
    #: as one); None when nothing was declared.
    agrees: bool | None = None


class ClassifyResponse(BaseModel):
    scheme: Scheme
    results: list[RowClassification]


class ReviewResponse(BaseModel):
    table_id: str
    scheme: Scheme | None
    findings: list[Finding]
    counts: dict[Severity, int]
    classifications: list[RowClassification] = Field(default_factory=list)


class UploadedTable(BaseModel):
    table: GoalTable
    classifications: list[RowClassification]
    findings: list[Finding]


class UploadResponse(BaseModel):
    filename: str
    layout: str | None = None
    tables: list[UploadedTable]
    warnings: list[ParseWarning]
    counts: dict[Severity, int]


class AddTablesRequest(BaseModel):
    tables: list[GoalTable] = Field(min_length=1, max_length=MAX_TABLES)


class AddTablesResponse(BaseModel):
    added: list[str]  # the ids the tables were stored under
    corpus_version: str
    index_size: int | None


class TierOut(BaseModel):
    code: str
    level1_code: str
    level1: str
    level2: str
    label: str
    schemes: list[Scheme]


class TaxonomyResponse(BaseModel):
    tiers: list[TierOut]
    level1: dict[str, str]
    required_level1: dict[Scheme, list[str]]
    variants: list[str]  # every accepted printed name, for form autocompletion


class HealthResponse(BaseModel):
    status: str
    model: str
    classifier: str
    corpus_version: str
    corpus_tables: int
    index_size: int | None


DEFAULT_THRESHOLD = DEFAULT_DISAGREEMENT_THRESHOLD


class StartupHealth(BaseModel):
    """``/v1/health`` while ``jixiao serve`` prepares the engine (status starting or failed)."""

    status: str
    step: str | None = None
    step_title: str | None = None
    steps_running: list[str] = []
    steps_done: list[str] = []
    progress: float = 0.0
    elapsed_s: float = 0.0
    error: str | None = None
