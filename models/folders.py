"""Putting a freshly written folder in place of an old one.

Artifacts (a converted model, a trained classifier) are written into a temporary folder
beside their destination and swapped in only when complete, so a reader never sees a
half-written folder and a failed build leaves the previous one usable.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def swap_in(tmp: Path, dest: Path) -> None:
    """Rename ``tmp`` to ``dest``, replacing (and then deleting) any existing ``dest``."""
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        dest.rename(old)
        tmp.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(dest)
