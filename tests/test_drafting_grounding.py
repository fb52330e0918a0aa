"""Benefit tiers from corpus conventions, deliverables read from the project text, and rows
lent only by genuinely related past projects (issue 8, tier coverage and keyword recall)."""

from __future__ import annotations

import pytest

from jixiao.corpus.records import make_indicator
from jixiao.corpus.schema import GoalTable
from jixiao.models.drafting import self_check as self_check_mod
from jixiao.models.drafting.patterns import mine_patterns
from jixiao.models.drafting.project_reading import project_core, read_project
from jixiao.models.drafting.values import borrowed_value
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.suggest import Suggester
from jixiao.models.suggest_schema import ProjectQuery

ROAD = ProjectQuery(
    name="2026年农村公路养护工程", goal="完成农村公路日常养护120公里，提升路况水平", amount=8_600_000
)
SCHOOL = ProjectQuery(
    name="2026年校舍维修项目",
    goal="维修加固校舍3栋共1.2万平方米，保障全校1500名师生教学安全",
    amount=12_500_000,
)


def _table(tid: str, project: str, rows: list[tuple[str, str, str, str]], department: str | None = None):
    return GoalTable(
        id=tid,
        project=project,
        department=department,
        annual_goal=f"做好{project}",
        indicators=[make_indicator(name, l1, l2, annual_value=v) for l1, l2, name, v in rows],
    )


def _corpus(lasting_authors: int) -> list[GoalTable]:
    """Medical-aid tables by one bureau, plus ``lasting_authors - 1`` other authors' 24 rows."""
    tables = [
        _table(
            f"aid{i}",
            "医疗救助资金",
            [
                ("产出指标", "数量指标", "救助人次", "≥1000人次"),
                ("产出指标", "质量指标", "救助验收合格率", "100%"),
                ("效益指标", "经济效益", "规范使用资金", "规范"),
                ("效益指标", "可持续影响", "保障困难群众医疗权益", "持续保障"),
                ("满意度指标", "服务对象满意度", "服务对象满意度", "≥90%"),
            ],
            department="市医疗保障局",
        )
        for i in range(3)
    ]
    for i in range(lasting_authors - 1):
        tables.append(
            _table(
                f"fix{i}",
                "安全隐患维修",
                [
                    ("产出指标", "数量指标", "维修点位", "≥10处"),
                    ("效益指标", "可持续影响", "消除安全隐患", "持续影响"),
                    ("满意度指标", "服务对象满意度", "职工满意度", "≥90%"),
                ],
                department=f"机关事务局{i}",
            )
        )
    tables += [
        _table(
            "farm",
            "葡萄种植项目",
            [
                ("产出指标", "数量指标", "葡萄种植面积", "≥200亩"),
                ("效益指标", "经济效益", "促使脱贫户增加收入", "≥80万元"),
            ],
            department="农业农村局",
        ),
        _table(
            "coop",
            "新型农业经营主体扶持",
            [
                ("产出指标", "数量指标", "扶持经营主体", "≥5家"),
                ("效益指标", "经济效益", "新型经营主体助农增收", "1980元"),
            ],
            department="乡村振兴局",
        ),
        _table(
            "heat",
            "办公楼暖通改造经费",
            [
                ("产出指标", "数量指标", "改造面积", "≥3000平方米"),
                ("效益指标", "经济效益", "安全率", "100%"),
            ],
            department="机关事务中心",
        ),
    ]
    return tables


def _school_draft_beside(monkeypatch, extra: GoalTable, relevance: float):
    """Draft SCHOOL over the small corpus plus ``extra``, ``extra`` being its only related project."""
    from jixiao.models.drafting import composer
    from jixiao.models.drafting.corpus_candidates import ScoredProject

    s = Suggester.from_tables([*_corpus(2), extra], HashEmbedder(128))
    at = s.index.tables.ids.index(extra.id)
    monkeypatch.setattr(composer, "similar_projects", lambda *a, **k: [ScoredProject(at, relevance, relevance)])
    return s.suggest(SCHOOL).suggestions



