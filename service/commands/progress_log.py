"""Show a library logger's progress lines on stderr for the length of one command.

The library logs (it never prints); a command that wants its user to see those steps
attaches this handler, with a Chinese prefix naming the job, so ``jixiao train`` reads
``[训练] …`` and ``jixiao model convert`` reads ``[模型] …``.
"""

from __future__ import annotations

import logging
import sys


def show_progress(prefix: str, *logger_names: str) -> None:
    """Send INFO lines of ``logger_names`` to stderr as ``[prefix] message``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"[{prefix}] %(message)s"))
    for name in logger_names:
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
