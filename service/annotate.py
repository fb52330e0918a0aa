"""The annotated workbook a reviewer downloads: the verdict first, then the uploaded rows with the findings.

Reviewers work in Excel and print what they send back, so the workbook is laid out
for both: a first sheet (审核结论) with each table's grade, reason and per-criterion
scores; then one sheet per table in the standard layout of the xlsx writer
(``corpus.writers.write_sheet``) with the review column right next to the table,
every cell a finding points at coloured by severity, table-level findings under it,
landscape print fitted to the page width with the header row repeated, and row
heights that fit their text. Findings are written into cells, not comments:
LibreOffice draws wrapped comments over the next row. A last sheet lists every
finding flat, for filtering. Every label is Chinese; rule ids stay out of sight.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.corpus.review_rules import Finding, Severity
from jixiao.corpus.schema import GoalTable
from jixiao.corpus.writers import HEADER, build_workbook, layout_table, put_cell
from jixiao.service.analysis import TableReview

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VERDICT_SHEET = "审核结论"
FINDINGS_SHEET = "审核意见"

#: The review column comes first, right next to the table; the classifier's view after it.
ANNOTATION_HEADERS = ("审核意见", "模型判断类别", "置信度", "与申报一致")
ANNOTATION_WIDTHS = (48, 20, 8, 10)
#: Sheet column (1-based) of every header: the writer's five, then the annotations.
COL = {h: i + 1 for i, h in enumerate(HEADER + ANNOTATION_HEADERS)}
#: Which cells a finding's ``field`` highlights.
FIELD_COLUMNS = {
    "name": ("三级指标",),
    "tier": ("二级指标",),
    "value": ("年度指标值",),
    "annual_value": ("年度指标值",),
    "period_value": ("实施周期指标值",),
}
FILLS = {
    Severity.ERROR: PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE"),
    Severity.WARNING: PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C"),
    Severity.INFO: PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7"),
}
GRADE_FILLS = {"优": "C6EFCE", "良": "DDEBF7", "中": "FFEB9C", "差": "FFC7CE"}
_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="center")
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
#: Points per text line at the default 11 pt font.
LINE_HEIGHT = 15


def put(ws: Worksheet, row: int, column: int, value: object):  # noqa: ANN201 - an openpyxl Cell
    """Write a cell through the writers' one escape: uploaded text is never a live formula
    (``=HYPERLINK(…)``, ``+cmd``, ``@SUM``) and control characters never break the file."""
    return put_cell(ws, row, column, value)  # type: ignore[arg-type]


def _worst(findings: Sequence[Finding]) -> Severity:
    return max((f.severity for f in findings), key=_RANK.__getitem__)


def finding_line(f: Finding, with_location: bool = False) -> str:
    """One finding as a reviewer reads it: [警告·相关性] 指标类别可能有误：…"""
    where = f"{f.location}：" if with_location else ""
    return f"[{f.severity_title}·{f.criterion_title}] {where}{f.message}"


def amount_as_printed(t: GoalTable) -> str | float | None:
    """The amount as the table printed it (万元 stays 万元); the parsed 元 only when nothing was printed."""
    return t.amount_raw or t.amount


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit_row_heights(ws: Worksheet) -> None:
    """Give every row the height its wrapped text needs (Excel and LibreOffice do not grow them)."""
    widths = {
        c: (ws.column_dimensions[get_column_letter(c)].width or 10) for c in range(1, ws.max_column + 1)
    }
    spans: dict[tuple[int, int], float] = {}
    for rng in ws.merged_cells.ranges:
        if rng.min_row == rng.max_row:
            spans[(rng.min_row, rng.min_col)] = sum(widths[c] for c in range(rng.min_col, rng.max_col + 1))
    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            if cell.value is None or isinstance(cell, MergedCell):
                continue
            w = spans.get((cell.row, cell.column), widths.get(cell.column, 10))
            n = sum(max(1, math.ceil(_width(part) / max(w - 1, 1))) for part in str(cell.value).split("\n"))
            lines = max(lines, n)
        ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines + 3


def print_setup(ws: Worksheet, header_row: int | None) -> None:
    """Landscape, fitted to the page width, the header row repeated on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"


