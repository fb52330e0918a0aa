"""The validator: every model answer is checked here before anything reaches the user.

Pure functions over typed inputs (the answer text, the ``DraftContext``, the
classifier's predictions), so every rule is testable without a model or a server.
Three stages, because the classifier runs between the second and the third:

1. ``parse_answer``: schema-valid JSON (fenced or wrapped in prose is tolerated);
2. ``ground_rows``: tier codes exist in the scheme, cited ids exist, required tiers are
   present, and numbers are grounded: a value's in the project text or a cited
   candidate, a renamed name's and the goal text's in the project text (the goal may
   also restate the chosen values). Else the grounded text replaces it, flagged;
3. ``review_rows``: the review rules of ``corpus.review`` on the resulting table. The
   classifier's disagreements are shown on the row; a value the model changed into one
   the rules reject is put back to the grounded value.

Problems are *fatal* (the answer cannot be used: the repair round or the fallback
follows) or *fixes* (one row or the goal text was replaced by its grounded version).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from jixiao.corpus.normalize import name_key, normalize_text
from jixiao.corpus.review import PredictionLike, Rule, Severity, review_table
from jixiao.corpus.schema import GoalTable, Indicator
from jixiao.corpus.taxonomy import LEVEL1_NAMES, REQUIRED_LEVEL1, TIERS, Scheme
from jixiao.corpus.values import parse_value
from jixiao.models.llm.numbers import amount_forms, grounding_set, show, ungrounded
from jixiao.models.llm.types import (
    AnswerIndicator,
    DraftAnswer,
    DraftContext,
    PolishedIndicator,
    Problem,
    RowFlag,
)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)
#: Review rules on a value: a model's value that trips one goes back to the grounded value.
_VALUE_RULES = {Rule.EMPTY_VALUE, Rule.VAGUE_VALUE, Rule.MISSING_UNIT, Rule.VALUE_TIER_MISMATCH}


@dataclass
class Checked:
    """One stage's verdict on an answer."""

    rows: list[PolishedIndicator] = field(default_factory=list)
    goal_text: str = ""
    goal_from_model: bool = True
    fatal: list[Problem] = field(default_factory=list)
    fixes: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.fatal


def extract_json(text: str) -> object:
    """The JSON object in a model's reply: bare, in a ```json fence, or inside prose."""
    t = (text or "").strip()
    m = _FENCE.search(t)
    if m:
        t = m.group(1).strip()
    if not t.startswith("{"):
        start, end = t.find("{"), t.rfind("}")
        if start < 0 or end <= start:
            raise ValueError("回答中没有 JSON 对象")
        t = t[start : end + 1]
    return json.loads(t)


def parse_answer(text: str, model: type[DraftAnswer] = DraftAnswer) -> tuple[DraftAnswer | None, list[Problem]]:
    try:
        data = extract_json(text)
    except (ValueError, json.JSONDecodeError) as e:
        return None, [Problem(kind="not-json", message=f"回答不是合法的 JSON（{_short(str(e))}）")]
    try:
        return model.model_validate(data), []
    except ValidationError as e:
        where = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['type']}" for err in e.errors()[:3])
        return None, [Problem(kind="schema", message=f"回答的 JSON 不符合约定的结构（{where}）")]


def tier_code(code: str, scheme: Scheme) -> str | None:
    """The canonical code the model meant (``11`` or ``11-数量指标``), if it exists in the scheme."""
    c = normalize_text(code).split("-")[0].strip()
    tier = TIERS.get(c)
    return c if tier is not None and scheme in tier.schemes else None


def allowed_numbers(ctx: DraftContext, cited: Sequence[str] = ()) -> list[float]:
    """Numbers an answer may use: the project's own text, amount and year, and the cited candidates."""
    texts = list(ctx.project_texts)
    for cid in cited:
        c = ctx.candidate(cid)
        if c is not None:
            texts.extend((c.name, c.value or "", *c.grounding))
    extra = amount_forms(ctx.amount) + ([float(ctx.year)] if ctx.year else [])
    return grounding_set(texts, extra)


def _nums(ns: list[float]) -> str:
    return "、".join(show(n) for n in ns)


