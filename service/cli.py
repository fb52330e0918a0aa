"""The ``jixiao`` console script: one argparse tree, one subcommand module per job.

Each module in ``jixiao.service.commands`` exposes ``register(subparsers)`` and sets
``func`` on its parser. Only the module of the command being run is imported: the
others appear in ``jixiao --help`` from the one-line table below, so ``--help`` and
``jixiao parse`` never pay for torch, scikit-learn or FAISS. User errors (JixiaoError)
become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from jixiao import __version__
from jixiao.errors import JixiaoError

#: Every command and its one-line help (the same text its module registers; a test checks).
COMMANDS = {
    "parse": "print the goal tables read from files (.xlsx .docx .pdf .csv .txt .md .jsonl)",
    "corpus": "build, inspect or import into the corpus store",
    "model": "convert or inspect the embedding model",
    "index": "build or inspect the retrieval index",
    "suggest": "suggest indicators and a goal text for a project",
    "classify": "predict the level 1 / level 2 of every indicator in a file and compare with the declared ones",
    "review": "review goal-table files (or folders, or zips of them): findings and a grade per table",
    "train": "train the tier classifier on the corpus and save it under $JIXIAO_HOME/models/classifier",
    "eval": "evaluate the classifier or the suggester offline",
    "serve": "run the HTTP API (OpenAPI docs at /docs)",
}


def chosen_command(argv: list[str]) -> str | None:
    """The command named on the command line (its first word), if it is one of ours."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of the command in ``argv`` is imported (all when ``argv`` is None)."""
    parser = argparse.ArgumentParser(
        prog="jixiao", description="绩效目标表: draft, review and evaluate goal tables"
    )
    parser.add_argument("--version", action="version", version=f"jixiao {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = chosen_command(argv) if argv is not None else None
    for name, help_text in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(f"jixiao.service.commands.{name}").register(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except JixiaoError as e:
        print(f"jixiao：错误：{e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("jixiao：已中断", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
