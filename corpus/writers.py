"""GoalTables → the files drafters and reviewers exchange: .xlsx, .csv, .docx, .pdf.

All four formats share one layout (``layout_table``), the standard goal-table form:
metadata rows (项目名称, 主管部门, 实施单位, 预算金额(元), 年度目标, and 实施周期 /
实施周期总目标 when known), then the header 一级指标 二级指标 三级指标 实施周期指标值
年度指标值, then one row per indicator with repeated level names merged. Writing
merges (and blanks in CSV) is what real exports do, so the parsers' carry-down is
exercised by every round trip. The xlsx writer is split so the service's annotated
workbook can add columns to the same sheet (``build_workbook``, ``write_sheet``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from jixiao.corpus.schema import GoalTable
from jixiao.errors import JixiaoError

Format = Literal["xlsx", "csv", "docx", "pdf"]
FORMATS: tuple[str, ...] = ("xlsx", "csv", "docx", "pdf")
HEADER = ("一级指标", "二级指标", "三级指标", "实施周期指标值", "年度指标值")
N_COLS = len(HEADER)
#: The CJK font fpdf2 embeds: Noto Sans SC from the justmytype-intl-cjk wheel (OFL).
PDF_FONT_PACKAGE = "justmytype_intl_cjk"
PDF_FONT_RESOURCE = "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"
#: Fallbacks when the wheel is missing (Debian fonts-noto-cjk / fonts-wqy-*).
PDF_FONT_FALLBACKS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

Cell = str | float | None

#: Leads that make a spreadsheet program read a cell as a formula (CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?%?")
#: What an .xlsx cannot hold (openpyxl raises IllegalCharacterError) and no reader means.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralize(value: Cell) -> tuple[Cell, bool]:
    """(the value without characters a workbook cannot hold, whether it would run as a formula).

    The one rule for every workbook and CSV we write: a text that starts with ``=``,
    ``+``, ``-``, ``@``, tab or CR is data, never a formula (``=cmd|' /C calc'!A0`` in
    an uploaded cell must not come back live). Plain numbers (``-5``, ``+3%``) are not
    formulas. ``put_cell`` stores risky text as a string-typed cell; ``csv_field``
    prefixes the apostrophe that spreadsheet programs read as "text follows".
    """
    if not isinstance(value, str):
        return value, False
    text = _ILLEGAL.sub("", value)
    risky = text.startswith(FORMULA_LEADS) and not _PLAIN_NUMBER.fullmatch(text)
    return text, risky


def put_cell(ws, row: int, column: int, value: Cell):  # noqa: ANN001, ANN201 - openpyxl sheet and cell
    """Write one value on a worksheet through ``neutralize``; returns the cell."""
    clean, risky = neutralize(value)
    cell = ws.cell(row=row, column=column, value=clean)
    if risky:
        cell.data_type = "s"  # stored as text: never evaluated, even ``=100%``
    return cell


def csv_field(value: Cell) -> str:
    """One CSV field through ``neutralize``; risky text gets a leading apostrophe."""
    clean, risky = neutralize(_text(value))
    return f"'{clean}" if risky else str(clean)


@dataclass
class Layout:
    """One table laid out on a 5-column grid; merges are (row0, col0, row1, col1), 0-based, inclusive."""

    rows: list[list[Cell]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    header_row: int = 0
    #: indicator index → grid row
    indicator_rows: list[int] = field(default_factory=list)


def _amount_cell(t: GoalTable) -> Cell:
    if t.amount is not None:
        return float(t.amount)
    return t.amount_raw


def layout_table(t: GoalTable) -> Layout:
    """The standard form of one table (see module docstring)."""
    meta: list[tuple[str, Cell]] = [
        ("项目名称", t.project),
        ("主管部门", t.department),
        ("实施单位", t.unit),
        ("预算金额(元)", _amount_cell(t)),
    ]
    if t.period:
        meta.append(("实施周期", t.period))
    if t.period_goal:
        meta.append(("实施周期总目标", t.period_goal))
    meta.append(("年度目标", t.annual_goal))
    rows: list[list[Cell]] = []
    merges: list[tuple[int, int, int, int]] = []
    for label, value in meta:
        r = len(rows)
        rows.append([label, value if value not in ("",) else None] + [None] * (N_COLS - 2))
        merges.append((r, 1, r, N_COLS - 1))
    header_row = len(rows)
    rows.append(list(HEADER))
    first = len(rows)
    ind_rows = []
    for ind in t.indicators:
        ind_rows.append(len(rows))
        rows.append([ind.level1, ind.level2, ind.name, ind.period_value, ind.annual_value])
    # Merge runs of the same level 1, and of the same (level 1, level 2).
    keys = [[(ind.level1,), (ind.level1, ind.level2) if ind.level2 else None] for ind in t.indicators]
    for col in (0, 1):
        start = 0
        for i in range(1, len(keys) + 1):
            if (
                i < len(keys)
                and keys[i][col] is not None
                and keys[i][col] == keys[start][col]
                and keys[i][col][-1]
            ):
                rows[first + i][col] = None
                continue
            if i - 1 > start:
                merges.append((first + start, col, first + i - 1, col))
            start = i
    return Layout(rows=rows, merges=merges, header_row=header_row, indicator_rows=ind_rows)


def _text(c: Cell) -> str:
    if c is None:
        return ""
    if isinstance(c, float):
        return str(int(c)) if c == int(c) else f"{c:.2f}".rstrip("0").rstrip(".")
    return str(c)


# --------------------------------------------------------------------------- xlsx


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(t: GoalTable, used: set[str]) -> str:
    base = _SHEET_BAD.sub("_", t.id or "table")[:28] or "table"
    title, n = base, 2
    while title.lower() in used:
        title = f"{base[:25]}-{n}"
        n += 1
    used.add(title.lower())
    return title


def write_sheet(ws, t: GoalTable) -> Layout:  # noqa: ANN001 - openpyxl worksheet
    """Write one table on a worksheet; returns the layout (its rows are 0-based, sheet rows 1-based)."""
    from openpyxl.styles import Alignment, Border, Font, Side

    lay = layout_table(t)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    for r, row in enumerate(lay.rows, 1):
        for c, value in enumerate(row, 1):
            cell = put_cell(ws, r, c, value)
            cell.border = border
            cell.alignment = wrap
            if isinstance(value, float):
                cell.number_format = "0.00"
            if r - 1 == lay.header_row or (c == 1 and r - 1 < lay.header_row):
                cell.font = Font(bold=True)
    for r0, c0, r1, c1 in lay.merges:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    for col, width in zip("ABCDE", (14, 18, 36, 18, 18), strict=True):
        ws.column_dimensions[col].width = width
    return lay


def build_workbook(tables: Sequence[GoalTable]):  # noqa: ANN201 - openpyxl Workbook
    """One sheet per table, named by table id."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for t in tables:
        write_sheet(wb.create_sheet(_sheet_title(t, used)), t)
    if not wb.worksheets:
        wb.create_sheet("empty")
    return wb


