"""The fuzz harness, short and seeded: mutated uploads against a real ``jixiao serve``.

``bench/fuzz_uploads.py --count 3000 --schemathesis-examples 50`` is the full run; this
is the bounded version CI runs (about two minutes), so a new 5xx, a dropped
connection or a hang is caught on the next commit.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _harness():  # noqa: ANN202 - the bench module
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location("fuzz_uploads", BENCH / "fuzz_uploads.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_uploads"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_short_seeded_fuzz_run_has_no_5xx_drop_or_hang() -> None:
    fz = _harness()
    fixtures = fz.load_fixtures([Path(__file__).resolve().parent / "fixtures"])
    with tempfile.TemporaryDirectory() as home:
        proc, base = fz.start_server(Path(home), real_engine=False)
        try:
            report = fz.fuzz(base, proc.pid, fixtures, count=40, seed=12, minutes=1.5, max_bytes=19 * 1024 * 1024)
        finally:
            fz.stop_server(proc)
    assert report.sent >= 10, report.markdown()
    assert report.n_5xx == 0 and report.dropped == 0 and report.hangs == 0, report.markdown()
    assert report.peak_rss_mb < 2048, report.markdown()


def test_mutations_are_deterministic_per_seed() -> None:
    import random

    _harness()
    from upload_mutations import Fixture, mutate

    fixture = Fixture("a.csv", "一级指标,二级指标,三级指标,指标值\n产出指标,数量指标,养护里程,≥120公里\n".encode())
    one = [mutate(fixture, random.Random(7), 1 << 20) for _ in range(3)]
    two = [mutate(fixture, random.Random(7), 1 << 20) for _ in range(3)]
    assert one == two
