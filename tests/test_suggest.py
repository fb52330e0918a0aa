"""The grounded composer: three sources with origin and evidence, values a reviewer
accepts, a goal text from this project only, the self-check, bad input, persistence, CLI."""

from __future__ import annotations

import json
import re

import pytest

from jixiao.corpus.records import make_indicator
from jixiao.corpus.review import Severity
from jixiao.corpus.schema import GoalTable, ValueKind
from jixiao.corpus.taxonomy import Scheme
from jixiao.corpus.values import parse_value
from jixiao.errors import JixiaoError
from jixiao.models import suggest as suggest_mod
from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.drafting import composer
from jixiao.models.drafting.text_match import content_words
from jixiao.models.embedding_base import HashEmbedder
from jixiao.models.suggest import Suggester, dice
from jixiao.models.suggest_schema import MAX_QUERY_CHARS, ProjectQuery
from jixiao.service.cli import main
from jixiao.settings import get_settings


def _table(tid: str, project: str, goal: str, rows: list[tuple[str, str, str, str]]) -> GoalTable:
    return GoalTable(
        id=tid,
        project=project,
        annual_goal=goal,
        indicators=[make_indicator(name, l1, l2, annual_value=v) for l1, l2, name, v in rows],
    )


def corpus() -> list[GoalTable]:
    return [
        _table(
            "aid1",
            "医疗救助专项资金",
            "开展医疗救助，提高救助对象政策知晓率",
            [
                ("产出指标", "数量指标", "救助人次", "≥1000人次"),
                ("产出指标", "质量指标", "救助对象参保率", "100%"),
                ("效益指标", "社会效益", "政策知晓率", "≥80%"),
                ("满意度指标", "服务对象满意度", "服务对象满意度", "≥90%"),
            ],
        ),
        _table(
            "aid2",
            "医疗救助资金",
            "保障困难群众医疗救助",
            [
                ("产出指标", "数量指标", "救助人次", "≥1200人次"),
                ("效益指标", "社会效益", "医疗救助政策知晓率", "≥80%"),
                ("满意度指标", "服务对象满意度", "服务对象满意度(%)", "≥90%"),
            ],
        ),
        _table(
            "aid3",
            "医疗救助经费",
            "医疗救助对象按规定纳入救助",
            [
                ("产出指标", "数量指标", "医疗救助人次", "≥1000人次"),
                ("满意度指标", "服务对象满意度", "服务对象 满意度", "≥95%"),
            ],
        ),
        _table(
            "road",
            "公路养护经费",
            "完成县道公路日常养护",
            [
                ("产出指标", "数量指标", "养护里程", "100公里"),
                ("产出指标", "时效指标", "完成时间", "12月底前"),
                ("产出指标", "成本指标", "养护成本", "≤50万元"),
                ("效益指标", "经济效益", "带动经济增长", "有效"),
                ("满意度指标", "服务对象满意度", "群众满意度", "≥90%"),
            ],
        ),
        _table(
            "train",
            "干部培训经费",
            "组织干部业务培训",
            [
                ("产出指标", "数量指标", "培训人次", "≥300人次"),
                ("成本指标", "经济成本指标", "培训成本", "≤400元/人"),
                ("效益指标", "可持续影响", "培训成果长效应用", "持续"),
            ],
        ),
        _table(
            "car",
            "公务用车购置经费",
            "购买公务车辆，保障执法执勤",
            [
                ("产出指标", "数量指标", "购买车辆数量", "≥3辆"),
                ("产出指标", "成本指标", "车辆成本", "120000元/辆"),
                ("产出指标", "时效指标", "车辆购置完成时间", "2020年12月完成"),
                ("满意度指标", "服务对象满意度", "干警满意度", "≥90%"),
            ],
        ),
        _table(
            "toilet",
            "农村户厕改造资金",
            "完成农村户用卫生厕所改造",
            [
                ("产出指标", "数量指标", "完成农村户用卫生厕所改造数量", "≥2000"),
                ("产出指标", "质量指标", "厕所改造验收合格率", "100%"),
                ("满意度指标", "服务对象满意度", "受益群众满意度", "≥90%"),
            ],
        ),
        _table(
            "park",
            "公园绿化管护",
            "公园绿地日常管护",
            [
                ("产出指标", "数量指标", "绿化面积", "1000平方米"),
                ("产出指标", "质量指标", "苗木成活率", "≥95%"),
            ],
        ),
    ]


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester.from_tables(corpus(), HashEmbedder(128), n_similar=3)


