"""Grounded suggestions: merging, values, tier coverage, bad input, persistence, CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from jixiao.corpus.errors import JixiaoError
from jixiao.corpus.normalize import normalize_text
from jixiao.corpus.records import make_indicator
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import TIERS, Scheme
from jixiao.models import suggest as suggest_mod
from jixiao.models.corpus_index import CorpusIndex
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


def test_dice():
    assert dice("救助人次", "救助人次") == 1.0
    assert dice("救助人次", "医疗救助人次") == pytest.approx(0.75)
    assert dice("救助人次", "苗木成活率") == 0.0


def test_near_duplicates_merge_into_one_suggestion_with_value_distribution(suggester):
    r = suggester.suggest(ProjectQuery(name="医疗救助资金", goal="提高医疗救助对象政策知晓率"))
    assert {p.table_id for p in r.similar_projects} == {"aid1", "aid2", "aid3"}
    sat = [s for s in r.tiers["31"] if {s.name, *s.variants} & {"服务对象满意度", "服务对象满意度(%)"}]
    assert len(sat) == 1, [s.name for s in r.tiers["31"]]
    s = sat[0]
    assert {s.name, *s.variants} == {"服务对象满意度", "服务对象满意度(%)"} | set(s.variants)
    assert s.value_distribution == {"≥90%": 2, "≥95%": 1}
    assert s.suggested_value == "≥90%"
    assert s.support == 3 and not s.weak
    assert {e.table_id for e in s.evidence} == {"aid1", "aid2", "aid3"}
    counts = [s for s in r.tiers["11"] if "救助人次" in {s.name, *s.variants}]
    assert len(counts) == 1 and "医疗救助人次" in {counts[0].name, *counts[0].variants}
    assert counts[0].value_distribution == {"≥1000人次": 2, "≥1200人次": 1}


def test_evidence_points_at_real_rows(suggester):
    tables = {t.id: t for t in corpus()}
    r = suggester.suggest(ProjectQuery(name="医疗救助资金"), k=10)
    for s in r.suggestions:
        assert s.code in TIERS and s.level2 == TIERS[s.code].level2
        for e in s.evidence:
            rows = {normalize_text(i.name): i for i in tables[e.table_id].indicators}
            assert e.indicator_name in rows
            assert e.value == (rows[e.indicator_name].value or None)


def _nearest_only(s: Suggester) -> Suggester:
    """Only the single most similar table counts, so tiers it lacks must come from the weak fill."""
    return Suggester(s.index, s.embedder, replace(s.config, n_similar=1, name_margin=0.0))


def test_scheme_a_covers_required_tiers_with_weak_fill(suggester):
    r = _nearest_only(suggester).suggest(ProjectQuery(name="公园绿化管护经费", goal="公园绿地日常管护"))
    assert r.scheme is Scheme.A
    assert r.covered_level1() >= {"1", "2", "3"}
    assert not any(s.code in ("41", "42", "43") for s in r.suggestions)
    for s in r.suggestions:
        if s.code[0] in "23":
            assert s.weak and s.support == 0 and s.evidence, s
        else:
            assert not s.weak
    assert any(s.name == "苗木成活率" for s in r.tiers["12"])
    assert any("满意度指标" in w for w in r.warnings)


def test_scheme_b_adds_cost(suggester):
    r = _nearest_only(suggester).suggest(
        ProjectQuery(name="公园绿化管护经费", goal="公园绿地日常管护", scheme=Scheme.B)
    )
    assert r.covered_level1() >= {"1", "2", "3", "4"}
    cost = [s for s in r.suggestions if s.code[0] == "4"]
    assert cost and all(s.weak and s.code == "41" for s in cost)
    assert {s.name for s in cost} <= {"养护成本", "培训成本"}
    assert "14" not in r.tiers


def test_retrieved_cost_is_not_weak_under_b(suggester):
    r = suggester.suggest(ProjectQuery(name="干部培训经费", goal="组织干部业务培训", scheme="B"))
    assert any(s.name == "培训成本" and not s.weak and s.code == "41" for s in r.suggestions)


def test_k_caps_retrieved_suggestions(suggester):
    r = suggester.suggest(ProjectQuery(name="医疗救助资金"), k=3)
    strong = [s for s in r.suggestions if not s.weak]
    assert len(strong) == 3
    # The cap never costs a required tier its place.
    assert {s.code[0] for s in strong} == {"1", "2", "3"}


def test_goal_text_is_grounded(suggester):
    r = suggester.suggest(ProjectQuery(name="医疗救助资金"))
    assert r.goal_text.startswith("医疗救助资金：")
    top = max(r.tiers["11"], key=lambda s: s.score)
    assert top.name in r.goal_text
    # Without a user goal, the opening quotes the most similar project's goal.
    assert r.similar_projects[0].goal[:10] in r.goal_text


@pytest.mark.parametrize("name,goal", [("", None), ("   ", "  "), ("\n", "")])
def test_empty_project_is_an_error(suggester, name, goal):
    with pytest.raises(JixiaoError, match="empty project"):
        suggester.suggest(ProjectQuery(name=name, goal=goal))


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
    assert len(builds) == 1 and s3.index.meta.n_tables == 7
    # Another model's index is refused (rebuild=False) or rebuilt, never used.
    with pytest.raises(JixiaoError, match="model"):
        Suggester.load(settings, HashEmbedder(64), progress=False, rebuild=False)
    Suggester.load(settings, HashEmbedder(64), progress=False)
    assert len(builds) == 2


def test_cli_suggest(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JIXIAO_HOME", str(tmp_path))
    _store(get_settings(), corpus())
    assert main(["suggest", "医疗救助资金", "--goal", "提高政策知晓率", "--embedder", "hash", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["scheme"] == "A" and set(out["tiers"]) >= {"11", "31"}
    assert main(["suggest", "公园绿化管护", "--scheme", "B", "--embedder", "hash"]) == 0
    text = capsys.readouterr().out
    assert "绩效目标" in text and "[weak]" in text and "41" in text
    assert main(["suggest", "  ", "--embedder", "hash"]) == 2
    assert "empty project" in capsys.readouterr().err
    assert main(["suggest", "x", "--amount", "abc", "--embedder", "hash"]) == 2


def test_unknown_option_is_a_user_error():
    with pytest.raises(JixiaoError, match="unknown suggester option"):
        suggest_mod._config({"n_similer": 3})


def _top_output_sources(r, n: int = 3) -> list[str]:
    """Where the strongest output (产出) suggestions come from: their first evidence's table."""
    out = sorted((x for x in r.suggestions if not x.weak and x.code[0] == "1"), key=lambda x: -x.score)
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


def test_unit_of_only_punctuation_gets_no_unit_bonus():
    t = _table("t", "公路养护经费", "完成县道公路日常养护", [("产出指标", "数量指标", "养护里程", "100公里")])
    ix = CorpusIndex.build(
        [t.model_copy(update={"department": "交通运输局"})], HashEmbedder(32), corpus_version="v"
    )
    assert suggest_mod._context_bonus(ProjectQuery(name="x", unit="（—）"), ix, 0) == 1.0
    assert suggest_mod._context_bonus(ProjectQuery(name="x", unit="县交通运输局"), ix, 0) == pytest.approx(
        1.05
    )


@pytest.mark.parametrize("name", ["hash-abc", "hash-0"])
def test_bad_hash_embedder_name_is_a_user_error(name):
    from jixiao.models.classifier.embedded import embedder_by_name

    with pytest.raises(JixiaoError, match="hash-<dim>"):
        suggest_mod.resolve_embedder(name)
    with pytest.raises(JixiaoError, match="hash-<dim>"):
        embedder_by_name(name)
    assert suggest_mod.resolve_embedder("hash-64").dim == embedder_by_name("hash-64").dim == 64
