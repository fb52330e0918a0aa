"""Parsers: any supported file (by content) → ParseResult of goal tables.

``parse_file`` / ``parse_bytes`` are the entry points every caller uses (CLI, HTTP
upload, corpus build); the readers and layout parsers behind them are internal.
"""

from jixiao.corpus.parsers.detect import parse_bytes, parse_file

__all__ = ["parse_bytes", "parse_file"]
