"""A small, model-free engine for the API tests and for a real uvicorn process in tests.

It is deliberately simple but not canned: classification follows keyword and value
rules, and suggestions come from the most similar table (character bigrams) in its
own corpus, which grows when tables are added, so "a table added through the API is
suggested on the next query" is a real round trip through the app.
"""

from __future__ import annotations

import threading
import time

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.normalize import name_key
from jixiao.corpus.records import read_records
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.store import corpus_version
from jixiao.corpus.taxonomy import TIERS, Scheme
from jixiao.corpus.values import parse_value
from jixiao.models.classifier.contract import ClassifyInput, Explanation, TierPrediction
from jixiao.models.suggest_schema import Evidence, ProjectQuery, SimilarProject, SuggestedTable, Suggestion
from jixiao.service.app import create_app
from jixiao.service.deps import EngineStatus
from jixiao.settings import Settings, get_settings


def rule_code(x: ClassifyInput) -> tuple[str, str]:
    name = x.name
    v = parse_value(x.value)
    if "满意" in name:
        return "31", "名称含“满意”"
    if v.kind.value == "date" or "及时" in name or "时间" in name:
        return "13", "指标值是日期或名称含“及时”"
    if v.unit in ("元", "万元") or "成本" in name or "标准" in name:
        return "14", "指标值是金额"
    if "收入" in name or "增收" in name or "经济" in name:
        return "21", "名称含收入类词语"
    if "率" in name:
        return "12", "名称含“率”"
    if v.kind.value == "qualitative":
        return "22", "指标值是定性描述"
    return "11", "默认：数量"


class FakeEngine:
    def __init__(self, tables: list[GoalTable] | None = None, delay_s: float = 0.0):
        self.tables = list(tables if tables is not None else read_records(EXTERNAL_TABLES)[0][:20])
        self.delay_s = delay_s
        self.classified = 0
        self._lock = threading.Lock()

    def classify(self, inputs: list[ClassifyInput]) -> list[TierPrediction]:
        time.sleep(self.delay_s)
        out = []
        for x in inputs:
            code, why = rule_code(x)
            tier = TIERS[code]
            labels = [c for c in TIERS if c not in ("41", "42", "43")]  # cost merged into 14
            probs = {c: (0.9 if c == code else 0.1 / (len(labels) - 1)) for c in labels}
            out.append(
                TierPrediction(
                    code=code,
                    level1=tier.level1,
                    level2=tier.level2,
                    confidence=0.9,
                    probabilities=probs,
                    explanation=Explanation(rules=[why]),
                )
            )
        with self._lock:
            self.classified += len(inputs)
        return out


    def _similarity(self, q: ProjectQuery, t: GoalTable) -> float:
        def grams(s: str) -> set[str]:
            k = name_key(s)
            return {k[i : i + 2] for i in range(len(k) - 1)}

        a, b = grams(q.name + (q.goal or "")), grams((t.project or "") + (t.goal or ""))
        return len(a & b) / max(1, len(a | b))

    def suggest(self, query: ProjectQuery, k: int) -> SuggestedTable:
        time.sleep(self.delay_s)
        with self._lock:
            ranked = sorted(self.tables, key=lambda t: -self._similarity(query, t))[: max(1, min(k, 5))]
        best = ranked[0]
        tiers: dict[str, list[Suggestion]] = {}
        for ind in best.indicators:
            if ind.code not in TIERS:
                continue
            tier = TIERS[ind.code]
            tiers.setdefault(ind.code, []).append(
                Suggestion(
                    name=ind.name,
                    code=ind.code,
                    level1=tier.level1,
                    level2=tier.level2,
                    suggested_value=ind.value,
                    evidence=[
                        Evidence(
                            table_id=best.id,
                            project=best.project,
                            indicator_name=ind.name,
                            value=ind.value,
                            similarity=self._similarity(query, best),
                        )
                    ],
                    support=1,
                )
            )
        return SuggestedTable(
            query=query,
            scheme=query.scheme or Scheme.A,
            goal_text=f"通过实施{query.name}，{best.goal or ''}",
            tiers=tiers,
            similar_projects=[
                SimilarProject(table_id=t.id, project=t.project, similarity=self._similarity(query, t))
                for t in ranked
            ],
        )

    def add_tables(self, tables: list[GoalTable], who: str | None = None) -> list[GoalTable]:
        stored = [t.model_copy(update={"id": f"added-{t.id}"}) for t in tables]
        with self._lock:
            self.tables.extend(stored)
        return stored

    def status(self) -> EngineStatus:
        with self._lock:
            return EngineStatus(
                model="fake-rules",
                classifier="FakeEngine",
                corpus_version=corpus_version(self.tables),
                corpus_tables=len(self.tables),
                index_size=sum(len(t.indicators) for t in self.tables),
            )


def create_fake_app(settings: Settings | None = None):  # noqa: ANN201
    """A uvicorn ``--factory`` target: the real app around the fake engine."""
    return create_app(settings or get_settings(), engine=FakeEngine())
