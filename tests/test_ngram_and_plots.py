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


def test_ngram_scores_rows_as_scikit_learn_would():
    import numpy as np

    from jixiao.corpus.data_paths import EXTERNAL_TABLES
    from jixiao.corpus.records import read_records
    from jixiao.models.classifier import examples_from_tables
    from jixiao.models.classifier.ngram import NgramClassifier

    tables = read_records(EXTERNAL_TABLES)[0]
    (X, y), (Xt, _) = examples_from_tables(tables[:30]), examples_from_tables(tables[30:40])
    model = NgramClassifier(value=True, project=True, calibrate=False).fit_emb(X, y, None)
    reference = model._proba(model.head_, model._matrix(model._fields(Xt), fit=False))
    assert np.allclose(model.predict_proba_emb(Xt), reference, atol=1e-12)
    assert np.allclose(model.predict_proba_emb(Xt[:1]), reference[:1], atol=1e-12)
