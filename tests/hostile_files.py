"""Hostile and damaged files built in memory, for the parser and the HTTP tests.

Each builder reproduces one finding of issue 12 (a fuzzing run against ``jixiao
serve``): patched zip headers, PDF decompression bombs that dodge a byte scan, a
sparse sheet that pads to hundreds of millions of cells.
"""

from __future__ import annotations

import binascii
import io
import struct
import zlib

import openpyxl

from jixiao.corpus import writers
from jixiao.corpus.schema import GoalTable, Indicator


def small_table() -> GoalTable:
    return GoalTable(
        id="t1",
        project="农村公路养护",
        amount=1200000,
        indicators=[
            Indicator(level1="产出指标", level2="数量指标", name="养护里程", annual_value="≥120公里"),
            Indicator(level1="满意度指标", level2="服务对象满意度指标", name="群众满意度", annual_value="≥90%"),
        ],
    )


def xlsx_bytes(table: GoalTable | None = None) -> bytes:
    buf = io.BytesIO()
    writers.write_xlsx([table or small_table()], buf)
    return buf.getvalue()


def patch_zip(data: bytes, *, version: int | None = None, method: int | None = None, flags: int | None = None) -> bytes:
    """Patch every local and central header: version needed, compression method, flag bits."""
    buf = bytearray(data)
    for sig, off_version in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        pos = buf.find(sig)
        while pos >= 0:
            at = pos + off_version
            if version is not None:
                struct.pack_into("<H", buf, at, version)
            if flags is not None:
                struct.pack_into("<H", buf, at + 2, struct.unpack_from("<H", buf, at + 2)[0] | flags)
            if method is not None:
                struct.pack_into("<H", buf, at + 4, method)
            pos = buf.find(sig, pos + 4)
    return bytes(buf)


def sparse_xlsx(last_row: int = 20000) -> bytes:
    """Cells at A1, XFD1 and A<last_row>: a few KB that pad to last_row × 16,384 cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "项目名称"
    ws["XFD1"] = "x"
    ws[f"A{last_row}"] = "y"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf_with_content(stream: bytes, filters: str = "/FlateDecode", keyword: bytes = b"stream\n") -> bytes:
    """A one-page PDF whose page content is ``stream`` (already encoded for ``filters``)."""
    objs = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>",
        b"<</Length " + str(len(stream)).encode() + b"/Filter " + filters.encode() + b">>"
        + keyword + stream + b"\nendstream",
    ]
    return pdf_from_objects(objs)


def pdf_from_objects(objs: list[bytes]) -> bytes:
    """A PDF of these numbered objects (1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<</Size {len(objs) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def flate_bomb(inflated: int) -> bytes:
    return zlib.compress(b"\0" * inflated, 9)


def hex_flate_bomb(inflated: int) -> bytes:
    """``[/ASCIIHexDecode /FlateDecode]``: the Flate stream hex-encoded (zlib cannot read it raw)."""
    return binascii.hexlify(flate_bomb(inflated)) + b">"


def stored_block_with_endstream(inflated: int) -> bytes:
    """A zlib stream whose first (stored) block holds ``endstream``, then the compressed bomb.

    A byte scan that ends the stream at the first ``endstream`` sees only the harmless
    stored block; a PDF reader that honours /Length inflates everything.
    """
    head = b"BT endstream ET "
    first = zlib.compressobj(0, zlib.DEFLATED, -15)
    stored = first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)  # not final, byte-aligned
    second = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = b"\0" * inflated
    rest = second.compress(zeros) + second.flush()
    adler = zlib.adler32(zeros, zlib.adler32(head))
    return b"\x78\x9c" + stored + rest + struct.pack(">I", adler)
