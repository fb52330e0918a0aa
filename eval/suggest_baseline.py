"""The query-blind baseline: the corpus's most frequent indicator names per tier.

It answers every project with the same table, so any score it reaches is what a drafter
gets without reading the project at all. The drafter must beat it to be worth using.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from jixiao.corpus.normalize import name_key, normalize_text
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.taxonomy import REQUIRED_LEVEL1, TIERS, Scheme, to_scheme


@dataclass
class BaselineSuggestion:
    name: str
    code: str
    suggested_value: str | None
    score: float


@dataclass
class BaselineDraft:
    suggestions: list[BaselineSuggestion]
    goal_text: str | None = None
    scheme: Scheme = Scheme.A


@dataclass
class FrequentNamesBaseline:
    """Per tier, names ranked by how many training tables use them (name key merged)."""

    by_code: dict[str, list[BaselineSuggestion]] = field(default_factory=dict)

    @classmethod
    def from_tables(cls, tables: Sequence[GoalTable]) -> FrequentNamesBaseline:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        spelled: dict[str, Counter[str]] = defaultdict(Counter)
        values: dict[str, Counter[str]] = defaultdict(Counter)
        for t in tables:
            seen = set()
            for i in t.indicators:
                key = name_key(i.name)
                if not i.code or not key or (i.code, key) in seen:
                    continue
                seen.add((i.code, key))
                counts[i.code][key] += 1
                spelled[key][normalize_text(i.name)] += 1
                if i.value:
                    values[key][i.value] += 1
        by_code = {
            code: [
                BaselineSuggestion(
                    spelled[key].most_common(1)[0][0],
                    code,
                    values[key].most_common(1)[0][0] if values[key] else None,
                    float(n),
                )
                for key, n in c.most_common(20)
            ]
            for code, c in counts.items()
        }
        return cls(by_code)

    def suggest(self, q, k: int = 20) -> BaselineDraft:  # noqa: ANN001 - a ProjectQuery
        scheme = q.scheme or Scheme.A
        pools = {}
        for code, items in self.by_code.items():
            mapped = to_scheme(TIERS[code], scheme).code
            pools.setdefault(mapped, []).extend(
                BaselineSuggestion(s.name, mapped, s.suggested_value, s.score) for s in items
            )
        # Round-robin over the tiers the scheme requires first, then the rest: a complete table.
        order = sorted(pools, key=lambda c: (TIERS[c].level1_code not in REQUIRED_LEVEL1[scheme], c))
        out: list[BaselineSuggestion] = []
        depth = 0
        while len(out) < k and any(depth < len(pools[c]) for c in order):
            for c in order:
                if depth < len(pools[c]) and len(out) < k:
                    out.append(pools[c][depth])
            depth += 1
        return BaselineDraft(out, None, scheme)
