"""Limits on goal tables that arrive as JSON, checked before any work or storage.

``GoalTable`` keeps unknown fields (``extra="allow"``) so that records round-trip,
which also lets a client send anything: an extra field nested 250 deep was stored and
then could not be re-read (every later corpus write failed, ``jixiao serve`` refused
to start); 20,000 indicators or a 1 MB name kept a worker busy past the timeout and
were stored after the 504; a lone surrogate (``"\\ud800"``) crashed the tokenizer and
the response serialiser. Pydantic's field constraints cannot reach the extras, so the
request is walked once here, iteratively (no recursion a hostile body can exhaust),
and refused with 413 (too much) or 422 (malformed) at once. The limits are far above
any real table (the largest in the corpus has ~60 indicators).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from jixiao.service.problems import ApiProblem

#: Indicators per table.
MAX_INDICATORS = 500
#: Characters in any one text field (a goal text is a few hundred).
MAX_TEXT_CHARS = 20_000
#: Nesting from the request's root (a table's extra field sits at depth 2).
MAX_DEPTH = 20
#: Values (strings, numbers, containers) in one request.
MAX_VALUES = 200_000


def check_tables(tables: Iterable[BaseModel]) -> None:
    """Refuse tables past the limits; the message says which table and which field."""
    for table in tables:
        indicators = getattr(table, "indicators", None) or []
        if len(indicators) > MAX_INDICATORS:
            raise ApiProblem(
                413,
                f"目标表 {getattr(table, 'id', '')} 有 {len(indicators)} 行指标，超过每表 {MAX_INDICATORS} 行的上限",
                kind="too-many-indicators",
            )
    check_values(list(tables))


def check_values(root: Any) -> None:
    """Walk models, dicts and lists: depth, count, text length, no lone surrogates."""
    stack: list[tuple[Any, int, str]] = [(root, 0, "")]
    seen = 0
    while stack:
        value, depth, path = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ApiProblem(413, f"请求内容过多（超过 {MAX_VALUES} 个值）", kind="too-many-values")
        if depth > MAX_DEPTH:
            raise ApiProblem(
                422, f"字段 {path or '请求体'} 嵌套超过 {MAX_DEPTH} 层，无法保存", kind="too-deep"
            )
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, BaseModel):
            items = dict(value.__dict__)
            items.update(value.__pydantic_extra__ or {})
            stack.extend((v, depth + 1, _join(path, k)) for k, v in items.items())
        elif isinstance(value, dict):
            for k, v in value.items():
                _check_text(str(k), _join(path, k))
                stack.append((v, depth + 1, _join(path, k)))
        elif isinstance(value, list | tuple):
            stack.extend((v, depth + 1, _join(path, i)) for i, v in enumerate(value))


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def _check_text(text: str, path: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise ApiProblem(
            413, f"字段 {path} 长 {len(text)} 字，超过每个字段 {MAX_TEXT_CHARS} 字的上限", kind="text-too-long"
        )
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ApiProblem(
                422, f"字段 {path} 含有无效的 Unicode 字符（孤立的代理码位），请检查文本编码", kind="invalid-text"
            ) from e