ROAD = ProjectQuery(
    name="2026年农村公路养护工程", goal="完成农村公路日常养护120公里，提升路况水平", amount=8_600_000
)


def test_dice():
    assert dice("救助人次", "救助人次") == 1.0
    assert dice("救助人次", "医疗救助人次") == pytest.approx(0.75)
    assert dice("救助人次", "苗木成活率") == 0.0


def test_project_facts_become_indicators_with_their_phrase(suggester):
    r = suggester.suggest(ROAD)
    by_name = {s.name: s for s in r.suggestions}
    km = by_name["农村公路日常养护里程"]
    assert (km.origin, km.code, km.suggested_value) == ("project", "11", "≥120公里")
    assert km.source_phrase == "完成农村公路日常养护120公里" and km.relevance == 1.0
    cost = by_name["农村公路养护总成本"]
    assert (cost.origin, cost.code, cost.suggested_value) == ("project", "14", "≤860万元")
    assert by_name["农村公路日常养护单位成本"].suggested_value == "≤7.17万元/公里"
    deadline = [s for s in r.tiers["13"] if s.origin == "project"]
    assert deadline and deadline[0].suggested_value == "2026年12月31日前"
    assert r.year == 2026
    assert {"project", "pattern"} <= {s.origin for s in r.suggestions}


def test_no_other_projects_facts_in_a_road_draft(suggester):
    r = suggester.suggest(ROAD)
    text = " ".join(s.name + (s.suggested_value or "") for s in r.suggestions) + r.goal_text
    for word in ("车辆", "厕所", "救助", "参保", "培训", "苗木", "干警", "2000", "120000", "2020"):
        assert word not in text, word
    assert not [s for s in r.suggestions if s.code == "14" and s.origin != "project"]


def test_every_value_is_quantified_dated_in_year_or_marked_qualitative(suggester):
    for q in (ROAD, ProjectQuery(name="公务用车购置", goal="购买车辆3辆", amount=360_000, year=2027)):
        r = suggester.suggest(q)
        for s in r.suggestions:
            pv = parse_value(s.suggested_value)
            if s.qualitative:
                assert pv.kind is not ValueKind.EMPTY
                continue
            assert pv.kind in (ValueKind.NUMERIC, ValueKind.DATE), s
            if pv.kind is ValueKind.NUMERIC:
                assert pv.unit, s
            years = {int(y) for y in re.findall(r"(20\d{2})年", s.suggested_value)}
            assert years <= {r.year}, s
    car = suggester.suggest(ProjectQuery(name="公务用车购置", goal="购买车辆3辆", amount=360_000, year=2027))
    costs = [parse_value(s.suggested_value) for s in car.suggestions if s.code == "14"]
    assert costs and all(c.number * (10_000 if c.unit.startswith("万元") else 1) <= 360_000 for c in costs)
    # The corpus's 2020 deadline is moved into this budget year, never copied.
    assert all("2020" not in (s.suggested_value or "") for s in car.suggestions)


def test_corpus_rows_are_kept_only_when_they_fit(suggester):
    r = suggester.suggest(ProjectQuery(name="医疗救助资金", goal="提高医疗救助对象政策知晓率"))
    corpus_rows = [s for s in r.suggestions if s.origin == "corpus"]
    assert corpus_rows
    for s in corpus_rows:
        assert s.evidence and all(e.project for e in s.evidence)
        assert not content_words(s.name) - {"政策", "知晓率"} or "救助" in s.name or "医疗" in s.name, s.name
    assert r.similar_projects == sorted(r.similar_projects, key=lambda p: -p.relevance)
    related = {p.table_id: p.relevance for p in r.similar_projects}
    assert min(related.get(t, 0) for t in ("aid1", "aid2")) > max(related.get(t, 0) for t in ("park", "car"))


def test_patterns_carry_support_and_examples(suggester):
    r = suggester.suggest(ROAD)
    patterns = [s for s in r.suggestions if s.origin == "pattern" and not s.weak]
    assert patterns
    for s in patterns:
        assert s.pattern is not None and s.pattern.support >= 3
        assert s.pattern.slot and s.name.startswith(s.pattern.slot)
        assert 1 <= len(s.evidence) <= 2


