"""``jixiao eval suggest --cv --llm``: the assistant's rates next to the grounded draft's scores.

Each held-out table is drafted once by the grounded suggester (built on the training
folds) and then polished by the configured LLM. The same draft is scored twice, before
and after the model, with the suggestion metrics; the model's behaviour is counted:

- schema-valid rate: replies that were JSON of the agreed shape, of all replies received;
- repair rate: tables whose first answer needed the repair round;
- number-provenance rate: numbers the model wrote that reach the user (in rows and goal
  text it changed) that are grounded by the validator's rules (the project text, or a
  cited candidate's numbers for a value), recounted here from the output;
- fallback rate: tables for which the grounded draft was returned instead.

No classifier check runs here: the shipped classifier has seen every corpus table, and
its only effect on a draft is a flag, which the metrics do not read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from jixiao.corpus.schema import GoalTable
from jixiao.eval.suggest_runner import SuggesterFactory, SuggestEvalResult, ranked
from jixiao.eval.suggestion_metrics import aggregate, score_table
from jixiao.models.llm.assist import polish_suggested
from jixiao.models.llm.numbers import numbers_in
from jixiao.models.llm.polish import context_from_suggested
from jixiao.models.llm.types import PolishedDraft
from jixiao.models.llm.validate import allowed_numbers
from jixiao.settings import Settings


@dataclass
class _Row:
    """A polished row as the suggestion metrics read it, ranked in the model's order."""

    name: str
    code: str
    suggested_value: str | None
    score: float
    weak: bool = False


@dataclass
class Record:
    grounded: Any  # the SuggestedTable
    draft: PolishedDraft


class LLMSuggester:
    """A grounded suggester whose drafts go through the assistant; every pair is recorded."""

    def __init__(self, inner: Any, settings: Settings, records: list[Record]):
        self.inner, self.settings, self.records = inner, settings, records

    def suggest(self, query: Any, k: int = 20) -> list[_Row]:
        grounded = self.inner.suggest(query, k=k)
        draft = polish_suggested(grounded, self.settings, None)
        self.records.append(Record(grounded, draft))
        n = len(draft.indicators)
        return [_Row(r.name, r.code, r.value, float(n - i)) for i, r in enumerate(draft.indicators)]


def llm_factory(make: SuggesterFactory, settings: Settings, records: list[Record]) -> SuggesterFactory:
    return lambda tables: LLMSuggester(make(tables), settings, records)


@dataclass
class LLMRates:
    tables: int = 0
    replies: int = 0
    schema_valid: int = 0
    repaired: int = 0
    fallback: int = 0
    accepted: int = 0
    numbers_shown: int = 0
    numbers_grounded: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    mean_seconds: float = 0.0

    def rate(self, n: int, d: int) -> float:
        return n / d if d else 0.0

    def to_dict(self) -> dict:
        return {
            **vars(self),
            "schema_valid_rate": self.rate(self.schema_valid, self.replies),
            "repair_rate": self.rate(self.repaired, self.tables),
            "number_provenance_rate": self.rate(self.numbers_grounded, self.numbers_shown),
            "fallback_rate": self.rate(self.fallback, self.tables),
        }


def _grounded(nums: Sequence[float], allowed: Sequence[float]) -> int:
    return sum(any(abs(n - a) <= 1e-9 * max(1.0, abs(n)) for a in allowed) for n in nums)


def count_numbers(d: PolishedDraft, grounded: Any) -> tuple[int, int]:
    """(numbers the model wrote that reach the user, of them grounded), recounted from the output.

    Only what the model changed counts: rows it kept and the grounded goal are the
    drafter's, and would only inflate the rate. The rules are the validator's: a value
    may use the project's numbers and its cited candidates'; a renamed name only the
    project's; the goal only the project's and the chosen rows' values.
    """
    ctx = context_from_suggested(grounded)
    own = allowed_numbers(ctx)
    shown = ok = 0
    for r in d.indicators:
        if r.origin != "llm":
            continue
        nums = numbers_in(r.value)
        shown, ok = shown + len(nums), ok + _grounded(nums, allowed_numbers(ctx, r.candidate_ids))
        if r.name != r.grounded_name:
            nums = numbers_in(r.name)
            shown, ok = shown + len(nums), ok + _grounded(nums, own)
    if d.goal_origin == "llm":
        goal = numbers_in(d.goal_text)
        allowed = own + [n for r in d.indicators for n in numbers_in(r.value)]
        shown, ok = shown + len(goal), ok + _grounded(goal, allowed)
    return shown, ok


