"""Row names read from the project's text name a thing as a budget officer would (issue 8):
each grammar rule on sentences written for the test, not taken from the corpus."""

from __future__ import annotations

from jixiao.models.drafting.project_reading import read_project
from jixiao.models.suggest_schema import ProjectQuery


def _read(goal: str):
    return read_project(ProjectQuery(name="测试项目", goal=goal, year=2026))


def _quantities(goal: str) -> list[tuple[str, str]]:
    return [(q.name, q.value) for q in _read(goal).quantities]


def _tasks(goal: str) -> list[str]:
    return [t.name for t in _read(goal).tasks]


def test_a_period_is_no_part_of_the_name_and_a_measure_gets_no_second_measure():
    assert _quantities("慰问次数每季度4次") == [("慰问次数", "≥4次")]
    # Counted after its verb: the verb names the bare measure (培训次数, not 次数每月数量).
    assert _quantities("培训次数每月2次") == [("培训次数", "≥2次")]


def test_a_value_qualifier_after_the_count_belongs_to_the_value():
    assert _quantities("资助困难学生200人以下") == [("困难学生人数", "≤200人")]
    rows = _quantities("对辖区困难老人进行走访慰问300人以上")
    assert rows == [("走访慰问人数", "≥300人")]


def test_a_count_of_people_served_is_named_by_the_service():
    assert _quantities("对乡村医生进行发放岗位补贴260人") == [("岗位补贴发放人数", "≥260人")]


def test_an_adjectival_phrase_and_a_quantifier_are_not_a_task():
    assert _tasks("建设一个布局更加合理，更加便民的服务网点") == []
    assert _tasks("建立一套覆盖全县的监测网络") == ["监测网络"]


def test_a_task_name_never_starts_mid_word():
    assert _tasks("建立完善的考核评价体系") == ["考核评价体系"]
    assert _tasks("做好对口帮扶工作") == ["对口帮扶"]


def test_a_modifier_ending_in_de_is_dropped_and_an_owner_keeps_its_noun():
    assert _tasks("购置必要的办公设备") == ["办公设备"]
    assert _tasks("做好辖区群众的健康体检") == ["辖区群众健康体检"]
    assert _tasks("落实必要的安全防护") == ["安全防护"]
    # A time word goes; an adjective narrowing a noun stays with it.
    assert _tasks("做好上年度新入学的困难学生资助") == ["新入学困难学生资助"]
    assert _tasks("落实当年新入职的乡村教师培训") == ["新入职乡村教师培训"]


def test_a_classifier_counts_the_noun_that_follows_it():
    assert _quantities("完成县医院3间手术室的净化改造") == [("手术室数量", "≥3间")]
    long_tail = "完成县医院3间手术室及配套用房的净化改造和设备安装调试工作"
    assert _quantities(long_tail) == [("手术室数量", "≥3间")]
