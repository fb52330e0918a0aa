"""Any uploaded file → goal tables, with the type decided by content, never by name.

Users rename files, budget systems export .xls-named HTML, and the HTTP service
receives whatever a browser sends, so the extension is only used in messages. A zip
is Excel or Word according to its entries, ``%PDF`` is a PDF, and anything else must
decode as text (UTF-8 with or without BOM, UTF-16 with BOM, GB18030 ⊃ GBK), which
then is the labeled record JSONL, an HTML table (the ".xls" of many budget systems),
a comma-separated export with a header we know, or free text for ``parse_text`` (the
seed layouts and text tables). Traditional characters are simplified before any
label or category is matched.

Every refusal is a ``ParseError(file name, problem)``: one line, nothing half-read.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from pathlib import Path

from jixiao.corpus.parsers.cells import MAX_CELL_CHARS, clean_text, drop_controls, simplify_grid
from jixiao.corpus.parsers.html import looks_like_html
from jixiao.corpus.parsers.sniff import SUPPORTED, FileKind, sniff
from jixiao.corpus.records import records_from_text
from jixiao.corpus.schema import GoalTable, ParseResult, ParseWarning
from jixiao.errors import (
    ArchiveTooLarge,
    EmptyFile,
    JixiaoError,
    ParseError,
    UnknownCategoryError,
    UnsupportedFileType,
)

#: Characters of decoded text (some 250 pages; a goal-table file has tens of thousands);
#: the text readers need ~20 s per million characters on a shared CPU, more on hostile text.
MAX_TEXT_CHARS = 500_000
#: Share of control characters above which decoded "text" is really binary.
MAX_CONTROL_SHARE = 0.01


def parse_file(path: str | Path) -> ParseResult:
    """Read and parse one file; the file's name is the source in tables and errors."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError as e:
        raise ParseError(str(p), "is a directory, not a file") from e
    except OSError as e:
        raise ParseError(str(p), f"cannot read: {e.strerror or e}") from e
    return parse_bytes(data, str(p))


def parse_bytes(data: bytes, filename: str) -> ParseResult:
    """Parse an upload. Raises ParseError when no goal table can be read from it."""
    source = filename
    try:
        kind, result = _dispatch(data, source)
    except UnknownCategoryError as e:
        raise ParseError(source, str(e)) from e
    except ParseError as e:
        if not e.source:  # raised by a helper that does not know the file (trim_grid)
            raise type(e)(source, e.problem) from e
        raise
    except JixiaoError as e:
        raise ParseError(source, str(e)) from e
    if not result.tables:
        raise ParseError(source, _nothing_found(kind, result.warnings))
    _unique_ids(result.tables)
    return result


def _dispatch(data: bytes, source: str) -> tuple[str, ParseResult]:
    kind = sniff(data, source)
    if kind is FileKind.XLSX:
        return kind.label, _parse_xlsx(data, source)
    if kind is FileKind.DOCX:
        return kind.label, _parse_docx(data, source)
    if kind is FileKind.PDF:
        return kind.label, _parse_pdf(data, source)
    text, damaged = decode_text_counted(data, source)
    if not text.strip():
        raise EmptyFile(source, "empty file")
    if len(text) > MAX_TEXT_CHARS:
        raise ArchiveTooLarge(
            source, f"{len(text)} characters of text, more than any goal-table document (cap {MAX_TEXT_CHARS})"
        )
    label, result = parse_text_content(text, source)
    if damaged:
        problem = f"{damaged} undecodable byte sequence(s) replaced by U+FFFD (damaged or truncated file?)"
        result.warnings.insert(0, ParseWarning(source=source, problem=problem))
    return label, result


def _grid_to_tables(rows: list[list[str | None]], source: str) -> ParseResult:
    from jixiao.corpus.parsers.grid import grid_to_tables

    return grid_to_tables(simplify_grid(rows), source)


