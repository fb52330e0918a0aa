"""Undoing what PDF text extraction does to goal tables, shared by the text-layout parsers.

PDF extraction wraps every cell at its column width, so one name or value arrives as
several short lines, with stray spaces inside words and labels (``实施周期指标值 ：``).
The layout parsers differ in where a cell starts; joining the pieces back and finding
the table header facts (department, amount unit, year) is the same for all of them.
"""

from __future__ import annotations

import re
from pathlib import PurePath

_ASCII_WORD = re.compile(r"[A-Za-z0-9]")
_SEED_NAME = re.compile(r"^(\d{3})_[0-9a-f]+$")

#: Endings of a budget unit's name; a flattened column is complete once it ends so.
ORG_SUFFIXES = (
    "局",
    "中心",
    "办公室",
    "委员会",
    "分局",
    "厅",
    "院",
    "所",
    "站",
    "处",
    "队",
    "馆",
    "会",
    "部",
    "校",
    "公司",
    "政府",
    "街道",
    "管委会",
)

_AMOUNT_UNIT = re.compile(r"单\s*位\s*[:：]\s*(亿元|万元|千元|元)")
_DEPARTMENT = re.compile(r"(?:单位名称|部门名称|主管部门|预算单位)\s*[:：]\s*(\S+)")
_TABLE_TYPE = re.compile(r"(项目支出绩效目标表|项目绩效目标表|绩效目标申报表|绩效目标表)")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年(?:度)?[^\d]{0,30}?绩效目标")


def normalize_newlines(text: str) -> str:
    """One newline convention and no BOM: detectors and parsers split on ``\\n`` only."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def join_wrapped(pieces: list[str]) -> str:
    """Join width-wrapped pieces: Chinese joins with nothing, two ASCII words keep a space."""
    out = ""
    for piece in pieces:
        p = piece.strip()
        if not p:
            continue
        if (
            out
            and _ASCII_WORD.match(out[-1])
            and _ASCII_WORD.match(p[0])
            and not (out[-1].isdigit() and p[0].isdigit())
        ):
            out += " "
        out += p
    return out


def spaced(label: str) -> str:
    """A regex for ``label`` that tolerates the stray spaces PDF text puts between characters."""
    return r"\s*".join(re.escape(ch) for ch in label)


def ends_like_org(name: str) -> bool:
    return name.endswith(ORG_SUFFIXES)


def table_id(source: str, index: int) -> str:
    """``seed000-01`` for the seed files, ``<stem>-01`` for anything else (1-based project order)."""
    stem = PurePath(source).stem if source else "text"
    m = _SEED_NAME.match(stem)
    prefix = f"seed{m.group(1)}" if m else stem
    return f"{prefix}-{index:02d}"


def amount_unit(head: str) -> str | None:
    """The table's ``单位：万元`` header, which every bare amount in it is counted in."""
    m = _AMOUNT_UNIT.search(head)
    return m.group(1) if m else None


def department(head: str) -> str | None:
    m = _DEPARTMENT.search(head)
    return m.group(1).strip() if m else None


def title_year(head: str) -> int | None:
    """The budget year of a title such as ``…2025年项目支出绩效目标表``."""
    m = _TITLE_YEAR.search(head)
    return int(m.group(1)) if m else None


def table_type(head: str) -> str | None:
    """The table's title (项目支出绩效目标表, …), as the labeled corpus records it."""
    m = _TABLE_TYPE.search(head)
    return m.group(1) if m else None