def _mark(ws: Worksheet, row: int, header: str, findings: Sequence[Finding]) -> None:
    """Colour one cell by its worst finding. A level cell merged over several rows belongs to all
    of them, so a row's problem is marked on its own 三级指标 cell instead of the whole group."""
    cell = ws.cell(row=row, column=COL[header])
    if isinstance(cell, MergedCell) or (header in ("一级指标", "二级指标") and _is_merged_anchor(ws, cell)):
        cell = ws.cell(row=row, column=COL["三级指标"])
    cell.fill = FILLS[_worst(findings)]


def _is_merged_anchor(ws: Worksheet, cell) -> bool:  # noqa: ANN001
    return any(cell.coordinate in rng and rng.min_row != rng.max_row for rng in ws.merged_cells.ranges)


def _annotate_sheet(ws: Worksheet, result: TableReview) -> None:
    table = result.table
    lay = layout_table(table)
    header_row = lay.header_row + 1
    for r, row in enumerate(lay.rows, 1):  # amounts as printed
        if r - 1 < lay.header_row and row[0] == "预算金额(元)":
            ws.cell(row=r, column=1, value="预算金额")
            put(ws, r, 2, amount_as_printed(table)).number_format = "General"
    for h in ANNOTATION_HEADERS:
        cell = ws.cell(row=header_row, column=COL[h], value=h)
        cell.font, cell.border, cell.alignment = _BOLD, _BORDER, _WRAP
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
            "审核意见": "\n".join(finding_line(f) for f in findings) or None,
            "模型判断类别": f"{c.prediction.level1}-{c.prediction.level2}" if c else None,
            "置信度": round(c.prediction.confidence, 3) if c else None,
            "与申报一致": {True: "是", False: "否", None: "未申报"}[c.agrees] if c else None,
        }
        for h, v in values.items():
            cell = put(ws, row, COL[h], v)
            cell.alignment, cell.border = _WRAP, _BORDER
        ws.cell(row=row, column=COL["置信度"]).number_format = "0%"
        if findings:
            ws.cell(row=row, column=COL["审核意见"]).fill = FILLS[_worst(findings)]
        columns: dict[str, list[Finding]] = {}
        for f in findings:
            for h in FIELD_COLUMNS.get(f.field or "", ()):
                columns.setdefault(h, []).append(f)
        for h, fs in columns.items():
            _mark(ws, row, h, fs)
    row = len(lay.rows) + 2
    grade = result.grade
    if grade is not None:
        ws.cell(row=row, column=1, value="审核等级").font = _BOLD
        cell = ws.cell(row=row, column=2, value=grade.reason)
        cell.fill = PatternFill(
            "solid", start_color=GRADE_FILLS[grade.title], end_color=GRADE_FILLS[grade.title]
        )
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=len(COL))
        row += 1
    for f in (f for f in result.findings if f.indicator_index is None):
        ws.cell(row=row, column=1, value="整表意见").font = _BOLD
        cell = put(ws, row, 2, finding_line(f))
        cell.fill = FILLS[f.severity]
        cell.alignment = _WRAP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=len(COL))
        row += 1
    for h, width in zip(ANNOTATION_HEADERS, ANNOTATION_WIDTHS, strict=True):
        ws.column_dimensions[get_column_letter(COL[h])].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    fit_row_heights(ws)
    print_setup(ws, header_row)


def sheet_title(n: int, t: GoalTable, used: set[str]) -> str:
    """A Chinese sheet name: 表3-项目名称 (unique, ≤ 31 characters, no characters Excel forbids)."""
    base = _SHEET_BAD.sub("_", f"表{n}-{t.project or '未命名项目'}")[:28]
    title, k = base, 2
    while title.lower() in used:
        title = f"{base[:25]}-{k}"
        k += 1
    used.add(title.lower())
    return title