def _parse_text(text: str, source: str) -> ParseResult:
    from jixiao.corpus.normalize import to_simplified
    from jixiao.corpus.parsers.text import parse_text

    # Conversion and the layout readers slow down on a line of megabytes (seconds per
    # megabyte, worse than linear); no goal table prints a line longer than a cell.
    longest = max(map(len, text.splitlines()), default=0)
    if longest > MAX_CELL_CHARS:
        raise ArchiveTooLarge(source, f"a line of {longest} characters: not a goal table (cap {MAX_CELL_CHARS})")
    return parse_text(to_simplified(text), source)


def _try_parse_text(text: str, source: str) -> ParseResult | None:
    """A second opinion: ``parse_text`` on a file whose grid gave nothing; None if it fails too."""
    try:
        result = _parse_text(text, source)
    except ParseError:
        return None
    return result if result.tables else None


def _parse_xlsx(data: bytes, source: str) -> ParseResult:
    from jixiao.corpus.parsers.xlsx import read_xlsx_grids

    grids = read_xlsx_grids(data, source)
    if not grids:
        raise ParseError(source, "the workbook has no non-empty sheet")
    results = []
    for title, grid in grids:
        sheet_source = source if len(grids) == 1 else f"{source}#{title}"
        results.append(_grid_to_tables(grid, sheet_source))
    return merge_results(results, layout="xlsx")


def _parse_docx(data: bytes, source: str) -> ParseResult:
    from jixiao.corpus.parsers.docx import docx_full_text, read_docx

    grid, paragraphs = read_docx(data, source)
    if grid:
        result = _grid_to_tables(grid, source)
        if result.tables:
            result.layout = result.layout or "docx-table"
            return result
        # Tables that are not goal-table grids: maybe the text (paragraphs + rows) reads.
        return _try_parse_text(docx_full_text(data), source) or result
    if not paragraphs.strip():
        raise ParseError(source, "the Word document has no tables and no text")
    return _parse_text(paragraphs, source)


def _parse_pdf(data: bytes, source: str) -> ParseResult:
    from jixiao.corpus.parsers.pdf import read_pdf

    grid, text = read_pdf(data, source)
    if grid:
        result = _grid_to_tables(grid, source)
        if result.tables:
            result.layout = result.layout or "pdf-table"
            return result
        return _try_parse_text(text, source) or result
    if not text.strip():
        raise ParseError(source, "the PDF has no text layer (a scan?): OCR it first")
    return _parse_text(text, source)


def parse_text_content(text: str, source: str) -> tuple[str, ParseResult]:
    """Decoded text → records JSONL, a delimited export, or free text."""
    from jixiao.corpus.parsers.csv_reader import read_csv_grid, sniff_delimiter

    if _looks_like_records(text):
        return "record JSONL", parse_records_text(text, source)
    if looks_like_html(text):
        return "HTML document", _parse_html(text, source)
    delim = sniff_delimiter(text)
    if delim == "\t" and not _fields_quoted(text):
        # Tab tables are what the text-table parser specialises in (shifted columns,
        # LaTeX); the plain grid is the fallback.
        try:
            return "text", _parse_text(text, source)
        except ParseError:
            grid_result = _grid_to_tables(read_csv_grid(text, "\t"), source)
            if grid_result.tables:
                return "tab-separated text", grid_result
            raise
    if delim:
        grid = read_csv_grid(text, delim)
        result = _grid_to_tables(grid, source)
        if result.tables:
            result.layout = result.layout or "csv"
            return "CSV", result
        # The text parsers get the cells, never the raw line with its quotes and commas.
        unquoted = "\n".join("\t".join(c or "" for c in row) for row in grid)
        return "CSV", _try_parse_text(unquoted, source) or result
    return "text", _parse_text(text, source)


