"""The classifier contract shared by every approach, the evaluator and the HTTP service.

All approaches answer with the same ``TierPrediction`` so that the evaluator can score
them side by side and the service can swap the shipped one without changing a line.
Predictions are made in canonical codes with the cost tiers merged into ``14`` (the
corpus has almost no scheme-B cost rows to learn 41-43 apart); ``in_scheme`` expresses
a prediction in the scheme the user's table follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

from jixiao.corpus.taxonomy import TIERS, Scheme, to_scheme
from jixiao.fast_models import constructed, replaced


@dataclass
class ClassifyInput:
    """One indicator to classify, with the table context a reader would also look at.

    ``group`` (the source document) and ``table_id`` are only used while training:
    ``group`` keeps copies of one document together in the internal calibration folds,
    ``table_id`` lets an explanation point at the labeled table a neighbour came from.
    ``declared_level1`` is the level-1 code (``1``-``4``) the table prints for the row,
    where it prints one; table-aware decoding (``classify_table``) keeps the predicted
    level 2 inside it unless the row's own evidence is overwhelming.
    """

    name: str
    value: str | None = None
    project: str | None = None
    goal: str | None = None
    group: str | None = None
    table_id: str | None = None
    declared_level1: str | None = None


class Neighbor(BaseModel):
    name: str
    code: str
    similarity: float
    table_id: str | None = None


class Explanation(BaseModel):
    neighbors: list[Neighbor] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)


class TierPrediction(BaseModel):
    code: str
    level1: str
    level2: str
    confidence: float
    probabilities: dict[str, float]
    explanation: Explanation = Field(default_factory=Explanation)
    #: Table-aware predictions only: what the row alone predicted, before the table's
    #: structure was taken into account.
    row_code: str | None = None
    #: Table-aware predictions only: the row's evidence overrode the printed level 1, so
    #: the prediction lies outside it (a disagreement to flag).
    outside_declared: bool = False

    def in_scheme(self, scheme: Scheme | str) -> TierPrediction:
        """The same prediction in scheme A (cost = 14) or B (cost = 41).

        Probabilities of codes that map to one code in the target scheme are summed, so
        they still add up to 1.
        """
        scheme = Scheme(scheme)
        if self._same_in(scheme):
            return self  # predictions are immutable values: nothing to re-express, nothing to copy
        codes, tiers = _CODE_IN[scheme], _TIER_IN[scheme]
        probs: dict[str, float] = {}
        for code, p in self.probabilities.items():
            target = codes.get(code, code)
            probs[target] = probs.get(target, 0.0) + p
        tier = tiers[self.code]
        # Copies without pydantic's generic copy (``jixiao.fast_models``), and only of the
        # neighbours whose code moves (a required field: already marked as set, so a copy
        # with its code unchanged would equal the neighbour itself). This runs for every row
        # of every scheme-B answer.
        neighbors = [
            replaced(n, {"code": codes[n.code]}) if codes.get(n.code, n.code) != n.code else n
            for n in self.explanation.neighbors
        ]
        return replaced(
            self,
            {
                "code": tier.code,
                "level1": tier.level1,
                "level2": tier.level2,
                "confidence": probs.get(tier.code, self.confidence),
                "probabilities": probs,
                "explanation": constructed(Explanation, neighbors=neighbors, rules=list(self.explanation.rules)),
                "row_code": codes.get(self.row_code, self.row_code) if self.row_code is not None else None,
            },
        )

    def _same_in(self, scheme: Scheme) -> bool:
        """Whether every code here already reads the same in ``scheme`` (scheme A, the usual case).

        Set lookups against codes precomputed per scheme: this runs for every row of every
        answer, and calling ``to_scheme`` per probability was 5 % of a loaded server's GIL time.
        """
        moved = _MOVED[scheme]
        return (
            self.code not in moved
            and self.row_code not in moved
            and moved.isdisjoint(self.probabilities)
            and all(n.code not in moved for n in self.explanation.neighbors)
            and self.probabilities.get(self.code, self.confidence) == self.confidence
        )


#: Per scheme, every tier code's tier and code in it.
_TIER_IN = {s: {c: to_scheme(t, s) for c, t in TIERS.items()} for s in Scheme}
_CODE_IN = {s: {c: t.code for c, t in tiers.items()} for s, tiers in _TIER_IN.items()}
#: Per scheme, the tier codes that read differently in it (cost: 41-43 in A, 14 in B).
_MOVED: dict[Scheme, frozenset[str]] = {s: frozenset(c for c, t in codes.items() if t != c) for s, codes in _CODE_IN.items()}


@runtime_checkable
class TierClassifier(Protocol):
    """scikit-learn style: ``fit`` returns self, ``predict`` one prediction per input."""

    def fit(self, X: list[ClassifyInput], y: list[str]) -> TierClassifier: ...

    def predict(self, X: list[ClassifyInput]) -> list[TierPrediction]: ...

    def save(self, path: Path) -> None: ...
