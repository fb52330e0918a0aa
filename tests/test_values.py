import pytest

from jixiao.corpus.normalize import name_key, normalize_text, normalize_value
from jixiao.corpus.schema import ValueKind
from jixiao.corpus.values import parse_amount, parse_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r"$\geq 90\%$", "≥90%"),
        (r"$\leq 300000$ 元", "≤300000元"),
        ("≦3.4万元/月", "≤3.4万元/月"),
        ("＞400元/份", ">400元/份"),
        ("９５％", "95%"),
        ("辅助人员年度考核验收通过率 ", "辅助人员年度考核验收通过率"),
        ("医疗救助政策知晓率 ；", "医疗救助政策知晓率；"),
        ("產出指標", "产出指标"),
        ("≥ 95%", "≥95%"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_word_operators():
    assert normalize_value("大于等于98%") == "≥98%"
    assert normalize_value(">=101人/次") == "≥101人/次"


@pytest.mark.parametrize(
    ("text", "kind", "op", "number", "unit"),
    [
        ("≥90%", ValueKind.NUMERIC, "≥", 90.0, "%"),
        ("100%", ValueKind.NUMERIC, None, 100.0, "%"),
        ("约 1000 条", ValueKind.NUMERIC, "≈", 1000.0, "条"),
        ("≤3.4万元/月", ValueKind.NUMERIC, "≤", 3.4, "万元/月"),
        ("12次", ValueKind.NUMERIC, None, 12.0, "次"),
        ("2", ValueKind.NUMERIC, None, 2.0, None),
        ("有效提高", ValueKind.QUALITATIVE, None, None, None),
        ("推动工作发展，提高单位服务水平", ValueKind.QUALITATIVE, None, None, None),
        ("", ValueKind.EMPTY, None, None, None),
    ],
)
def test_parse_value(text, kind, op, number, unit):
    v = parse_value(text)
    assert (v.kind, v.operator, v.number, v.unit) == (kind, op, number, unit)


@pytest.mark.parametrize(
    ("text", "deadline"),
    [("2024年12月31日前", "2024-12-31"), ("2024 年 12 月 31 日前", "2024-12-31"), ("12月底前", "12")],
)
def test_parse_dates(text, deadline):
    v = parse_value(text)
    assert v.kind == ValueKind.DATE
    assert v.deadline == deadline


def test_schedule_words_are_time_values():
    assert parse_value("每月发放").kind == ValueKind.DATE


@pytest.mark.parametrize(
    ("text", "unit", "yuan"),
    [
        ("3360万元", "元", 33_600_000.0),
        ("44,317.59", "万元", 443_175_900.0),
        ("410000", "元", 410000.0),
        ("387664.62元", "万元", 387664.62),
        ("无", "元", None),
    ],
)
def test_parse_amount(text, unit, yuan):
    assert parse_amount(text, unit) == yuan


def test_name_key_ignores_spacing_and_punctuation():
    assert name_key("服务对象 满意度（%）") == name_key("服务对象满意度%")
