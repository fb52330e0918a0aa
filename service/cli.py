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
from jixiao.corpus.problem_text import zh_problem
from jixiao.errors import JixiaoError, ParseError
from jixiao.service.cli_parser import ChineseArgumentParser

#: Every command and its one-line help (the same text its module registers; a test checks).
COMMANDS = {
    "parse": "解析文件并显示其中的绩效目标表（.xlsx .docx .pdf .csv .txt .md .jsonl）",
    "corpus": "构建、查看语料库，或批量导入目标表",
    "model": "转换或查看嵌入模型",
    "index": "构建或查看检索索引",
    "suggest": "为项目起草绩效指标与绩效目标",
    "classify": "判断文件中每个指标的一级、二级类别，并与申报类别比对",
    "review": "审核目标表文件（或文件夹、zip 压缩包）：每张表的审核意见与等级",
    "train": "用语料库训练指标类别分类器，保存到 $JIXIAO_HOME/models/classifier",
    "eval": "离线评估分类器或起草效果",
    "serve": "启动 HTTP 服务（接口文档见 /docs）",
}


def chosen_command(argv: list[str]) -> str | None:
    """The command named on the command line (its first word), if it is one of ours."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the module of the command in ``argv`` is imported (all when ``argv`` is None)."""
    parser = ChineseArgumentParser(prog="jixiao", description="绩效目标表助手：起草、审核与评估项目支出绩效目标表")
    parser.add_argument("--version", action="version", version=f"jixiao {__version__}", help="显示版本号并退出")
    sub = parser.add_subparsers(dest="command", metavar="命令")
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
    except ParseError as e:  # parser reasons are English where raised (they are also logged)
        print(f"jixiao：错误：{e.source}：{zh_problem(e.problem)}", file=sys.stderr)
        return 2
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
