"""``jixiao suggest "项目名称" --goal …``: a drafted goal table, grounded in similar projects."""

from __future__ import annotations

import argparse

from pydantic import ValidationError

from jixiao.corpus.taxonomy import TIERS, Scheme
from jixiao.corpus.values import parse_amount
from jixiao.errors import JixiaoError
from jixiao.models.hybrid import METHODS
from jixiao.models.suggest import Suggester, resolve_embedder
from jixiao.models.suggest_schema import ProjectQuery, SuggestedTable, Suggestion
from jixiao.service.commands.parse import display_width, pad
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suggest", help="为项目起草绩效指标与绩效目标")
    p.add_argument("name", help="项目名称")
    p.add_argument("--goal", default=None, help="已拟好的绩效目标文本（可选）")
    p.add_argument("--amount", default=None, help="预算金额，例如 120000 或 12万元")
    p.add_argument("--unit", default=None, help="实施单位或部门")
    p.add_argument("--year", type=int, default=None, help="预算年度（默认取项目名称或目标中写明的年份，否则为当年）")
    p.add_argument(
        "--scheme", choices=[s.value for s in Scheme], default=None, help="口径 A（默认）或 B（成本为一级指标）"
    )
    p.add_argument("--k", type=int, default=20, help="最多给出多少条建议（默认 20）")
    p.add_argument(
        "--embedder",
        default=None,
        help="嵌入模型（默认 $JIXIAO_EMBEDDING_MODEL）；hash 用于测试",
    )
    p.add_argument("--fusion", choices=METHODS, default="rrf", help="向量检索与 BM25 的融合方式（默认 rrf）")
    p.add_argument(
        "--llm", action="store_true", help="用已配置的大模型（JIXIAO_LLM_*）润色草稿，结果经校验"
    )
    p.add_argument("--json", action="store_true", help="以 JSON 输出 SuggestedTable")
    p.set_defaults(func=_run)


def _amount(text: str | None) -> float | None:
    if text is None:
        return None
    if text.strip().startswith(("-", "－")):
        raise JixiaoError(f"--amount {text!r}：预算金额应为大于 0 的数值")
    try:
        value = parse_amount(text)
    except ValueError as e:
        raise JixiaoError(f"--amount {text!r}: {e}") from e
    if value is None:
        raise JixiaoError(f"--amount {text!r} 不是金额（例如 120000、12万元）")
    return value


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    try:
        query = ProjectQuery(
            name=args.name,
            goal=args.goal,
            amount=_amount(args.amount),
            unit=args.unit,
            year=args.year,
            scheme=Scheme(args.scheme) if args.scheme else None,
        )
    except ValidationError as e:
        raise JixiaoError("；".join(str(err["msg"]) for err in e.errors())) from e
    embedder = resolve_embedder(args.embedder or settings.embedding_model, settings)
    result = Suggester.load(settings, embedder, method=args.fusion).suggest(query, k=args.k)
    if args.llm:
        return _run_llm(result, settings, args.json)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(render(result))
    return 0


_ORIGIN_ZH = {"project": "项目", "pattern": "模式", "corpus": "同类", "llm": "模型"}
def _run_llm(result: SuggestedTable, settings, as_json: bool) -> int:  # noqa: ANN001
    from jixiao.models.llm.assist import polish_suggested
    from jixiao.service.api_models import SuggestResponse
    from jixiao.service.commands.llm_output import ClassifierChecker, render_polished

    checker, note = ClassifierChecker.load(settings)
    draft = polish_suggested(result, settings, checker, settings.llm_timeout_s)
    if note:
        draft.warnings.append(note)
    if as_json:
        out = SuggestResponse(**dict(result), llm=draft)
        out.warnings = [*out.warnings, *draft.warnings]
        print(out.model_dump_json(indent=2))
    else:
        print(render(result))
        print(render_polished(draft))
    return 0


def render(r: SuggestedTable) -> str:
    """The draft as a reader scans it: by tier, most relevant first, with where each came from."""
    lines = [
        f"项目: {r.query.name}    口径 {r.scheme.value}    预算年度 {r.year or '-'}",
        "",
        "绩效目标（草稿）:",
        f"  {r.goal_text}",
        "",
        f"{'代码':<4} {pad('三级指标', 30)} {pad('指标值', 18)} {'来源':<4} 依据",
    ]
    for code, items in r.tiers.items():
        lines.append(f"-- {TIERS[code].level1} / {TIERS[code].level2}")
        for s in items:
            flag = "（通用）" if s.weak else ""
            lines.append(
                f"{code:<6} {pad(_cut(s.name, 30), 30)} {pad(_cut(s.suggested_value or '-', 18), 18)} "
                f"{_ORIGIN_ZH.get(s.origin, s.origin)}{flag}  {_cut(_why(s), 70)}"
            )
    if r.similar_projects:
        lines += ["", "相似项目（相关度）:"]
        for p in r.similar_projects[:5]:
            lines.append(f"  {p.relevance:.2f}  {p.table_id}  {p.project or ''}")
    if r.findings:
        lines += ["", "自检（本服务审核规则）:"]
        lines += [f"  [{f.severity_title}·{f.criterion_title}] {f.location}：{f.message}" for f in r.findings]
    else:
        lines += ["", "自检（本服务审核规则）: 无问题"]
    for w in r.warnings:
        lines.append(f"提示: {w}")
    return "\n".join(lines)


def _why(s: Suggestion) -> str:
    if s.origin == "project":
        return f"{s.value_basis}：“{s.source_phrase}”" if s.source_phrase else (s.value_basis or "")
    if s.origin == "pattern" and s.pattern:
        ex = "；".join(f"{e.project or e.table_id}:{e.indicator_name}" for e in s.evidence[:2])
        if not s.pattern.support:
            return f"{s.pattern.pattern}（通用表述，请按实际填写）"
        return f"{s.pattern.pattern}，{s.pattern.support}张表使用；例 {ex}"
    ev = "；".join(f"{e.project or e.table_id}({e.relevance:.2f})" for e in s.evidence[:2])
    return f"{s.support}张表使用；{ev}"


def _cut(s: str, n: int) -> str:
    """Cut to ``n`` display columns (CJK characters take two)."""
    if display_width(s) <= n:
        return s
    out = ""
    for ch in s:
        if display_width(out + ch) > n - 1:
            break
        out += ch
    return out + "…"
