"""Labeled examples from goal tables, and the text an embedding model sees for one input.

Only rows with a code are examples: seed 001 prints level 1 only, and guessing its
level 2 here would teach the classifier its own guesses.
"""

from __future__ import annotations

from jixiao.corpus.normalize import normalize_text, normalize_value
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import level1_code
from jixiao.errors import UnknownCategoryError
from jixiao.models.classifier.contract import ClassifyInput


def examples_from_tables(tables: list[GoalTable]) -> tuple[list[ClassifyInput], list[str]]:
    """(inputs, gold codes) for every indicator with a code; inputs carry project, goal and source."""
    X: list[ClassifyInput] = []
    y: list[str] = []
    for t in tables:
        group = t.source or t.id
        for ind in t.indicators:
            if not ind.code or not (ind.name or "").strip():
                continue
            X.append(
                ClassifyInput(
                    name=ind.name,
                    value=ind.value,
                    project=t.project,
                    goal=t.goal,
                    group=group,
                    table_id=t.id,
                    declared_level1=printed_level1(ind),
                )
            )
            y.append(ind.code)
    return X, y


def inputs_from_table(table: GoalTable) -> list[ClassifyInput]:
    """Every indicator of a table as an input (labeled or not), in row order, with the level 1
    the table declares for it (merged headings included)."""
    return [
        ClassifyInput(
            name=i.name,
            value=i.value,
            project=table.project,
            goal=table.goal,
            table_id=table.id,
            declared_level1=printed_level1(i, carried=True),
        )
        for i in table.indicators
    ]


def printed_level1(ind: Indicator, carried: bool = False) -> str | None:
    """The level-1 code a table declares for a row, or None.

    ``carried=False`` (training, evaluation): only a level 1 printed on the row itself;
    one carried down from a merged cell above, or filled in by a transcriber, is marked
    in ``inferred_levels`` and left out, so scores never rest on a hand-made label.
    ``carried=True`` (uploads, ``jixiao classify``): also a level 1 the parser carried
    down from a merged heading, which is what the table prints for every row beneath it.
    """
    if not ind.level1 or (not carried and "level1" in ind.inferred_levels):
        return None
    try:
        return level1_code(ind.level1)
    except UnknownCategoryError:
        return None


def embedding_text(x: ClassifyInput) -> str:
    """Name and target value: the value's form (a date, a %, 元/人) says as much as the name."""
    name = normalize_text(x.name)
    value = normalize_value(x.value) if x.value else ""
    return f"{name}：{value}" if value else name


def group_of(x: ClassifyInput, index: int) -> str:
    """Group key for internal folds; an input without a source is its own group."""
    return x.group or x.table_id or f"#{index}"
