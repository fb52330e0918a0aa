"""``jixiao parse``: readable and JSON output, and bad input as one-line errors (exit 2)."""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from jixiao.corpus import writers
from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import record_to_table
from jixiao.corpus.schema import GoalTable
from jixiao.service.cli import main


def _gold(n: int = 2) -> list[GoalTable]:
    lines = EXTERNAL_TABLES.read_text(encoding="utf-8").splitlines()
    return [record_to_table(json.loads(ln)) for ln in lines[:n]]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["parse", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _assert_one_line_error(code: int, err: str, path: Path, *words: str) -> None:
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(path) in lines[0] and lines[0].startswith("jixiao：错误："), lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    reason = lines[0].split(str(path), 1)[1]
    assert not re.search(r"[A-Za-z]{3,}", reason), f"the reason is not Chinese: {lines[0]}"
    assert "Traceback" not in err


def _xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


HEAD = [["项目名称", "测试项目"], ["预算金额(元)", 1000], ["一级指标", "二级指标", "三级指标", "指标值"]]


def test_readable_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tables = _gold(2)
    path = tmp_path / "two.xlsx"
    writers.write_tables(tables, path)
    code, out, _ = _run(capsys, str(path))
    assert code == 0
    for t in tables:
        assert t.project in out
        for ind in t.indicators:
            assert f"{ind.code} {ind.level1}/{ind.level2}" in out
    # Rows are aligned: the "|" separators of one table's rows line up (display width).
    from jixiao.service.commands.parse import display_width

    rows = [ln for ln in out.splitlines() if ln.startswith("  ") and " | " in ln]
    first_table = rows[: len(tables[0].indicators)]
    bars = {display_width(ln[: ln.index(" | ")]) for ln in first_table}
    assert len(bars) == 1


def test_json_output_and_several_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tables = _gold(3)
    a, b = tmp_path / "a.docx", tmp_path / "b.csv"
    writers.write_tables(tables[:1], a)
    writers.write_tables(tables[1:], b)
    code, out, _ = _run(capsys, str(a), str(b), "--json")
    assert code == 0
    parsed = [GoalTable.model_validate(d) for d in json.loads(out)]
    assert [t.project for t in parsed] == [t.project for t in tables]
    assert "\\u" not in out  # ensure_ascii=False


def test_record_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = EXTERNAL_TABLES.read_text(encoding="utf-8").splitlines()[:3]
    path = tmp_path / "recs.jsonl"
    path.write_text("\n".join([lines[0], "{not json", lines[1], lines[2]]) + "\n", encoding="utf-8")
    code, out, err = _run(capsys, str(path), "--json")
    assert code == 0
    assert [d["id"] for d in json.loads(out)] == [json.loads(ln)["id"] for ln in lines]
    assert err.count("警告：") == 1 and f"{path}:2" in err


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    _assert_one_line_error(*_run(capsys, str(path))[::2], path, "为空")


def test_binary_garbage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(random.Random(7).randrange(256) for _ in range(4096)))
    _assert_one_line_error(*_run(capsys, str(path))[::2], path)


def test_truncated_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.BytesIO()
    writers.write_tables(_gold(1), buf, "xlsx")
    path = tmp_path / "cut.xlsx"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    _assert_one_line_error(*_run(capsys, str(path))[::2], path, "损坏或不完整")


def test_unknown_layout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("会议纪要\n今天讨论了办公室搬迁的安排，下周一开始打包。\n", encoding="utf-8")
    _assert_one_line_error(*_run(capsys, str(path))[::2], path, "未识别出绩效目标表")


def test_unknown_category(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _xlsx(
        tmp_path / "badcat.xlsx",
        HEAD
        + [["产出指标", "奇怪指标", "某某人次", "≥10人次"], ["产出指标", "奇怪指标", "某某次数", "≥3次"]],
    )
    _assert_one_line_error(*_run(capsys, str(path))[::2], path, "奇怪指标")


def test_partial_table_warns_per_skipped_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _xlsx(
        tmp_path / "partial.xlsx",
        HEAD
        + [
            ["产出指标", "数量指标", "救助人次", "≥10人次"],
            ["产出指标", "奇怪指标", "某某次数", "≥3次"],
            ["满意度指标", "服务对象满意度指标", "满意度", "≥90%"],
            ["效益指标", "离奇指标", "某某效益", "明显"],
        ],
    )
    code, out, err = _run(capsys, str(path))
    assert code == 0
    assert "11 产出指标/数量指标" in out and "31 满意度指标/服务对象满意度指标" in out
    warnings = [ln for ln in err.splitlines() if ln.startswith("警告：")]
    assert len(warnings) == 2, err
    assert "奇怪指标" in warnings[0] and "离奇指标" in warnings[1]


def test_one_bad_file_does_not_hide_the_good_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.xlsx"
    writers.write_tables(_gold(1), good)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"")
    code, out, err = _run(capsys, str(bad), str(good))
    assert code == 2
    assert _gold(1)[0].project in out
    assert err.count("jixiao：错误：") == 1


def test_console_script_error_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(random.Random(3).randrange(256) for _ in range(2048)))
    exe = shutil.which("jixiao")
    cmd = [exe] if exe else [sys.executable, "-m", "jixiao.service.cli"]
    proc = subprocess.run(
        [*cmd, "parse", str(path)], capture_output=True, text=True, timeout=120, env=dict(os.environ)
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
