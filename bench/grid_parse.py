"""Grid and text-table parsing speed (run on demand).

    python bench/grid_parse.py [--rows 3000]

Times ``grid_to_tables`` on one synthetic sheet of ``--rows`` indicator rows (merged
category cells, split value columns, self-evaluation columns), and ``text_tables.parse``
over every raw corpus excerpt, which tries up to four readings of each text.
"""

from __future__ import annotations

import argparse
import contextlib
import time

from jixiao.corpus.data_paths import EXTERNAL_RAW_DIR
from jixiao.corpus.parsers import text_tables
from jixiao.corpus.parsers.grid import grid_to_tables
from jixiao.errors import JixiaoError

HEADER = [
    "一级指标",
    "二级指标",
    "三级指标",
    "指标方向",
    "年度指标值",
    "计量单位",
    "实际完成值",
    "分值",
    "得分",
]


def synthetic_grid(n: int) -> list[list[str | None]]:
    rows: list[list[str | None]] = [["项目名称", "基准测试项目"] + [None] * 7, list(HEADER)]
    for i in range(n):
        rows.append(
            [
                "产出指标" if i % 40 == 0 else None,
                "数量指标" if i % 8 == 0 else None,
                f"第{i}项服务覆盖人次",
                "≥",
                str(100 + i),
                "人次",
                str(101 + i),
                "5",
                "5",
            ]
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=3000)
    args = ap.parse_args()
    grid = synthetic_grid(args.rows)
    t = time.perf_counter()
    result = grid_to_tables(grid, "bench.xlsx")
    dt = time.perf_counter() - t
    n = sum(len(x.indicators) for x in result.tables)
    print(f"grid_to_tables: {n} rows in {dt:.2f}s ({1000 * dt / max(n, 1):.2f} ms/row)")
    files = sorted(EXTERNAL_RAW_DIR.glob("*.txt"))
    t = time.perf_counter()
    found = 0
    for f in files:
        with contextlib.suppress(JixiaoError):  # a bench counts, it does not judge
            result = text_tables.parse(f.read_text(encoding="utf-8"), f.name)
            found += sum(len(x.indicators) for x in result.tables)
    dt = time.perf_counter() - t
    print(
        f"text_tables.parse: {len(files)} excerpts, {found} rows in {dt:.2f}s ({1000 * dt / len(files):.1f} ms/file)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
