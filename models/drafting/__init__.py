"""Drafting a goal table for a new project, grounded in its own text and the corpus.

Stages (one module each): ``project_reading`` → ``sources`` (project facts and
patterns) and ``corpus_candidates`` (with ``relevance``) → ``selection`` → ``values`` →
``goal_text`` → ``self_check``; ``composer.Suggester`` runs them.
"""

from jixiao.models.drafting.composer import (
    SuggestConfig,
    Suggester,
    load_tables,
    resolve_embedder,
    settings_index_kind,
)

__all__ = ["SuggestConfig", "Suggester", "load_tables", "resolve_embedder", "settings_index_kind"]
