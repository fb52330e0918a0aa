"""The annotated workbook a reviewer downloads: the uploaded rows with the service's verdicts.

Reviewers work in Excel, so the answer to an upload can be the same tables in the
standard layout of the xlsx writer (one sheet per table, ``corpus.writers.write_sheet``)
with columns added to the right of each row (predicted tier, confidence, agreement,
findings), every problem cell coloured by severity with the message as a cell comment,
and the table-level findings under the table. A last sheet lists all findings flat, for
filtering. Building on the writer keeps the rows where a drafter expects them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from jixiao.corpus.review import Finding, Severity
from jixiao.corpus.writers import HEADER, build_workbook, layout_table, put_cell
from jixiao.service.api_models import UploadedTable

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FINDINGS_SHEET = "审核意见"

ANNOTATION_HEADERS = ("预测编码", "预测类别", "置信度", "与申报一致", "审核意见")
#: Sheet column (1-based) of every header: the writer's five, then the annotations.
COL = {h: i + 1 for i, h in enumerate(HEADER + ANNOTATION_HEADERS)}
#: Which cells a finding's ``field`` highlights.
FIELD_COLUMNS = {
    "name": ("三级指标",),
    "tier": ("二级指标", "预测类别"),
    "value": ("年度指标值",),
    "annual_value": ("年度指标值",),
    "period_value": ("实施周期指标值",),
}
FILLS = {
    Severity.ERROR: PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE"),
    Severity.WARNING: PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C"),
    Severity.INFO: PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7"),
}
SEVERITY_ZH = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}
_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="center")


def _worst(findings: Sequence[Finding]) -> Severity:
    return max((f.severity for f in findings), key=_RANK.__getitem__)


def _line(f: Finding) -> str:
    return f"[{SEVERITY_ZH[f.severity]}] {f.message}"


def _mark(ws, row: int, header: str, findings: Sequence[Finding]) -> None:  # noqa: ANN001
    """Colour one cell by its worst finding and attach the messages as a comment.

    A level cell merged over several rows belongs to all of them, so a row's problem
    is marked on its own 三级指标 cell instead of colouring the whole group.
    """
    cell = ws.cell(row=row, column=COL[header])
    if isinstance(cell, MergedCell) or (header in ("一级指标", "二级指标") and _is_merged_anchor(ws, cell)):
        cell = ws.cell(row=row, column=COL["三级指标"])
    cell.fill = FILLS[_worst(findings)]
    text = "\n".join(f.message for f in findings)
    if cell.comment is not None and text not in cell.comment.text:
        text = cell.comment.text + "\n" + text
    cell.comment = Comment(text, "jixiao", width=320, height=120)


def _is_merged_anchor(ws, cell) -> bool:  # noqa: ANN001
    return any(cell.coordinate in rng and rng.min_row != rng.max_row for rng in ws.merged_cells.ranges)


def _annotate_sheet(ws, result: UploadedTable) -> None:  # noqa: ANN001
    lay = layout_table(result.table)
    header_row = lay.header_row + 1
    for h in ANNOTATION_HEADERS:
        ws.cell(row=header_row, column=COL[h], value=h).font = _BOLD
    by_row: dict[int, list[Finding]] = {}
    for f in result.findings:
        if f.indicator_index is not None:
            by_row.setdefault(f.indicator_index, []).append(f)
    preds = {c.index: c for c in result.classifications}
    for i, grid_row in enumerate(lay.indicator_rows):
        row = grid_row + 1
        c = preds.get(i)
        findings = by_row.get(i, [])
        values = {
            "预测编码": c.prediction.code if c else None,
            "预测类别": f"{c.prediction.level1}-{c.prediction.level2}" if c else None,
            "置信度": round(c.prediction.confidence, 3) if c else None,
            "与申报一致": {True: "是", False: "否", None: None}[c.agrees] if c else None,
            "审核意见": "\n".join(_line(f) for f in findings) or None,
        }
        for h, v in values.items():
            ws.cell(row=row, column=COL[h], value=v).alignment = _WRAP
        ws.cell(row=row, column=COL["置信度"]).number_format = "0.0%"
        if findings:
            ws.cell(row=row, column=COL["审核意见"]).fill = FILLS[_worst(findings)]
        columns: dict[str, list[Finding]] = {}
        for f in findings:
            for h in FIELD_COLUMNS.get(f.field or "", ()):
                columns.setdefault(h, []).append(f)
        for h, fs in columns.items():
            _mark(ws, row, h, fs)
        if c is not None and c.agrees is False:
            ws.cell(row=row, column=COL["与申报一致"]).fill = FILLS[Severity.WARNING]
    row = len(lay.rows) + 2
    for f in (f for f in result.findings if f.indicator_index is None):
        ws.cell(row=row, column=1, value="整表意见").font = _BOLD
        cell = ws.cell(row=row, column=2, value=_line(f))
        cell.fill = FILLS[f.severity]
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=len(COL))
        row += 1
    for h, width in zip(ANNOTATION_HEADERS, (10, 26, 9, 10, 60), strict=True):
        ws.column_dimensions[get_column_letter(COL[h])].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _write_findings_sheet(ws, results: Sequence[UploadedTable], sheets: Sequence[str]) -> None:  # noqa: ANN001
    head = ("工作表", "项目名称", "序号", "三级指标", "规则", "严重程度", "审核意见")
    for col, h in enumerate(head, 1):
        ws.cell(row=1, column=col, value=h).font = _BOLD
    r = 2
    for sheet, res in zip(sheets, results, strict=False):
        for f in res.findings:
            vals = (
                sheet,
                res.table.project or "",
                f.indicator_index + 1 if f.indicator_index is not None else None,
                f.indicator_name or "",
                f.rule.value,
                SEVERITY_ZH[f.severity],
                f.message,
            )
            for col, v in enumerate(vals, 1):
                put_cell(ws, r, col, v)  # the one escape: uploaded text is never a live formula
            ws.cell(row=r, column=6).fill = FILLS[f.severity]
            r += 1
    ws.freeze_panes = "A2"
    for col, width in zip(range(1, 8), (14, 30, 6, 30, 22, 8, 70), strict=True):
        ws.column_dimensions[get_column_letter(col)].width = width


def annotated_workbook(results: Sequence[UploadedTable]) -> bytes:
    """The .xlsx bytes: one annotated sheet per table (writer layout), then sheet 审核意见."""
    wb = build_workbook([r.table for r in results])
    if results:
        for ws, res in zip(wb.worksheets, results, strict=True):
            _annotate_sheet(ws, res)
    else:
        wb.worksheets[0].cell(row=1, column=1, value="未在文件中识别到绩效目标表")
    _write_findings_sheet(wb.create_sheet(FINDINGS_SHEET), results, [ws.title for ws in wb.worksheets])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
