"""Bulk import speed and memory: 1,000 tables from .xlsx files, SQLite and PostgreSQL side by side.

Writes ``--tables`` distinct tables into .xlsx files (``--per-file`` each), then runs the
real command ``jixiao corpus import DIR --no-index`` (progress bar on stderr) in a child
process per database, on an empty store each time, and reports tables/s and the child's
peak RSS. The baseline, measured in the same run, is ``--dry-run`` on SQLite: parsing
and duplicate checks without writing, so the ratio shows what storing costs.

    python bench/import_tables.py                      # SQLite only
    JIXIAO_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        python bench/import_tables.py                  # and PostgreSQL (a fresh schema)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote


def make_files(folder: Path, tables: int, per_file: int, fmt: str = "xlsx") -> int:
    from jixiao.corpus.data_paths import EXTERNAL_TABLES
    from jixiao.corpus.records import read_records
    from jixiao.corpus.writers import write_csv, write_xlsx

    base, _ = read_records(EXTERNAL_TABLES)
    folder.mkdir(parents=True, exist_ok=True)
    files = 0
    for start in range(0, tables, per_file):
        group = [
            base[i % len(base)].model_copy(update={"id": f"b{i}", "project": f"导入基准项目{i:05d}"})
            for i in range(start, min(tables, start + per_file))
        ]
        out = folder / f"batch{start // per_file:05d}.{fmt}"
        (write_xlsx if fmt == "xlsx" else write_csv)(group, out)
        files += 1
    return files


def run_import(folder: Path, home: Path, database_url: str, dry_run: bool) -> dict:
    env = {**os.environ, "JIXIAO_HOME": str(home), "JIXIAO_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "jixiao.service.cli", "corpus", "import", str(folder), "--no-index"]
    if dry_run:
        cmd.append("--dry-run")
    # Fill the empty store first (the packaged 102 tables), so only the import is timed.
    subprocess.run([sys.executable, "-m", "jixiao.service.cli", "corpus", "stats"], env=env, check=True,
                   capture_output=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"import failed ({status}): {out[-500:]}")
    summary = out.strip().splitlines()[-1]
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "summary": summary}


def pg_schema(url: str) -> tuple[str, callable]:  # noqa: ANN001
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}", drop


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tables", type=int, default=1000)
    p.add_argument("--per-file", type=int, default=5)
    p.add_argument("--format", choices=["xlsx", "csv"], default="xlsx", help="file type to import")
    p.add_argument("--postgres", default=os.environ.get("JIXIAO_TEST_DATABASE_URL", ""),
                   help="a PostgreSQL URL (default: $JIXIAO_TEST_DATABASE_URL); empty skips it")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="jixiao-import-bench-"))
    files = make_files(work / "in", args.tables, args.per_file, args.format)
    runs = {"dry run (parse only, baseline)": run_import(work / "in", work / "dry", "", True)}
    runs["SQLite"] = run_import(work / "in", work / "sqlite", "", False)
    if args.postgres:
        url, drop = pg_schema(args.postgres)
        try:
            runs["PostgreSQL"] = run_import(work / "in", work / "pg", url, False)
        finally:
            drop()
    shutil.rmtree(work, ignore_errors=True)  # the generated files and the temporary stores
    base = runs["dry run (parse only, baseline)"]["seconds"]
    rows = []
    for name, r in runs.items():
        rows.append({
            "run": name,
            "tables": args.tables,
            "files": files,
            "seconds": round(r["seconds"], 1),
            "tables_per_s": round(args.tables / r["seconds"], 1),
            "time_vs_baseline": round(r["seconds"] / base, 2),
            "peak_rss_mb": round(r["peak_rss_mb"]),
            "summary": r["summary"],
        })
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
    else:
        print(f"{'run':<32} {'tables/s':>9} {'seconds':>8} {'× baseline':>10} {'peak RSS MB':>12}")
        for r in rows:
            print(f"{r['run']:<32} {r['tables_per_s']:>9} {r['seconds']:>8} {r['time_vs_baseline']:>10} "
                  f"{r['peak_rss_mb']:>12}")
        for r in rows:
            print(f"  {r['run']}: {r['summary']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
