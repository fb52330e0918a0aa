"""``jixiao corpus build|stats``: the normalised store every other command reads."""

from __future__ import annotations

import argparse
import sys

from jixiao.corpus.store import BuildReport, build_store, corpus_version, load_corpus, origin
from jixiao.corpus.taxonomy import TIERS
from jixiao.settings import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("corpus", help="build or inspect the corpus store")
    csub = p.add_subparsers(dest="corpus_command", metavar="ACTION", required=True)
    b = csub.add_parser("build", help="parse the packaged seeds and labeled tables into $JIXIAO_HOME/corpus")
    b.add_argument("--top-duplicates", type=int, default=15, help="how many repeated indicator names to list")
    b.set_defaults(func=_build)
    s = csub.add_parser("stats", help="counts of the current store (built on first use)")
    s.set_defaults(func=_stats)


def _print_counts(tables, per_source, per_tier, duplicates, top: int) -> None:  # noqa: ANN001
    n_ind = sum(len(t.indicators) for t in tables)
    print(f"corpus version {corpus_version(tables)}: {len(tables)} tables, {n_ind} indicators")
    print("\nper source")
    for src, n in sorted(per_source.items()):
        rows = sum(len(t.indicators) for t in tables if origin(t) == src)
        print(f"  {src:<10} {n:>4} tables {rows:>5} indicators")
    print("\nper tier")
    for code, n in sorted(per_tier.items()):
        name = TIERS[code].label if code in TIERS else "(no level 2 printed)"
        print(f"  {name:<14} {n:>5}")
    print(f"\nduplicates: {len(duplicates)} indicator names appear in more than one table")
    for name, n in duplicates[:top]:
        print(f"  {n:>3} × {name}")


def _build(args: argparse.Namespace) -> int:
    settings = get_settings()
    report = build_store(settings)
    for w in report.warnings:
        print(f"warning: {w.source}:{w.line or '?'}: {w.problem}: {w.text[:60]}", file=sys.stderr)
    print(f"wrote {settings.corpus_dir / 'tables.jsonl'}")
    _print_counts(report.tables, report.per_source, report.per_tier, report.duplicates, args.top_duplicates)
    return 0


def _stats(args: argparse.Namespace) -> int:
    tables = load_corpus()
    r = BuildReport(tables)
    _print_counts(tables, r.per_source, r.per_tier, r.duplicates, 15)
    return 0