def _fields_quoted(text: str) -> bool:
    """Most lines start with a quote: an export that quotes every field (``csv.QUOTE_ALL``)."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    return bool(lines) and sum(ln.lstrip().startswith('"') for ln in lines) * 2 > len(lines)


def _parse_html(text: str, source: str) -> ParseResult:
    from jixiao.corpus.parsers.html import read_html

    grid, visible = read_html(text)
    result = _grid_to_tables(grid, source) if grid else ParseResult()
    if result.tables:
        result.layout = result.layout or "html-table"
        return result
    return _try_parse_text(visible, source) or result


def decode_text(data: bytes, source: str) -> str:
    """Bytes → str by BOM, then UTF-8, then GB18030 (a superset of GBK and GB2312)."""
    return decode_text_counted(data, source)[0]


def decode_text_counted(data: bytes, source: str) -> tuple[str, int]:
    """The text and how many damaged byte sequences were replaced by U+FFFD.

    A byte-order mark is trusted. Without one, UTF-8 that is damaged in a few places
    (a truncated upload, a flipped byte) is still UTF-8 when valid multi-byte
    characters outnumber the damage tenfold; GBK read as UTF-8 is all damage. GB18030
    would "decode" damaged UTF-8 as mojibake without an error, so it comes after.
    """
    text, bad = None, 0
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            text, bad = _decode_lenient(data[len(bom) :], enc)
            break
    if text is None:
        if b"\x00" in data[:8192]:
            raise UnsupportedFileType(source, f"binary content, not a supported file type ({SUPPORTED})")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, bad = _decode_lenient(data, "utf-8")
            if bad * 10 > sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd"):
                text, bad = None, 0
    if text is None:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = _guess_decode(data)
    if text is None or _control_share(text) > MAX_CONTROL_SHARE or (bad and bad * 100 > len(text)):
        raise UnsupportedFileType(source, f"binary content or unknown text encoding; supported: {SUPPORTED}")
    return drop_controls(clean_text(text)).lstrip("\ufeff"), bad


def _decode_lenient(data: bytes, encoding: str) -> tuple[str, int]:
    text = data.decode(encoding, errors="replace")
    return text, text.count("\ufffd")


def _guess_decode(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        return None
    try:
        return data.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _control_share(text: str) -> float:
    sample = text[:20_000]
    if not sample:
        return 0.0
    bad = sum(
        1
        for ch in sample
        if ch not in "\t\n\r\f" and (unicodedata.category(ch) in ("Cc", "Cs", "Co") or ch == "\ufffd")
    )
    # A short file may carry a stray control character or two (a paste from another
    # program) and still be text: the share is taken of at least 400 characters.
    return bad / max(len(sample), 400)


def _looks_like_records(text: str) -> bool:
    """A labeled record JSONL: one of the first non-empty lines is a JSON object with indicators."""
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()][:5]
    if not lines or not lines[0].lstrip().startswith("{"):
        return False
    for line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and "indicators" in obj:
            return True
    return False


def parse_records_text(text: str, source: str) -> ParseResult:
    """The labeled record JSONL; a bad line is a warning with its number, not fatal."""
    tables, problems = records_from_text(text)
    warnings = [ParseWarning(source=source, line=p.line, text=p.text, problem=p.problem) for p in problems]
    return ParseResult(tables=tables, warnings=warnings, layout="records")


def merge_results(results: list[ParseResult], layout: str | None = None) -> ParseResult:
    """Several parses of one file (sheets) as one result."""
    merged = ParseResult(layout=layout)
    for r in results:
        merged.tables.extend(r.tables)
        merged.warnings.extend(r.warnings)
        if merged.layout is None:
            merged.layout = r.layout
    return merged


def _unique_ids(tables: list[GoalTable]) -> None:
    """Two sheets or pages may yield the same table id; later ones get a suffix."""
    seen: set[str] = set()
    for t in tables:
        base, n = t.id, 2
        while t.id in seen:
            t.id = f"{base}-{n}"
            n += 1
        seen.add(t.id)


def _nothing_found(kind: str, warnings: list[ParseWarning]) -> str:
    problem = f"no goal table found in this {kind} (unknown layout: expected 一级指标/二级指标/三级指标 rows)"
    if warnings:
        w = warnings[0]
        where = f"line {w.line}: " if w.line else ""
        problem += f"; first problem: {where}{w.problem}"
        if len(warnings) > 1:
            problem += f" (+{len(warnings) - 1} more)"
    return problem
