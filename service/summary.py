"""The summary workbook of a batch review: one row per table first, then one annotated sheet per table.

A bureau reviewing a budget round reads the summary sheet (汇总) top to bottom: unit,
project, amount as printed, grade and reason, the number of findings per criterion and
the three most serious findings, sorted by grade so the tables to refuse or send back
stand together. Files that could not be reviewed are listed at the bottom with the
reason, so nothing in the submission goes missing. The table sheets are the same as in
the single-file workbook (``annotate``).
"""

from __future__ import annotations

import io

from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.corpus.review_grade import most_serious
from jixiao.corpus.review_rules import Criterion
from jixiao.service.annotate import (
    _BOLD,
    _BORDER,
    _WRAP,
    FINDINGS_SHEET,
    GRADE_FILLS,
    amount_as_printed,
    annotated_tables_workbook,
    finding_line,
    fit_row_heights,
    print_setup,
    put,
    write_findings_sheet,
)
from jixiao.service.batch import BatchReview

SUMMARY_SHEET = "汇总"
HEAD = (
    "序号",
    "文件",
    "工作表",
    "主管部门",
    "实施单位",
    "项目名称",
    "预算金额",
    "等级",
    "得分",
    "完整性问题",
    "相关性问题",
    "适当性问题",
    "可行性问题",
    "等级说明",
    "最主要的三条意见",
)
WIDTHS = (5, 22, 18, 16, 16, 26, 12, 6, 6, 7, 7, 7, 7, 34, 60)


def _header(ws: Worksheet) -> None:
    for col, (h, w) in enumerate(zip(HEAD, WIDTHS, strict=True), 1):
        cell = ws.cell(row=1, column=col, value=h)
        cell.font, cell.border, cell.alignment = _BOLD, _BORDER, _WRAP
        ws.column_dimensions[get_column_letter(col)].width = w


def summary_workbook(batch: BatchReview) -> bytes:
    """汇总 (tables sorted by grade, then the files that failed), one sheet per table, 审核意见."""
    pairs = [(f.name, t) for f in batch.files for t in f.tables]
    wb, titles = annotated_tables_workbook([t for _, t in pairs])
    sheet_of = {id(t): title for (_, t), title in zip(pairs, titles, strict=True)}
    ws = wb.create_sheet(SUMMARY_SHEET, 0)
    _header(ws)
    r = 2
    for n, (name, res) in enumerate(batch.tables(), 1):
        t, g = res.table, res.grade
        per = {c: sum(1 for f in res.findings if f.criterion is c) for c in Criterion}
        top = "\n".join(finding_line(f, with_location=True) for f in most_serious(res.findings))
        vals = (
            n,
            name,
            sheet_of[id(res)],
            t.department or "",
            t.unit or "",
            t.project or "",
            amount_as_printed(t),
            g.title if g else "",
            g.score if g else None,
            *per.values(),
            g.reason if g else "",
            top,
        )
        for col, v in enumerate(vals, 1):
            cell = put(ws, r, col, v)
            cell.border, cell.alignment = _BORDER, _WRAP
        if g:
            fill = GRADE_FILLS[g.title]
            ws.cell(row=r, column=8).fill = PatternFill("solid", start_color=fill, end_color=fill)
        r += 1
    failed = [f for f in batch.files if not f.ok or not f.tables]
    if failed:
        r += 1
        ws.cell(row=r, column=1, value="未能审核的文件").font = _BOLD
        r += 1
        for f in failed:
            put(ws, r, 2, f.name).alignment = _WRAP
            reason = f.problem or "文件中没有识别到绩效目标表"
            if f.note:
                reason += f"（{f.note}）"
            put(ws, r, 6, reason).alignment = _WRAP
            ws.merge_cells(start_row=r, start_column=6, end_row=r, end_column=len(HEAD))
            r += 1
    notes = [f for f in batch.files if f.ok and f.note]
    for f in notes:
        put(ws, r, 2, f.name).alignment = _WRAP
        put(ws, r, 6, f.note).alignment = _WRAP
        ws.merge_cells(start_row=r, start_column=6, end_row=r, end_column=len(HEAD))
        r += 1
    counts = "，".join(f"{k} {v} 张" for k, v in batch.grades.items())
    ws.cell(row=r + 1, column=1, value=f"共 {len(pairs)} 张表：{counts}").font = _BOLD
    ws.merge_cells(start_row=r + 1, start_column=1, end_row=r + 1, end_column=8)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEAD))}{max(2, len(pairs) + 1)}"
    fit_row_heights(ws)
    print_setup(ws, 1)
    write_findings_sheet(wb.create_sheet(FINDINGS_SHEET), [t for _, t in pairs], titles)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
