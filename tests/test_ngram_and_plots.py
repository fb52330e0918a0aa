"""The n-gram approach's value reading, and Chinese labels in report plots."""

from __future__ import annotations

from jixiao.eval import plots
from jixiao.models.classifier import ClassifyInput
from jixiao.models.classifier.ngram import value_tokens


def test_value_tokens_read_kind_unit_and_operator():
    assert value_tokens(ClassifyInput(name="x", value="≥1000人次")).split()[:3] == [
        "kind_numeric",
        "unit_人次",
        "op_≥",
    ]
    assert "unit_per" in value_tokens(ClassifyInput(name="x", value="≤3000元/人"))
    assert "deadline" in value_tokens(ClassifyInput(name="x", value="2024年12月31日前"))
    assert value_tokens(ClassifyInput(name="x", value=None)) == "kind_empty"


def test_plots_have_a_cjk_font_from_the_dependency():
    assert plots.cjk_font() is not None  # Noto Sans SC from justmytype-intl-cjk, no system font needed
    assert plots.axis_title("预测类别", "predicted") == "预测类别"
    assert plots.tick_label("22", {"22": "社会效益指标"}) == "22 社会效益指标"