def rates(records: Sequence[Record]) -> LLMRates:
    out = LLMRates(tables=len(records))
    seconds = 0.0
    for rec in records:
        d = rec.draft
        seconds += d.elapsed_s
        for r in d.round_records:
            if r.error:
                out.errors[r.error] = out.errors.get(r.error, 0) + 1
            else:
                out.replies += 1
                out.schema_valid += r.schema_valid
        out.repaired += d.rounds == 2
        out.fallback += d.status == "fallback"
        out.accepted += d.status != "fallback"
        shown, ok = count_numbers(d, rec.grounded)
        out.numbers_shown += shown
        out.numbers_grounded += ok
    out.mean_seconds = seconds / len(records) if records else 0.0
    return out


@dataclass
class LLMEvalResult:
    llm: SuggestEvalResult
    grounded: SuggestEvalResult
    rates: LLMRates
    model: str

    records: list[Record] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "kind": "suggest-llm",
            "model": self.model,
            "rates": self.rates.to_dict(),
            "per_table": [
                {
                    "table_id": s.table_id,
                    "project": s.project,
                    "status": rec.draft.status,
                    "rounds": rec.draft.rounds,
                    "problems": sorted({p.kind for p in rec.draft.problems}),
                }
                for s, rec in zip(self.llm.per_table, self.records, strict=True)
            ],
            "grounded": self.grounded.to_dict(),
            "llm": self.llm.to_dict(),
        }


def grounded_result(llm: SuggestEvalResult, records: Sequence[Record], corpus: Sequence[GoalTable]) -> SuggestEvalResult:
    """The same tables scored on the grounded drafts (calls and scores are in the same order)."""
    gold = {t.id: t for t in corpus}
    scores = [
        score_table(gold[s.table_id], ranked(rec.grounded), llm.k, merge_cost=llm.merge_cost)
        for s, rec in zip(llm.per_table, records, strict=True)
    ]
    return SuggestEvalResult(
        mode=llm.mode,
        k=llm.k,
        merge_cost=llm.merge_cost,
        metrics=aggregate(scores, llm.k),
        per_table=scores,
        folds=llm.folds,
        unqueryable=llm.unqueryable,
    )


def render(r: LLMEvalResult) -> str:
    g, m, x = r.grounded.metrics, r.llm.metrics, r.rates
    d = x.to_dict()
    folds = f"，{r.llm.folds} 折" if r.llm.folds else ""
    lines = [
        f"大模型润色起草（{r.model}；{r.llm.mode}{folds}）：{x.tables} 张表，k={r.llm.k}",
        "",
        "指标                    仅检索结果  大模型润色后",
        f"类别覆盖率              {g.tier_coverage:>9.3f} {m.tier_coverage:>9.3f}",
        f"指标召回@k              {g.recall_at_k:>9.3f} {m.recall_at_k:>9.3f}",
        f"指标值完全一致          {g.value_exact:>9.3f} {m.value_exact:>9.3f}",
        f"指标值类型与单位一致    {g.value_kind_unit:>9.3f} {m.value_kind_unit:>9.3f}",
        "",
        f"结构合格率 (schema-valid)    {d['schema_valid_rate']:.3f}   （{x.schema_valid}/{x.replies} 次回复）",
        f"需要修复的比例 (repair)      {d['repair_rate']:.3f}   （{x.repaired}/{x.tables} 张表）",
        f"数字有出处的比例             {d['number_provenance_rate']:.3f}   "
        f"（模型写出的 {x.numbers_shown} 个数字中 {x.numbers_grounded} 个）",
        f"退回检索结果的比例 (fallback) {d['fallback_rate']:.3f}   （{x.fallback}/{x.tables} 张表）",
        f"每表平均大模型用时（秒）     {x.mean_seconds:.2f}",
    ]
    if x.errors:
        lines.append("调用错误                     " + "，".join(f"{k}：{v}" for k, v in sorted(x.errors.items())))
    return "\n".join(lines)
