"""The recall analysis puts a missed gold row where it could have been reached (issue 8):
a word the draft has, cut differently by jieba, is not a row from an unrelated project."""

from __future__ import annotations

from jixiao.eval.suggest_analysis import bucket_of
from jixiao.models.drafting.text_match import content_words


def _bucket(gold: str, draft: list[str], query: str, best: float | None = None) -> str:
    drafted = frozenset().union(*(content_words(n) for n in draft))
    return bucket_of(content_words(gold), drafted, " ".join(draft), content_words(query), query, best)


def test_a_word_inside_a_drafted_name_is_a_segmentation_miss():
    draft = ["基建工程项目审计完成率"]
    assert not content_words("对控制基建项目成本影响程度") & content_words(draft[0])
    assert _bucket("对控制基建项目成本影响程度", draft, "委托业务项目", best=0.26) == "segmentation"


def test_a_word_inside_the_project_text_is_a_query_miss():
    query = "适龄儿童国家免疫规划疫苗接种"
    assert "儿童" not in content_words(query)
    assert _bucket("0-6岁儿童健康管理数", ["项目完成时间"], query, best=0.5) == "query"


def test_hits_and_rows_without_content_words():
    assert _bucket("农村公路养护里程", ["农村公路日常养护里程"], "农村公路养护") == "hit"
    assert _bucket("资金支付及时率", ["项目完成时间"], "农村公路养护") == "no content word"
    assert _bucket("车辆购置数量", ["项目完成时间"], "农村公路养护", best=0.17) == "borrowable@0.1"


def test_every_bucket_is_reported_in_chinese():
    import re

    from jixiao.eval.suggest_analysis import bucket_title

    for bucket in ("hit", "no content word", "segmentation", "query", "nowhere", "borrowable@0.3"):
        title = bucket_title(bucket)
        assert re.search(r"[\u4e00-\u9fff]", title) and not re.search(r"[A-Za-z]{3,}", title), title
