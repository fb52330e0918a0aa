"""适当性: do the money and the targets fit? Targets against what similar projects set, cost against
the amount, unit cost × quantity against the budget, annual against period values.

"Similar projects" are the corpus tables that use the same indicator pattern (the rate or
degree a name ends in: 验收合格率 → 合格率, 服务对象满意度 → 满意度). ``PeerNorms`` holds,
per pattern, the percentage each corpus table set; a target is flagged when most peers
set a stricter one. The norms are built once from the corpus and passed in, so these
checks stay pure and testable on hand-made peers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median

from jixiao.corpus.normalize import name_key
from jixiao.corpus.review_feasibility import parsed
from jixiao.corpus.review_rules import Finding, Rule, Severity, row_finding
from jixiao.corpus.schema import GoalTable, Indicator, ValueKind
from jixiao.corpus.taxonomy import merge_cost
from jixiao.corpus.values import PERCENT_UNITS, RATIO_UNITS, parse_value

#: The rate or degree a name ends in, which makes targets comparable across projects.
_PATTERN = re.compile(r"([\u4e00-\u9fff]{2}(?:率|度))$")
#: Rates where lower is better: a low target is the point, never a weakness.
_LOWER_BETTER = re.compile(
    r"发生|差错|错误|投诉|事故|失误|逾期|超支|偏差|降低|下降|减少|流失|辍学|返贫|不合格|违规"
)
#: Peers needed before a comparison is made, and the share of them that must be stricter.
MIN_PEERS = 5
STRICTER_SHARE = 0.8
_MONEY = {"元": 1.0, "万元": 1e4, "亿元": 1e8, "千元": 1e3}
_PER = re.compile(r"^(?P<money>元|万元|千元|亿元)/(?P<per>[\u4e00-\u9fff]{1,3})$")
#: A unit cost × quantity this far above the budget is flagged (a little slack for rounding).
OVER_BUDGET = 1.1


def pattern(name: str) -> str | None:
    m = _PATTERN.search(name_key(name))
    return m.group(1) if m else None


def _percent(text: str | None) -> float | None:
    pv = parse_value(text)
    if pv.kind is not ValueKind.NUMERIC or pv.number is None or (pv.unit or "") not in PERCENT_UNITS:
        return None
    if pv.operator in ("≤", "<"):
        return None
    return pv.number


@dataclass
class PeerNorms:
    """Per pattern, (table id, percentage target) of every corpus table that uses it."""

    values: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    @classmethod
    def build(cls, tables: Iterable[GoalTable]) -> PeerNorms:
        values: dict[str, list[tuple[str, float]]] = {}
        for t in tables:
            seen: set[str] = set()
            for ind in t.indicators:
                p = pattern(ind.name)
                v = _percent(ind.value)
                if p is None or v is None or p in seen or _LOWER_BETTER.search(ind.name):
                    continue
                seen.add(p)  # one vote per table
                values.setdefault(p, []).append((t.id, v))
        return cls(values)

    def peers(self, pat: str, exclude: str | None) -> list[float]:
        return [v for tid, v in self.values.get(pat, []) if tid != exclude]


def _fmt(v: float) -> str:
    return f"{v:g}%"


def check_targets(table: GoalTable, codes: list[str | None], norms: PeerNorms | None) -> list[Finding]:
    """Rates set below what most similar projects set, and satisfaction targets of 100%."""
    out: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        v = _percent(ind.value)
        if v is None or _LOWER_BETTER.search(ind.name):
            continue
        pat = pattern(ind.name)
        code = codes[i] if i < len(codes) else None
        peers = norms.peers(pat, table.id) if norms is not None and pat else []
        if code == "31" or (pat or "").endswith("满意度"):
            if v == 100:
                typical = f"，同类项目中位数为 {_fmt(median(peers))}" if len(peers) >= MIN_PEERS else ""
                out.append(
                    row_finding(
                        table.id,
                        i,
                        ind.name,
                        Rule.SATISFACTION_FULL,
                        Severity.WARNING,
                        f"满意度目标“{ind.value}”要求人人满意，难以实现也难以考核{typical}，建议设为 ≥90% 左右",
                        "value",
                    )
                )
            continue
        if len(peers) < MIN_PEERS:
            continue
        stricter = sum(1 for p in peers if p > v)
        if stricter / len(peers) >= STRICTER_SHARE:
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.TARGET_BELOW_PEERS,
                    Severity.WARNING,
                    f"“{ind.name}”目标为 {_fmt(v)}，同类项目的“{pat}”中有 {stricter}/{len(peers)} 个设得更高"
                    f"（中位数 {_fmt(median(peers))}），请说明理由或提高目标",
                    "value",
                )
            )
    return out


def _money(ind: Indicator) -> tuple[float, str | None] | None:
    """(元, per-unit) of a money value: (30000, None) for 3万元, (1500, "人") for 1500元/人."""
    pv = parsed(ind)
    if pv.kind is not ValueKind.NUMERIC or pv.number is None or not pv.unit:
        return None
    unit = pv.unit.replace("／", "/")
    if unit in _MONEY:
        return pv.number * _MONEY[unit], None
    m = _PER.match(unit)
    if m:
        return pv.number * _MONEY[m.group("money")], m.group("per")
    return None


def _wan(yuan: float) -> str:
    return f"{yuan / 1e4:,.2f} 万元".replace(".00 ", " ")


def check_cost(table: GoalTable, codes: list[str | None]) -> list[Finding]:
    """A cost total above the budget; unit cost × quantity far from it."""
    if not table.amount or table.amount <= 0:
        return []
    out: list[Finding] = []
    quantities: dict[str, tuple[int, float]] = {}
    for i, ind in enumerate(table.indicators):
        pv = parsed(ind)
        code = codes[i] if i < len(codes) else None
        if (
            code
            and code[0] == "1"
            and code != "14"
            and pv.kind is ValueKind.NUMERIC
            and pv.number
            and pv.unit
        ):
            quantities.setdefault(pv.unit, (i, pv.number))
    for i, ind in enumerate(table.indicators):
        code = codes[i] if i < len(codes) else None
        if code is None or merge_cost(code) != "14":
            continue
        money = _money(ind)
        if money is None:
            continue
        yuan, per = money
        if per is None:
            if yuan > table.amount * 1.001:
                out.append(
                    row_finding(
                        table.id,
                        i,
                        ind.name,
                        Rule.COST_EXCEEDS_AMOUNT,
                        Severity.WARNING,
                        f"成本“{ind.value}”超过本项目预算金额 {_wan(table.amount)}",
                        "value",
                    )
                )
            continue
        match = next(((j, n) for unit, (j, n) in quantities.items() if unit.startswith(per)), None)
        if match is None:
            continue
        j, n = match
        total = yuan * n
        if total > table.amount * OVER_BUDGET:
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.UNIT_COST_MISMATCH,
                    Severity.WARNING,
                    f"单位成本“{ind.value}”× 第 {j + 1} 行数量 {n:g}{per} = {_wan(total)}，"
                    f"超过预算金额 {_wan(table.amount)}",
                    "value",
                )
            )
    return out


def check_annual_vs_period(table: GoalTable) -> list[Finding]:
    """An annual count or amount larger than the whole period's.

    Only for like-for-like quantities (same unit, both numbers) that accumulate over
    the period; rates (%) do not, so an annual ≥95% under a period ≥90% is fine.
    """
    out: list[Finding] = []
    for i, ind in enumerate(table.indicators):
        if ind.annual_value in (None, "") or ind.period_value in (None, ""):
            continue
        a, p = parse_value(ind.annual_value), parse_value(ind.period_value)
        if a.kind is not ValueKind.NUMERIC or p.kind is not ValueKind.NUMERIC:
            continue
        if a.number is None or p.number is None or (a.unit or "") != (p.unit or ""):
            continue
        if (a.unit or "") in RATIO_UNITS or "率" in ind.name:
            continue
        if a.number > p.number:
            out.append(
                row_finding(
                    table.id,
                    i,
                    ind.name,
                    Rule.ANNUAL_EXCEEDS_PERIOD,
                    Severity.WARNING,
                    f"年度指标值“{a.text}”超过实施周期指标值“{p.text}”",
                    "annual_value",
                )
            )
    return out
