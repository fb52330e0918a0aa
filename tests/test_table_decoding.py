"""Table-aware decoding: rows of a table decoded together (blocks, canonical order, printed level 1)."""

from __future__ import annotations

import numpy as np
import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records
from jixiao.models.classifier import ClassifyInput, examples_from_tables, inputs_from_table, table_tune
from jixiao.models.classifier.ensemble import EnsembleClassifier
from jixiao.models.classifier.labels import LABELS, make_prediction
from jixiao.models.classifier.table import KINDS, TableDecoder
from jixiao.models.classifier.table_predict import classify_table, classify_tables, decode_predictions
from jixiao.models.embedding_base import HashEmbedder

ORDERED = [
    ["11", "11", "12", "13", "14", "22", "22", "31"],
    ["11", "12", "12", "13", "21", "22", "24", "31"],
    ["11", "11", "11", "12", "13", "22", "23", "31", "31"],
]


def _probs(*rows: dict[str, float]) -> np.ndarray:
    """Probability rows over LABELS: the given mass, the rest spread evenly."""
    out = []
    for r in rows:
        rest = (1 - sum(r.values())) / (len(LABELS) - len(r))
        out.append([r.get(c, rest) for c in LABELS])
    return np.array(out)


def _row(code: str, p: float = 0.9):
    return make_prediction(LABELS, _probs({code: p})[0])


def test_transitions_are_learned_from_block_structure():
    d = TableDecoder.from_sequences(LABELS, ORDERED)
    assert set(d.kind_probs) == set(KINDS)
    assert d.kind_probs["stay"] > d.kind_probs["back"]
    i11, i12, i31 = LABELS.index("11"), LABELS.index("12"), LABELS.index("31")
    i22 = LABELS.index("22")
    assert d.log_trans[i11, i12] > d.log_trans[i11, i31]  # the next block before a jump
    assert d.log_trans[i22, i31] > d.log_trans[i22, i11]  # forward before back
    assert np.allclose(np.diag(d.log_trans), np.log(d.kind_probs["stay"]))  # one block-length figure
    assert np.allclose(np.exp(d.log_trans).sum(axis=1), 1.0)


def test_each_tier_learns_its_own_block_length_when_asked():
    # 效益 tiers here are one-row blocks; 11 runs on. Smoothed per tier, 22 stays less than 11.
    seqs = [["11", "11", "11", "11", "21", "22", "23", "24", "31"]] * 5
    d = TableDecoder.from_sequences(LABELS, seqs)
    i11, i22 = LABELS.index("11"), LABELS.index("22")
    d.set_pair_strength(10.0, None)
    assert np.isclose(d.log_trans[i11, i11], d.log_trans[i22, i22])
    d.set_pair_strength(10.0, 3.0)
    assert d.log_trans[i11, i11] > d.log_trans[i22, i22] + 1.0
    assert np.allclose(np.exp(d.log_trans).sum(axis=1), 1.0)


def test_batched_tuning_decodes_exactly_as_one_table_at_a_time():
    d = TableDecoder.from_sequences(LABELS, ORDERED)
    d.set_pair_strength(5.0, 3.0)
    rng = np.random.default_rng(0)
    tables = [rng.dirichlet(np.ones(len(LABELS)), size=n) for n in (1, 4, 9)]
    emit = np.zeros((3, 9, len(LABELS)))
    for t, p in enumerate(tables):
        emit[t, : len(p)] = np.log(p) - 0.5 * d.log_prior
    batch = table_tune.batch_log_posteriors(d, emit, np.array([1, 4, 9]), 0.75)
    for t, p in enumerate(tables):
        one = d.posteriors(p, weight=0.75, prior=0.5, temperature=1.0)
        z = batch[t, : len(p)]
        z = np.exp(z - z.max(axis=1, keepdims=True))
        assert np.allclose(z / z.sum(axis=1, keepdims=True), one)


def test_an_ambiguous_row_follows_its_block():
    d = TableDecoder.from_sequences(LABELS, ORDERED)
    # Row 2 alone leans to 22 (0.45 vs 0.40), but sits between two sure 质量 rows.
    probs = _probs({"12": 0.95}, {"22": 0.45, "12": 0.40}, {"12": 0.95})
    post = d.posteriors(probs)
    assert [LABELS[i] for i in post.argmax(axis=1)] == ["12", "12", "12"]
    assert np.allclose(post.sum(axis=1), 1.0)
    d.weight = 0.0  # no structure: each row alone again
    assert LABELS[d.posteriors(probs)[1].argmax()] == "22"


