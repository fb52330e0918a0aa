"""Tier classifier: the contract of every approach, rules, scheme conversion, persistence.

Fast: HashEmbedder stands in for the real model. Training rows come from the labeled
corpus; predictions are checked on rows of source documents not trained on.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records
from jixiao.corpus.taxonomy import TIERS, Scheme
from jixiao.errors import JixiaoError
from jixiao.models.classifier import (
    APPROACHES,
    SHIPPED_APPROACH,
    ClassifyInput,
    Explanation,
    TierPrediction,
    examples_from_tables,
    load_shipped,
)
from jixiao.models.classifier.calibration import ece, fit_temperature, grouped_folds
from jixiao.models.classifier.labels import LABELS, make_prediction, training_labels
from jixiao.models.classifier.rules import RulesClassifier
from jixiao.models.classifier.shipped import train_shipped
from jixiao.models.embedding_base import HashEmbedder
from jixiao.settings import get_settings

# SetFit and the fine-tuned encoder need a real transformer (slow tests of their own).
FAST_APPROACHES = [a for a in APPROACHES if a not in ("setfit", "finetune")]


@pytest.fixture(scope="module")
def split():
    """Train on the tables of most source documents, hold out the rest (whole documents)."""
    tables = read_records(EXTERNAL_TABLES)[0]
    sources = sorted({t.source for t in tables})
    held = set(sources[::5])
    train = [t for t in tables if t.source not in held]
    test = [t for t in tables if t.source in held]
    return examples_from_tables(train), examples_from_tables(test)


@pytest.fixture(scope="module")
def fitted(split):
    (X, y), _ = split
    emb = HashEmbedder(dim=128)
    return {a: APPROACHES[a](emb).fit(X, y) for a in FAST_APPROACHES}


def test_examples_carry_context_and_only_labeled_rows():
    tables = read_records(EXTERNAL_TABLES)[0]
    X, y = examples_from_tables(tables)
    n_coded = sum(1 for t in tables for i in t.indicators if i.code)
    assert len(X) == len(y) == n_coded
    assert all(c in TIERS for c in y)
    first = tables[0]
    assert X[0].project == first.project and X[0].goal == first.goal
    assert X[0].group == first.source and X[0].table_id == first.id


@pytest.mark.parametrize("approach", FAST_APPROACHES)
def test_fit_predict_contract(approach, fitted, split):
    _, (Xt, yt) = split
    preds = fitted[approach].predict(Xt)
    assert len(preds) == len(Xt)
    for p in preds:
        assert isinstance(p, TierPrediction)
        assert p.code in LABELS
        assert p.level1 == TIERS[p.code].level1 and p.level2 == TIERS[p.code].level2
        assert abs(sum(p.probabilities.values()) - 1.0) < 1e-6
        assert all(v >= 0 for v in p.probabilities.values())
        assert p.confidence == pytest.approx(max(p.probabilities.values()))
        assert p.probabilities[p.code] == pytest.approx(p.confidence)
    # Balanced accuracy on unseen source documents beats answering one tier for everything
    # (which scores 1 / number of tiers), even with the hash embedder.
    gold = training_labels(yt)
    recalls = [np.mean([p.code == c for p, g in zip(preds, gold, strict=True) if g == c]) for c in set(gold)]
    assert np.mean(recalls) > 1.5 / len(set(gold))


@pytest.mark.parametrize("approach", [a for a in FAST_APPROACHES if a != "rules"])
def test_embedding_approaches_explain_with_neighbors(approach, fitted, split):
    (X, y), _ = split
    p = fitted[approach].predict([ClassifyInput(name=X[0].name, value=X[0].value)])[0]
    assert p.explanation.neighbors
    top = p.explanation.neighbors[0]
    assert top.name == X[0].name and top.similarity == pytest.approx(1.0, abs=1e-3)
    assert top.table_id == X[0].table_id


def test_predict_empty_list(fitted):
    for model in fitted.values():
        assert model.predict([]) == []


@pytest.mark.parametrize(
    ("name", "value", "code"),
    [
        ("群众满意度", "≥95%", "31"),
        ("项目完成时间", "2024年12月31日前", "13"),
        ("资金拨付及时率", "100%", "13"),
        ("培训成本", "400元/人·天", "14"),
        ("验收合格率", "≥98%", "12"),
        ("带动农户增收", "≥50万元", "21"),
        ("农药使用量减少", "≥5%", "23"),
        ("长效管护机制", "健全", "24"),
        ("对周边群众就医的影响", "长期持续", "24"),
        ("扬尘治理", "有效", "23"),
        ("存款利息", "≥2万元", "21"),
        ("政策知晓率", "≥90%", "22"),
        ("培训人次", "≥300人次", "11"),
    ],
)
def test_rules_fire_on_hand_written_examples(name, value, code):
    unfitted = RulesClassifier()
    p = unfitted.predict([ClassifyInput(name=name, value=value)])[0]
    assert p.code == code, p.explanation.rules
    assert p.explanation.rules and p.explanation.rules[0].split("→")[1].strip().startswith(code)


def test_rules_learn_how_far_a_rule_is_trusted():
    # The "qualitative value" rule points to 22; if training says such rows are 24, it follows.
    X = [ClassifyInput(name=f"事项{i}", value="明显") for i in range(20)]
    model = RulesClassifier().fit(X, ["24"] * 20)
    assert model.predict([ClassifyInput(name="别的事项", value="显著")])[0].code == "24"


def test_in_scheme_moves_cost_and_keeps_probabilities():
    probs = {c: 0.0 for c in LABELS}
    probs.update({"14": 0.7, "11": 0.3})
    p = make_prediction(list(probs), np.array(list(probs.values())), Explanation())
    b = p.in_scheme(Scheme.B)
    assert (b.code, b.level1, b.level2) == ("41", "成本指标", "经济成本指标")
    assert "14" not in b.probabilities and b.probabilities["41"] == pytest.approx(0.7)
    assert sum(b.probabilities.values()) == pytest.approx(1.0)
    assert b.in_scheme("A").code == "14"
    assert p.in_scheme(Scheme.A) == p
    other = make_prediction(["11", "12"], np.array([0.2, 0.8]))
    assert other.in_scheme(Scheme.B).code == "12"


def test_training_merges_scheme_b_cost(split):
    (X, y), _ = split
    y_b = ["41" if c == "14" else c for c in y]
    model = APPROACHES["rules"]().fit(X, y_b)
    assert "41" not in model.classes and "14" in model.classes


def test_unknown_label_is_refused(split):
    (X, _), _ = split
    with pytest.raises(JixiaoError, match="未知的类别代码"):
        RulesClassifier().fit(X[:2], ["11", "99"])


@pytest.mark.parametrize("approach", FAST_APPROACHES)
def test_save_load_round_trip(approach, fitted, split, tmp_path):
    _, (Xt, _) = split
    model = fitted[approach]
    model.save(tmp_path / approach)
    meta = json.loads((tmp_path / approach / "meta.json").read_text(encoding="utf-8"))
    assert meta["approach"] == model.approach
    again = type(model).load(tmp_path / approach)
    before = [p.model_dump() for p in model.predict(Xt[:25])]
    after = [p.model_dump() for p in again.predict(Xt[:25])]
    assert before == after


def test_load_rejects_a_broken_folder(tmp_path):
    (tmp_path / "meta.json").write_text('{"format": 1}', encoding="utf-8")
    (tmp_path / "model.pkl").write_bytes(b"not a pickle")
    with pytest.raises(JixiaoError, match="重新训练"):
        RulesClassifier.load(tmp_path)


def test_load_shipped_without_artifacts_names_train(tmp_path, monkeypatch):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    with pytest.raises(JixiaoError, match="jixiao train"):
        load_shipped()


def test_train_shipped_then_stale_corpus_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    settings = get_settings()
    external = read_records(EXTERNAL_TABLES)[0]
    monkeypatch.setattr("jixiao.models.classifier.shipped._corpus", lambda s: external)
    path = train_shipped(settings, progress=False, approach="rules")
    assert (path / "meta.json").exists()
    X, _ = examples_from_tables(external[:2])
    assert [p.code for p in load_shipped(settings).predict(X)]
    monkeypatch.setattr("jixiao.models.classifier.shipped._corpus", lambda s: external[1:])
    with pytest.raises(JixiaoError, match="语料库版本.*jixiao train"):
        load_shipped(settings)


def test_train_shipped_on_another_embedding_model_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    monkeypatch.setenv("JIXIAO_EMBEDDING_MODEL", "hash-64")
    external = read_records(EXTERNAL_TABLES)[0][:20]
    monkeypatch.setattr("jixiao.models.classifier.shipped._corpus", lambda s: external)
    train_shipped(get_settings(), progress=False, approach="knn", embedder=HashEmbedder(64))
    X, _ = examples_from_tables(external[:1])
    assert len(load_shipped().predict(X)) == len(X)  # reloads its hash embedder by name
    monkeypatch.setenv("JIXIAO_EMBEDDING_MODEL", "hash-32")
    with pytest.raises(JixiaoError, match="嵌入模型.*jixiao train"):
        load_shipped()


def test_shipped_approach_is_registered():
    assert SHIPPED_APPROACH in APPROACHES
    assert {"rules", "linear", "knn", "setfit", "ensemble"} <= set(APPROACHES)


def test_temperature_and_ece_on_hand_made_cases():
    # Overconfident scores on a 50%-accurate set are cooled down (temperature > 1).
    y = np.array([0, 1] * 50)
    probs = np.tile([0.95, 0.05], (100, 1))
    assert fit_temperature(probs, y) > 3.0
    # One bin at confidence 0.9 with 50% accuracy: ECE = 0.4.
    assert ece([0.9] * 10, [True] * 5 + [False] * 5) == pytest.approx(0.4)
    assert ece([], []) == 0.0


def test_internal_folds_keep_groups_together():
    groups = ["a", "a", "b", "c", "c", "c", "d", "e"]
    folds = grouped_folds(groups, 3)
    assert sorted(i for f in folds for i in f) == list(range(len(groups)))
    for f in folds:
        inside = {groups[i] for i in f}
        assert all(groups[i] not in inside for g in folds if g is not f for i in g)


def test_holdout_tables_are_left_out_of_training_and_recorded(tmp_path, monkeypatch):
    from jixiao.eval.fixture_sets import exclude_seen
    from jixiao.models.classifier.shipped import shipped_training_tables

    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    external = read_records(EXTERNAL_TABLES)[0]
    monkeypatch.setattr("jixiao.models.classifier.shipped._corpus", lambda s: external)
    held = [t for t in external if t.id in ("p001", "p002")]
    train_shipped(get_settings(), progress=False, approach="rules", holdout=["p001", "p00[2]"])
    trained = shipped_training_tables(get_settings())
    assert len(trained) == len(external) - 2
    assert {"p001", "p002"}.isdisjoint(t.id for t in trained)
    # The held-out tables count as unseen for evaluation; a trained one does not.
    kept, excluded = exclude_seen(held + [external[5]], trained)
    assert [t.id for t in kept] == ["p001", "p002"]
    assert [e.id for e in excluded] == [external[5].id]