def _suggester(lasting_authors: int = 2) -> Suggester:
    return Suggester.from_tables(_corpus(lasting_authors), HashEmbedder(128))


def test_conventions_are_counted_by_author_not_by_table():
    one = _suggester(1).index
    book = mine_patterns(one)
    assert "lasting" not in book.conventions  # three tables of one bureau are one habit
    two = mine_patterns(_suggester(2).index)
    assert two.conventions["lasting"].support == 2
    assert two.conventions["income"].support == 2


def test_a_24_row_restates_the_projects_own_effect_as_lasting():
    r = _suggester(2).suggest(ROAD)
    rows = {s.code: s for s in r.suggestions}
    assert rows["24"].name == "持续提升路况水平" and rows["24"].suggested_value == "长期"
    assert rows["24"].origin == "pattern" and rows["24"].pattern.support == 2
    assert len(rows["24"].evidence) == 2
    assert "22" in rows  # the project's stated effect
    assert "持续提升路况水平" not in r.goal_text  # the goal text does not say it twice


def test_without_a_convention_no_24_row_is_invented():
    r = _suggester(1).suggest(ROAD)
    assert not [s for s in r.suggestions if s.code == "24"]


def test_income_row_only_for_a_productive_project():
    s = _suggester(2)
    farm = s.suggest(ProjectQuery(name="2026年特色葡萄种植项目", goal="发展葡萄种植300亩", amount=900_000))
    income = [x for x in farm.suggestions if x.code == "21"]
    assert [x.name for x in income] == ["带动群众增收"] and income[0].pattern.support == 2
    assert not [x for x in s.suggest(ROAD).suggestions if x.code == "21"]


def test_one_bureaus_generic_wording_is_not_lent():
    names = {x.name for x in _suggester(2).suggest(ROAD).suggestions}
    assert "规范使用资金" not in names


def test_one_table_of_an_unrelated_project_lends_no_row():
    # 安全率 shares 安全 with the school project, but its only source is a heating retrofit.
    names = {x.name for x in _suggester(2).suggest(SCHOOL).suggestions}
    assert "安全率" not in names


def test_a_draft_needing_no_repair_is_reviewed_once(monkeypatch):
    s = _suggester(2)
    calls = []
    real = self_check_mod._review
    monkeypatch.setattr(self_check_mod, "_review", lambda *a: calls.append(1) or real(*a))
    # No amount: the cost tier is filled before the review, not after a first review finds it missing.
    s.suggest(ROAD.model_copy(update={"amount": None}))
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("name", "goal", "tasks"),
    [
        (
            "2023年文物保护经费",
            "主要用于文物修缮、宣传、文创产品开发、文物保护人员经费、办公经费等等支出",
            ["文物修缮", "宣传", "文创产品开发"],
        ),
        (
            "食品监管补助资金",
            "目标1:深入开展食品风险隐患排查整治。 目标2:加大违法行为打击力度。",
            ["食品风险隐患排查整治", "违法行为打击"],
        ),
        ("残疾人事业", "为残疾人提供基本康复服务。对特殊学校贫困学生进行资助", ["基本康复服务", "特殊学校贫困学生资助"]),
        ("综合经费", "2025年计划购置办公文具一批", ["办公文具"]),
        ("残疾人托养", "资助智力、精神和重度肢体残疾人开展托养服务", []),
    ],
)
def test_deliverables_are_read_from_lists_numbered_goals_and_verbs(name, goal, tasks):
    assert [t.name for t in read_project(ProjectQuery(name=name, goal=goal)).tasks] == tasks


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("隆阳区2021年中央化肥减量增效示范县项目补助资金", "化肥减量增效示范县"),
        ("广州市医疗保险服务中心信息系统升级改造项目", "医疗保险服务中心信息系统升级改造"),
        ("支持西青区国有企业疫情期间减免房租补贴", "国有企业疫情期间减免房租"),
        ("双心及文明城市创建专项资金", "双心及文明城市创建"),
        ("东津院区建设补助", "东津院区"),
        ("2026年农村公路养护工程", "农村公路养护"),
    ],
)
def test_project_object_leaves_out_place_year_and_funding_level(name, core):
    assert project_core(name) == core