def test_no_tunable_prior_turns_a_table_into_a_rare_tier_its_rows_do_not_favour():
    # The row model already divides out the class prior; dividing it out again in full made
    # whole tables of 经费/食品安全 rows decode as 23 生态效益 (each row's bonus adds up along
    # a block). Every prior the tuner may choose keeps these rows out of 23.
    seqs = [
        ["11", "11", "12", "13", "14", "21", "22", "22", "31"],
        ["11", "12", "12", "13", "14", "22", "22", "24", "31"],
        ["11", "11", "11", "12", "13", "21", "22", "31"],
    ] * 6 + [["11", "12", "13", "22", "23", "31"]]
    d = TableDecoder.from_sequences(LABELS, seqs)
    probs = _probs(
        {"11": 0.35, "12": 0.17, "21": 0.2},
        {"11": 0.21, "13": 0.3, "21": 0.16, "23": 0.06},
        {"13": 0.93},
        {"21": 0.39, "11": 0.14, "13": 0.13, "23": 0.05},
        {"31": 0.99},
    )
    for prior in table_tune._PRIOR:
        for weight in table_tune._WEIGHTS:
            post = d.posteriors(probs, prior=prior, weight=weight, temperature=1.0)
            assert "23" not in [LABELS[i] for i in post.argmax(axis=1)], (prior, weight)


def test_entry_lift_stops_charging_a_rare_tier_for_its_rarity_twice():
    # 14 is mostly followed by 22 here, and 24 is rare: the row model already knows 24 is
    # rare, so counting pairs alone drags a fairly sure 24 row (0.6) to 22.
    seqs = [["11", "12", "13", "14", "22", "22", "31"]] * 8 + [["11", "12", "13", "14", "21", "22", "31"]] * 3
    d = TableDecoder.from_sequences(LABELS, [*seqs, ["11", "12", "13", "22", "24", "31"]])
    probs = _probs({"13": 0.9}, {"14": 0.9}, {"24": 0.6, "22": 0.3}, {"31": 0.95})

    def decoded(lift: float) -> list[str]:
        d.set_pair_strength(2.0, None, lift)
        assert np.allclose(np.exp(d.log_trans).sum(axis=1), 1.0)
        post = d.posteriors(probs, prior=0.0, weight=1.0, temperature=1.0)
        return [LABELS[i] for i in post.argmax(axis=1)]

    assert decoded(0.0)[2] == "22"
    assert decoded(1.0) == ["13", "14", "24", "31"]
    assert 1.0 in table_tune._ENTRY_LIFTS and 0.0 in table_tune._ENTRY_LIFTS


def test_printed_level1_bounds_the_level2_unless_evidence_is_overwhelming():
    d = TableDecoder.from_sequences(LABELS, ORDERED)
    rows = [
        ClassifyInput(name="受益人次", declared_level1="2"),
        ClassifyInput(name="满意度", declared_level1="1"),
    ]
    preds = [_row("11", 0.8), make_prediction(LABELS, _probs({"31": 1 - 1e-7})[0])]
    out = decode_predictions(d, rows, preds)
    assert out[0].code[0] == "2" and out[0].row_code == "11" and not out[0].outside_declared
    assert any("逐行判断" in r for r in out[0].explanation.rules)
    assert out[1].code == "31" and out[1].outside_declared  # overwhelming: kept, and flagged
    assert any("不一致" in r for r in out[1].explanation.rules)


def test_scheme_b_cost_level1():
    d = TableDecoder.from_sequences(LABELS, ORDERED)
    rows = [
        ClassifyInput(name="人均成本", declared_level1="4"),
        ClassifyInput(name="设备费用", declared_level1="1"),
    ]
    out = decode_predictions(d, rows, [_row("14", 0.6), _row("14", 0.6)])
    assert out[0].code == "14" and not out[0].outside_declared
    assert out[1].code != "14"  # scheme B (a row prints 成本指标 as level 1): cost is not under 产出
    assert out[1].in_scheme("B").row_code == "41"


@pytest.mark.parametrize("n", [1, 5000])
def test_one_row_and_long_tables_get_an_answer(n):
    d = TableDecoder.from_sequences(LABELS, ORDERED)
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(len(LABELS)), size=n)
    post = d.posteriors(probs, ["1"] * n)
    assert post.shape == (n, len(LABELS)) and np.isfinite(post).all()
    assert np.allclose(post.sum(axis=1), 1.0)


