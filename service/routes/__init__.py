"""HTTP routers, one per resource; each route is a thin wrapper over a library call."""

from __future__ import annotations

from fastapi import APIRouter

from jixiao.service.routes import classify, corpus, meta, review, suggest, tables

ROUTERS: tuple[APIRouter, ...] = (
    suggest.router,
    classify.router,
    tables.router,
    review.router,
    corpus.router,
    meta.router,
)
