"""The typed object every drafting stage passes on: one candidate indicator.

Candidates come from three sources (``project``, ``pattern``, ``corpus``); relevance,
selection, values and the goal text all read and write this one shape, and only the
composer turns it into the public ``Suggestion``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jixiao.corpus.taxonomy import TIERS
from jixiao.fast_models import constructed
from jixiao.models.drafting.values import GroundedValue
from jixiao.models.suggest_schema import Evidence, Origin, PatternEvidence, Suggestion


@dataclass
class Candidate:
    origin: Origin
    code: str
    name: str
    value: GroundedValue | None
    relevance: float
    support: int = 0
    source_phrase: str | None = None
    pattern: PatternEvidence | None = None
    evidence: list[Evidence] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    value_distribution: dict[str, int] = field(default_factory=dict)
    #: True for the generic fill of a tier nothing specific covers.
    weak: bool = False
    #: Builds ``evidence`` when the candidate is shown: most corpus candidates never are.
    lazy_evidence: Callable[[], list[Evidence]] | None = field(default=None, compare=False, repr=False)

    def to_suggestion(self, id_: str) -> Suggestion:
        """The public row. Built with ``constructed`` from these typed fields (no validation
        pass: a suggest shows about 40 rows, and validating them was 2 % of a loaded server's
        GIL); lists and dicts are copied, as validation did, so the two never share one."""
        if self.lazy_evidence is not None:
            self.evidence, self.lazy_evidence = self.lazy_evidence(), None
        tier = TIERS[self.code]
        relevance = round(float(self.relevance), 4)
        return constructed(
            Suggestion,
            id=id_,
            origin=self.origin,
            name=self.name,
            code=tier.code,
            level1=tier.level1,
            level2=tier.level2,
            suggested_value=self.value.text if self.value else None,
            value_distribution=dict(self.value_distribution),
            evidence=list(self.evidence),
            support=int(self.support),
            score=relevance,
            weak=bool(self.weak),
            variants=list(self.variants),
            relevance=relevance,
            source_phrase=self.source_phrase,
            pattern=self.pattern,
            value_basis=self.value.basis if self.value else None,
            qualitative=bool(self.value and self.value.qualitative),
        )
