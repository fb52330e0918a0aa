"""How an encode call is split into forward passes (``jixiao.models.embedding_passes``)."""

from __future__ import annotations

import itertools
import random

from jixiao.models.embedding_passes import plan_batches


def _cost(lengths: list[int], passes: list[list[int]], pass_cost: float) -> float:
    return sum(max(lengths[i] for i in p) * len(p) + pass_cost for p in passes)


def _best_by_brute_force(lengths: list[int], size: int, pass_cost: float) -> float:
    """Every way of cutting the sorted lengths into runs of at most ``size``."""
    w = sorted(lengths)
    best = float("inf")
    for cuts in itertools.product((False, True), repeat=len(w) - 1):
        runs, start = [], 0
        for k, c in enumerate(cuts, start=1):
            if c:
                runs.append(w[start:k])
                start = k
        runs.append(w[start:])
        if all(len(r) <= size for r in runs):
            best = min(best, sum(r[-1] * len(r) + pass_cost for r in runs))
    return best


def test_every_text_once_sorted_by_length_longest_pass_first() -> None:
    lengths = [5, 1, 9, 3, 3, 7, 2, 8, 6, 4, 1]
    for batch_size, threads in ((16, 2), (3, 2), (2, 3), (1, 1), (4, 1)):
        passes = plan_batches(lengths, batch_size, threads)
        assert sorted(i for p in passes for i in p) == list(range(len(lengths)))
        assert all(len(p) <= batch_size for p in passes)
        flat = [lengths[i] for p in reversed(passes) for i in p]
        assert flat == sorted(flat)  # sorted by length across and within passes
    assert plan_batches([], 16, 2) == []
    assert [len(p) for p in plan_batches([1], 16, 2)] == [1]


def test_the_plan_is_the_cheapest_cut_of_the_sorted_lengths() -> None:
    rng = random.Random(7)
    for _ in range(40):
        lengths = [rng.choice((8, 10, 12, 14, 15, 18, 25, 40, 64)) for _ in range(rng.randint(1, 11))]
        size, pass_cost = rng.choice((2, 4, 16)), rng.choice((0, 5, 20, 100))
        passes = plan_batches(lengths, size, 1, pass_cost)
        assert _cost(lengths, passes, pass_cost) == _best_by_brute_force(lengths, size, pass_cost)


def test_a_long_text_gets_its_own_pass_instead_of_padding_the_short_ones() -> None:
    lengths = [12] * 15 + [64]
    passes = plan_batches(lengths, 16, 1)
    assert passes[0] == [15] and sorted(passes[1]) == list(range(15))
    # with nothing to gain, texts of one length stay together in full passes
    assert [len(p) for p in plan_batches([12] * 32, 16, 1)] == [16, 16]


def test_a_short_call_still_makes_one_pass_per_thread() -> None:
    for n in (2, 3, 5, 9):
        passes = plan_batches([10] * n, 16, 2)
        assert len(passes) == 2 and sorted(i for p in passes for i in p) == list(range(n))
    assert len(plan_batches([10, 11, 12], 16, 4)) == 3  # never more passes than texts
