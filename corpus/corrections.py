"""Reviewer corrections of one indicator row: what may change, and applying it to a table.

Pure functions: the store records the result (who, when, the old value) and keeps the
table as first stored, so training can use the corrected labels and evaluation can
score with or without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import LEVEL1_NAMES, TIERS, resolve
from jixiao.corpus.values import parse_value
from jixiao.errors import JixiaoError, UnknownCategoryError

#: Fields a reviewer may correct, in the order they are applied.
FIELDS = ("code", "name", "period_value", "annual_value")


class CorrectionError(JixiaoError):
    """A correction that cannot be applied (no such row, unknown tier, nothing to change)."""


class CorrectionTargetMissing(CorrectionError):
    """No such table in the store, or no such row in it."""


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Correction:
    """One recorded change of one field of one indicator row."""

    id: int
    table_id: str
    position: int
    field: str
    old: str | None
    new: str | None
    who: str
    at: datetime
    version: int


def resolve_code(text: str) -> str:
    """A tier from what a reviewer types: ``22``, ``22-社会效益指标`` or ``社会效益指标``."""
    text = text.strip()
    head = text.split("-", 1)[0].strip()
    if head in TIERS:
        return head
    try:
        return resolve(None, text.split("-", 1)[-1].strip()).code
    except (UnknownCategoryError, ValueError) as e:
        raise CorrectionError(f"无法识别的指标类别“{text}”，请填写如 22 或 22-社会效益指标") from e


def apply_correction(
    table: GoalTable, position: int, wanted: dict[str, str | None]
) -> tuple[GoalTable, list[FieldChange]]:
    """A corrected copy of ``table`` and the fields that really changed (old → new)."""
    if not 0 <= position < len(table.indicators):
        raise CorrectionTargetMissing(
            f"目标表 {table.id} 没有第 {position} 行指标（共 {len(table.indicators)} 行，从 0 开始编号）"
        )
    unknown = sorted(set(wanted) - set(FIELDS))
    if unknown:
        raise CorrectionError(f"不能更正字段 {', '.join(unknown)}；可更正：{', '.join(FIELDS)}")
    t = table.model_copy(deep=True)
    ind = t.indicators[position]
    changes: list[FieldChange] = []
    for f in FIELDS:
        if f not in wanted:
            continue
        new = wanted[f]
        if f == "code":
            if not new:
                raise CorrectionError("更正的指标类别不能为空")
            new = resolve_code(new)
        elif f == "name":
            new = (new or "").strip()
            if not new:
                raise CorrectionError("更正的指标名称不能为空")
        old = getattr(ind, f)
        if old == new:
            continue
        changes.append(FieldChange(f, old, new))
        setattr(ind, f, new)
        if f == "code":
            tier = TIERS[new]
            ind.level1, ind.level2 = LEVEL1_NAMES[tier.level1_code], tier.level2
            ind.inferred_levels = []
        if f in ("period_value", "annual_value"):
            ind.parsed = parse_value(ind.value)
    if not changes:
        raise CorrectionError("更正内容与现有值相同，未做修改")
    return t, changes
