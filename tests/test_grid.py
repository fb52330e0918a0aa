"""grid_to_tables on small hand-made grids: the rules every file reader relies on."""

from __future__ import annotations

import pytest

from jixiao.corpus.parsers.grid import clean_name, grid_to_tables, header_roles
from jixiao.errors import UnknownCategoryError

HEADER = ["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"]


def _meta(project: str, amount: str = "10") -> list[list[str | None]]:
    return [
        ["项目名称", project, None, None, None],
        ["主管部门", "某某局", "实施单位", "某某中心", None],
        ["项目资金(万元)", "年度资金总额:", amount, None, None],
        ["年度目标", "完成某项工作。", None, None, None],
    ]


def _rows(result):
    return [
        (i.level1, i.level2, i.name, i.annual_value, i.inferred_levels) for i in result.tables[0].indicators
    ]


def test_merged_cells_carry_levels_down_and_record_it():
    grid = _meta("甲项目") + [
        HEADER,
        [None, "产出指标", "数量指标", "培训人次", "≥100人次"],
        [None, None, None, "覆盖乡镇", "12个"],
        [None, None, "质量指标", "合格率", "≥95%"],
        [None, "满意度指标", "服务对象满意度指标", "群众满意度", "≥90%"],
    ]
    result = grid_to_tables(grid, "t.xlsx")
    assert len(result.tables) == 1
    t = result.tables[0]
    assert (t.project, t.department, t.unit) == ("甲项目", "某某局", "某某中心")
    assert t.amount_raw == "10万元" and t.amount == 100000.0
    assert t.annual_goal == "完成某项工作。"
    assert _rows(result) == [
        ("产出指标", "数量指标", "培训人次", "≥100人次", []),
        ("产出指标", "数量指标", "覆盖乡镇", "12个", ["level1", "level2"]),
        ("产出指标", "质量指标", "合格率", "≥95%", ["level1"]),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "≥90%", []),
    ]
    assert [i.code for i in t.indicators] == ["11", "11", "12", "31"]


def test_split_value_columns_are_joined_and_self_evaluation_columns_ignored():
    header = [
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "指标方向",
        "年度指标值",
        "实际完成值",
        "计量单位",
        "分值",
        "得分",
    ]
    grid = [
        ["项目名称", "乙项目"] + [None] * 8,
        header,
        ["产出指标", "数量指标", "指标1:租车次数(次)", "正向", "大于等于", "1", "3", "次", "8", "8"],
        [None, "质量指标", "★达标率(≥**%)", "正向", "等于", "100", "97", "%", "8", "7"],
        [None, "成本指标", "单位成本", "反向", "≤", "9.9", "9.5", "万元", "5", "5"],
    ]
    rows = _rows(grid_to_tables(grid, "t.xlsx"))
    assert [(r[2], r[3]) for r in rows] == [
        ("租车次数(次)", "大于等于1次"),
        ("达标率", "等于100%"),
        ("单位成本", "≤9.9万元"),
    ]


def test_actual_value_column_is_never_taken_as_the_target():
    header = ["一级指标", "二级指标", "三级指标", "实际完成值", "年度指标值", "得分"]
    grid = [header, ["产出指标", "数量指标", "宣传次数", "7次", "≥5次", "10"]]
    rows = _rows(grid_to_tables(grid, "t.csv"))
    assert rows[0][3] == "≥5次"


def test_period_and_annual_values_go_to_their_own_fields():
    header = ["一级指标", "二级指标", "三级指标", "实施周期指标值", "年度指标值"]
    grid = [header, ["产出指标", "数量指标", "新建道路", "≥30公里", "≥10公里"]]
    ind = grid_to_tables(grid, "t.xlsx").tables[0].indicators[0]
    assert (ind.period_value, ind.annual_value) == ("≥30公里", "≥10公里")


def test_two_tables_in_one_grid_are_split_at_the_second_project():
    grid = (
        _meta("甲项目", "10")
        + [HEADER, [None, "产出指标", "数量指标", "培训人次", "100人次"]]
        + _meta("乙项目", "20")
        + [HEADER, [None, "效益指标", "社会效益指标", "群众知晓率", "≥80%"]]
    )
    result = grid_to_tables(grid, "two.xlsx")
    assert [t.project for t in result.tables] == ["甲项目", "乙项目"]
    assert [t.id for t in result.tables] == ["two-01", "two-02"]
    assert [t.amount for t in result.tables] == [100000.0, 200000.0]
    assert [[i.name for i in t.indicators] for t in result.tables] == [["培训人次"], ["群众知晓率"]]


def test_combined_category_cells_are_split():
    grid = [
        ["一级指标", "三级指标", "指标值"],
        ["【产出指标-时效指标】", "完成时间", "12月底前"],
        ["效益指标-可持续影响指标", "长效机制", "逐步建立"],
    ]
    rows = _rows(grid_to_tables(grid, "t.xlsx"))
    assert [(r[0], r[1]) for r in rows] == [("产出指标", "时效指标"), ("效益指标", "可持续影响指标")]


def test_category_rows_without_a_name_are_skipped_silently():
    grid = [
        HEADER,
        [None, "效益指标", "经济效益指标", None, None],
        [None, None, "社会效益指标", "就医负担", "明显减轻"],
    ]
    result = grid_to_tables(grid, "t.xlsx")
    assert [i.code for i in result.tables[0].indicators] == ["22"]
    assert result.warnings == []


def test_unknown_category_is_a_warning_on_a_kept_row():
    grid = [
        HEADER,
        [None, "产出指标", "数量指标", "培训人次", "100人次"],
        [None, None, "服务指标", "服务人次", "200人次"],
    ]
    result = grid_to_tables(grid, "t.xlsx")
    inds = result.tables[0].indicators
    assert [i.name for i in inds] == ["培训人次", "服务人次"]
    assert inds[1].code is None
    assert any("服务指标" in w.problem for w in result.warnings)


def test_only_unknown_categories_raise():
    grid = [HEADER, [None, "服务指标", "保障指标", "服务人次", "200人次"]]
    with pytest.raises(UnknownCategoryError):
        grid_to_tables(grid, "t.xlsx")


def test_grid_without_a_goal_table_gives_nothing():
    result = grid_to_tables([["姓名", "年龄"], ["张三", "30"]], "people.csv")
    assert result.tables == []


def test_header_roles_need_levels():
    assert header_roles(["序号", "项目名称", "预算金额"]) is None
    roles = header_roles(["年度绩效目标(80分)", "一级指标", "二级指标", "三级指标", "年初目标值(A)", "得分"])
    assert roles is not None and 0 not in roles and roles[4] == "value" and roles[5] == "ignore"


def test_clean_name_drops_template_hints_only():
    assert clean_name("★★★农村低保发放人数(按月平均)(≥**人)") == "农村低保发放人数(按月平均)"
    assert clean_name("指标1:租车次数(次)") == "租车次数(次)"
    assert clean_name("12350安全生产举报奖励次数") == "12350安全生产举报奖励次数"
