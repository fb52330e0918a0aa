"""Memory per upload on a real server: idle → peak → after, for the main process and the parser workers.

Target (issue 12): peak RSS per upload ≤ 500 MB above idle for any file under the
upload cap, and RSS back to idle after. Each case is posted alone; the server and
its child processes (forkserver, parser workers) are sampled 10× a second while it
runs, and again once the response is in and the server has had ``--settle`` seconds.
"Idle" is measured after one small upload, so the parser workers are running.

    python bench/upload_memory.py --ports 25350-25399

RSS is summed over processes, so pages the workers share with the forkserver are
counted in each of them: the totals overstate real memory use, never understate it.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzz_uploads import KEY, PORTS, start_server, stop_server  # noqa: E402
from process_rss import TreeSampler, tree_rss_mb  # noqa: E402
from upload_mutations import MUTATORS, load_fixtures  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
UPLOAD_CAP_MB = 20


@dataclass
class Case:
    name: str
    filename: str
    data: bytes
    fmt: str = "json"


def big_csv(target_mb: float) -> bytes:
    """A valid goal table as CSV, repeated rows up to ``target_mb`` (the cell cap may refuse it)."""
    head = "项目名称,农村公路养护工程\n一级指标,二级指标,三级指标,年度指标值,实施周期指标值\n"
    row = "产出指标,数量指标,县乡道养护里程第{i}段,≥{i}公里,≥{j}公里\n"
    out, i = [head], 0
    size = len(head.encode())
    while size < target_mb * 1024 * 1024:
        line = row.format(i=i, j=3 * i)
        out.append(line)
        size += len(line.encode())
        i += 1
    return "".join(out).encode()


def big_xlsx(rows: int) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("绩效目标")
    ws.append(["项目名称", "农村公路养护工程"])
    ws.append(["一级指标", "二级指标", "三级指标", "年度指标值", "实施周期指标值"])
    for i in range(rows):
        ws.append(["产出指标", "数量指标", f"县乡道养护里程第{i}段", f"≥{i}公里", f"≥{3 * i}公里"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def cases(quick: bool) -> list[Case]:
    fixtures = {f.name: f for f in load_fixtures([ROOT / "tests" / "fixtures"])}
    rng = random.Random(5)
    xlsx = fixtures["writer.xlsx"].data
    out = [
        Case("seed PDF (text layer)", "seed.pdf", next(f.data for n, f in fixtures.items() if n.endswith(".pdf"))),
        Case("scanned PDF (OCR)", "scan.pdf", fixtures["scanned_goal_table.pdf"].data),
        Case("valid CSV 19 MB", "big.csv", big_csv(19)),
        Case("valid CSV 5 MB, ?format=xlsx", "big5.csv", big_csv(5), "xlsx"),
        Case("valid xlsx 60k rows", "big.xlsx", big_xlsx(20_000 if quick else 60_000)),
        Case("zip bomb xlsx", "bomb.xlsx", MUTATORS["zip-bomb"](xlsx, random.Random(3))),
        Case("sparse sheet", "sparse.xlsx", MUTATORS["sparse-sheet"](xlsx, rng)),
        Case("huge cell xlsx", "cell.xlsx", MUTATORS["huge-cell"](xlsx, random.Random(2))),
        Case("PDF bomb", "bomb.pdf", MUTATORS["pdf-bomb"](b"", random.Random(1))),
        Case("nested XML", "deep.xlsx", MUTATORS["nested-xml"](xlsx, random.Random(4))),
    ]
    cap = UPLOAD_CAP_MB * 1024 * 1024
    return [c for c in out if len(c.data) < cap]


def measure(base: str, pid: int, case: Case, settle_s: float) -> dict:
    client = httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=120)
    with TreeSampler(pid) as sampler:
        t0 = time.monotonic()
        r = client.post(f"/v1/tables/upload?format={case.fmt}", files={"file": (case.filename, case.data)})
        seconds = time.monotonic() - t0
        _ = r.content
    client.close()
    time.sleep(settle_s)
    return {"status": r.status_code, "seconds": seconds, "peak": sampler.peak, "after": tree_rss_mb(pid)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ports", default=f"{PORTS.start}-{PORTS.stop - 1}")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds to wait after a response before 'after'")
    ap.add_argument("--quick", action="store_true", help="smaller generated files")
    ap.add_argument("--max-peak-mb", type=float, default=500.0)
    ap.add_argument("--max-after-mb", type=float, default=50.0, help="'back to idle': at most this much above")
    args = ap.parse_args(argv)
    first, _, last = args.ports.partition("-")
    todo = cases(args.quick)
    failed = False
    with tempfile.TemporaryDirectory(prefix="jixiao-mem-") as home:
        proc, base = start_server(Path(home), False, range(int(first), int(last or first) + 1))
        try:
            httpx.post(f"{base}/v1/tables/upload", headers={"X-API-Key": KEY},
                       files={"file": ("a.csv", "一级指标,二级指标,三级指标,指标值\n".encode())}, timeout=60)
            time.sleep(args.settle)
            idle = tree_rss_mb(proc.pid)
            print(f"idle: main {idle['main']:.0f} MB, workers {idle['children']:.0f} MB, total {idle['total']:.0f} MB\n")
            print("| upload | size | status | s | peak above idle (main / workers / total) | after, above idle (main / workers / total) |")
            print("|---|---|---|---|---|---|")
            for case in todo:
                m = measure(base, proc.pid, case, args.settle)
                up = {k: m["peak"][k] - idle[k] for k in idle}
                after = {k: m["after"][k] - idle[k] for k in idle}
                failed |= up["total"] > args.max_peak_mb or after["total"] > args.max_after_mb
                print(
                    f"| {case.name} | {len(case.data) / 1024 / 1024:.1f} MB | {m['status']} | {m['seconds']:.1f} "
                    f"| {up['main']:+.0f} / {up['children']:+.0f} / {up['total']:+.0f} MB "
                    f"| {after['main']:+.0f} / {after['children']:+.0f} / {after['total']:+.0f} MB |",
                    flush=True,
                )
            end = tree_rss_mb(proc.pid)
            print(f"\nend: main {end['main']:.0f} MB, workers {end['children']:.0f} MB, total {end['total']:.0f} MB "
                  f"({end['total'] - idle['total']:+.0f} MB over idle)")
        finally:
            stop_server(proc)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
