"""Request and response bodies of the HTTP API.

The domain objects (GoalTable, ParseWarning, Finding, TierPrediction, ProjectQuery,
SuggestedTable) are reused as they are, so the API cannot drift from what the CLI and
the library produce; the models here only add the envelopes and the limits a public
endpoint needs (lengths, counts), which pydantic turns into 422 problems.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from jixiao.corpus.review import DEFAULT_DISAGREEMENT_THRESHOLD, Finding, Severity, TableGrade
from jixiao.corpus.schema import GoalTable, ParseWarning
from jixiao.corpus.taxonomy import Scheme
from jixiao.models.llm.rewrite import RewriteResult
from jixiao.models.llm.types import PolishedDraft
from jixiao.models.suggest_schema import ProjectQuery, SuggestedTable, check_amount, check_year
from jixiao.service.analysis import RowClassification, TableReview

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
    k: int = Field(default=20, ge=1, le=100, strict=True)  # strict: JSON true is no count
    #: Ask the configured LLM to polish the grounded draft (validated; see ``SuggestResponse.llm``).
    llm: bool = Field(default=False, strict=True)

    def to_query(self) -> ProjectQuery:
        return ProjectQuery.model_validate(self.model_dump(exclude={"k", "llm"}))


class SuggestResponse(SuggestedTable):
    """The grounded draft, plus the LLM's checked version when ``llm`` was asked for."""

    llm: PolishedDraft | None = None


class DraftRow(BaseModel):
    """One row of a draft as the drafter edited it on the page."""

    level1: ShortText = Field(examples=["产出指标"])
    level2: ShortText = Field(examples=["数量指标"])
    name: str = Field(min_length=1, max_length=500, examples=["农村公路日常养护里程"])
    value: ShortText | None = Field(default=None, examples=["≥120公里"])


class DraftExportRequest(BaseModel):
    """An edited draft to download as an .xlsx in the usual layout (一级/二级/三级指标, 指标值)."""

    name: str = Field(min_length=1, max_length=2_000)
    goal_text: LongText | None = None
    amount: float | None = None
    year: int | None = None
    scheme: Scheme | None = None
    rows: list[DraftRow] = Field(min_length=1, max_length=MAX_ROWS)

    _amount = field_validator("amount")(lambda cls, v: check_amount(v))
    _year = field_validator("year")(lambda cls, v: check_year(v))

    def to_table(self) -> GoalTable:
        from jixiao.corpus.records import make_indicator

        return GoalTable(
            id="draft",
            project=self.name,
            amount=self.amount,
            year=self.year,
            annual_goal=self.goal_text,
            scheme=self.scheme,
            indicators=[make_indicator(r.name, r.level1, r.level2, annual_value=r.value) for r in self.rows],
        )


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
    #: The rows are one table, in order: decode them together (tiers form blocks in the
    #: canonical order; a printed level 1 bounds the level 2). Off: each row alone.
    table: bool = Field(
        default=False,
        strict=True,  # JSON 0/1 or "yes" is no answer to this question
        description="各行按顺序构成一张表时设为 true：结合表格结构整体判断（同类指标成块、按产出→效益→满意度排列，所列一级指标约束二级指标）",
    )


class ClassifyResponse(BaseModel):
    scheme: Scheme
    results: list[RowClassification]


class ReviewResponse(BaseModel):
    table_id: str
    scheme: Scheme | None
    findings: list[Finding]
    counts: dict[Severity, int]
    classifications: list[RowClassification] = Field(default_factory=list)
    grade: TableGrade | None = None


class UploadedTable(TableReview):
    """One uploaded table as reviewed (rows classified, findings, grade), with the LLM's
    rewrite proposals for vague or mis-tiered rows when asked (``llm=true``); never applied."""

    rewrites: RewriteResult | None = None


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


# ---- corpus: corrections and imports (issue 10) ------------------------------------------


class IndicatorCorrection(BaseModel):
    """Fields a reviewer corrects on one indicator row; only the fields sent are changed."""

    model_config = {"extra": "forbid"}

    code: str | None = Field(None, description="二级类别代码或名称，如 22 或 22-社会效益指标", max_length=40)
    name: str | None = Field(None, max_length=500)
    period_value: str | None = Field(None, max_length=500)
    annual_value: str | None = Field(None, max_length=500)


class CorrectionOut(BaseModel):
    id: int
    table_id: str
    position: int
    field: str
    old: str | None
    new: str | None
    who: str
    at: datetime
    version: int

    @field_validator("at")
    @classmethod
    def _in_utc(cls, at: datetime) -> datetime:
        """Recorded in UTC; SQLite gives it back without its offset, which is no RFC 3339 date-time."""
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


class CorrectionResponse(BaseModel):
    table_id: str
    position: int
    corrections: list[CorrectionOut]
    corpus_version: str


class CorrectionsList(BaseModel):
    corrections: list[CorrectionOut]


class ImportFileOut(BaseModel):
    file: str
    sha256: str | None
    tables: int
    rows: int
    duplicates: int
    warnings: int
    warning_lines: list[str]
    failure: str | None


class ImportResponse(BaseModel):
    import_id: int | None
    source: str
    dry_run: bool
    files: list[ImportFileOut]
    tables: int
    rows: int
    duplicates: int
    failures: int
    corpus_version: str | None
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
