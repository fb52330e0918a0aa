"""Text-table reading rules for messy page text, each on hand-written text in its format.

The raw excerpts in ``corpus/data/external/raw`` measure these rules
(``python -m jixiao.eval.raw_recall``); the texts here are written by hand so that each
rule is pinned by a test of its own and never by a copy of the page it was found on.
"""

from __future__ import annotations

import pytest

from jixiao.corpus.parsers import text_tables
from jixiao.corpus.parsers.cell_stream import stream_grid
from jixiao.corpus.parsers.flattened_text import flattened_grid
from jixiao.corpus.parsers.text import parse_text
from jixiao.corpus.taxonomy import is_level2_name, resolve
from jixiao.errors import ParseError


def _rows(result):
    return [(i.code, i.name, i.annual_value) for t in result.tables for i in t.indicators]


# --- categories printed as 产出值 / 数量值 / 社会效益目标 ------------------------------------


def test_category_suffix_aliases_resolve_by_their_stem():
    assert resolve("效益值", "社会效益值").code == "22"
    assert resolve("产出值", "时效值").code == "13"
    assert resolve(None, "生态效益目标").code == "23"
    assert resolve("满意度值", None).code == "31"
    # A bare suffix is no category, nor is a stem that is none.
    assert not is_level2_name("值")
    assert not is_level2_name("目标")
    assert not is_level2_name("年度值")


VALUE_SUFFIX_TABLE = """\
项目名称

乡村道路保洁

一级

二级

三级

年度数值

备注

产出值

数量值

保洁里程

>=120公里



时效值

保洁完成时间

2026年12月底



效益值

生态效益值

路面整洁率

>=95%



某某镇人民政府主办  某某镇党政办公室承办

网站标识码:1234567890
"""


def test_value_suffixed_categories_and_a_numeric_value_header():
    result = text_tables.parse(VALUE_SUFFIX_TABLE, "page.txt")
    assert _rows(result) == [
        ("11", "保洁里程", ">=120公里"),
        ("13", "保洁完成时间", "2026年12月底"),
        ("23", "路面整洁率", ">=95%"),
    ]


def test_page_footer_lines_are_no_indicator_rows():
    text = (
        "一级指标\t二级指标\t三级指标\t指标值\n"
        "产出指标\t数量指标\t种植面积\t≥50亩\n"
        "某县农业农村局主办\n"
        "备案号:京ICP备00000000号\n"
        "联系电话:010-00000000\n"
    )
    assert _rows(parse_text(text, "t.txt")) == [("11", "种植面积", "≥50亩")]


# --- glued rows: categories, name and value with no separator ----------------------------


def test_headerless_fragment_of_glued_rows_on_one_line():
    text = (
        "产出指标数量指标培训人次≥200人次 15 发放手册数不少于500册 15 "
        "时效指标培训完成率=100% 10 效益指标社会效益指标参训人员知晓率≥90% 20 合计100 评价结论良好。"
    )
    assert _rows(parse_text(text, "frag.txt")) == [
        ("11", "培训人次", "≥200人次"),
        ("11", "发放手册数", "不少于500册"),
        ("13", "培训完成率", "=100%"),
        ("22", "参训人员知晓率", "≥90%"),
    ]


def test_glued_rows_under_an_evaluation_header_cut_descriptions_and_scores():
    text = (
        "某项目绩效评价指标表\n"
        "评价指标评价内容指标名称指标说明目标值分值备注\n"
        "产出数量指标受训学员人数达到预计值\n"
        "学员考核合格率达到目标值90%10\n"
        "时效指标课程按时开班率100%20\n"
        "成本指标人均培训成本控制率95%以上15\n"
        "总分100\n"
    )
    rows = _rows(parse_text(text, "eval.txt"))
    assert rows == [
        ("11", "受训学员人数", "达到预计值"),
        ("11", "学员考核合格率", "达到目标值90%"),
        ("13", "课程按时开班率", "100%"),
        ("14", "人均培训成本控制率", "95%以上"),
    ]


def test_a_bare_number_glued_to_a_name_is_no_value():
    # ``…公里`` then ``2020``: the score columns ran into the name; the target is lost.
    text = "一级指标二级指标三级指标\n产出指标数量指标硬化村道4.5公里2020\n质量指标验收合格率100%100%\n"
    rows = _rows(parse_text(text.replace("\n", " \n"), "glued.txt"))
    assert rows[0] == ("11", "硬化村道4.5公里", None)
    assert rows[1][:2] == ("12", "验收合格率")


# --- items marked 指标1: 指标2: on a page exported column by column ----------------------

