import json

import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records, record_to_table, table_to_record
from jixiao.corpus.schema import GoalTable
from jixiao.errors import UnknownCategoryError


def test_every_external_record_round_trips_unchanged():
    lines = [json.loads(x) for x in EXTERNAL_TABLES.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(lines) == 64
    for rec in lines:
        assert table_to_record(record_to_table(rec)) == rec, rec["id"]


def test_every_external_row_gets_a_canonical_code():
    tables, problems = read_records(EXTERNAL_TABLES)
    assert problems == []
    assert all(i.code for t in tables for i in t.indicators)


def test_unknown_fields_survive_and_json_is_lossless():
    rec = {
        "id": "x1",
        "source_url": "u",
        "project": "p",
        "amount": "7万元",
        "goal": "g",
        "reviewer": "张三",
        "indicators": [
            {
                "level1": "产出指标",
                "level2": "数量指标",
                "name": "n",
                "value": "≥1次",
                "inferred_levels": [],
                "note": "kept",
            }
        ],
    }
    t = record_to_table(rec)
    assert t.amount == 70000.0
    back = table_to_record(GoalTable.from_json(t.to_json()))
    assert back["reviewer"] == "张三"
    assert back["indicators"][0]["note"] == "kept"
    assert GoalTable.from_json(t.to_json()) == t


def test_bad_lines_are_reported_with_their_line_number(tmp_path):
    good = EXTERNAL_TABLES.read_text(encoding="utf-8").splitlines()[0]
    bad_tier = json.loads(good)
    bad_tier["indicators"][0]["level2"] = "好坏指标"
    p = tmp_path / "f.jsonl"
    p.write_text(
        "\n".join([good, "{not json", json.dumps(bad_tier, ensure_ascii=False), good]), encoding="utf-8"
    )
    tables, problems = read_records(p)
    assert len(tables) == 2
    assert [x.line for x in problems] == [2, 3]
    assert "好坏指标" in problems[1].problem


def test_unknown_category_raises():
    with pytest.raises(UnknownCategoryError):
        record_to_table({"id": "x", "indicators": [{"level1": "产出指标", "level2": "好坏", "name": "n"}]})


def test_indicators_of_the_wrong_shape_are_a_reported_problem():
    from jixiao.corpus.records import records_from_text

    text = '{"id": "a", "indicators": ["x"]}\n{"id": "b", "indicators": {"k": 1}}'
    tables, problems = records_from_text(text)
    assert tables == [] and [p.line for p in problems] == [1, 2]
    assert "list of JSON objects" in problems[0].problem


def test_a_numeric_amount_is_read():
    t = record_to_table({"id": "a", "amount": 1000, "indicators": []})
    assert t.amount_raw == "1000" and t.amount == 1000.0


def test_a_record_of_the_wrong_type_is_a_one_line_problem():
    from jixiao.corpus.records import records_from_text

    _, problems = records_from_text('{"id": "a", "project": ["not", "text"], "indicators": []}')
    assert len(problems) == 1 and "\n" not in problems[0].problem and "project" in problems[0].problem


def test_a_store_that_is_not_utf8_is_a_jixiao_error(tmp_path):
    from jixiao.corpus.store import _read_jsonl
    from jixiao.errors import JixiaoError

    p = tmp_path / "tables.jsonl"
    p.write_bytes(b'{"id": "\xff\xfe"}\n')
    with pytest.raises(JixiaoError, match="corpus build"):
        _read_jsonl(p)
