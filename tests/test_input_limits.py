"""``check_values``: what it refuses, and the path its message names."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict

from jixiao.service.input_limits import MAX_DEPTH, MAX_TEXT_CHARS, MAX_VALUES, check_values
from jixiao.service.problems import ApiProblem


class Row(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    value: str | None = None


class Table(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    indicators: list[Row]


def _refusal(root: object) -> ApiProblem:
    with pytest.raises(ApiProblem) as e:
        check_values(root)
    return e.value


def test_real_tables_pass():
    check_values([Table(id="t", indicators=[Row(name="培训人数", value="≥100人"), Row(name="满意度")])])


def test_a_long_text_is_named_by_its_path():
    rows = [Row(name="培训人数"), Row(name="满意度"), Row(name="长" * (MAX_TEXT_CHARS + 1))]
    e = _refusal([Table(id="t", indicators=rows)])
    assert e.status == 413 and "字段 0.indicators.2.name 长" in e.detail


def test_a_lone_surrogate_in_an_extra_field_and_in_a_key():
    e = _refusal([Table(id="t", indicators=[Row(name="a", note={"x": "\ud800"})])])
    assert e.status == 422 and "字段 0.indicators.0.note.x 含有无效的 Unicode 字符" in e.detail
    e = _refusal({"tables": [{"\udfff": 1}]})
    assert e.status == 422 and "字段 tables.0.\udfff" in e.detail


def test_too_deep_and_too_many():
    deep: object = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = {"k": deep}
    e = _refusal(deep)
    assert e.status == 422 and "字段 " + ".".join(["k"] * (MAX_DEPTH + 1)) + " 嵌套超过" in e.detail
    e = _refusal(["a"] * MAX_VALUES)
    assert e.status == 413 and "个值" in e.detail
