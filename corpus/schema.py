"""The typed goal table every part of jixiao passes around.

Pydantic models, because the same objects are the HTTP request and response bodies
and must round-trip through JSON without loss. ``extra="allow"`` keeps fields we do
not model (a labeled fixture may carry its own), so reading and writing a record
never drops data.

The external record format of the labeled corpus (``id, source_url, domain,
table_type, project, department, amount, goal, indicators[level1, level2, name, value,
inferred_levels]``) is also the labeled-fixture format; ``records.py`` converts it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from jixiao.corpus.taxonomy import TIERS, Scheme, TierCode


def _not_a_boolean(value: object) -> object:
    """JSON ``true``/``false`` is no year or amount; pydantic's lax mode would read 1 and 0."""
    if isinstance(value, bool):
        raise ValueError("应为数字，而不是 true/false")
    return value


#: A year, an amount or a number as the OpenAPI schema says: never a boolean.
Year = Annotated[int, BeforeValidator(_not_a_boolean)]
Amount = Annotated[float, BeforeValidator(_not_a_boolean)]
Number = Annotated[float, BeforeValidator(_not_a_boolean)]


class ValueKind(StrEnum):
    NUMERIC = "numeric"  # operator? + number + unit?
    DATE = "date"  # a deadline or a schedule (12月底前, 每月发放)
    QUALITATIVE = "qualitative"  # 有效提高, 明显改善: allowed but weak
    EMPTY = "empty"


class ParsedValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ValueKind
    text: str = ""
    operator: str | None = None
    number: Number | None = None
    unit: str | None = None
    deadline: str | None = None  # ISO-like prefix: "2024-12-31", "2024-12", "12-31"


class Indicator(BaseModel):
    """One level-3 indicator row. ``code`` is the canonical tier (see taxonomy.TIERS)."""

    model_config = ConfigDict(extra="allow")

    name: str
    level1: str | None = None
    level2: str | None = None
    code: str | None = None
    period_value: str | None = None
    annual_value: str | None = None
    parsed: ParsedValue | None = None
    raw: str | None = None
    inferred_levels: list[str] = Field(default_factory=list)

    @property
    def tier(self) -> TierCode | None:
        return TIERS.get(self.code) if self.code else None

    @property
    def value(self) -> str | None:
        """The value a reader compares: the annual one, else the period one."""
        return self.annual_value if self.annual_value not in (None, "") else self.period_value


class GoalTable(BaseModel):
    """One project's goal table. ``amount`` is in 元; ``amount_raw`` is as printed."""

    model_config = ConfigDict(extra="allow")

    id: str
    source: str | None = None
    department: str | None = None
    unit: str | None = None
    project: str | None = None
    amount: Amount | None = None
    amount_raw: str | None = None
    period: str | None = None
    year: Year | None = None
    period_goal: str | None = None
    annual_goal: str | None = None
    scheme: Scheme | None = None
    indicators: list[Indicator] = Field(default_factory=list)

    @property
    def goal(self) -> str | None:
        return self.annual_goal or self.period_goal

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=False)

    @classmethod
    def from_json(cls, text: str) -> GoalTable:
        return cls.model_validate_json(text)


class ParseWarning(BaseModel):
    """A line a parser could not use. Nothing is dropped silently."""

    source: str
    line: int | None = None
    text: str = ""
    problem: str


class ParseResult(BaseModel):
    tables: list[GoalTable] = Field(default_factory=list)
    warnings: list[ParseWarning] = Field(default_factory=list)
    layout: str | None = None
