"""Parser stand-ins for the cancellation tests; a light module, since worker processes import it."""

from __future__ import annotations

import os


def spin_forever(data: bytes, filename: str):  # noqa: ANN201 - never returns
    """A pathological parse: writes its pid to the file the upload's bytes name, then burns CPU."""
    with open(data.decode(), "w") as f:
        f.write(str(os.getpid()))
    while True:
        pass


_kept: list[bytearray] = []


def grow_and_refuse(data: bytes, filename: str):  # noqa: ANN201 - always raises
    """A parse that leaves its worker ``data`` MB bigger (a loaded model, a fragmented heap)."""
    from jixiao.errors import ParseError

    block = bytearray(int(data.decode()) * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])  # touch every page: resident, not just reserved
    _kept.append(block)
    raise ParseError(filename, f"pid {os.getpid()}")