def write_verdict_sheet(ws: Worksheet, results: Sequence[TableReview], sheets: Sequence[str]) -> None:
    """Sheet 审核结论: one row per table with its grade, reason and per-criterion scores."""
    head = (
        "工作表",
        "项目名称",
        "预算金额",
        "等级",
        "得分",
        "完整性",
        "相关性",
        "适当性",
        "可行性",
        "等级说明",
    )
    widths = (22, 30, 14, 6, 6, 8, 8, 8, 8, 60)
    for col, (h, w) in enumerate(zip(head, widths, strict=True), 1):
        cell = ws.cell(row=1, column=col, value=h)
        cell.font, cell.border, cell.alignment = _BOLD, _BORDER, _WRAP
        ws.column_dimensions[get_column_letter(col)].width = w
    for r, (sheet, res) in enumerate(zip(sheets, results, strict=True), 2):
        g = res.grade
        scores = [s.score for s in g.scores] if g else [None] * 4
        vals = (
            sheet,
            res.table.project or "",
            amount_as_printed(res.table),
            g.title if g else "",
            g.score if g else None,
            *scores,
            g.reason if g else "",
        )
        for col, v in enumerate(vals, 1):
            cell = put(ws, r, col, v)
            cell.border, cell.alignment = _BORDER, _WRAP
        if g:
            ws.cell(row=r, column=4).fill = PatternFill(
                "solid", start_color=GRADE_FILLS[g.title], end_color=GRADE_FILLS[g.title]
            )
    if not results:
        ws.cell(row=2, column=1, value="未在文件中识别到绩效目标表")
    ws.freeze_panes = "A2"
    fit_row_heights(ws)
    print_setup(ws, 1)


def write_findings_sheet(ws: Worksheet, results: Sequence[TableReview], sheets: Sequence[str]) -> None:
    head = ("工作表", "项目名称", "行号", "三级指标", "审核标准", "问题", "严重程度", "审核意见")
    widths = (22, 28, 6, 28, 8, 18, 8, 70)
    for col, (h, w) in enumerate(zip(head, widths, strict=True), 1):
        ws.cell(row=1, column=col, value=h).font = _BOLD
        ws.column_dimensions[get_column_letter(col)].width = w
    r = 2
    for sheet, res in zip(sheets, results, strict=True):
        for f in res.findings:
            vals = (
                sheet,
                res.table.project or "",
                f.indicator_index + 1 if f.indicator_index is not None else "整表",
                f.indicator_name or "",
                f.criterion_title,
                f.title,
                f.severity_title,
                f.message,
            )
            for col, v in enumerate(vals, 1):
                put(ws, r, col, v).alignment = _WRAP
            ws.cell(row=r, column=7).fill = FILLS[f.severity]
            r += 1
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:H{max(r - 1, 1)}"
    fit_row_heights(ws)
    print_setup(ws, 1)


def annotated_tables_workbook(results: Sequence[TableReview]) -> tuple[Workbook, list[str]]:
    """The writer's workbook with every table sheet annotated and given a Chinese title."""
    wb = build_workbook([r.table for r in results])
    if not results:
        wb.remove(wb.worksheets[0])  # the writer's placeholder sheet
    used = {VERDICT_SHEET.lower(), FINDINGS_SHEET.lower()}
    titles = []
    for n, (ws, res) in enumerate(zip(wb.worksheets, results, strict=True), 1):
        ws.title = sheet_title(n, res.table, used)
        _annotate_sheet(ws, res)
        titles.append(ws.title)
    return wb, titles


def annotated_workbook(results: Sequence[TableReview]) -> bytes:
    """The .xlsx bytes: 审核结论, one annotated sheet per table, then 审核意见."""
    wb, titles = annotated_tables_workbook(results)
    write_verdict_sheet(wb.create_sheet(VERDICT_SHEET, 0), results, titles)
    write_findings_sheet(wb.create_sheet(FINDINGS_SHEET), results, titles)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