@pytest.fixture(scope="module")
def ensemble():
    tables = read_records(EXTERNAL_TABLES)[0]
    X, y = examples_from_tables(tables[:40])
    return EnsembleClassifier(HashEmbedder()).fit(X, y), tables[40:]


def test_ensemble_fits_a_tuned_decoder_and_classifies_whole_tables(ensemble):
    model, held = ensemble
    d = model.table_decoder_
    assert d is not None and d.classes == model.classes and d.temperature > 0
    for t in held[:5]:
        rows = inputs_from_table(t)
        out = model.classify_table(rows)
        assert len(out) == len(rows)
        for p in out:
            assert abs(sum(p.probabilities.values()) - 1) < 1e-6 and p.row_code in LABELS
            assert p.confidence == max(p.probabilities.values())


def test_bad_tables_get_an_answer(ensemble):
    model, _ = ensemble
    assert classify_table(model, []) == []
    same = [ClassifyInput(name="服务对象满意度", value="≥90%", declared_level1="3")] * 4
    assert {p.code for p in classify_table(model, same)} == {"31"}
    blank = [ClassifyInput(name=""), ClassifyInput(name="  ", value="≥90%"), ClassifyInput(name="培训人次")]
    assert len(classify_table(model, blank)) == 3


def test_api_classifies_a_table_when_asked_and_uploads_always(ensemble, tmp_path):
    from api_fakes import FakeEngine
    from fastapi.testclient import TestClient

    from jixiao.corpus.data_paths import seed_files
    from jixiao.service.app import create_app
    from jixiao.settings import Settings

    model, _ = ensemble

    class ModelEngine(FakeEngine):
        def classify(self, inputs):  # noqa: ANN001
            return model.predict(inputs)

        def classify_tables(self, tables, schemes):  # noqa: ANN001
            return classify_tables(model, tables, schemes)

    rows = [
        {"name": "培训人次", "value": "≥300人次", "level1": "产出指标"},
        {"name": "资料归档完整率", "value": "100%", "level1": "产出指标"},
        {"name": "群众满意度", "value": "≥90%", "level1": "满意度指标"},
    ]
    app = create_app(Settings(home=tmp_path / "home"), engine=ModelEngine())
    with TestClient(app, raise_server_exceptions=False) as c:
        alone = c.post("/v1/classify", json={"rows": rows}).json()["results"]
        table = c.post("/v1/classify", json={"rows": rows, "table": True}).json()["results"]
        assert all(r["prediction"]["row_code"] is None for r in alone)
        assert all(r["prediction"]["row_code"] for r in table)
        assert [r["prediction"]["code"][0] for r in table] == ["1", "1", "3"]  # inside the printed level 1s
        seed = next(p for p in seed_files() if p.name.startswith("004"))
        up = c.post("/v1/tables/upload", files={"file": (seed.name, seed.read_bytes(), "text/plain")})
        assert up.status_code == 200
        classified = [r for t in up.json()["tables"] for r in t["classifications"]]
        assert classified and all(r["prediction"]["row_code"] for r in classified)


@pytest.mark.slow
def test_a_table_of_5000_rows_gets_an_answer(ensemble):
    model, held = ensemble
    rows = [x for t in held for x in inputs_from_table(t)]
    long = [
        ClassifyInput(name=f"{rows[i % len(rows)].name}{i}", value=rows[i % len(rows)].value)
        for i in range(5000)
    ]
    out = classify_table(model, long)
    assert len(out) == 5000 and all(p.code in LABELS for p in out)


def test_review_cli_decodes_whole_tables(ensemble, monkeypatch, tmp_path, capsys):
    import json

    from jixiao.corpus.records import iter_record_lines
    from jixiao.service.cli import main
    from jixiao.service.commands import review

    model, held = ensemble
    from jixiao.models.classifier.table_predict import TableAwareClassifier

    monkeypatch.setattr(review, "_classifier", lambda no_model: TableAwareClassifier(model))
    path = tmp_path / "held.jsonl"
    path.write_text("\n".join(iter_record_lines(held[:2])) + "\n", encoding="utf-8")
    assert main(["review", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = [c for f in out["files"] for t in f["tables"] for c in t["classifications"]]
    assert rows and all(c["prediction"]["row_code"] for c in rows)