def write_xlsx(tables: Sequence[GoalTable], out: str | Path | IO[bytes]) -> None:
    build_workbook(tables).save(out)


# --------------------------------------------------------------------------- csv


def csv_text(tables: Sequence[GoalTable]) -> str:
    """All tables one after the other, a blank line between; merged cells blank."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for i, t in enumerate(tables):
        if i:
            w.writerow([])
        for row in layout_table(t).rows:
            w.writerow([csv_field(c) for c in row])
    return buf.getvalue()


def write_csv(tables: Sequence[GoalTable], out: str | Path | IO[bytes], encoding: str = "utf-8-sig") -> None:
    """UTF-8 with BOM by default (Excel needs the BOM to read UTF-8); ``gbk``/``gb18030`` for old Excel."""
    text = csv_text(tables)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError as e:
        bad = text[e.start : e.end]
        raise JixiaoError(f"无法以 {encoding} 编码写出 CSV：字符 {bad!r} 在 {encoding} 中没有对应编码") from e
    except LookupError as e:
        raise JixiaoError(f"未知的 CSV 编码 {encoding!r}") from e
    _write_bytes(out, data)


def _write_bytes(out: str | Path | IO[bytes], data: bytes) -> None:
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)


# --------------------------------------------------------------------------- docx


def write_docx(tables: Sequence[GoalTable], out: str | Path | IO[bytes]) -> None:
    """One Word table per goal table, under a heading; level cells merged."""
    import docx

    document = docx.Document()
    for i, t in enumerate(tables):
        if i:
            document.add_page_break()
        document.add_heading(f"项目支出绩效目标表 {t.id}", level=2)
        lay = layout_table(t)
        table = document.add_table(rows=len(lay.rows), cols=N_COLS)
        table.style = "Table Grid"
        # table.cell() recomputes the whole layout grid per call; take the cells once
        # (merges touch only their own, non-overlapping, regions).
        grid_cells = table._cells
        for r, row in enumerate(lay.rows):
            for c, value in enumerate(row):
                if value is not None:
                    grid_cells[r * N_COLS + c].text = _text(value)
        for r0, c0, r1, c1 in lay.merges:
            grid_cells[r0 * N_COLS + c0].merge(grid_cells[r1 * N_COLS + c1])
    document.save(out)


# --------------------------------------------------------------------------- pdf


def pdf_font_path() -> Path:
    """A CJK TrueType font for fpdf2; JixiaoError naming the package when none is installed."""
    from importlib.resources import files

    try:
        p = Path(str(files(PDF_FONT_PACKAGE) / PDF_FONT_RESOURCE))
        if p.is_file():
            return p
    except ModuleNotFoundError:
        pass
    for cand in PDF_FONT_FALLBACKS:
        if Path(cand).is_file():
            return Path(cand)
    raise JixiaoError("缺少输出 PDF 所需的中文字体：请执行 pip install justmytype-intl-cjk")


def write_pdf(tables: Sequence[GoalTable], out: str | Path | IO[bytes]) -> None:
    """One ruled table per goal table (pdfplumber reads it back as a table)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("cjk", "", str(pdf_font_path()))
    pdf.set_font("cjk", size=9)
    for t in tables:
        pdf.add_page()
        pdf.set_font("cjk", size=12)
        pdf.cell(0, 8, f"项目支出绩效目标表 {t.id}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("cjk", size=9)
        lay = layout_table(t)
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in lay.merges}
        covered = {
            (r, c)
            for r0, c0, r1, c1 in lay.merges
            for r in range(r0, r1 + 1)
            for c in range(c0, c1 + 1)
            if (r, c) != (r0, c0)
        }
        with pdf.table(
            col_widths=(22, 26, 60, 32, 32),
            first_row_as_headings=False,
            headings_style=FontFace(),
            line_height=5,
            text_align="LEFT",
        ) as table:
            for r, row in enumerate(lay.rows):
                prow = table.row()
                for c, value in enumerate(row):
                    if (r, c) in covered:
                        continue
                    rowspan, colspan = spans.get((r, c), (1, 1))
                    prow.cell(_text(value), rowspan=rowspan, colspan=colspan)
    data = bytes(pdf.output())
    _write_bytes(out, data)


# --------------------------------------------------------------------------- any


_WRITERS = {"xlsx": write_xlsx, "docx": write_docx, "pdf": write_pdf}


def write_tables(
    tables: Sequence[GoalTable],
    path: str | Path | IO[bytes],
    fmt: Format | None = None,
    *,
    encoding: str = "utf-8-sig",
) -> None:
    """Write tables as ``fmt`` (default: the path's extension). ``encoding`` is for CSV only."""
    if fmt is None:
        if not isinstance(path, str | Path):
            raise JixiaoError("写入数据流时须指定输出格式（fmt）")
        fmt = Path(path).suffix.lower().lstrip(".")  # type: ignore[assignment]
    if fmt not in FORMATS:
        raise JixiaoError(f"未知的输出格式 {fmt!r}；支持：{'、'.join(FORMATS)}")
    if fmt == "csv":
        write_csv(tables, path, encoding=encoding)
    else:
        _WRITERS[fmt](tables, path)
