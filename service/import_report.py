"""An import's report, as a person reads it: an aligned table in the terminal, or .xlsx."""

from __future__ import annotations

import io

from jixiao.corpus.importer import ImportReport
from jixiao.service.commands.parse import display_width, pad

HEADERS = ("文件", "导入表数", "指标行数", "重复跳过", "警告", "结果")


def _cells(f) -> tuple[str, str, str, str, str, str]:  # noqa: ANN001 - a FileReport
    return (f.file, str(f.tables), str(f.rows), str(f.duplicates), str(f.warnings), f.failure and f"失败：{f.failure}" or "成功")


def _short(name: str, width: int = 48) -> str:
    if display_width(name) <= width:
        return name
    out = ""
    for ch in reversed(name):
        if display_width(out) >= width - 1:
            break
        out = ch + out
    return "…" + out


def summary_line(r: ImportReport) -> str:
    verb = "试运行（未写入）" if r.dry_run else "已导入"
    return (
        f"{verb}：{len(r.files)} 个文件，{r.tables} 张表，{r.rows} 行指标；"
        f"重复跳过 {r.duplicates} 张，失败 {r.failures} 个文件"
        + (f"；语料库版本 {r.version}" if r.version is not None else "")
    )


def render_table(r: ImportReport) -> str:
    rows = [HEADERS] + [tuple(_short(c) if i == 0 else c for i, c in enumerate(_cells(f))) for f in r.files]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(HEADERS) - 1)]
    lines = ["  ".join(pad(row[i], widths[i]) for i in range(len(widths))) + "  " + row[-1] for row in rows]
    lines.insert(1, "-" * (sum(widths) + 2 * len(widths) + 4))
    return "\n".join(lines + ["", summary_line(r)])


def report_xlsx(r: ImportReport) -> bytes:
    """Two sheets: one line per file, and every kept warning."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "导入报告"
    ws.append(list(HEADERS) + ["SHA-256"])
    for f in r.files:
        ws.append([*_cells(f), f.sha256 or ""])
    ws.append([])
    ws.append([summary_line(r)])
    for col, width in zip("ABCDEFG", (60, 10, 10, 10, 8, 60, 66), strict=True):
        ws.column_dimensions[col].width = width
    wl = wb.create_sheet("警告")
    wl.append(["文件", "警告"])
    for f in r.files:
        for w in f.warning_lines:
            wl.append([f.file, w])
    wl.column_dimensions["A"].width = 60
    wl.column_dimensions["B"].width = 80
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