SCRAMBLED_NUMBERED = (
    "村级道路养护项目支出绩效自评表 项目名称 村级道路养护 主管部门 某县交通运输局 "
    "年度 总体 目标 一级 指标 年度 实际 指标值 完成值 指标1:养护村道里程 120公里 指标2:修补坑槽面积 "
    "不少于800 平方米 112公里 二级指标 三级指标 指标3:道路巡查次数 分值 得分 24次 22次 5 5 "
    "指标4:0-3级桥梁检查数 15座 15座 5 5 质量指标 指标1:养护路段合格率 ≥95% 96% 10 10 指标2: 时效指标"
)


def test_numbered_items_on_a_column_scrambled_page():
    rows = _rows(parse_text(SCRAMBLED_NUMBERED, "scrambled.txt"))
    assert rows == [
        (None, "养护村道里程", "120公里"),
        (None, "修补坑槽面积", "不少于800"),
        (None, "道路巡查次数", None),
        (None, "0-3级桥梁检查数", "15座"),
        ("12", "养护路段合格率", "≥95%"),
    ]


def test_items_before_any_category_keep_no_guessed_tier():
    result = parse_text(SCRAMBLED_NUMBERED, "scrambled.txt")
    first = result.tables[0].indicators[0]
    assert first.code is None and first.level1 is None
    assert first.inferred_levels == ["level1", "level2"]
    assert any("kept without a tier" in w.problem for w in result.warnings)


def test_unmarked_rows_before_any_category_are_still_dropped():
    text = "一级指标\t二级指标\t三级指标\t指标值\n\t\t说明文字一行\t见附件\n产出指标\t数量指标\t建设里程\t5公里\n"
    assert _rows(parse_text(text, "t.txt")) == [("11", "建设里程", "5公里")]


# --- indicators written as prose ----------------------------------------------------------

PROSE = """\
关于某村饮水安全巩固提升工程绩效目标的公示
根据有关文件精神,项目总体目标是:新建蓄水池2座,受益群众300人。现将绩效目标公示如下:
一、产出指标
数量指标:★新建蓄水池(≥**座)≥2座;铺设供水管网长度不少于3.5公里。质量指标:工程验收合格率=100%。
二、效益指标
社会效益目标:受益群众人数(≥**人)≥300人。生态效益指标:水源保护得到加强。
三、满意度指标
服务对象满意度指标,受益群众满意度≥90%。
附件:绩效目标表.xlsx
"""


def test_prose_indicators_need_a_head_and_a_value():
    result = parse_text(PROSE, "notice.txt")
    assert result.layout == "prose"
    assert result.tables[0].project == "某村饮水安全巩固提升工程"
    assert _rows(result) == [
        ("11", "新建蓄水池", "≥2座"),
        ("11", "铺设供水管网长度", "不少于3.5公里"),
        ("12", "工程验收合格率", "=100%"),
        ("22", "受益群众人数", "≥300人"),
        ("31", "受益群众满意度", "≥90%"),
    ]


def test_prose_in_traditional_characters_with_numbered_heads():
    text = "(一)產出指標\n1、數量指標:發放助學金人數1200人。\n2、質量指標:資助標準100%達標,資金到位率100%達標。\n"
    assert _rows(parse_text(text, "notice.txt")) == [
        ("11", "发放助学金人数", "1200人"),
        ("12", "资助标准", "100%达标"),
        ("12", "资金到位率", "100%达标"),
    ]


def test_prose_without_indicator_heads_is_no_table():
    with pytest.raises(ParseError):
        parse_text("今年共培训农民1200人次,考核合格率达到95%。下一步将继续扩大培训规模≥2000人次。", "news.txt")


# --- a row whose self-evaluation cells are missing ---------------------------------------


def test_a_name_shaped_cell_is_never_eaten_as_a_missing_self_evaluation_cell():
    # A subtotal row prints its score and target only; the next row's name follows at once.
    text = (
        "一级指标 二级指标 三级指标 分值 年度指标值 全年实际值 得分 "
        "产出指标 数量指标 ★改造农房合计 10 10 危房改造面积 300平方米 300平方米 "
        "厕所改造户数 20户 20户 质量指标 ★工程验收合格率 10 10"
    )
    tokens = text.split(" ")
    names = [row[2] for row in stream_grid(tokens)[1:]]
    assert names == ["★改造农房合计", "危房改造面积", "厕所改造户数", "★工程验收合格率"]


# --- a table run into one paragraph (OCR of a scan) ------------------------------------------

