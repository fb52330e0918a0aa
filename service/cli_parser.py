"""An argparse parser that speaks Chinese to the user.

argparse writes its own words (``usage:``, ``options``, ``error: the following arguments
are required``) in English through ``gettext``. Installing a translation catalogue would
change every argparse user in the process, so this subclass translates only what our
parsers print: the usage prefix, the group titles, the ``-h`` help, and the error
messages, which it rewrites into one Chinese line (exit code 2, like every CLI error).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

#: argparse's error messages (CPython 3.11–3.13) and their Chinese form. Matched in order;
#: ``{0}``… are the groups of the pattern.
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"^the following arguments are required: (.+)$", "缺少必需的参数：{0}"),
        (r"^unrecognized arguments: (.+)$", "无法识别的参数：{0}"),
        (r"^one of the arguments (.+) is required$", "参数 {0} 必须给出其中一个"),
        (r"^ambiguous option: (\S+) could match (.+)$", "选项 {0} 有歧义，可能是：{1}"),
        (r"^argument (\S+): invalid choice: (.+?) \(choose from (.+)\)$", "参数 {0}：无效的取值 {1}（可选：{2}）"),
        (r"^argument (\S+): invalid (\w+) value: (.+)$", "参数 {0}：{2} 不是有效的{1}值"),
        (r"^argument (\S+): expected one argument$", "参数 {0} 需要一个值"),
        (r"^argument (\S+): expected at least one argument$", "参数 {0} 至少需要一个值"),
        (r"^argument (\S+): expected (\d+) arguments?$", "参数 {0} 需要 {1} 个值"),
        (r"^argument (\S+): not allowed with argument (\S+)$", "参数 {0} 不能与 {1} 同时使用"),
        (r"^argument (\S+): ignored explicit argument (.+)$", "参数 {0} 不接受取值 {1}"),
        (r"^argument (\S+): (.+)$", "参数 {0}：{1}"),
    )
)

_TYPE_NAMES = {"int": "整数", "float": "数值", "str": "文本"}


def chinese_error(message: str) -> str:
    """argparse's English error message in Chinese; unknown messages pass unchanged."""
    for pattern, chinese in _ERRORS:
        m = pattern.match(message)
        if m:
            groups = [_TYPE_NAMES.get(g, g) for g in m.groups()]
            return chinese.format(*groups)
    return message


class ChineseHelpFormatter(argparse.HelpFormatter):
    """Help text with a Chinese usage prefix."""

    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001 - argparse's signature
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """``ArgumentParser`` with Chinese titles, ``-h`` help and error lines.

    Subparsers made through ``add_subparsers`` are of the same class, so every command
    of ``jixiao`` gets the same treatment.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        """One Chinese line after the usage, exit code 2 (argparse's own code for usage errors)."""
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{chinese_error(message)}\n")
