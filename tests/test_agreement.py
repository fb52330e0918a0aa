"""One agreement rule (``taxonomy.agrees``) and the three places that report it.

The CLI (`jixiao classify`), the API/`jixiao review` (``service.analysis``) and the
review findings must say the same thing for the same row: this is the case the issue
found them disagreeing on (level 1 成本指标 declared, 14 predicted under scheme A), and
the scheme-B 产出 case (cost filed under 产出 where cost is its own level 1).
"""

from __future__ import annotations

import pytest

from jixiao.corpus.records import make_indicator
from jixiao.corpus.review import Rule, check_disagreements
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import Scheme, agrees
from jixiao.models.classifier.contract import ClassifyInput, TierPrediction
from jixiao.models.classifier.labels import LABELS, make_prediction


@pytest.mark.parametrize(
    ("predicted", "code", "level1", "scheme", "expected"),
    [
        ("14", None, "4", Scheme.A, True),  # the case: 成本指标 declared, 14 predicted in A
        ("14", None, "4", None, True),
        ("41", None, "4", Scheme.B, True),
        ("14", None, "1", Scheme.A, True),  # cost sits under 产出 in scheme A
        ("14", None, "1", None, True),  # scheme unknown: treated as A
        ("14", None, "1", Scheme.B, False),  # scheme B: cost has its own level 1
        ("41", None, "1", Scheme.B, False),
        ("11", None, "4", Scheme.B, False),
        ("11", None, "1", Scheme.B, True),
        ("22", None, "2", None, True),
        ("24", None, "1", None, False),
        ("14", "41", None, Scheme.B, True),  # cost codes of both schemes are one tier
        ("43", "14", "1", Scheme.A, True),
        ("12", "11", "1", None, False),  # a declared code decides, not its level 1
        ("11", None, None, None, None),
    ],
)
def test_agrees(predicted, code, level1, scheme, expected):
    assert agrees(predicted, code, level1, scheme) is expected


def _pred(code: str) -> TierPrediction:
    """Overwhelmingly sure, so that table-aware decoding (the CLI's) keeps it even outside a printed level 1."""
    probs = [1 - 1e-7 if c == code else 1e-7 / (len(LABELS) - 1) for c in LABELS]
    return make_prediction(LABELS, probs)


def _table(scheme: Scheme) -> GoalTable:
    return GoalTable(
        id="t",
        project="测试项目",
        scheme=scheme,
        indicators=[
            make_indicator("人均救助成本", "成本指标", None, annual_value="≤3000元/人"),
            make_indicator("设备购置成本", "产出指标", None, annual_value="≤20万元"),
            make_indicator("救助人次", "产出指标", None, annual_value="≥1000人次"),
        ],
    )


class _CostEngine:
    """Predicts cost (14) for names with 成本, else 数量 (11)."""

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]:
        return [_pred("14" if "成本" in x.name else "11") for x in inputs]


class _CostModel(_CostEngine):
    def predict(self, inputs: list[ClassifyInput]) -> list[TierPrediction]:
        return self.classify(inputs)


@pytest.mark.parametrize(
    ("scheme", "expected"), [(Scheme.A, [True, True, True]), (Scheme.B, [True, False, True])]
)
def test_cli_api_and_review_agree(monkeypatch, scheme, expected):
    from jixiao.service.analysis import analyze_table
    from jixiao.service.commands import classify as classify_cmd

    table = _table(scheme)
    api = [c.agrees for c in analyze_table(_CostEngine(), table).classifications]
    monkeypatch.setattr(classify_cmd, "load_shipped", lambda: _CostModel())
    cli_rows = classify_cmd.classify_tables([table], Scheme.A)[0]["indicators"]
    cli = [r["agrees"] for r in cli_rows]
    assert [r["prediction"]["outside_declared"] for r in cli_rows] == [not x for x in expected]
    preds = [_pred("14"), _pred("14"), _pred("11")]
    flagged = {
        f.indicator_index for f in check_disagreements(table, preds) if f.rule is Rule.TIER_DISAGREEMENT
    }
    review = [i not in flagged for i in range(3)]
    assert api == cli == review == expected