OCR_PARAGRAPH = (
    "某县专项资金绩效目标自评表 绩效指标一级指标二级指标三级指标年度指标值全年完成值"
    "产出指标数量指标300吨饲料储备到位率100%100%仓储设施完好率98%98%质量指标饲料抽检合格率100%100%"
    "时效指标资金拨付及时率5符合要求符合要求效益指标社会效益指标养殖户受益户数120户120户"
    "满意度指标服务对象满意度指标养殖户满意度2095%说明无"
)


def test_several_names_under_one_category_are_cut_at_value_runs():
    rows = [r for r in flattened_grid(OCR_PARAGRAPH) if r[2] and r[2] != "三级指标"]
    assert [(r[2], r[3]) for r in rows] == [
        ("300吨饲料储备到位率", "100%"),  # a quantity with its measure word stays in the name
        ("仓储设施完好率", "98%"),
        ("饲料抽检合格率", "100%"),
        ("资金拨付及时率", None),  # a bare number (a score) ends the name
        ("养殖户受益户数", "120户"),
        ("养殖户满意度", None),  # 2095%: a score glued to the target, no value is sure
    ]


def test_an_ocr_paragraph_parses_with_its_categories():
    codes = [code for code, _name, _value in _rows(text_tables.parse(OCR_PARAGRAPH, "ocr.txt"))]
    assert codes == ["11", "11", "12", "13", "22", "31"]


def test_a_reading_that_repeats_names_or_reads_notes_as_names_does_not_win():
    # The cell stream reads this table well; a reading that only adds junk names must not
    # replace it (see text_tables._count).
    text = "一级指标 二级指标 三级指标 指标值\n产出指标 质量指标 验收合格率 ≥98%\n时效指标 完成及时率 100%\n"
    result = text_tables.parse(text, "t.txt")
    assert _rows(result) == [("12", "验收合格率", "≥98%"), ("13", "完成及时率", "100%")]
    assert text_tables._name_reads_well("验收合格率")
    assert not text_tables._name_reads_well("(百分比)")
    assert not text_tables._name_reads_well("尾款未付,提高预算准确度。")


OCR_SELF_EVALUATION = (
    "某项目绩效自评表 级标 一指二级指标三级指标年初目标值实际完成值得分"
    "产出 指标数量指标补贴农户数2020质量指标资金管理专款专用专款专用专款专用10"
    "成本指标预算控制不超过预算不超过预算10时效指标12月底之前完成1100%100%10总分100"
)


def test_ocr_header_without_its_garbled_level_1_cell_and_text_targets():
    rows = [(r[2], r[3]) for r in flattened_grid(OCR_SELF_EVALUATION) if r[2] and r[2] != "三级指标"]
    assert rows == [
        ("补贴农户数", None),  # 2020: score columns, no sure target
        ("资金管理专款专用", "专款专用"),  # target and actual alike: one copy is the target
        ("预算控制", "不超过预算"),  # a repeated target that starts with an operator word
        ("12月底之前完成", None),  # a name may start with a date
    ]


def test_an_operator_word_inside_a_name_stays_without_a_repeat():
    grid = flattened_grid("二级指标三级指标指标值 成本指标采购价格不高于市场价8是是8")
    assert [r[2] for r in grid if r[2] and r[2] != "三级指标"] == ["采购价格不高于市场价"]


# --- smaller rules of the cell stream and the category names ----------------------------


def test_a_category_word_that_repeats_the_level_2_is_the_name():
    text = (
        "一级指标 二级指标 三级指标 指标解释 指标值 "
        "满意度指标 服务对象满意度指标 服务对象满意度 参训学员的满意程度 >=90%"
    )
    grid = stream_grid(text.split(" "))
    assert grid[1][2] == "服务对象满意度"


def test_a_template_s_trailing_deng_is_no_part_of_the_category():
    assert resolve("满意度指标", "服务对象满意度指标等").code == "31"
    assert not is_level2_name("等")


def test_a_name_with_a_template_hint_and_a_note_is_not_taken_for_a_missing_value():
    text = "一级指标 二级指标 三级指标 指标值 产出指标 数量指标 巡查制度落实 临时救助人数(按月平均)(≥**人) >=12人"
    rows = stream_grid(text.split(" "))
    assert [r[2] for r in rows[1:]] == ["巡查制度落实", "临时救助人数(按月平均)(≥**人)"]
    assert rows[2][3] == ">=12人"


def test_header_labels_and_one_character_fragments_are_no_names():
    text = (
        "一级指标\t二级指标\t三级指标\t指标值\n"
        "产出指标\t数量指标\t培训人数\t50人\n"
        "\t\t年度指标值\t实际完成值\n"
        "\t\t率\t\n"
        "\t质量指标\t合格率\t95%\n"
    )
    assert _rows(text_tables.parse(text, "t.txt")) == [("11", "培训人数", "50人"), ("12", "合格率", "95%")]
