"""What a parser process spends on one upload, against another install of jixiao in the same run.

The parser process does an upload's parsing, limits, completion and table-only review
(``parse_upload``), then pickles the result for the server. Under 32 clients those
processes took 0.44-0.48 of a core, so this is timed on its own: CPU time per seed file,
the median of ``--repeats`` runs. With ``--baseline PYTHON`` (the interpreter of another
install, e.g. a venv of the code before), the two installs run alternately, each run
timing every seed file, and the ratio is printed.

    python bench/upload_worker.py --baseline OLD_VENV/bin/python --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, pickle, statistics, sys, time
from jixiao.corpus.data_paths import seed_files
from jixiao.service.routes.tables import parse_upload
repeats = int(sys.argv[1])
out = {}
for path in seed_files():
    data = path.read_bytes()
    parse_upload(data, path.name)  # imports and first-use caches, as in a worker that served before
    times = []
    for _ in range(repeats):
        t = time.process_time()
        pickle.dumps(parse_upload(data, path.name))
        times.append(time.process_time() - t)
    out[path.name] = statistics.median(times) * 1000
print(json.dumps(out))
"""


def run(python: str, repeats: int) -> dict[str, float]:
    done = subprocess.run(
        [python, "-c", _CHILD, str(repeats)], capture_output=True, text=True, check=True, cwd="/"
    )  # cwd "/": never import a checkout from the current folder
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", default=None, help="python of the install to compare with")
    p.add_argument("--candidate", default=sys.executable, help="python of this install (default: this one)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    sides = {"candidate": args.candidate} | ({"baseline": args.baseline} if args.baseline else {})
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name in sorted(sides):  # baseline first, then candidate, every round
            results[name].append(run(sides[name], args.repeats))
    files = sorted(results["candidate"][0])
    print("| file | " + " | ".join(f"{n} ms (median of rounds)" for n in sorted(sides)) + " |")
    print("|---|" + "---:|" * len(sides))
    totals = {}
    for f in files:
        cells = []
        for name in sorted(sides):
            v = statistics.median(r[f] for r in results[name])
            totals[name] = totals.get(name, 0.0) + v
            cells.append(f"{v:.1f}")
        print(f"| {Path(f).name} | " + " | ".join(cells) + " |")
    print("| **all files** | " + " | ".join(f"**{totals[n]:.1f}**" for n in sorted(sides)) + " |")
    if "baseline" in totals:
        print(f"\nCPU per upload, baseline ÷ candidate: {totals['baseline'] / totals['candidate']:.2f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
