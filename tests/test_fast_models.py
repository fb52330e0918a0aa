"""The serving path's shortcuts build exactly what pydantic's generic paths (and the code before) built."""

from __future__ import annotations

import random
from collections import Counter

from pydantic import BaseModel, Field

from jixiao.corpus.review_grade import CriterionScore, criterion_scores
from jixiao.corpus.review_rules import CRITERION_TITLES, RULES, Criterion, Finding, Rule, Severity
from jixiao.corpus.taxonomy import TIERS, Scheme, to_scheme
from jixiao.fast_models import constructed, replaced
from jixiao.models.classifier.contract import Explanation, Neighbor, TierPrediction
from jixiao.models.hybrid import FusionConfig, fuse
from jixiao.service.analysis import RowClassification

CODES = sorted(TIERS)


def same(a, b) -> None:
    assert type(a) is type(b)
    assert list(a.__dict__.items()) == list(b.__dict__.items())  # values and field order
    assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__
    assert a.__pydantic_extra__ == b.__pydantic_extra__ and a.__pydantic_private__ == b.__pydantic_private__
    assert a.model_dump_json() == b.model_dump_json()


def prediction(rng: random.Random) -> TierPrediction:
    codes = rng.sample(CODES, rng.randrange(1, 6))
    probs = {c: rng.random() for c in codes}
    code = rng.choice(codes)
    neighbors = [
        Neighbor(name=f"指标{i}", code=rng.choice([*CODES, "99"]), similarity=rng.random(), table_id=rng.choice([None, "t"]))
        for i in range(rng.randrange(0, 4))
    ]
    table_aware = {"row_code": rng.choice([None, *CODES])} if rng.random() < 0.5 else {}
    return TierPrediction(
        code=code,
        level1=TIERS[code].level1,
        level2=TIERS[code].level2,
        confidence=rng.choice([probs[code], rng.random()]),
        probabilities=probs,
        explanation=Explanation(neighbors=neighbors, rules=["规则"] * rng.randrange(0, 2)),
        **table_aware,  # a row-alone prediction leaves row_code unset
    )


def in_scheme_before(pred: TierPrediction, scheme: Scheme) -> TierPrediction:
    """``TierPrediction.in_scheme`` as it was, through ``model_copy`` and validation."""
    if pred._same_in(scheme):
        return pred
    probs: dict[str, float] = {}
    for code, p in pred.probabilities.items():
        target = to_scheme(TIERS[code], scheme).code if code in TIERS else code
        probs[target] = probs.get(target, 0.0) + p
    tier = to_scheme(TIERS[pred.code], scheme)
    neighbors = [
        n.model_copy(update={"code": to_scheme(TIERS[n.code], scheme).code}) if n.code in TIERS else n
        for n in pred.explanation.neighbors
    ]
    return pred.model_copy(
        update={
            "code": tier.code,
            "level1": tier.level1,
            "level2": tier.level2,
            "confidence": probs.get(tier.code, pred.confidence),
            "probabilities": probs,
            "explanation": Explanation(neighbors=neighbors, rules=list(pred.explanation.rules)),
            "row_code": to_scheme(TIERS[pred.row_code], scheme).code if pred.row_code in TIERS else pred.row_code,
        }
    )


def test_replaced_and_constructed_equal_model_copy_and_model_construct():
    rng = random.Random(7)
    for _ in range(200):
        p = prediction(rng)
        update = {"code": "41", "row_code": None, "outside_declared": True, "probabilities": {"41": 1.0}}
        same(replaced(p, update), p.model_copy(update=update))
        n = Neighbor(name="x", code="11", similarity=0.5)
        same(replaced(n, {"code": "12", "table_id": "t"}), n.model_copy(update={"code": "12", "table_id": "t"}))
        values = {"code": p.code, "level1": p.level1, "level2": p.level2, "confidence": 0.5}
        values |= {"probabilities": p.probabilities, "explanation": p.explanation}
        same(constructed(TierPrediction, **values), TierPrediction.model_construct(**values))
    same(constructed(Explanation), Explanation.model_construct())
    assert constructed(Explanation).neighbors is not constructed(Explanation).neighbors  # a fresh default
    row = {"index": 0, "name": "x", "prediction": p, "declared_code": None, "declared_tier": None, "agrees": None}
    same(constructed(RowClassification, **row), RowClassification.model_construct(**row))
    score = {"criterion": Criterion.RELEVANCE, "title": "t", "score": 90, "errors": 0, "warnings": 1, "infos": 0}
    same(constructed(CriterionScore, **score), CriterionScore(**score))


