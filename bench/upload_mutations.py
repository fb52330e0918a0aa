"""Hostile variants of real upload fixtures, for ``fuzz_uploads.py``.

Pure functions of (seed bytes, random generator): byte flips, truncation, zip header
patches, huge cells, sparse sheets, nested and entity-laden XML, re-encodings, PDF
bombs. Each mutation is named, so a 5xx in the fuzz report says which kind of file
caused it, and the seed reproduces the exact file.
"""

from __future__ import annotations

import binascii
import codecs
import io
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

Mutator = Callable[[bytes, random.Random], bytes]


@dataclass(frozen=True)
class Fixture:
    name: str
    data: bytes


def load_fixtures(extra_dirs: list[Path] | None = None) -> list[Fixture]:
    """Every format the service accepts, written by us and by other programs."""
    import json

    from jixiao.corpus import writers
    from jixiao.corpus.data_paths import EXTERNAL_TABLES, seed_files
    from jixiao.corpus.records import record_to_table

    fixtures = [Fixture(p.name, p.read_bytes()) for p in seed_files()[:4]]
    lines = EXTERNAL_TABLES.read_text(encoding="utf-8").splitlines()[:2]
    tables = [record_to_table(json.loads(ln)) for ln in lines]
    for fmt in writers.FORMATS:
        buf = io.BytesIO()
        writers.write_tables(tables, buf, fmt)
        fixtures.append(Fixture(f"writer.{fmt}", buf.getvalue()))
    for d in extra_dirs or []:
        if d.is_dir():
            fixtures += [Fixture(p.name, p.read_bytes()) for p in sorted(d.iterdir()) if p.is_file()]
    return fixtures


# --- generic ------------------------------------------------------------------------------


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 32)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def splice(data: bytes, rng: random.Random) -> bytes:
    """Repeat a random slice many times in place (long lines, repeated XML elements)."""
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 256))
    return data[:a] + data[a:b] * rng.randint(2, 20_000) + data[b:]


# --- zip (xlsx/docx) -----------------------------------------------------------------------


def _is_zip(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


def patch_zip_header(data: bytes, rng: random.Random) -> bytes:
    if not _is_zip(data):
        return flip_bytes(data, rng)
    buf = bytearray(data)
    field, value = rng.choice([("version", 200), ("version", 0xFFFF), ("method", 99), ("method", 12), ("flags", 0x1), ("flags", 0x40)])
    for sig, off in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        pos = buf.find(sig)
        while pos >= 0:
            at = pos + off + {"version": 0, "flags": 2, "method": 4}[field]
            old = struct.unpack_from("<H", buf, at)[0]
            struct.pack_into("<H", buf, at, old | value if field == "flags" else value)
            pos = buf.find(sig, pos + 4)
    return bytes(buf)


def _rewrite_zip(data: bytes, change: Callable[[str, bytes], bytes | None], add: dict[str, bytes] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            content = change(info.filename, src.read(info))
            if content is not None:
                z.writestr(info.filename, content)
        for name, content in (add or {}).items():
            z.writestr(name, content)
    return out.getvalue()


def huge_cell(data: bytes, rng: random.Random) -> bytes:
    """A multi-megabyte shared string (xlsx) or paragraph (docx); a huge field in text."""
    big = ("长" * rng.choice([10_000, 300_000, 2_000_000])).encode()
    if not _is_zip(data):
        return data[:200] + b"," + big + b"\n" + data[200:]

    def change(name: str, content: bytes) -> bytes:
        if name in ("xl/sharedStrings.xml", "word/document.xml"):
            return content.replace(b"</t>", big + b"</t>", 1)
        return content

    return _rewrite_zip(data, change)


def sparse_sheet(data: bytes, rng: random.Random) -> bytes:
    """Cells at A1, XFD1 and a far row: a few KB that pad to hundreds of millions of cells."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "项目名称"
    ws[rng.choice(["XFD1", "ZZ1", "AAA7"])] = "x"
    ws[f"A{rng.choice([20_000, 200_000, 1_048_576])}"] = "y"
    wb.properties.created = wb.properties.modified = datetime(2020, 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return _fixed_times(out.getvalue())


def _fixed_times(data: bytes) -> bytes:
    """The same zip with every entry dated 2020-01-01, so a seed gives the same bytes at any time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2020-01-01T00:00:00Z", body)
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0)), body)
    return out.getvalue()


def nested_xml(data: bytes, rng: random.Random) -> bytes:
    """Deep nesting, a DTD with entities, or an external entity in an Office part."""
    if not _is_zip(data):
        return b"<table>" * 50_000 + data
    kind = rng.choice(["deep", "laughs", "xxe"])
    target = "xl/worksheets/sheet1.xml" if b"xl/workbook.xml" in data else "word/document.xml"

    def change(name: str, content: bytes) -> bytes:
        if name != target:
            return content
        if kind == "deep":
            return content.replace(b"<t>", b"<t>" + b"<r>" * 100_000, 1)
        dtd = (
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            if kind == "laughs"
            else b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        )
        return content.replace(b"?>", b"?>" + dtd, 1)

    return _rewrite_zip(data, change)


