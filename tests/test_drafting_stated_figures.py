"""Figures the project states inside its goals become rows with the drafter's own numbers
(issue 8, keyword recall from the project's own words): never a name with a number in it."""

from __future__ import annotations

import re

from jixiao.corpus.store import build_from_package
from jixiao.corpus.taxonomy import Scheme
from jixiao.models.drafting.project_reading import read_project
from jixiao.models.drafting.sources import project_candidates
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.suggest import Suggester
from jixiao.models.suggest_schema import ProjectQuery


def _rows(name: str, goal: str) -> dict[str, tuple[str, str]]:
    facts = read_project(ProjectQuery(name=name, goal=goal, year=2023))
    return {c.name: (c.code, c.value.text) for c in project_candidates(facts, Scheme.A) if c.value}


def test_a_promised_rate_is_a_quality_row_with_its_figure():
    rows = _rows("基本医疗救助金", "重点救助对象政策范围内个人自付费用年度限额内住院救助比例达到70%。")
    assert rows["重点救助对象政策范围内个人自付费用年度限额内住院救助比例"] == ("12", "≥70%")


def test_an_effect_stated_with_money_is_a_benefit_row_with_its_figure():
    rows = _rows("特色种养殖补贴到户项目", "鼓励发展特色产业,增加脱贫户收入10.9304万元。")
    assert rows["脱贫户收入"] == ("21", "≥10.9304万元")
    assert not [n for n in rows if re.search(r"\d", n)], rows


def test_a_deliverable_counted_after_its_verb_keeps_the_verb_and_the_count():
    rows = _rows("马铃薯繁育示范推广项目", "通过政府招标采购方式,采购马铃薯原原种425万粒,免费向农户发放")
    assert rows["采购马铃薯原原种数量"] == ("11", "≥425万粒")
    rows = _rows("省级水利专项资金", "开展7个小型水利工程建设")
    assert rows["小型水利工程建设数量"] == ("11", "≥7个")


def test_a_stated_unit_standard_is_a_cost_row():
    rows = _rows("雨露计划就学补助项目", "1.对学生发放就学补助; 2.补助标准为:每生 1500 元/学期。")
    assert rows["补助标准"] == ("14", "≤1500元/生·学期")


def test_no_task_or_effect_name_carries_a_number():
    rows = _rows(
        "雨露计划就学补助项目", "1.对提供就读学籍证明的学生发放就学补助; 2.补助标准为:每生 1500 元/学期。"
    )
    assert not [n for n in rows if re.search(r"\d", n)], rows


def test_numbered_goals_written_inline_are_read_one_by_one():
    facts = read_project(
        ProjectQuery(
            name="两品一械监管",
            goal="目标1:完成两品一械抽检工作 目标2:加强两品一械企业监管力度 目标3:加强培训,提高监管人员专业水平 "
            "目标4:加强两品一械科普宣传力度",
        )
    )
    assert {"两品一械抽检", "两品一械科普宣传"} <= {t.name for t in facts.tasks}
    assert [e.name for e in facts.effects] == ["监管人员专业水平"]


def test_households_jieba_splits_are_beneficiaries():
    assert read_project(
        ProjectQuery(name="临时救助", goal="为建档立卡扶贫户解决临时性的困难")
    ).beneficiaries == ["建档立卡扶贫户"]
    facts = read_project(ProjectQuery(name="黄金蜜种植项目", goal="受益脱贫户、监测户10户"))
    assert facts.beneficiaries[:1] == ["脱贫户"]


def test_the_beneficiary_household_names_the_satisfaction_row():
    sug = Suggester.from_tables(build_from_package().tables, HashEmbedder(256))
    r = sug.suggest(ProjectQuery(name="临时救助", goal="为建档立卡扶贫户解决临时性的困难", year=2023))
    assert "建档立卡扶贫户满意度" in {s.name for s in r.suggestions if s.code == "31"}


