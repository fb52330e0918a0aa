"""The labeled record format (``tables.jsonl``) ↔ GoalTable, and building indicators.

The record format is what the external corpus ships and what evaluation fixtures use.
Reading then writing a record gives the same record: unknown fields ride along in the
models' extras, and GoalTable fields the format lacks (period values, years, unit)
are written as extra keys that the reader takes back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import LEVEL1_NAMES, detect_scheme, level1_code, resolve
from jixiao.corpus.values import parse_amount, parse_value
from jixiao.errors import JixiaoError, UnknownCategoryError

_RECORD_KEYS = ("id", "source_url", "domain", "table_type", "project", "department", "amount", "goal")
_IND_KEYS = ("level1", "level2", "name", "value", "inferred_levels")
# GoalTable fields that are derived or renamed, so never written as extra record keys.
_TABLE_DERIVED = {
    "id",
    "source",
    "project",
    "department",
    "amount",
    "amount_raw",
    "annual_goal",
    "indicators",
    "scheme",
}
_IND_DERIVED = {"name", "level1", "level2", "code", "annual_value", "parsed", "raw", "inferred_levels"}


def make_indicator(
    name: str,
    level1: str | None = None,
    level2: str | None = None,
    period_value: str | None = None,
    annual_value: str | None = None,
    raw: str | None = None,
    inferred_levels: Iterable[str] = (),
    **extra: Any,
) -> Indicator:
    """An indicator with its canonical tier and parsed value filled in.

    Printed level names are mapped to canonical names; an unknown name raises
    UnknownCategoryError. A missing level 2 under 产出 or 效益 leaves ``code`` empty
    (seed 001 prints level 1 only): the classifier fills it, never a guess here.
    """
    tier = None
    l1_canon = None
    if level1:
        l1_canon = LEVEL1_NAMES[level1_code(level1)]
    if level2 or level1:
        try:
            tier = resolve(level1, level2)
        except UnknownCategoryError:
            if level2:
                raise
    if tier is not None:
        l1_canon = tier.level1
    value = annual_value if annual_value not in (None, "") else period_value
    return Indicator(
        name=normalize_text(name),
        level1=l1_canon,
        level2=tier.level2 if tier else None,
        code=tier.code if tier else None,
        period_value=normalize_text(period_value) or None,
        annual_value=normalize_text(annual_value) or None,
        parsed=parse_value(value),
        raw=raw,
        inferred_levels=list(inferred_levels),
        **extra,
    )


def finalize(table: GoalTable) -> GoalTable:
    """Fill what is derived from the rows: the scheme."""
    if table.scheme is None:
        table.scheme = detect_scheme([i.code for i in table.indicators if i.code])
    return table


def record_to_table(rec: dict[str, Any]) -> GoalTable:
    """One ``tables.jsonl`` record → GoalTable.

    Raises UnknownCategoryError on a bad tier name, ValueError on a record of the wrong shape.
    """
    extras = {k: v for k, v in rec.items() if k not in _RECORD_KEYS and k != "indicators"}
    rows = rec.get("indicators") or []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValueError("indicators must be a list of JSON objects")
    inds = []
    for row in rows:
        ind_extra = {k: v for k, v in row.items() if k not in _IND_KEYS}
        period_value = ind_extra.pop("period_value", None)
        raw = ind_extra.pop("raw", None)
        ind = make_indicator(
            row.get("name") or "",
            row.get("level1"),
            row.get("level2"),
            period_value=period_value,
            annual_value=row.get("value"),
            raw=raw,
            inferred_levels=row.get("inferred_levels") or [],
            **ind_extra,
        )
        # Labels are kept verbatim: the record is the gold, not something to re-normalise.
        ind.name = row.get("name") or ""
        ind.annual_value = row.get("value")
        ind.period_value = period_value
        inds.append(ind)
    amount_raw = rec.get("amount")
    if isinstance(amount_raw, int | float) and not isinstance(amount_raw, bool):
        amount_raw = str(amount_raw)  # a hand-written record may give the amount as a number
    table = GoalTable(
        id=str(rec.get("id")),
        source=rec.get("source_url"),
        department=rec.get("department"),
        project=rec.get("project"),
        amount_raw=amount_raw,
        amount=parse_amount(amount_raw) if amount_raw is not None else None,
        annual_goal=rec.get("goal"),
        indicators=inds,
        domain=rec.get("domain"),
        table_type=rec.get("table_type"),
        **extras,
    )
    return finalize(table)


def table_to_record(table: GoalTable) -> dict[str, Any]:
    """GoalTable → record, in the corpus key order; extra fields after."""
    dump = table.model_dump(mode="json")
    rec: dict[str, Any] = {
        "id": table.id,
        "source_url": table.source,
        "domain": dump.pop("domain", None),
        "table_type": dump.pop("table_type", None),
        "project": table.project,
        "department": table.department,
        "amount": table.amount_raw,
        "goal": table.annual_goal,
    }
    for k, v in dump.items():
        if k not in _TABLE_DERIVED and k not in rec and v is not None:
            rec[k] = v
    rows = []
    for ind in table.indicators:
        d = ind.model_dump(mode="json")
        row: dict[str, Any] = {
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "value": ind.annual_value,
            "inferred_levels": list(ind.inferred_levels),
        }
        if ind.period_value is not None:
            row["period_value"] = ind.period_value
        for k, v in d.items():
            if k not in _IND_DERIVED and k not in row and k != "period_value":
                row[k] = v
        rows.append(row)
    rec["indicators"] = rows
    return rec


@dataclass
class RecordProblem:
    line: int
    problem: str
    text: str = ""


def records_from_text(text: str) -> tuple[list[GoalTable], list[RecordProblem]]:
    """Parse record JSONL text; bad lines are reported with their line number, not fatal."""
    tables, problems = [], []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not a JSON object")
            tables.append(record_to_table(rec))
        except json.JSONDecodeError as e:
            problems.append(RecordProblem(n, f"invalid JSON: {e.msg}", line[:80]))
        except (UnknownCategoryError, ValueError, TypeError) as e:
            # One line: pydantic's messages span several, and problems print one a line.
            problems.append(RecordProblem(n, " ".join(str(e).split()), line[:80]))
    return tables, problems


def read_records(path: str | Path) -> tuple[list[GoalTable], list[RecordProblem]]:
    """Read a record JSONL file; bad lines are reported with their line number, not fatal."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise JixiaoError(f"{p}：文件不存在") from e
    except PermissionError as e:
        raise JixiaoError(f"{p}：没有读取权限") from e
    except IsADirectoryError as e:
        raise JixiaoError(f"{p}：这是文件夹，不是文件") from e
    except UnicodeDecodeError as e:
        raise JixiaoError(f"{p}：不是 UTF-8 编码的记录文件") from e
    except OSError as e:
        raise JixiaoError(f"{p}：无法读取（{type(e).__name__}）") from e
    return records_from_text(text)


def iter_record_lines(tables: Iterable[GoalTable]) -> Iterator[str]:
    for t in tables:
        yield json.dumps(table_to_record(t), ensure_ascii=False)
