import pytest

from jixiao.corpus.taxonomy import (
    TIERS,
    Scheme,
    detect_scheme,
    level1_code,
    merge_cost,
    resolve,
    split_combined,
    to_scheme,
)
from jixiao.errors import UnknownCategoryError


@pytest.mark.parametrize(
    ("level1", "level2", "code"),
    [
        ("1-产出指标", "11-数量指标", "11"),
        ("产出指标", "数量指标", "11"),
        ("产出指标(50分)", "产出数量", "11"),
        ("项目完成指标", "质量指标", "12"),
        ("预期产出指标", "时效", "13"),
        ("产出指标", "成本指标", "14"),
        ("产出指标", "预算(或投资规模)控制指标", "14"),
        ("成本指标", "经济成本指标", "41"),
        ("成本指标", "成本指标", "41"),
        ("成本指标", "社会成本指标", "42"),
        ("成本指标", "生态环境成本指\n标", "43"),
        ("2-效益指标", "21-经济效益", "21"),
        ("效果指标", "社会效益", "22"),
        ("效益指标（30分）", "环境效益指标", "23"),
        ("效益指标", "可持续性", "24"),
        ("效益指标", "可持续影响", "24"),
        ("3-满意度指标", "31-服务对象满意度", "31"),
        ("满意度指标", "社会公众或服务对象满意度指标", "31"),
        ("满意度指标", "满意度指标", "31"),
        (None, "【产出指标-数量指标】", "11"),
        ("满意度指标", None, "31"),
    ],
)
def test_variants_resolve_to_one_code(level1, level2, code):
    assert resolve(level1, level2).code == code


def test_unknown_name_lists_accepted_names():
    with pytest.raises(UnknownCategoryError) as e:
        resolve("产出指标", "好坏指标")
    assert "好坏指标" in str(e.value)
    assert "数量指标" in str(e.value) and "服务对象满意度指标" in str(e.value)
    with pytest.raises(UnknownCategoryError):
        level1_code("项目管理")


def test_level1_alone_does_not_fix_output_level2():
    with pytest.raises(UnknownCategoryError):
        resolve("产出指标", None)


def test_scheme_conversion_moves_cost():
    assert to_scheme(TIERS["14"], Scheme.B).code == "41"
    assert to_scheme(TIERS["42"], Scheme.A).code == "14"
    assert to_scheme(TIERS["22"], Scheme.B).code == "22"
    assert merge_cost("43") == merge_cost("14") == "14"
    assert merge_cost("13") == "13"


def test_detect_scheme():
    assert detect_scheme(["11", "41", "31"]) is Scheme.B
    assert detect_scheme(["11", "14"]) is Scheme.A
    assert detect_scheme(["11", "22"]) is None


def test_split_combined():
    assert split_combined("产出指标-数量指标") == ("产出指标", "数量指标")
    assert split_combined("数量指标") is None