class _EveryDefault(BaseModel):
    required: int
    text: str = "默认"
    nothing: None = None
    ratio: float = 0.5
    mutable: list[int] = [1, 2]  # pydantic copies it for every model
    kind: Severity = Severity.WARNING
    pair: tuple[int, ...] = (1,)
    made: dict[str, int] = Field(default_factory=dict)
    from_data: int = Field(default_factory=lambda data: data["required"] + 1)


def test_constructed_fills_every_kind_of_default_as_model_construct_does():
    for values in ({"required": 3}, {"required": 3, "text": "给定", "mutable": [9]}, {"required": 3, "from_data": 7}):
        same(constructed(_EveryDefault, **values), _EveryDefault.model_construct(**values))
    a, b = constructed(_EveryDefault, required=1), constructed(_EveryDefault, required=1)
    assert a.mutable == [1, 2] and a.mutable is not b.mutable and a.made is not b.made
    assert a.from_data == 2


def test_in_scheme_equals_the_copy_it_replaced():
    rng = random.Random(14)
    moved = 0
    for _ in range(500):
        p = prediction(rng)
        for scheme in Scheme:
            got, before = p.in_scheme(scheme), in_scheme_before(p, scheme)
            if got is p:
                assert before is p
                continue
            moved += 1
            same(got, before)
            same(got.explanation, before.explanation)
            for a, b in zip(got.explanation.neighbors, before.explanation.neighbors, strict=True):
                same(a, b)
    assert moved > 100


def criterion_scores_before(findings: list[Finding]) -> list[CriterionScore]:
    penalty_of = {Severity.ERROR: 30, Severity.WARNING: 10, Severity.INFO: 2}
    out = []
    for c in Criterion:
        mine = [f for f in findings if f.criterion is c]
        per_rule = Counter((f.rule, f.severity) for f in mine)
        penalty = sum(penalty_of[sev] * min(n, 3) for (_, sev), n in per_rule.items())
        sev = Counter(f.severity for f in mine)
        out.append(
            CriterionScore(
                criterion=c,
                title=CRITERION_TITLES[c],
                score=max(0, 100 - penalty),
                errors=sev[Severity.ERROR],
                warnings=sev[Severity.WARNING],
                infos=sev[Severity.INFO],
            )
        )
    return out


def test_criterion_scores_and_finding_labels_as_before():
    rng = random.Random(3)
    for _ in range(300):
        rules = random.Random(rng.random()).sample(list(RULES), 3)  # few rules: some repeat past the cap
        findings = [
            Finding(
                rule=rng.choice(rules),
                severity=rng.choice(list(Severity)),
                message="m",
                indicator_index=rng.choice([None, 0, 4]),
                indicator_name=rng.choice([None, "救助人次"]),
            )
            for _ in range(rng.randrange(0, 16))
        ]
        for got, before in zip(criterion_scores(findings), criterion_scores_before(findings), strict=True):
            same(got, before)
    f = Finding(rule=Rule(rules[0]), severity=Severity.INFO, message="m", indicator_index=2, indicator_name="x")
    assert {"criterion", "title", "criterion_title", "severity_title", "location"} <= f.__pydantic_fields_set__
    assert f.location == "第 3 行“x”" and f.criterion is RULES[f.rule].criterion


def fuse_before(d_ids, d_scores, s_ids, s_scores, cfg):
    """The ranking as it was: every hit made, then sorted."""
    from jixiao.models.hybrid import Hit

    dense, sparse = dict(zip(d_ids, d_scores, strict=True)), dict(zip(s_ids, s_scores, strict=True))
    fused = {h.id: h.score for h in fuse(d_ids, d_scores, s_ids, s_scores, cfg)}  # the scores themselves
    hits = [Hit(i, f, dense.get(i), sparse.get(i)) for i, f in fused.items()]
    hits.sort(key=lambda h: (-h.score, -(h.dense if h.dense is not None else -1.0), h.id))
    return hits


def test_fuse_limit_keeps_the_first_ranks():
    rng = random.Random(5)
    for _ in range(300):
        d_ids = rng.sample(range(60), rng.randrange(0, 30))
        s_ids = rng.sample(range(60), rng.randrange(0, 30))
        d_scores = sorted((rng.choice([0.5, rng.random()]) for _ in d_ids), reverse=True)
        s_scores = sorted((rng.random() * 9 for _ in s_ids), reverse=True)
        for cfg in (FusionConfig(), FusionConfig(method="weighted", dense_weight=0.3)):
            full = fuse(d_ids, d_scores, s_ids, s_scores, cfg)
            assert full == fuse_before(d_ids, d_scores, s_ids, s_scores, cfg)
            assert len(full) == len(set(d_ids) | set(s_ids))
            for k in (1, 5, 100):
                assert fuse(d_ids, d_scores, s_ids, s_scores, cfg, k) == full[:k]
