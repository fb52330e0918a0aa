"""Upload parsing speed per format, and how fast hostile files are refused (run on demand).

    python bench/parse_uploads.py [--tables 20]

Writes the labeled external tables in every format with ``jixiao.corpus.writers``,
parses each file back with ``parse_bytes`` (what the HTTP upload calls) and prints
size, write time, parse time and the peak Python allocation of the parse. Then it
times the refusal of a zip bomb and a PDF bomb (1 GB inflated each) and of random bytes: the service must
answer those in milliseconds, before inflating anything.
"""

from __future__ import annotations

import argparse
import io
import os
import time
import tracemalloc
import zipfile

from jixiao.corpus import writers
from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.parsers import parse_bytes
from jixiao.corpus.records import read_records
from jixiao.errors import ParseError


def _bomb(size: int = 1 << 30) -> bytes:
    """A zip whose one entry inflates to ``size`` zero bytes (written in chunks)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b"<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(size // len(chunk)):
                fh.write(chunk)
    return buf.getvalue()


def _pdf_bomb(size: int = 1 << 30) -> bytes:
    """A PDF-looking file with one Flate stream of ``size`` zero bytes."""
    import zlib

    c = zlib.compressobj()
    chunk = b"\0" * (1 << 20)
    stream = b"".join(c.compress(chunk) for _ in range(size // len(chunk))) + c.flush()
    head = b"%PDF-1.4\n1 0 obj<</Filter/FlateDecode/Length " + str(len(stream)).encode() + b">>stream\n"
    return head + stream + b"\nendstream\nendobj\n%%EOF\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", type=int, default=20, help="how many labeled tables to write per file")
    args = ap.parse_args()
    tables = read_records(EXTERNAL_TABLES)[0][: args.tables]
    n_ind = sum(len(t.indicators) for t in tables)
    print(f"{len(tables)} tables, {n_ind} indicators per file")
    print(f"{'format':<10}{'bytes':>10}{'write s':>10}{'parse s':>10}{'peak MB':>10}{'tables':>8}")
    for fmt, enc in (("xlsx", None), ("docx", None), ("csv", "utf-8-sig"), ("csv", "gbk"), ("pdf", None)):
        buf = io.BytesIO()
        t0 = time.perf_counter()
        writers.write_tables(tables, buf, fmt, encoding=enc or "utf-8-sig")
        t1 = time.perf_counter()
        data = buf.getvalue()
        parse_bytes(data, f"warmup.{fmt}")  # imports and caches are not parse time
        t2 = time.perf_counter()
        result = parse_bytes(data, f"bench.{fmt}")
        t3 = time.perf_counter()
        tracemalloc.start()  # a separate run: tracing slows Python code several times
        parse_bytes(data, f"bench.{fmt}")
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        label = fmt if enc in (None, "utf-8-sig") else f"{fmt}/{enc}"
        print(
            f"{label:<10}{len(data):>10}{t1 - t0:>10.2f}{t3 - t2:>10.2f}{peak:>10.1f}{len(result.tables):>8}"
        )
    hostile = (
        ("zip bomb 1 GB", _bomb()),
        ("PDF bomb 1 GB", _pdf_bomb()),
        ("random 1 MB", os.urandom(1 << 20)),
    )
    for name, data in hostile:
        t0 = time.perf_counter()
        try:
            parse_bytes(data, name)
            outcome = "ACCEPTED (bad)"
        except ParseError as e:
            outcome = f"refused: {e.problem[:70]}"
        print(f"{name:<16}{len(data):>10} bytes  {1000 * (time.perf_counter() - t0):8.1f} ms  {outcome}")


if __name__ == "__main__":
    main()