def test_goal_text_numbers_come_from_the_query_or_chosen_indicators(suggester):
    r = suggester.suggest(ROAD)
    allowed = set(re.findall(r"\d+(?:\.\d+)?", ROAD.name + ROAD.goal))
    allowed |= {n for s in r.suggestions for n in re.findall(r"\d+(?:\.\d+)?", s.suggested_value or "")}
    numbers = set(re.findall(r"\d+(?:\.\d+)?", r.goal_text))
    assert numbers and numbers <= allowed, numbers - allowed
    assert "120公里" in r.goal_text and "路况水平" in r.goal_text


@pytest.mark.parametrize("scheme", [Scheme.A, Scheme.B])
def test_self_check_leaves_no_error(suggester, scheme):
    for q in (ROAD, ProjectQuery(name="公园绿化管护"), ProjectQuery(name="2026年专项资金")):
        r = suggester.suggest(q.model_copy(update={"scheme": scheme}))
        assert not [f for f in r.findings if f.severity is Severity.ERROR], r.findings
        need = {"1", "2", "3"} | ({"4"} if scheme is Scheme.B else set())
        assert r.covered_level1() >= need
    b = suggester.suggest(ROAD.model_copy(update={"scheme": Scheme.B}))
    assert "41" in b.tiers and "14" not in b.tiers


def test_project_without_an_object_gets_a_generic_marked_draft(suggester):
    r = suggester.suggest(ProjectQuery(name="2026年专项资金"))
    assert r.generic and any("通用" in w for w in r.warnings)
    assert r.suggestions


def test_candidates_have_stable_ids_and_the_draft_cites_them(suggester):
    r = suggester.suggest(ROAD)
    ids = [c.id for c in r.candidates]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[ptc]\d+", i) for i in ids)
    assert {s.id for s in r.suggestions} <= set(ids)
    assert suggester.suggest(ROAD).model_dump() == r.model_dump()


def test_k_caps_the_draft(suggester):
    assert len(suggester.suggest(ROAD, k=4).suggestions) <= 4 + 3  # + self-check fills
    with pytest.raises(JixiaoError):
        suggester.suggest(ROAD, k=0)


@pytest.mark.parametrize("name,goal", [("", None), ("   ", "  "), ("\n", "")])
def test_empty_project_is_an_error(suggester, name, goal):
    with pytest.raises(JixiaoError, match="项目为空"):
        suggester.suggest(ProjectQuery(name=name, goal=goal))


@pytest.mark.parametrize("field,value", [("amount", -1), ("amount", 0), ("year", 3026), ("year", 1999)])
def test_nonsense_numbers_are_refused_in_chinese(field, value):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as e:
        ProjectQuery(name="x", **{field: value})
    assert re.search(r"[\u4e00-\u9fff]", e.value.errors()[0]["msg"])


def test_long_text_is_truncated_with_warning(suggester):
    r = suggester.suggest(ProjectQuery(name="医疗救助资金", goal="医疗救助" * 4000))
    assert any("16006" in w and str(MAX_QUERY_CHARS) in w for w in r.warnings)
    assert len(r.query.name) + len(r.query.goal) == MAX_QUERY_CHARS
    assert r.suggestions


def _store(settings, tables):
    settings.corpus_dir.mkdir(parents=True, exist_ok=True)
    (settings.corpus_dir / "tables.jsonl").write_text(
        "".join(t.model_dump_json() + "\n" for t in tables), encoding="utf-8"
    )


def test_load_builds_once_then_reuses_and_add_tables_persists(tmp_path, monkeypatch):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    settings = get_settings()
    _store(settings, corpus())
    builds = []
    real_build = CorpusIndex.build.__func__

    def counting_build(cls, *a, **kw):
        builds.append(1)
        return real_build(cls, *a, **kw)

    monkeypatch.setattr(CorpusIndex, "build", classmethod(counting_build))
    emb = HashEmbedder(128)
    s1 = Suggester.load(settings, emb, progress=False, n_similar=3)
    s2 = Suggester.load(settings, emb, progress=False, n_similar=3)
    assert len(builds) == 1
    q = ProjectQuery(name="医疗救助资金")
    assert s1.suggest(q).model_dump() == s2.suggest(q).model_dump()

    from jixiao.corpus.store import add_tables

    new = _table("new", "森林防火经费", "森林防火巡护", [("产出指标", "数量指标", "防火巡护次数", "≥50次")])
    stored = add_tables([new], settings)
    s2.add_tables(stored)
    r = s2.suggest(ProjectQuery(name="森林防火巡护"))
    assert r.similar_projects[0].table_id == "added-new"
    s3 = Suggester.load(settings, emb, progress=False, rebuild=False, n_similar=3)
    assert len(builds) == 1 and s3.index.meta.n_tables == 9
    # Another model's index is refused (rebuild=False) or rebuilt, never used.
    with pytest.raises(JixiaoError, match="嵌入模型"):
        Suggester.load(settings, HashEmbedder(64), progress=False, rebuild=False)
    Suggester.load(settings, HashEmbedder(64), progress=False)
    assert len(builds) == 2