def zip_bomb(data: bytes, rng: random.Random) -> bytes:
    name = "xl/worksheets/sheet9.xml" if b"xl/workbook.xml" in data else "word/media/x.xml"
    bomb = b"\0" * rng.choice([5, 50, 150]) * 1024 * 1024
    if not _is_zip(data):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/workbook.xml", "<workbook/>")
            z.writestr(name, bomb)
        return out.getvalue()
    return _rewrite_zip(data, lambda n, c: c, add={name: bomb})


# --- text ----------------------------------------------------------------------------------


def reencode(data: bytes, rng: random.Random) -> bytes:
    """Text in another encoding, with or without BOM, or with invalid bytes and controls."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return flip_bytes(data, rng)
    choice = rng.choice(["gb18030", "utf-16", "utf-16-be-bom", "utf-8-bom", "controls", "invalid", "big5"])
    if choice == "utf-16-be-bom":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    if choice == "utf-8-bom":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    if choice == "controls":
        chars = list(text)
        for _ in range(rng.randint(1, 20)):
            chars.insert(rng.randrange(len(chars) + 1), chr(rng.randrange(1, 32)))
        return "".join(chars).encode("utf-8")
    if choice == "invalid":
        raw = bytearray(text.encode("utf-8"))
        for _ in range(rng.randint(1, 50)):
            raw.insert(rng.randrange(len(raw) + 1), rng.choice([0xC0, 0xFF, 0xED, 0x80]))
        return bytes(raw)
    return text.encode(choice, errors="replace")


# --- pdf -----------------------------------------------------------------------------------


def _pdf(stream: bytes, filters: str, keyword: bytes = b"stream\n") -> bytes:
    objs = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]/Contents 4 0 R>>",
        b"<</Length " + str(len(stream)).encode() + b"/Filter " + filters.encode() + b">>" + keyword + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<</Size {len(objs) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_bomb(data: bytes, rng: random.Random) -> bytes:
    size = rng.choice([64, 300, 1024]) * 1024 * 1024
    flate = zlib.compress(b"\0" * size, 9)
    kind = rng.choice(["flate", "hex", "space", "lzw-ish", "runlength"])
    if kind == "hex":
        return _pdf(binascii.hexlify(flate) + b">", "[/ASCIIHexDecode /FlateDecode]")
    if kind == "space":
        return _pdf(flate, "/FlateDecode", b"stream \n")
    if kind == "runlength":
        return _pdf(bytes([129, 0]) * (size // 128 // 4), "/RunLengthDecode")
    return _pdf(flate, "/FlateDecode")


def _image_pdf(images: list) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=72.0)
    return buf.getvalue()


def scanned(data: bytes, rng: random.Random) -> bytes:
    """Image-only PDFs for the OCR path: too many pages, a declared gigapixel image, noise, lines."""
    from PIL import Image

    kind = rng.choice(["pages", "huge", "noise", "rules"])
    if kind == "pages":
        return _image_pdf([Image.new("L", (40, 50), 255) for _ in range(rng.randint(9, 40))])
    if kind == "huge":
        side = rng.choice([20_000, 100_000, 2**31 - 1])
        pdf = _image_pdf([Image.new("L", (8, 8), 0)])
        return re.sub(rb"/Width 8", f"/Width {side}".encode(), re.sub(rb"/Height 8", f"/Height {side}".encode(), pdf))
    w, h = rng.choice([(300, 200), (800, 600), (1200, 1600)])
    if kind == "noise":  # random ink everywhere: thousands of candidate text boxes
        return _image_pdf([Image.frombytes("L", (w, h), rng.randbytes(w * h))])
    img = Image.new("L", (w, h), 255)  # a dense grid of rules: thousands of tiny cells
    step = rng.choice([3, 6, 12])
    for y in range(0, h, step):
        img.paste(0, (0, y, w, y + 1))
    for x in range(0, w, step):
        img.paste(0, (x, 0, x + 1, h))
    return _image_pdf([img])


MUTATORS: dict[str, Mutator] = {
    "flip": flip_bytes,
    "truncate": truncate,
    "splice": splice,
    "zip-header": patch_zip_header,
    "huge-cell": huge_cell,
    "sparse-sheet": sparse_sheet,
    "nested-xml": nested_xml,
    "zip-bomb": zip_bomb,
    "encoding": reencode,
    "pdf-bomb": pdf_bomb,
    "scanned": scanned,
}


def mutate(fixture: Fixture, rng: random.Random, max_bytes: int) -> tuple[str, bytes]:
    """(mutation name, bytes no larger than ``max_bytes``)."""
    name = rng.choice(list(MUTATORS))
    try:
        data = MUTATORS[name](fixture.data, rng)
    except (zipfile.BadZipFile, KeyError, ValueError, UnicodeError):
        name, data = "flip", flip_bytes(fixture.data, rng)
    return name, data[:max_bytes]