def ground_rows(answer: DraftAnswer, ctx: DraftContext) -> Checked:
    """Codes, citations, required tiers and number provenance (stage 2)."""
    out = Checked()
    allowed_codes = [c for c, t in TIERS.items() if ctx.scheme in t.schemes]
    for i, a in enumerate(answer.indicators):
        row = _row(i, a, ctx, allowed_codes, out)
        if row is not None:
            out.rows.append(row)
    present = {r.code[0] for r in out.rows}
    offered = {c.code[0] for c in ctx.candidates}  # a tier the grounded draft lacks cannot be asked for
    for l1 in REQUIRED_LEVEL1[ctx.scheme]:
        if l1 in offered and l1 not in present:
            out.fatal.append(
                Problem(
                    kind="missing-tier",
                    message=f"缺少一级指标“{LEVEL1_NAMES[l1]}”（{ctx.scheme.value}类口径要求），请从候选中选取",
                )
            )
    # The goal states the project's own facts and the targets of the rows chosen, nothing else.
    goal_allowed = allowed_numbers(ctx) + grounding_set(r.value for r in out.rows)
    bad = ungrounded(answer.goal_text, goal_allowed)
    if bad:
        out.fixes.append(
            Problem(
                kind="ungrounded-number",
                message=f"绩效目标中的数字 {_nums(bad)} 既不在项目信息中，也不是所选指标的指标值，已改用检索生成的目标",
            )
        )
        out.goal_text, out.goal_from_model = ctx.grounded_goal, False
    else:
        out.goal_text = normalize_text(answer.goal_text)
    return out


def _row(
    i: int, a: AnswerIndicator, ctx: DraftContext, allowed_codes: list[str], out: Checked
) -> PolishedIndicator | None:
    n = i + 1
    code = tier_code(a.code, ctx.scheme)
    if code is None:
        out.fatal.append(
            Problem(
                kind="unknown-tier",
                row=i,
                message=f"第 {n} 行的类别代码“{a.code}”不在{ctx.scheme.value}类口径中（可用：{'、'.join(allowed_codes)}）",
            )
        )
    if not a.candidate_ids:
        out.fatal.append(
            Problem(kind="no-citation", row=i, message=f"第 {n} 行“{a.name}”没有引用任何候选编号，不能凭空新增指标")
        )
    unknown = [cid for cid in a.candidate_ids if ctx.candidate(cid) is None]
    if unknown:
        out.fatal.append(
            Problem(kind="unknown-id", row=i, message=f"第 {n} 行引用了不存在的候选编号 {'、'.join(unknown)}")
        )
    if code is None or not a.candidate_ids or unknown:
        return None
    base = ctx.candidate(a.candidate_ids[0])
    assert base is not None
    allowed = allowed_numbers(ctx, a.candidate_ids)
    name, value = normalize_text(a.name), normalize_text(a.value) or None
    flags: list[RowFlag] = []
    # A number in a name is a fact (32.1公里 of road): a renamed row may only state the project's own.
    bad = [] if name_key(name) == name_key(base.name) else ungrounded(name, allowed_numbers(ctx))
    if bad:
        msg = f"第 {n} 行改写后的指标名称含项目信息中没有的数字 {_nums(bad)}，已恢复为候选名称“{base.name}”"
        out.fixes.append(Problem(kind="ungrounded-number", row=i, message=msg))
        flags.append(RowFlag(kind="name-replaced", message=msg))
        name = base.name
    bad = ungrounded(value, allowed)
    if bad:
        msg = f"第 {n} 行指标值“{value}”中的数字 {_nums(bad)} 无来源，已恢复为检索结果“{base.value or '（空）'}”"
        out.fixes.append(Problem(kind="ungrounded-number", row=i, message=msg))
        flags.append(RowFlag(kind="value-replaced", message=msg))
        value = base.value
    tier = TIERS[code]
    return PolishedIndicator(
        code=code,
        level1=tier.level1,
        level2=tier.level2,
        name=name,
        value=value,
        candidate_ids=list(a.candidate_ids),
        origin=_origin(code, name, value, base.code, base.name, base.value, base.origin),
        grounded_name=base.name,
        grounded_value=base.value,
        flags=flags + foreign_number_flags(name, ctx),
    )


