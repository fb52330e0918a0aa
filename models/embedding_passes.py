"""How the texts of one encode call are split into forward passes: by token count, padding little.

A pass pads every text to its longest one, and a padded token costs the encoder as much
as a real one. The texts are sorted by length first, but cutting the sorted list into
passes of equal size still pads a lot where lengths spread out: indicator rows are
mostly 10 to 20 tokens with a tail of 40 to 64, and equal passes of 16 wasted 15 % of
the tokens of the corpus rows (10 % of the suffixed bench rows). Each pass also has a
fixed cost (the graph's launch, its small ops), so one text a pass is no answer either.
The plan here minimises padded tokens plus a fixed cost per pass, exactly (a dynamic
programme over the sorted lengths): about 3 % padding, and on two quiet cores 1.08-1.11×
the texts/s of the equal passes on corpus rows, 1.02-1.07× on the suffixed rows
(README, "Unseen rows, measured on real texts").
"""

from __future__ import annotations

#: A pass's fixed cost, in tokens. On two quiet cores with the int8 encoder 10 and 20 both
#: beat equal passes (20 by a hair, within the noise) and 40 gave back part of the padding
#: saved. 10: its grouped CV stayed within 0.01 of main's, the one run with 20 did not (int8
#: vectors move with what they are batched with; README, "Unseen rows, measured on real texts").
PASS_COST_TOKENS = 10


def plan_batches(
    lengths: list[int], batch_size: int, threads: int, pass_cost: float = PASS_COST_TOKENS
) -> list[list[int]]:
    """Indices of the texts for each forward pass, longest pass first.

    Each pass holds texts adjacent in length order, at most ``batch_size`` of them
    (16: a layer's activations stay in cache), and the cut points minimise the padded
    tokens plus ``pass_cost`` per pass. There are at least as many passes as
    ``threads`` (when there are that many texts), so a short call still uses every
    core. The longest pass goes first, so the passes still queued at the end are the
    quick ones and the threads finish close together.
    """
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    n = len(order)
    if not n:
        return []
    size = max(1, batch_size)
    width = [lengths[i] for i in order]
    best = [0.0] + [float("inf")] * n  # best[j]: cheapest plan of the j shortest texts
    cut = [0] * (n + 1)  # where the last pass of that plan starts
    for j in range(1, n + 1):
        longest = width[j - 1]
        cost, start = best[j], 0
        for i in range(max(0, j - size), j):
            c = best[i] + longest * (j - i)
            if c < cost:
                cost, start = c, i
        best[j], cut[j] = cost + pass_cost, start
    passes: list[list[int]] = []
    j = n
    while j:
        passes.append(order[cut[j] : j])  # built from the longest end: longest pass first
        j = cut[j]
    while len(passes) < min(n, max(1, threads)):  # one pass per thread at least: split the largest
        k = max(range(len(passes)), key=lambda p: len(passes[p]))
        rows = passes.pop(k)
        half = len(rows) // 2
        passes[k:k] = [rows[half:], rows[:half]]
    return passes
