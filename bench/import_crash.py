"""``kill -9`` during imports: is an acknowledged table ever lost, or an index left unloadable?

Runs ``--rounds`` rounds. Each round makes a new folder of ``--files`` small .xlsx files
(``--tables`` tables each, different from every other round's), and a child process
imports it, printing
``ACK file`` after each file's transaction commits, then catches the saved index up
(``Suggester.load``, hash embedder, so no model is needed); the child is killed with
SIGKILL at a random moment. After each kill:

- every acknowledged file's tables are in the store, each table whole (its indicator
  rows match its record);
- the saved index loads (missing is allowed: the kill came before the first save), and
  ``sync_index`` brings it in line with the store, logging loaded / caught up / rebuilt.

A last uncut import of every round's folder must end with every table stored exactly once
(what earlier rounds committed is skipped as a duplicate).
Uses ``JIXIAO_DATABASE_URL`` when set (PostgreSQL), else SQLite in a temporary home.

    python bench/import_crash.py --rounds 20
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

CHILD = r"""
import sys
from pathlib import Path
from jixiao.corpus.importer import collect_paths, import_items, path_items
from jixiao.corpus.store import open_store
from jixiao.models.embedding_base import hash_embedder_for
from jixiao.models.suggest import Suggester
from jixiao.settings import get_settings

settings = get_settings()
store = open_store(settings)
paths, _ = collect_paths([sys.argv[1]])
print("START", flush=True)
def ack(fr):
    if fr.ok:
        print("ACK", fr.file, fr.tables, fr.duplicates, flush=True)
import_items(path_items(paths), store, source="crash-test", on_file=ack)
Suggester.load(settings, embedder=hash_embedder_for("hash-64"), progress=False)
print("DONE", flush=True)
"""


def make_files(folder: Path, files: int, tables: int, offset: int = 0) -> int:
    from jixiao.corpus.data_paths import EXTERNAL_TABLES
    from jixiao.corpus.records import read_records
    from jixiao.corpus.writers import write_xlsx

    base, _ = read_records(EXTERNAL_TABLES)
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for f in range(files):
        group = []
        for k in range(tables):
            n_all = offset + f * tables + k
            t = base[n_all % len(base)]
            group.append(t.model_copy(update={"id": f"c{n_all}", "project": f"崩溃测试项目{n_all:06d}"}))
            n += 1
        write_xlsx(group, folder / f"f{f:04d}.xlsx")
    return n


def check(settings, acked: dict[str, int]) -> dict:  # noqa: ANN001
    from sqlalchemy import func, select

    from jixiao.corpus.db.schema import corpus_tables, indicators
    from jixiao.corpus.store import open_store
    from jixiao.models.corpus_index import CorpusIndex, IndexMissingError
    from jixiao.models.embedding_base import hash_embedder_for
    from jixiao.models.index_sync import sync_index

    store = open_store(settings)
    with store.engine.connect() as conn:
        per_file = Counter(
            dict(
                conn.execute(
                    select(corpus_tables.c.file_name, func.count())
                    .where(corpus_tables.c.origin == "imported")
                    .group_by(corpus_tables.c.file_name)
                ).all()
            )
        )
        rows = dict(
            conn.execute(select(indicators.c.table_pk, func.count()).group_by(indicators.c.table_pk)).all()
        )
        partial = sum(
            1
            for pk, record in conn.execute(select(corpus_tables.c.pk, corpus_tables.c.record))
            if rows.get(pk, 0) != len(json.loads(record)["indicators"])
        )
    lost = sum(max(0, n - per_file.get(f, 0)) for f, n in acked.items())
    index_failure = 0
    try:
        CorpusIndex.read_meta(settings.index_dir)
        CorpusIndex.load(settings.index_dir, corpus_version=None, model_name=None)
    except IndexMissingError:
        pass
    except Exception:  # noqa: BLE001 - any other failure to load is what we count
        index_failure = 1
    how = sync_index(settings.index_dir, hash_embedder_for("hash-64"), store.snapshot(), kind="auto").how
    return {"lost": lost, "partial": partial, "index_failure": index_failure, "index": how}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--files", type=int, default=30)
    p.add_argument("--tables", type=int, default=3)
    p.add_argument(
        "--max-delay", type=float, default=5.0, help="kill within this many seconds of the child being ready"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="jixiao-crash-"))
    os.environ.setdefault("JIXIAO_HOME", str(work / "home"))
    os.environ["TQDM_DISABLE"] = "1"
    from jixiao.settings import get_settings

    settings = get_settings()
    total = 0
    acked: dict[str, int] = {}
    rounds = []
    for r in range(args.rounds):
        total += make_files(work / "in" / f"round{r:03d}", args.files, args.tables, offset=total)
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(work / "in" / f"round{r:03d}")],
            stdout=subprocess.PIPE,
            text=True,
            env=os.environ,
        )
        # Kill at a random moment after the child is ready (imports done), so the kill lands
        # during the import or the index catch-up, not during Python's start-up.
        first = proc.stdout.readline()
        delay = rng.uniform(0.0, args.max_delay)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate()
        out = first + rest
        new_acks = 0
        for line in out.splitlines():
            if line.startswith("ACK "):
                _, f, n, dup = line.split(" ")
                acked[f] = acked.get(f, 0) + int(n)
                new_acks += int(n)
        result = check(settings, acked)
        result.update(
            round=r + 1, killed_after_s=round(delay, 2), acked_this_round=new_acks, finished="DONE" in out
        )
        rounds.append(result)
        if not args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
    final = subprocess.run(
        [sys.executable, "-c", CHILD, str(work / "in")], capture_output=True, text=True, env=os.environ
    )
    from jixiao.corpus.store import open_store

    imported = [t for t in open_store(settings).snapshot().tables if t.id.startswith("imported-")]
    summary = {
        "rounds": args.rounds,
        "acknowledged_tables": sum(acked.values()),
        "rounds_killed_mid_import": sum(1 for r in rounds if r["acked_this_round"] and not r["finished"]),
        "lost": sum(r["lost"] for r in rounds),
        "partial_tables": max((r["partial"] for r in rounds), default=0),
        "index_load_failures": sum(r["index_failure"] for r in rounds),
        "index_after_restart": dict(Counter(r["index"] for r in rounds)),
        "final_import_ok": final.returncode == 0,
        "expected_tables": total,
        "stored_tables": len(imported),
        "distinct_projects": len({t.project for t in imported}),
    }
    shutil.rmtree(work, ignore_errors=True)  # the generated files and the temporary stores
    print(json.dumps(summary, ensure_ascii=False))
    ok = (
        summary["lost"] == 0
        and summary["partial_tables"] == 0
        and summary["index_load_failures"] == 0
        and summary["stored_tables"] == summary["distinct_projects"] == total
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