def test_a_list_of_tasks_under_one_verb_gives_each_task():
    facts = read_project(
        ProjectQuery(
            name="医疗救助专项经费",
            goal="通过开展医疗救助业务评估、法律服务、医疗救助宣传、绩效管理等工作，有效提升医疗救助经办服务水平。",
        )
    )
    assert {"医疗救助业务评估", "法律服务", "医疗救助宣传"} <= {t.name for t in facts.tasks}
    facts = read_project(
        ProjectQuery(name="安全生产专项督查经费", goal="全力以赴做好安全生产、防灾减灾救灾工作")
    )
    assert "防灾减灾救灾" in {t.name for t in facts.tasks}


def test_effects_are_read_after_numbering_and_paired_verbs():
    facts = read_project(
        ProjectQuery(name="地方志研究室部门整体支出", goal="目标4:保障志鉴地情相关工作开展所需资金")
    )
    assert [(e.verb, e.name) for e in facts.effects] == [("保障", "志鉴地情相关工作开展所需资金")]
    facts = read_project(ProjectQuery(name="县级储备粮", goal="保持和稳定地方粮食储备机制"))
    assert [(e.verb, e.name) for e in facts.effects] == [("稳定", "地方粮食储备机制")]


def test_a_count_followed_by_its_object_is_named_by_that_object():
    facts = read_project(ProjectQuery(name="土地确权系统维护", goal="2台服务器托管服务10320元/年"))
    assert [(q.name, q.value) for q in facts.quantities] == [("服务器托管服务数量", "≥2台")]


def test_the_task_after_a_count_is_a_task():
    facts = read_project(
        ProjectQuery(name="瓶改管工程", goal="对南湖街道符合要求的12个住宅小区以及城中村完成天然气管道改造")
    )
    assert [(q.name, q.value) for q in facts.quantities] == [("住宅小区数量", "≥12个")]
    assert [t.name for t in facts.tasks] == ["天然气管道改造"]


def test_budget_codes_hotlines_and_head_counts_are_not_the_projects_object():
    from jixiao.models.drafting.project_reading import project_core

    assert project_core("51000021R000000019951-工资性支出") == "工资性支出"
    assert project_core("51092324T000010263357-2023年全县安可替代补助资金项目") == "安可替代"
    assert (
        project_core("12350安全生产举报奖及安全生产专项督查等工作经费")
        == "安全生产举报奖及安全生产专项督查等"
    )
    assert project_core("19名百岁老人高龄津贴") == "百岁老人高龄津贴"
    assert project_core("2026年农村公路养护工程") == "农村公路养护"


def test_the_same_programme_elsewhere_lends_its_rows_however_long_the_goal_text():
    from jixiao.corpus.records import make_indicator
    from jixiao.corpus.schema import GoalTable
    from jixiao.models.drafting.same_programme import same_programme

    def table(tid, project, goal, rows, department):
        return GoalTable(
            id=tid,
            project=project,
            department=department,
            annual_goal=goal,
            indicators=[make_indicator(n, "产出指标", "数量指标", annual_value=v) for n, v in rows],
        )

    corpus = [
        table(
            "gw",
            "国家基本公共卫生服务",
            "国家基本公共卫生服务",
            [("居民健康档案建档数", "38508人"), ("老年人体检数", "5662人")],
            "稷山县卫生健康和体育局",
        ),
        table("road", "农村公路养护工程", "完成农村公路养护", [("养护里程", "≥20公里")], "交通运输局"),
        table("aid", "医疗救助资金", "开展医疗救助", [("救助人次", "≥1000人次")], "医疗保障局"),
    ]
    query = ProjectQuery(
        name="国家基本公共卫生服务项目",
        goal="针对城乡居民存在的主要健康问题,以儿童、孕产妇、慢性疾病患者为重点人群,面向全体居民免费提供公共卫生服务",
        year=2023,
    )
    assert same_programme("国家基本公共卫生服务", "国家基本公共卫生服务")
    assert not same_programme("综合", "综合")  # a kind of budget line, not a programme
    r = Suggester.from_tables(corpus, HashEmbedder(128)).suggest(query)
    assert max(p.relevance for p in r.similar_projects if p.table_id == "gw") >= 0.6
    assert "居民健康档案建档数" in {s.name for s in r.suggestions}
    assert "38508" not in " ".join(s.suggested_value or "" for s in r.suggestions)
