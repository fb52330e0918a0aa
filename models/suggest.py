"""Compatibility entry point: the drafter now lives in ``jixiao.models.drafting``."""

from jixiao.models.drafting import (
    SuggestConfig,
    Suggester,
    load_tables,
    resolve_embedder,
    settings_index_kind,
)
from jixiao.models.drafting.text_match import bigram_dice as dice

__all__ = ["SuggestConfig", "Suggester", "dice", "load_tables", "resolve_embedder", "settings_index_kind"]
