"""Where the committed corpus data lives inside the package, so nothing outside the repo is read."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
SEEDS_DIR = DATA_DIR / "seeds"
EXTERNAL_DIR = DATA_DIR / "external"
EXTERNAL_TABLES = EXTERNAL_DIR / "tables.jsonl"
EXTERNAL_RAW_DIR = EXTERNAL_DIR / "raw"


def seed_files() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt"))
