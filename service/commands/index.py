"""``jixiao index build|show``: the retrieval index behind ``jixiao suggest`` and the API."""

from __future__ import annotations

import argparse
import sys
import time

from jixiao.corpus.store import open_store
from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.suggest import resolve_embedder, settings_index_kind
from jixiao.models.vector_index import KINDS
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="构建或查看检索索引")
    isub = p.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    b = isub.add_parser("build", help="(re)build the FAISS + BM25 index of the corpus store")
    b.add_argument(
        "--kind",
        default=None,
        help=f"vector index: {', '.join(KINDS)} or a FAISS factory string (default: $JIXIAO_INDEX_KIND or auto)",
    )
    b.add_argument(
        "--embedder",
        default=None,
        help="embedding model (default: $JIXIAO_EMBEDDING_MODEL); 'hash' for tests",
    )
    b.add_argument("--batch-size", type=int, default=64)
    b.set_defaults(func=_build)
    s = isub.add_parser("show", help="what the current index was built from")
    s.set_defaults(func=_show)


def _build(args: argparse.Namespace) -> int:
    settings = get_settings()
    embedder = resolve_embedder(args.embedder or settings.embedding_model, settings)
    snapshot = open_store(settings).snapshot()
    tables = snapshot.tables
    start = time.perf_counter()
    index = CorpusIndex.build(
        tables,
        embedder,
        corpus_version=str(snapshot.version),
        kind=args.kind or settings_index_kind(settings),
        progress=True,
        batch_size=args.batch_size,
    )
    from jixiao.models.index_sync import save_lock

    with save_lock(settings.index_dir):
        path = index.save(settings.index_dir)
    m = index.meta
    print(
        f"indexed {m.n_tables} tables, {m.n_indicators} indicators "
        f"({m.n_indicator_texts} distinct names, {m.n_project_texts} project texts) "
        f"with {m.model_name} in {time.perf_counter() - start:.1f}s → {path}",
        file=sys.stderr,
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    settings = get_settings()
    m = CorpusIndex.read_meta(settings.index_dir)
    print(f"index dir       {CorpusIndex.current_dir(settings.index_dir)}")
    print(f"corpus version  {m.corpus_version}")
    print(f"model           {m.model_name} (dim {m.dim})")
    print(f"vector index    {m.index_kind}")
    print(f"tables          {m.n_tables}")
    print(f"indicators      {m.n_indicators} ({m.n_indicator_texts} distinct names)")
    print(f"project texts   {m.n_project_texts}")
    print(f"domain terms    {len(m.terms)}")
    print(f"built at        {m.built_at}")
    return 0
