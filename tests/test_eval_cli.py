"""``jixiao eval``: one JSON object with --json, readable text otherwise, and the HTML/PNG report."""

from __future__ import annotations

import json
import re

import pytest
from eval_fakes import CopySuggester, KeywordClassifier, corpus, record

from jixiao.service import cli
from jixiao.service.commands import eval as eval_cmd


@pytest.fixture
def fakes(monkeypatch):
    tables = corpus()
    monkeypatch.setattr(eval_cmd, "load_corpus", lambda: tables)
    approaches = {"kw": KeywordClassifier, "kw_b": KeywordClassifier}
    monkeypatch.setattr(
        eval_cmd,
        "select_approaches",
        lambda name, embedder=None: approaches if name == "all" else {"kw": KeywordClassifier},
    )
    monkeypatch.setattr(eval_cmd, "shipped_classifier", lambda: KeywordClassifier())
    monkeypatch.setattr(eval_cmd, "suggester_factory", lambda embedder=None: CopySuggester)
    # No trained model's record of its training tables: a shared JIXIAO_TEST_HOME may hold one.
    monkeypatch.setattr("jixiao.models.classifier.shipped.shipped_training_tables", lambda settings=None: None)
    return tables


def _png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_classify_cv_json_is_one_object(fakes, capsys):
    assert (
        cli.main(["eval", "classify", "--cv", "--folds", "3", "--approach", "all", "--json", "--no-progress"])
        == 0
    )
    out = capsys.readouterr().out
    data = json.loads(out)  # fails on anything but exactly one JSON document
    assert data["kind"] == "classify" and data["mode"] == "cv"
    assert [a["approach"] for a in data["approaches"]] == ["kw", "kw_b"]
    m = data["approaches"][0]["metrics"]
    assert {"accuracy", "macro_f1", "per_class", "confusion"} <= set(m["level2"])
    assert m["ece"] is not None and len(m["reliability"]) == 10


def test_classify_fixtures_text_and_report(fakes, tmp_path, capsys):
    fx = tmp_path / "fx.jsonl"
    fx.write_text(
        json.dumps(record("new", "http://example.org/a"), ensure_ascii=False)
        + "\n"
        + json.dumps(record("t1", "http://example.org/b"), ensure_ascii=False)
        + "\n[1, 2\n",
        encoding="utf-8",
    )
    report = tmp_path / "report"
    assert cli.main(["eval", "classify", "--fixtures", str(fx), "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "排除 1 张已在训练语料中的标注表" in out and "t1" in out
    assert "跳过 1 行无法读取的记录" in out and "第 3 行" in out
    assert "L2准确" in out
    html = (report / "index.html").read_text(encoding="utf-8")
    for section in (
        "排除的标注表（1）",
        "跳过的行（1）",
        "混淆矩阵",
        "方法比较",
        "类别代码",
    ):
        assert section in html
    embedded = re.search(r'<script type="application/json" id="metrics">(.*?)</script>', html, re.S).group(1)
    assert json.loads(embedded)["fixtures"]["excluded"][0]["id"] == "t1"
    for name in ("confusion.png", "reliability.png", "per_class.png"):
        _png(report / name)


def test_classify_cv_all_report_has_comparison_plot(fakes, tmp_path, capsys):
    report = tmp_path / "r"
    assert (
        cli.main(
            [
                "eval",
                "classify",
                "--cv",
                "--folds",
                "2",
                "--approach",
                "all",
                "--report",
                str(report),
                "--no-progress",
            ]
        )
        == 0
    )
    _png(report / "comparison.png")
    _png(report / "kw_b_confusion.png")


def test_suggest_cv_json_and_report(fakes, tmp_path, capsys):
    report = tmp_path / "s"
    assert (
        cli.main(
            [
                "eval",
                "suggest",
                "--cv",
                "--folds",
                "2",
                "--k",
                "3",
                "--json",
                "--report",
                str(report),
                "--no-progress",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "suggest" and data["k"] == 3
    assert {"tier_coverage", "recall_at_k", "value_exact", "value_kind_unit", "per_tier"} <= set(
        data["metrics"]
    )
    assert "各类别" in (report / "index.html").read_text(encoding="utf-8")
    _png(report / "per_tier.png")


def test_user_errors_exit_2(fakes, tmp_path, capsys):
    assert cli.main(["eval", "classify", "--fixtures", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl：文件不存在" in capsys.readouterr().err
    fx = tmp_path / "fx.jsonl"
    fx.write_text("", encoding="utf-8")
    assert cli.main(["eval", "classify", "--fixtures", str(fx), "--approach", "kw"]) == 2
    assert "--approach 只用于 --cv" in capsys.readouterr().err
    assert cli.main(["eval", "classify", "--fixtures", str(fx), "--corrections-effect"]) == 2
    assert "--corrections-effect" in capsys.readouterr().err
    assert cli.main(["eval", "classify", "--cv", "--corrections-effect", "--without-corrections"]) == 2
    assert "--without-corrections" in capsys.readouterr().err


def test_classify_cv_corrections_effect_compares_both_trainings(fakes, monkeypatch, capsys):
    from jixiao.corpus.corrections import apply_correction

    # 救助比例达标率 corrected from 12 to 13 in every table: the keyword model cannot learn it,
    # so both trainings score the same, and both are scored against the corrected labels.
    monkeypatch.setattr(eval_cmd, "load_original_corpus", lambda: list(fakes))
    fixed = [apply_correction(t, 1, {"code": "13"})[0] for t in fakes]
    monkeypatch.setattr(eval_cmd, "load_corpus", lambda: fixed)
    args = ["eval", "classify", "--cv", "--folds", "3", "--corrections-effect", "--no-progress"]
    assert cli.main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["mode"] == "cv-corrections" and data["corrected_rows"] == len(fakes)
    names = [a["approach"] for a in data["approaches"]]
    assert names == ["kw · 训练不含更正", "kw · 训练含更正"]
    for a in data["approaches"]:
        assert a["metrics"]["level2"]["accuracy"] == pytest.approx(0.75)
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "训练含更正" in out and f"审核人员更正了 {len(fakes)} 行" in out
