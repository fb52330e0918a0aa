"""The ``jixiao`` console script: one argparse tree, one subcommand module per job.

Each module in ``jixiao.service.commands`` exposes ``register(subparsers)`` and sets
``func`` on its parser. User errors (JixiaoError) become one line on stderr and exit
code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from jixiao import __version__
from jixiao.errors import JixiaoError

COMMANDS = ("parse", "corpus", "model", "index", "suggest", "classify", "review", "train", "eval", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jixiao", description="绩效目标表: draft, review and evaluate goal tables"
    )
    parser.add_argument("--version", action="version", version=f"jixiao {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"jixiao.service.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except JixiaoError as e:
        print(f"jixiao: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jixiao: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
