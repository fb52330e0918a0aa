"""Indicators written as prose: ``数量指标:培训人次≥200人次;合格率≥90%。``

Announcements (公示, 公告) often carry no table at all: each category is a heading
followed by a colon and a run of clauses, one indicator per clause. A clause counts only
when it has both an indicator head before it (a category such as 数量指标 or 社会效益目标,
then ``:`` or ``,``) and a target value (an operator, or a number with its unit), so
ordinary sentences in the page are never read as indicators. The rows go through the
grid parser like every other reading, so categories and values follow the same rules.

A layout of its own, tried last: a page any table reader can read is read as a table.
"""

from __future__ import annotations

import re

from jixiao.corpus.parsers.glued_rows import split_name_value
from jixiao.corpus.parsers.grid import category_cell, clean_name, grid_to_tables, is_meta_label
from jixiao.corpus.parsers.text_tables import readable
from jixiao.corpus.parsers.vocab import SYNTHETIC_HEADER, Grid, level_cells
from jixiao.corpus.schema import ParseResult

#: A category heading followed by ``:`` or ``,`` (``2、质量指标:``, ``社会效益目标:``).
_HEAD = re.compile(r"(?P<head>[\u4e00-\u9fff]{2,14}?(?:指标|目标|值))\s*[:：,，]")
#: An enumerated heading line (``(一)产出指标``, ``二、 效益指标``).
_ENUMERATOR = re.compile(r"^\s*([(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十\d]+\s*[、.．])\s*")
_CLAUSE_END = "；;。，,\n"
#: The project an announcement is about: ``关于××项目绩效目标(设定)的公示``.
_TITLE_PROJECT = re.compile(r"关于(?P<project>[^,，。:：\n]{4,60}?)的?绩效目标")
_MAX_NAME = 40
#: Below this many clauses with a head and a value, a text is no prose of indicators.
MIN_CLAUSES = 2


def detect(text: str) -> float:
    """0.3 when at least two clauses have an indicator head and a value: tried last."""
    return 0.3 if len(_rows(readable(text))) >= MIN_CLAUSES else 0.0


def parse(text: str, source: str) -> ParseResult:
    rows = _rows(readable(text))
    if len(rows) < MIN_CLAUSES:
        return ParseResult(layout="prose")
    head: Grid = []
    title = _TITLE_PROJECT.search(readable(text)[:2000])
    if title:
        head.append(["项目名称", title.group("project")])
    result = grid_to_tables([*head, list(SYNTHETIC_HEADER), *rows], source)
    result.layout = "prose"
    return result


def _rows(text: str) -> Grid:
    rows: Grid = []
    level1: str | None = None
    for line in text.split("\n"):
        bare = _ENUMERATOR.sub("", line).strip().rstrip(":：")
        if bare and category_cell(bare) and len(bare) <= 14:
            level1 = bare  # a heading line: the block's category
            continue
        if is_meta_label(line.strip()[:12]):
            continue
        heads = [m for m in _HEAD.finditer(line) if _head_category(m.group("head"))]
        cats: list[str] = [level1] if level1 else []
        for k, m in enumerate(heads):
            cats = [*cats, _head_category(m.group("head")) or ""][-2:]
            end = heads[k + 1].start() if k + 1 < len(heads) else len(line)
            found = False
            for clause in _clauses(line[m.end() : end]):
                name, value = split_name_value(clean_name(clause))
                if value and name and len(re.findall(r"[\u4e00-\u9fff]", name)) >= 2 and len(name) <= _MAX_NAME:
                    rows.append([*level_cells(cats), name, value])
                    found = True
            if found:
                cats = [level1] if level1 else []
    return rows


def _head_category(head: str) -> str | None:
    """The category a head names, or its longest suffix that is one (``…。成本指标``)."""
    for k in range(len(head) - 1):
        if category_cell(head[k:]):
            return head[k:]
    return None


def _clauses(text: str) -> list[str]:
    """Clauses split at punctuation outside brackets."""
    out, cur, depth = [], "", 0
    for ch in text:
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        if ch in _CLAUSE_END and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    out.append(cur.strip())
    return [c for c in out if c]
