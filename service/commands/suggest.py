"""``jixiao suggest "项目名称" --goal …``: a drafted goal table, grounded in similar projects."""

from __future__ import annotations

import argparse

from jixiao.corpus.errors import JixiaoError
from jixiao.corpus.taxonomy import TIERS, Scheme
from jixiao.corpus.values import parse_amount
from jixiao.models.hybrid import METHODS
from jixiao.models.suggest import Suggester, resolve_embedder
from jixiao.models.suggest_schema import ProjectQuery, SuggestedTable
from jixiao.service.commands.parse import display_width, pad
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suggest", help="suggest indicators and a goal text for a project")
    p.add_argument("name", help="project name (项目名称)")
    p.add_argument("--goal", default=None, help="goal text (绩效目标), if drafted")
    p.add_argument("--amount", default=None, help="budget, e.g. 120000 or 12万元")
    p.add_argument("--unit", default=None, help="implementing unit or department")
    p.add_argument("--year", type=int, default=None)
    p.add_argument(
        "--scheme", choices=[s.value for s in Scheme], default=None, help="A (default) or B (cost as level 1)"
    )
    p.add_argument("--k", type=int, default=20, help="at most this many suggestions (default 20)")
    p.add_argument(
        "--embedder",
        default=None,
        help="embedding model (default: $JIXIAO_EMBEDDING_MODEL); 'hash' for tests",
    )
    p.add_argument("--fusion", choices=METHODS, default="rrf", help="dense + BM25 fusion (default rrf)")
    p.add_argument(
        "--llm", action="store_true", help="polish the draft with the configured LLM (JIXIAO_LLM_*), validated"
    )
    p.add_argument("--json", action="store_true", help="print the SuggestedTable as JSON")
    p.set_defaults(func=_run)


def _amount(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = parse_amount(text)
    except ValueError as e:
        raise JixiaoError(f"--amount {text!r}: {e}") from e
    if value is None:
        raise JixiaoError(f"--amount {text!r} is not an amount (examples: 120000, 12万元)")
    return value


def _run(args: argparse.Namespace) -> int:
    settings = get_settings()
    query = ProjectQuery(
        name=args.name,
        goal=args.goal,
        amount=_amount(args.amount),
        unit=args.unit,
        year=args.year,
        scheme=Scheme(args.scheme) if args.scheme else None,
    )
    embedder = resolve_embedder(args.embedder or settings.embedding_model, settings)
    result = Suggester.load(settings, embedder, method=args.fusion).suggest(query, k=args.k)
    if args.llm:
        return _run_llm(result, settings, args.json)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(render(result))
    return 0


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
    """The draft as a reader scans it: by tier, strongest first, with where each came from."""
    lines = [
        f"项目: {r.query.name}    scheme {r.scheme.value}",
        "",
        "绩效目标 (draft):",
        f"  {r.goal_text}",
        "",
    ]
    lines.append(f"{'code':<5} {'indicator':<28} {'value':<16} {'support':>7}  top evidence (similarity)")
    for code, items in r.tiers.items():
        lines.append(f"-- {TIERS[code].level1} / {TIERS[code].level2}")
        for s in items:
            top = s.evidence[0] if s.evidence else None
            ev = f"{top.table_id} {top.project or ''} ({top.similarity:.2f})" if top else ""
            flag = " [weak]" if s.weak else ""
            lines.append(
                f"{code:<5} {pad(_cut(s.name, 28), 28)} {pad(_cut(s.suggested_value or '-', 16), 16)} "
                f"{s.support:>7}  {_cut(ev, 48)}{flag}"
            )
    if r.similar_projects:
        lines += ["", "similar projects:"]
        for p in r.similar_projects[:5]:
            lines.append(f"  {p.similarity:.2f}  {p.table_id}  {p.project or ''}")
    for w in r.warnings:
        lines.append(f"warning: {w}")
    return "\n".join(lines)


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
