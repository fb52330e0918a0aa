"""Runners: fixture exclusion and bad-line reporting, CV without leaks, with fake models."""

from __future__ import annotations

import json

import pytest
from eval_fakes import CopySuggester, KeywordClassifier, corpus, record

from jixiao.errors import JixiaoError
from jixiao.eval import classify_runner, suggest_runner
from jixiao.eval.fixture_sets import load_fixtures


def _write_fixtures(path, corpus_tables):
    new = record("new1", "http://example.org/new")
    new["indicators"].append(
        {"level1": "效益指标", "level2": "社会效益指标", "name": "群众满意率提升", "value": "有效提升"}
    )
    same_id = record(corpus_tables[0].id, "http://example.org/other")
    same_source = record("fresh-id", corpus_tables[3].source)
    bad_tier = record("badtier", "http://example.org/bad")
    bad_tier["indicators"][0]["level2"] = "奇怪指标"
    lines = [json.dumps(r, ensure_ascii=False) for r in (new, same_id, same_source)]
    lines += ["{not json", json.dumps(bad_tier, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_fixtures_exclude_seen_tables_and_report_bad_lines(tmp_path):
    tables = corpus()
    path = tmp_path / "fx.jsonl"
    _write_fixtures(path, tables)
    fx = load_fixtures(path, tables)
    assert [t.id for t in fx.tables] == ["new1"]
    assert {(e.id, e.reason) for e in fx.excluded} == {
        ("t0", "编号已在训练语料中"),
        ("fresh-id", "来源已在训练语料中"),
    }
    assert [s.line for s in fx.skipped] == [4, 5]
    assert "invalid JSON" in fx.skipped[0].problem
    assert "奇怪指标" in fx.skipped[1].problem


def test_classify_fixtures_scores_only_unseen_rows(tmp_path):
    tables = corpus()
    path = tmp_path / "fx.jsonl"
    _write_fixtures(path, tables)
    fx = load_fixtures(path, tables)
    model = KeywordClassifier()
    result = classify_runner.evaluate_fixtures(fx, model)
    a = result.approaches[0]
    # new1: 11 ✓, 12 ✓ (率), 13 ✓ (时), 31 ✓ (满意), 22 predicted 31 (满意 in the name) ✗
    assert a.rows == 5
    assert a.metrics.level2.accuracy == pytest.approx(4 / 5)
    assert a.top_confusions == [("22", "31", 1)]
    assert a.errors[0].name == "群众满意率提升"
    d = result.to_dict()
    assert d["fixtures"]["excluded"] and len(d["fixtures"]["skipped_lines"]) == 2
    json.dumps(d)  # JSON-serialisable


def test_classify_cv_fits_fresh_model_per_fold_without_leaks():
    tables = corpus()
    KeywordClassifier.fits = []
    result = classify_runner.cross_validate(
        tables, {"kw": KeywordClassifier, "kw2": KeywordClassifier}, folds=3, progress=False
    )
    assert [a.approach for a in result.approaches] == ["kw", "kw2"]
    assert len(KeywordClassifier.fits) == 6  # 3 folds × 2 approaches
    a = result.approaches[0]
    assert a.folds == 3 and a.rows == 4 * len(tables)  # every labeled row predicted exactly once
    assert a.metrics.level2.accuracy == 1.0


def test_failing_approach_is_reported_when_comparing():
    class Broken:
        def fit(self, X, y):
            raise ImportError("setfit is not installed")

    result = classify_runner.cross_validate(
        corpus(), {"kw": KeywordClassifier, "broken": Broken}, folds=2, progress=False
    )
    broken = result.approaches[1]
    assert broken.metrics is None and "setfit" in broken.error
    with pytest.raises(ImportError):
        classify_runner.cross_validate(corpus(), {"broken": Broken}, folds=2, progress=False)


def test_suggest_cv_builds_on_training_folds_only():
    tables = corpus()
    by_id = {t.id: t for t in tables}
    CopySuggester.built_on = []
    result = suggest_runner.cross_validate(tables, CopySuggester, folds=3, k=20, progress=False)
    assert len(CopySuggester.built_on) == 3
    scored = {s.table_id for s in result.per_table}
    assert scored == set(by_id)
    for ids in CopySuggester.built_on:
        train_sources = {by_id[i].source for i in ids}
        held = [t for t in tables if t.id not in ids]
        assert held and not {t.source for t in held} & train_sources
    # every table has the same four rows, so copying the training folds finds all of them
    assert result.metrics.recall_at_k == 1.0 and result.metrics.tier_coverage == 1.0


def test_suggest_fixtures_reports_unqueryable(tmp_path):
    tables = corpus()
    nameless = record("noname", "http://example.org/n")
    nameless["project"] = None
    path = tmp_path / "fx.jsonl"
    path.write_text(
        json.dumps(record("q1", "http://example.org/q"), ensure_ascii=False)
        + "\n"
        + json.dumps(nameless, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    fx = load_fixtures(path, tables)
    result = suggest_runner.evaluate_fixtures(fx, tables, CopySuggester, k=2, progress=False)
    assert [u.id for u in result.unqueryable] == ["noname"]
    # top 2 of the copied rows: 救助人次 (11) and 救助比例达标率 (12) -> 2 of 4 found
    assert result.metrics.recall_at_k == pytest.approx(2 / 4)
    assert result.metrics.tier_coverage == pytest.approx(2 / 4)


def test_strict_cost_puts_predictions_in_the_gold_tables_scheme(tmp_path):
    from eval_fakes import FakePrediction

    class SchemePrediction(FakePrediction):
        def in_scheme(self, scheme):
            code = "41" if (self.code == "14" and str(scheme) == "B") else self.code
            return self.model_copy(update={"code": code})

    class CostModel:
        def predict(self, X):
            return [SchemePrediction(code="14" if "成本" in x.name else "11", confidence=0.9) for x in X]

    rec = record("b1", "http://example.org/b")
    rec["indicators"].append(
        {"level1": "成本指标", "level2": "经济成本指标", "name": "人均成本", "value": "≤500元"}
    )
    path = tmp_path / "fx.jsonl"
    path.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    fx = load_fixtures(path, corpus())
    assert fx.tables[0].scheme == "B"
    strict = classify_runner.evaluate_fixtures(fx, CostModel(), merge_cost=False).approaches[0]
    # rows: 11 ✓, 12 ✗, 13 ✗, 31 ✗, 41 ✓ (14 expressed in scheme B)
    assert strict.metrics.level2.accuracy == pytest.approx(2 / 5)
    assert "41" in strict.metrics.level2.labels and "14" not in strict.metrics.level2.labels


def test_approaches_share_one_embedder(monkeypatch):
    made = []

    def with_embedder(embedder=None):
        made.append(embedder)
        return KeywordClassifier()

    monkeypatch.setattr(
        classify_runner, "available_approaches", lambda: {"plain": KeywordClassifier, "emb": with_embedder}
    )
    chosen = classify_runner.select_approaches("all", "hash")
    assert chosen["plain"] is KeywordClassifier  # no embedder parameter: left alone
    chosen["emb"]()
    chosen["emb"]()
    assert len(made) == 2 and made[0] is made[1] and made[0] is not None
    with pytest.raises(Exception, match="未知的分类方法 'nope'"):
        classify_runner.select_approaches("nope")


class MemoryClassifier:
    """Predicts the tier it saw most often for the same name (else 11); refuses leaked groups."""

    def fit(self, X, y):
        from collections import Counter

        self.groups = {x.group for x in X}
        votes: dict[str, Counter] = {}
        for x, c in zip(X, y, strict=True):
            votes.setdefault(x.name, Counter())[c] += 1
        self.memory = {n: v.most_common(1)[0][0] for n, v in votes.items()}
        return self

    def predict(self, X):
        from eval_fakes import FakePrediction

        assert not {x.group for x in X} & self.groups, "leak: a held-out table's group was trained on"
        return [FakePrediction(code=self.memory.get(x.name, "11"), confidence=0.9) for x in X]


def _corrected(tables, table_ids, position, code):
    from jixiao.corpus.corrections import apply_correction

    return [apply_correction(t, position, {"code": code})[0] if t.id in table_ids else t for t in tables]


def test_corrections_effect_trains_with_and_without_and_keeps_corrections_in_their_fold():
    original = corpus()
    # Reviewers moved 资金发放及时 (row 2) from 13 to 12 in every table, and 服务对象满意度
    # (row 3) from 31 to 22 in t7 alone (its source s5 holds no other table).
    corrected = _corrected(original, {t.id for t in original}, 2, "12")
    corrected = _corrected(corrected, {"t7"}, 3, "22")
    result = classify_runner.corrections_effect(
        corrected, original, {"mem": MemoryClassifier}, folds=5, progress=False
    )
    assert result.mode == "cv-corrections" and result.corrected_rows == len(original) + 1
    row = {a.approach: a for a in result.approaches if a.decoding == "row"}
    without, with_ = row["mem · 训练不含更正"], row["mem · 训练含更正"]
    assert without.rows == with_.rows == 4 * len(original)  # both scored on every corrected row
    # Without corrections every 资金发放及时 is predicted 13 against a corrected gold of 12.
    assert without.metrics.level2.accuracy == pytest.approx(1 - (len(original) + 1) / (4 * len(original)))
    # With them the corrections of the other tables teach 12; t7's own correction is never
    # trained on while t7 is held out, so its 服务对象满意度 stays wrong.
    assert with_.metrics.level2.accuracy == pytest.approx(1 - 1 / (4 * len(original)))
    assert [(e.table_id, e.name, e.gold, e.predicted) for e in with_.errors] == [
        ("t7", "服务对象满意度", "22", "31")
    ]
    json.dumps(result.to_dict())


def test_corrections_effect_needs_the_same_tables_before_correction():
    tables = corpus()
    with pytest.raises(JixiaoError, match="t7"):
        classify_runner.corrections_effect(tables, tables[:-1], {"mem": MemoryClassifier}, progress=False)
