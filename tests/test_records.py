import json

import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.errors import UnknownCategoryError
from jixiao.corpus.records import read_records, record_to_table, table_to_record
from jixiao.corpus.schema import GoalTable


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
