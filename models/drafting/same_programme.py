"""The same programme run elsewhere: another county's 国家基本公共卫生服务 for this one's.

Relevance weighs the share of this project's words the other project uses, so a short
goal text (the name only) against a long one (a paragraph of target groups) scores the same
programme as merely related. Two projects whose objects (``project_core``) are nearly the
same name are the same kind of project whatever their goal texts say; a short object
(综合, 购置) names a kind of budget line, not a programme, and does not count.
"""

from __future__ import annotations

from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.drafting.project_reading import project_core
from jixiao.models.drafting.text_match import bigram_dice

#: Project objects this alike (bigram Dice) name the same programme; a short object
#: (综合, 购置) names a kind of budget line, not a programme.
SAME_PROGRAMME_DICE = 0.9
SAME_PROGRAMME_CHARS = 6


def same_programme(core: str, other: str | None) -> bool:
    if not other or min(len(core), len(other)) < SAME_PROGRAMME_CHARS:
        return False
    return bigram_dice(core, other) >= SAME_PROGRAMME_DICE


def table_cores(ix: CorpusIndex) -> list[str | None]:
    """Each indexed table's project object (``project_core`` of its name), computed once per index."""

    def build(ix: CorpusIndex) -> list[str | None]:
        return [project_core(ix.table(t).project or "") for t in range(ix.n_tables)]

    return ix.derived("drafting.cores", build)  # type: ignore[return-value]
