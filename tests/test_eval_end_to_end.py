"""``jixiao eval`` with the real classifier approaches and the real suggester (slow: trains, embeds)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from jixiao.corpus.taxonomy import merge_cost
from jixiao.eval.fixture_sets import project_corpus
from jixiao.service import cli

pytestmark = pytest.mark.slow


def test_classify_cv_shipped_approach_beats_majority_class(capsys):
    clf = pytest.importorskip("jixiao.models.classifier")
    if not hasattr(clf, "APPROACHES"):
        pytest.skip("jixiao.models.classifier.APPROACHES is not there yet")
    assert cli.main(["eval", "classify", "--cv", "--folds", "3", "--json", "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    # One approach, scored per decoding (row, table, table+L1): every decoding beats the majority class.
    assert {a["approach"] for a in data["approaches"]} == {data["approaches"][0]["approach"]}
    a = data["approaches"][0]
    gold = [merge_cost(i.code) for t in project_corpus() for i in t.indicators if i.code and i.name.strip()]
    assert a["rows"] == len(gold)
    majority = Counter(gold).most_common(1)[0][1] / len(gold)
    assert a["metrics"]["level2"]["accuracy"] > majority
    assert 0.0 <= a["metrics"]["ece"] <= 1.0


def test_suggest_cv_with_the_real_suggester(tmp_path, capsys):
    report = tmp_path / "report"
    assert (
        cli.main(
            ["eval", "suggest", "--cv", "--folds", "2", "--json", "--no-progress", "--report", str(report)]
        )
        == 0
    )
    m = json.loads(capsys.readouterr().out)["metrics"]
    assert m["tables"] > 50
    assert m["tier_coverage"] > 0.5  # a draft touching fewer than half the filed tiers is useless
    assert 0.0 < m["recall_at_k"] <= 1.0
    assert (report / "per_tier.png").stat().st_size > 0
