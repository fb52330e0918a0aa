"""``jixiao train`` and ``jixiao classify`` end to end, on the rules approach (no model load)."""

from __future__ import annotations

import json

import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import iter_record_lines, read_records
from jixiao.service.cli import main


@pytest.fixture()
def home(tmp_path, monkeypatch):
    """A fresh JIXIAO_HOME whose corpus is the external tables except p001/p002 (kept for classifying)."""
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path / "home"))
    tables = read_records(EXTERNAL_TABLES)[0]
    train = [t for t in tables if t.id not in ("p001", "p002")]
    monkeypatch.setattr("jixiao.models.classifier.shipped._corpus", lambda settings: train)
    held = tmp_path / "held.jsonl"
    lines = list(iter_record_lines([t for t in tables if t.id in ("p001", "p002")]))
    held.write_text("\n".join(lines) + "\n{not json\n", encoding="utf-8")
    return held


def test_classify_without_training_names_train(home, capsys):
    assert main(["classify", str(home)]) == 2
    assert "jixiao train" in capsys.readouterr().err


def test_train_then_classify_json(home, capsys):
    assert main(["train", "--approach", "rules", "--quiet"]) == 0
    assert capsys.readouterr().out.strip().endswith("classifier")
    assert main(["classify", str(home), "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert ".jsonl:3：记录无法读取" in captured.err  # the bad line is reported, the rest classified
    assert [t["table_id"] for t in out["tables"]] == ["p001", "p002"]
    rows = [r for t in out["tables"] for r in t["indicators"]]
    assert out["summary"]["indicators"] == len(rows) == 13
    assert out["summary"]["agree"] == sum(1 for r in rows if r["agrees"])
    for r in rows:
        p = r["prediction"]
        assert r["agrees"] == (r["declared"] == p["code"])
        assert abs(sum(p["probabilities"].values()) - 1) < 1e-6
    satisfaction = [r for r in rows if r["name"] == "学生满意度"][0]
    assert satisfaction["prediction"]["code"] == "31" and satisfaction["agrees"] is True


def test_classify_in_scheme_b_moves_cost(home, capsys):
    assert main(["train", "--approach", "rules", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["classify", str(home), "--scheme", "B", "--json"]) == 0
    rows = [r for t in json.loads(capsys.readouterr().out)["tables"] for r in t["indicators"]]
    cost = [r for r in rows if r["name"] == "补助标准"][0]
    assert cost["declared"] == "41"
    assert all(r["prediction"]["code"] != "14" for r in rows)


def test_classify_readable_table(home, capsys):
    assert main(["train", "--approach", "rules", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["classify", str(home)]) == 0
    out = capsys.readouterr().out
    assert "== p001" in out and "学生满意度" in out
    assert "共 2 张表 13 个指标" in out


def test_classify_missing_file_is_one_line_error(home, capsys, tmp_path):
    assert main(["train", "--approach", "rules", "--quiet"]) == 0
    assert main(["classify", str(tmp_path / "nope.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.xlsx" in err[0]