def test_a_subsidy_paid_to_people_gets_payout_rows():
    facts = read_project(ProjectQuery(name="渔业成品油价格改革补贴", goal="按时发放补贴"))
    assert facts.grant == "补贴"
    assert read_project(ProjectQuery(name="食品监管补助资金", goal="开展食品抽检")).grant is None


def test_a_quantity_is_not_read_from_a_duration_or_a_numbered_sentence():
    facts = read_project(
        ProjectQuery(name="房租减免补贴", goal="2.对国有企业为承租房屋的中小微企业实际减免租金超出3个月的部分予以补助")
    )
    assert facts.quantities == []


def test_a_date_named_row_takes_a_date_never_a_rate():
    assert borrowed_value("100%", "项目完成时间", "13", 2026) is None
    assert borrowed_value("2020年12月", "项目完成时间", "13", 2026).text == "2026年12月31日前"


@pytest.mark.parametrize(("relevance", "lent"), [(0.32, False), (0.65, True)])
def test_an_unquantified_row_of_one_author_is_lent_only_by_the_same_kind_of_project(monkeypatch, relevance, lent):
    # 小学教育公用经费 is related to a school repair (relevance 0.32), but its "安全情况 有效"
    # under 生态效益 is its drafter's wording: only the same kind of project lends it.
    school_fund = _table(
        "school-fund",
        "小学教育公用经费",
        [
            ("产出指标", "数量指标", "保障学生人数", "≥800人"),
            ("效益指标", "生态效益", "校园安全情况", "有效"),
        ],
        department="教育局",
    )
    names = {x.name for x in _school_draft_beside(monkeypatch, school_fund, relevance)}
    assert ("校园安全情况" in names) is lent, names


@pytest.mark.parametrize(
    ("row", "relevance", "lent"),
    [
        (("效益指标", "经济效益", "校舍安全率", "100%"), 0.21, False),  # a benefit row: needs a close project
        (("效益指标", "经济效益", "校舍安全率", "100%"), 0.32, True),
        (("产出指标", "质量指标", "校舍维修资金使用合规率", "100%"), 0.21, True),  # output rows of related work carry over
    ],
)
def test_a_benefit_row_of_one_author_needs_a_close_project(monkeypatch, row, relevance, lent):
    # 暖通改造 (relevance 0.21 to a school repair) files 安全率 under 经济效益: which effect a
    # drafter files where is the least shared convention, so one author's benefit row is lent
    # only by a close project, while its quantified output rows still are.
    retrofit = _table(
        "retrofit",
        "办公宿舍楼校舍暖通改造经费",
        [("产出指标", "数量指标", "改造面积", "≥800平方米"), row],
        department="后勤中心",
    )
    names = {x.name for x in _school_draft_beside(monkeypatch, retrofit, relevance)}
    assert (row[2] in names) is lent, names


def test_a_patterns_examples_come_from_the_most_related_projects(monkeypatch):
    # 验收合格率 is used by the medical-aid tables first (corpus order); a school repair's
    # {对象}验收合格率 should cite the related 安全隐患维修 table, not medical aid.
    repair = _table(
        "repair",
        "安全隐患维修",
        [("产出指标", "数量指标", "维修点位", "≥12处"), ("产出指标", "质量指标", "维修验收合格率", "100%")],
        department="后勤中心",
    )
    row = next(x for x in _school_draft_beside(monkeypatch, repair, 0.4) if x.origin == "pattern" and x.name.endswith("验收合格率"))
    assert row.evidence[0].table_id == "repair", [e.table_id for e in row.evidence]