def test_cli_suggest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    _store(get_settings(), corpus())
    assert main(["suggest", "医疗救助资金", "--goal", "提高政策知晓率", "--embedder", "hash", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scheme"] == "A" and set(out["tiers"]) >= {"13", "31"}
    assert main(["suggest", "公园绿化管护", "--amount", "50万元", "--scheme", "B", "--embedder", "hash"]) == 0
    text = capsys.readouterr().out
    assert "绩效目标" in text and "41" in text and "项目" in text and "自检" in text
    assert main(["suggest", "  ", "--embedder", "hash"]) == 2
    assert "项目为空" in capsys.readouterr().err
    assert main(["suggest", "x", "--amount", "abc", "--embedder", "hash"]) == 2
    assert main(["suggest", "x", "--amount", "-5", "--embedder", "hash"]) == 2
    assert main(["suggest", "x", "--year", "3026", "--embedder", "hash"]) == 2
    assert "预算年度" in capsys.readouterr().err


def test_unknown_option_is_a_user_error():
    with pytest.raises(JixiaoError, match="未知的推荐参数"):
        composer._config({"n_similer": 3})


def _top_output_sources(r, n: int = 3) -> list[str]:
    """Where the strongest output (产出) rows borrowed from the corpus come from: their first evidence's table."""
    out = sorted(
        (x for x in r.candidates if x.origin == "corpus" and x.code[0] == "1"), key=lambda x: -x.relevance
    )
    return [x.evidence[0].table_id for x in out[:n]]


@pytest.mark.slow
def test_real_model_answers_medical_aid_from_seeds_and_training_from_external():
    """The packaged corpus and the real model: the seeds are the medical tables, the
    external corpus has none (by construction) but has training indicators."""
    s = Suggester.load(progress=True)
    for scheme in (Scheme.A, Scheme.B):
        need = {"1", "2", "3"} | ({"4"} if scheme is Scheme.B else set())
        aid = s.suggest(
            ProjectQuery(
                name="医疗救助专项资金",
                goal="对困难群众开展医疗救助，提高救助对象政策知晓率，减轻就医负担",
                scheme=scheme,
            )
        )
        assert aid.similar_projects[0].table_id.startswith("seed")
        assert all(t.startswith("seed") for t in _top_output_sources(aid))
        assert aid.covered_level1() >= need
        train = s.suggest(
            ProjectQuery(
                name="药品监管人员业务培训", goal="开展监管人员业务培训，提升监管能力", scheme=scheme
            )
        )
        assert not train.similar_projects[0].table_id.startswith("seed")
        assert not any(t.startswith("seed") for t in _top_output_sources(train))
        assert any("培训" in x.name for x in train.suggestions if not x.weak)
        assert train.covered_level1() >= need


@pytest.mark.parametrize("name", ["hash-abc", "hash-0"])
def test_bad_hash_embedder_name_is_a_user_error(name):
    from jixiao.models.classifier.embedded import embedder_by_name

    with pytest.raises(JixiaoError, match="hash-<维数>"):
        suggest_mod.resolve_embedder(name)
    with pytest.raises(JixiaoError, match="hash-<维数>"):
        embedder_by_name(name)
    assert suggest_mod.resolve_embedder("hash-64").dim == embedder_by_name("hash-64").dim == 64


def test_the_query_vector_reads_the_start_of_a_long_project_text(suggester, monkeypatch):
    # Encoding time grows with length; the name and the goal's start say what a project is,
    # and BM25 and the project reading still see the whole text.
    seen: list[str] = []
    real = suggester.embedder.encode_queries
    monkeypatch.setattr(suggester.embedder, "encode_queries", lambda texts: seen.extend(texts) or real(texts))
    goal = "完成农村公路日常养护120公里，" + "提升路况水平，保障群众安全出行，" * 12 + "改造危桥3座"
    r = suggester.suggest(ProjectQuery(name="2026年农村公路养护工程", goal=goal))
    assert seen and all(len(t) <= composer.QUERY_VECTOR_CHARS for t in seen)
    assert any("3座" in (s.suggested_value or "") or "危桥" in s.name for s in r.suggestions)
