"""Chinese for what the parsers report in English, wherever a person reads it.

Parser refusals and skipped-row notes are written in English where they are raised
(the library logs them, and their wording belongs to the parsers). Users read every
message in Chinese, so the review page, the batch summary, the workbooks, the import
report and the CLI show them through ``zh_problem``: known problems get a Chinese
sentence (with a quoted Chinese detail kept); anything unknown gets a generic one.
It lives beside the parsers so the importer (corpus) and the service share it.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

#: (pattern in the English problem, Chinese text). First match wins.
_KNOWN: tuple[tuple[str, str], ...] = (
    (r"too many entries", "压缩包条目过多，已拒绝处理"),
    (r"uncompressed size|compression ratio|zip bomb", "压缩包解压后过大（疑似压缩炸弹），已拒绝处理"),
    (r"corrupt or truncated|damaged or truncated|undecodable", "文件已损坏或不完整"),
    (
        r"not a Word document|not an Excel workbook|neither \.xlsx nor \.docx",
        "压缩包不是 .xlsx 或 .docx 文档",
    ),
    (r"legacy \.xls", "旧版格式（.xls/.doc）的文件，请另存为 .xlsx 或 .docx 后上传"),
    (
        r"no text layer.*jixiao\[ocr\]",
        "该 PDF 没有文字层（可能是扫描件）。安装文字识别扩展后即可读取扫描件：pip install 'jixiao[ocr]'",
    ),
    (r"no text layer", "该文件没有文字层（可能是扫描件），请先做文字识别"),
    (r"OCR of the scanned pages found no", "已对扫描页做文字识别，但没有识别出表格或文字"),
    (r"scanned pages, more than", "扫描页过多，超过文字识别的页数上限，已拒绝处理"),
    (r"OCR of this PDF takes more than", "扫描件文字识别耗时过长，已拒绝处理"),
    (r"scanned page holds a .* image", "扫描页中的图像过大，已拒绝处理"),
    (r"takes more than", "文件过大或过于复杂，解析超过时限，已拒绝处理"),
    (r"text lines, more than", "扫描页上的文字行过多，超过文字识别的上限，已拒绝处理"),
    (r"ruled into too many cells", "扫描页的格线过密，不像绩效目标表，已拒绝处理"),
    (r"mostly ink", "扫描页几乎全是墨迹（照片或噪点），不是文件扫描件"),
    (r"binary content|unknown text encoding", "不是支持的文件类型（二进制内容或无法识别的编码）"),
    (r"no non-empty sheet", "工作簿中没有非空的工作表"),
    (r"no tables and no text", "Word 文档中没有表格，也没有文字"),
    (r"is a directory", "这是文件夹，不是文件"),
    (r"^empty|empty file|empty text", "文件内容为空"),
    (
        r"unknown layout|no goal table|no goal-table",
        "未识别出绩效目标表（应包含一级指标、二级指标、三级指标等列）",
    ),
    (r"goal table without indicator rows", "识别到项目信息，但没有指标行"),
    (r"no indicator name", "该行没有指标名称，已跳过"),
    (r"before any category", "该行出现在任何指标类别之前，已跳过"),
    (r"row kept without a tier", "指标类别无法识别，已保留该行但未归类"),
    (r"unknown category|unknown level", "指标类别无法识别，已跳过"),
    (r"item without level 1", "该条目缺少一级指标，已跳过"),
    (r"row without indicators", "该行没有指标，已跳过"),
    (r"no numbered items", "未找到编号的指标条目，已跳过"),
    (r"without coded levels", "该条目缺少带编号的指标类别，已跳过"),
    (r"No such file", "文件不存在"),
    (r"Permission denied", "没有读取该文件的权限"),
    (r"cannot read", "无法读取该文件"),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), zh) for p, zh in _KNOWN)
#: A quoted detail with Chinese in it (``unknown category '奇怪指标'``): the reader needs it.
_QUOTED_CJK = re.compile(r"['\"“‘]([^'\"”’]*[\u4e00-\u9fff][^'\"”’]*)['\"”’]")


def zh_problem(problem: str | None) -> str:
    """The Chinese sentence a reviewer reads for a parser problem (already-Chinese text is kept)."""
    text = (problem or "").strip()
    if text and _CJK.search(text) and not _LATIN_WORD.search(text):
        return text
    detail = _QUOTED_CJK.search(text)
    for pattern, zh in _COMPILED:
        if pattern.search(text):
            return f"{zh}（“{detail.group(1)}”）" if detail else zh
    return "无法识别该内容"
