"""Small stand-ins for the classifier and the suggester, following their agreed interfaces,
so the evaluation tests do not depend on trained models."""

from __future__ import annotations

from pydantic import BaseModel

from jixiao.corpus.records import record_to_table
from jixiao.corpus.schema import GoalTable


class FakePrediction(BaseModel):
    code: str
    level1: str = ""
    level2: str = ""
    confidence: float
    probabilities: dict[str, float] = {}


class KeywordClassifier:
    """满意 → 31, 率 → 12, 前/时 → 13, else 11. Refuses to predict for a group it was fitted on,
    which is how the CV tests notice a leak across folds."""

    fits: list[set[str]] = []

    def fit(self, X, y):
        assert len(X) == len(y) and X
        self.groups = {x.group for x in X}
        KeywordClassifier.fits.append(self.groups)
        return self

    def predict(self, X):
        out = []
        for x in X:
            assert x.group not in getattr(self, "groups", set()), f"leak: {x.group} was in training"
            n = x.name
            code = "31" if "满意" in n else "12" if "率" in n else "13" if ("前" in n or "时" in n) else "11"
            out.append(FakePrediction(code=code, confidence=0.8))
        return out


class FakeSuggestion(BaseModel):
    name: str
    code: str
    suggested_value: str | None = None
    score: float = 0.0
    weak: bool = False


class FakeResult(BaseModel):
    suggestions: list[FakeSuggestion]


class CopySuggester:
    """Suggests every indicator of its tables, in order; remembers the tables it was built on."""

    built_on: list[list[str]] = []

    def __init__(self, tables: list[GoalTable]):
        self.tables = tables
        self.sources = {t.source for t in tables}
        CopySuggester.built_on.append([t.id for t in tables])

    def suggest(self, q, k=20):
        items = [
            FakeSuggestion(name=i.name, code=i.code, suggested_value=i.value, score=1.0 / (n + 1))
            for n, i in enumerate(i for t in self.tables for i in t.indicators if i.code)
        ]
        return FakeResult(suggestions=items[:k])


def _rows(*spec: tuple[str, str, str, str]) -> list[dict]:
    return [{"level1": a, "level2": b, "name": n, "value": v} for a, b, n, v in spec]


def record(tid: str, source: str | None, project: str = "医疗救助") -> dict:
    return {
        "id": tid,
        "source_url": source,
        "project": f"{project}{tid}",
        "goal": "减轻困难群众医疗负担",
        "indicators": _rows(
            ("产出指标", "数量指标", "救助人次", "≥100人次"),
            ("产出指标", "质量指标", "救助比例达标率", "≥75%"),
            ("产出指标", "时效指标", "资金发放及时", "12月底前"),
            ("满意度指标", "服务对象满意度指标", "服务对象满意度", "≥90%"),
        ),
    }


def corpus() -> list[GoalTable]:
    """Eight tables from five sources (two sources carry two tables each, one has three)."""
    srcs = ["s1", "s1", "s2", "s3", "s3", "s3", "s4", "s5"]
    return [record_to_table(record(f"t{i}", s)) for i, s in enumerate(srcs)]
