"""The CLI starts without the heavy stack: only the command being run is imported.

``jixiao --help`` used to take 11-13 s because every command module imported torch and
the models. These tests check the mechanism (which modules get imported), not a time.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from jixiao.service.cli import COMMANDS, build_parser, chosen_command

HEAVY = ("torch", "sentence_transformers", "transformers", "sklearn", "faiss", "onnxruntime", "fastapi")


def _imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('LOADED:', *[m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("LOADED:")
    return set(last.split()[1:])


def test_help_imports_no_heavy_module() -> None:
    code = "from jixiao.service.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _imported_after(code) == set()


def test_parse_command_imports_no_model(tmp_path) -> None:  # noqa: ANN001
    f = tmp_path / "t.txt"
    f.write_text("not a table\n", encoding="utf-8")
    code = f"from jixiao.service.cli import main\nmain(['parse', {str(f)!r}])"
    assert _imported_after(code) == set()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_table_matches_each_modules_own_help(name: str) -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    importlib.import_module(f"jixiao.service.commands.{name}").register(sub)
    action = next(a for a in parser._subparsers._group_actions if isinstance(a, argparse._SubParsersAction))
    (choice,) = [c for c in action._choices_actions if c.dest == name]
    assert choice.help == COMMANDS[name]


def test_chosen_command() -> None:
    assert chosen_command(["parse", "a.xlsx"]) == "parse"
    assert chosen_command(["--version"]) is None
    assert chosen_command(["bogus", "x"]) is None
    args = build_parser(["suggest", "农村公路养护"]).parse_args(["suggest", "农村公路养护"])
    assert args.command == "suggest" and callable(args.func)
