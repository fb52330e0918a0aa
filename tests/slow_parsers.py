"""Parser stand-ins for the cancellation tests; a light module, since worker processes import it."""

from __future__ import annotations

import os


def spin_forever(data: bytes, filename: str):  # noqa: ANN201 - never returns
    """A pathological parse: writes its pid to the file the upload's bytes name, then burns CPU."""
    with open(data.decode(), "w") as f:
        f.write(str(os.getpid()))
    while True:
        pass