def foreign_number_flags(name: str, ctx: DraftContext) -> list[RowFlag]:
    """A flag on a name whose numbers the project never stated: likely another project's fact.

    Shown on grounded rows too, since retrieval can carry such a name over from a corpus table.
    """
    bad = ungrounded(name, allowed_numbers(ctx))
    if not bad:
        return []
    return [
        RowFlag(
            kind="foreign-number-in-name",
            message=f"指标名称中的数字 {_nums(bad)} 不在本项目信息中，可能是其他项目的情况，请按本项目核实或改写",
        )
    ]


def _origin(code, name, value, base_code, base_name, base_value, base_origin):  # noqa: ANN001, ANN202
    """``llm`` only where the row differs from the candidate it rests on."""
    same = (
        code == base_code
        and name_key(name) == name_key(base_name)
        and normalize_text(value) == normalize_text(base_value)
    )
    return base_origin if same else "llm"


def grounded_rows(ctx: DraftContext) -> list[PolishedIndicator]:
    """The fallback: every candidate as it is, with its own origin."""
    return [
        PolishedIndicator(
            code=c.code,
            level1=TIERS[c.code].level1,
            level2=TIERS[c.code].level2,
            name=c.name,
            value=c.value,
            candidate_ids=[c.id],
            origin=c.origin,
            grounded_name=c.name,
            grounded_value=c.value,
            flags=foreign_number_flags(c.name, ctx),
        )
        for c in ctx.candidates
    ]


def draft_table(rows: Sequence[PolishedIndicator], ctx: DraftContext, goal_text: str) -> GoalTable:
    """The answer as a goal table, so the review rules judge it as they judge an upload."""
    return GoalTable(
        id="llm-draft",
        project=ctx.project_name,
        amount=ctx.amount,
        year=ctx.year,
        annual_goal=goal_text,
        scheme=ctx.scheme,
        indicators=[
            Indicator(
                name=r.name,
                level1=r.level1,
                level2=r.level2,
                code=r.code,
                annual_value=r.value,
                parsed=parse_value(r.value),
            )
            for r in rows
        ],
    )


def review_rows(
    checked: Checked,
    ctx: DraftContext,
    predictions: Sequence[PredictionLike | None] = (),
    threshold: float = 0.8,
) -> Checked:
    """The review rules on the grounded rows (stage 3). Returns a new verdict."""
    rows = [r.model_copy(deep=True) for r in checked.rows]
    out = Checked(
        rows=rows,
        goal_text=checked.goal_text,
        goal_from_model=checked.goal_from_model,
        fatal=list(checked.fatal),
        fixes=list(checked.fixes),
    )
    findings = review_table(draft_table(rows, ctx, checked.goal_text), predictions, threshold)
    # A table-level problem the grounded draft has too is not the model's doing.
    inherited = {f.message for f in review_table(draft_table(grounded_rows(ctx), ctx, ctx.grounded_goal))}
    reverted: set[int] = set()
    for f in findings:
        i = f.indicator_index
        if i is None:
            if f.severity is Severity.ERROR and f.message not in inherited:
                out.fatal.append(Problem(kind=f"review-{f.rule}", message=f.message))
            continue
        r = rows[i]
        if f.rule is Rule.TIER_DISAGREEMENT:
            r.flags.append(RowFlag(kind="classifier-disagrees", message=f.message))
        elif f.rule is Rule.DUPLICATE_INDICATOR:
            out.fatal.append(Problem(kind="duplicate", row=i, message=f"第 {i + 1} 行：{f.message}"))
        elif (
            f.rule in _VALUE_RULES
            and i not in reverted
            and normalize_text(r.value) != normalize_text(r.grounded_value)
        ):
            reverted.add(i)
            msg = f"第 {i + 1} 行：{f.message}；已恢复为检索结果“{r.grounded_value or '（空）'}”"
            out.fixes.append(Problem(kind=f"review-{f.rule}", row=i, message=msg))
            r.flags.append(RowFlag(kind="value-replaced", message=msg))
            r.value = r.grounded_value
    for i in reverted:
        base = ctx.candidate(rows[i].candidate_ids[0])
        assert base is not None
        r = rows[i]
        r.origin = _origin(r.code, r.name, r.value, base.code, base.name, base.value, base.origin)
    return out


def _short(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"
