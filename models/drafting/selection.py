"""Stage 5: which candidates make the draft.

Candidates of every source compete on relevance within their tier. The project's own
facts come first, then patterns and corpus rows; a near-duplicate of an already chosen
name (bigram Dice ≥ 0.5, the evaluation's own threshold) is skipped, so the draft does
not list ``农村公路养护验收合格率`` and ``农村公路养护合格率`` both.
"""

from __future__ import annotations

from collections import Counter

from jixiao.corpus.taxonomy import REQUIRED_LEVEL1, TIERS, Scheme, to_scheme
from jixiao.models.drafting.candidates import Candidate
from jixiao.models.drafting.text_match import bigram_dice

DUPLICATE_DICE = 0.5
PER_TIER = 5
#: Level-2 tiers a reviewer expects to see filled first, in this order.
CORE_TIERS = {
    Scheme.A: ("11", "12", "13", "14", "22", "31", "21", "24", "23"),
    Scheme.B: ("11", "12", "13", "41", "22", "31", "21", "24", "23"),
}


def in_scheme(c: Candidate, scheme: Scheme) -> Candidate:
    c.code = to_scheme(TIERS[c.code], scheme).code
    return c


def ranked(cands: list[Candidate]) -> list[Candidate]:
    order = {"project": 0, "pattern": 1, "corpus": 2}
    return sorted(cands, key=lambda c: (-c.relevance, order[c.origin], c.name))


def select(cands: list[Candidate], scheme: Scheme, k: int) -> list[Candidate]:
    pool = ranked([in_scheme(c, scheme) for c in cands])
    chosen: list[Candidate] = []
    per_tier: Counter[str] = Counter()

    def take(c: Candidate) -> bool:
        # ``is``, not ``in``: a candidate equal to a chosen one has its name, refused just below,
        # and comparing dataclasses field by field was most of this loop's time.
        if len(chosen) >= k or per_tier[c.code] >= PER_TIER or any(x is c for x in chosen):
            return False
        if any(x.code == c.code and _same_indicator(x.name, c.name) for x in chosen):
            return False
        if any(x.name == c.name for x in chosen):
            return False
        chosen.append(c)
        per_tier[c.code] += 1
        return True

    # First the best of each core tier and of each required level 1, so a short k still
    # gives a complete table; then everything else by relevance.
    for code in CORE_TIERS[scheme]:
        next((c for c in pool if c.code == code and take(c)), None)
    for l1 in REQUIRED_LEVEL1[scheme]:
        if not any(TIERS[c.code].level1_code == l1 for c in chosen):
            next((c for c in pool if TIERS[c.code].level1_code == l1 and take(c)), None)
    for c in pool:
        take(c)
    return ranked(chosen)


def _same_indicator(a: str, b: str) -> bool:
    """Near-duplicates, judged on what differs: a shared object prefix (校舍维修…) says nothing."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    if n >= 2 and n < min(len(a), len(b)):
        a, b = a[n:], b[n:]
    return bigram_dice(a, b) >= DUPLICATE_DICE
