"""Where the cells and text lines of a scanned table are, from pixels alone (numpy only).

Recognising a whole scanned page and then guessing columns from where words happen to
start loses the table: merged level cells, a value that touches its border, a short
header (``一级指标``'s ``一`` looks like a rule to a text detector). A printed goal table
is ruled, so its cells come from its rules instead: long horizontal ink runs are the
row rules; a column rule is ink that fills a row band from top to bottom (a character
stroke never does). A rule missing between two neighbouring cells merges them, as a
merged cell in the workbook did. Each cell's text lines are then cut out by their ink
profile and recognised one by one, so every word lands in the cell it was printed in.

A page without rules (a borderless table) falls back to ``boxes_to_grid``: recognised
text boxes clustered into rows by height and into columns by the gaps between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jixiao.corpus.parsers.vocab import Grid

#: Grey level below which a pixel is ink (scanner grain and JPEG noise stay above it).
INK_LEVEL = 160
#: A column rule fills at least this share of a row band's height; a stroke never does.
RULE_FILL = 0.9
#: Two column-rule positions this close (pixels) in different rows are the same rule.
RULE_SNAP = 5
#: Ink specks smaller than this (pixels) are not text.
MIN_TEXT_INK = 12
#: Row and column rules of one page at most: a goal table has tens of rows and under
#: ten columns; a hatched or gridded image has thousands, and cutting them costs minutes.
MAX_ROW_RULES = 400
MAX_COLUMN_RULES = 80


class TooManyRules(ValueError):
    """The page is ruled far more densely than any table (a grid pattern, a hatched image)."""


@dataclass(frozen=True)
class Rule:
    """A horizontal rule: the rows it occupies (``top``..``bottom`` inclusive) and where it is drawn."""

    top: int
    bottom: int
    drawn: np.ndarray  # bool per page column: the rule has ink there


@dataclass(frozen=True)
class Cell:
    """A (possibly merged) cell: its grid position, span and interior in pixels."""

    row: int
    col: int
    x0: int
    y0: int
    x1: int
    y1: int


@dataclass(frozen=True)
class TextBox:
    """A recognised piece of text and its axis-aligned box (the fallback's input)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def ink_mask(gray: np.ndarray) -> np.ndarray:
    return gray < INK_LEVEL


def _runs(flags: np.ndarray, max_gap: int = 0) -> list[tuple[int, int]]:
    """(first, last) index of each run of True, runs closer than ``max_gap`` joined."""
    idx = np.flatnonzero(flags)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > max_gap + 1)
    starts = np.concatenate(([idx[0]], idx[breaks + 1]))
    ends = np.concatenate((idx[breaks], [idx[-1]]))
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _long_runs(ink: np.ndarray, length: int) -> np.ndarray:
    """Pixels that belong to a horizontal run of ink at least ``length`` long (an opening)."""
    h, w = ink.shape
    if w < length:
        return np.zeros_like(ink)
    cs = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(ink, axis=1, out=cs[:, 1:])
    full = (cs[:, length:] - cs[:, :-length]) == length  # run of `length` starts at x
    cf = np.zeros((h, full.shape[1] + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=cf[:, 1:])
    out = np.zeros_like(ink)
    # x is covered if some start in [x - length + 1, x] is full
    for_x = np.arange(w)
    lo = np.clip(for_x - length + 1, 0, full.shape[1])
    hi = np.clip(for_x + 1, 0, full.shape[1])
    out[:, :] = (cf[:, hi] - cf[:, lo]) > 0
    return out


def _profile_sharpness(image, angle: float) -> float:  # noqa: ANN001 - a PIL image of ink
    """How sharp the row profile is with the page turned by ``angle``: level rules and text
    lines make a few rows very dark and the rows between them empty."""
    from PIL import Image

    turned = np.asarray(image.rotate(angle, resample=Image.Resampling.NEAREST), dtype=np.float32)
    return float((np.diff(turned.sum(axis=1)) ** 2).sum())


def skew_angle(gray: np.ndarray, max_degrees: float = 3.0) -> float:
    """The turn (degrees, counter-clockwise) that levels a page scanned askew.

    A scan is rarely square: at 0.3° a rule across the page drifts by 8 pixels, breaks
    into short runs, and the table is lost. The angle whose row profile is sharpest is
    searched coarsely, then finely, on a half-size copy of the ink.
    """
    from PIL import Image

    ink = ink_mask(gray)
    step = max(1, gray.shape[1] // 900)
    image = Image.fromarray(ink[::step, ::step].astype(np.uint8))
    coarse = np.arange(-max_degrees, max_degrees + 1e-9, 0.25)
    best = max(coarse, key=lambda a: _profile_sharpness(image, float(a)))
    fine = np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05)
    return float(max(fine, key=lambda a: _profile_sharpness(image, float(a))))


def deskew(gray: np.ndarray) -> np.ndarray:
    """The page turned level (unchanged within 0.1°: 3 pixels across an A4 page, which rules tolerate)."""
    from PIL import Image

    angle = skew_angle(gray)
    if abs(angle) < 0.1:
        return gray
    turned = Image.fromarray(gray).rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return np.asarray(turned)


def horizontal_rules(ink: np.ndarray) -> list[Rule]:
    """Row rules: bands of rows holding a long ink run (longer than any word's stroke)."""
    h, w = ink.shape
    long = _long_runs(ink, max(40, w // 25))
    rules = []
    for top, bottom in _runs(long.any(axis=1)):
        rules.append(Rule(top, bottom, long[top : bottom + 1].any(axis=0)))
    return rules


def _column_rules(ink: np.ndarray, top: int, bottom: int) -> list[tuple[int, int]]:
    """(first, last) pixel column of each rule that fills the band between two row rules."""
    band = ink[top:bottom]
    if band.shape[0] < 4:
        return []
    filled = band.mean(axis=0) >= RULE_FILL
    return _runs(filled)


def table_cells(gray: np.ndarray) -> tuple[list[Cell], int, int] | None:
    """The ruled table's cells (merged ones once, at their top-left), rows and columns; None if unruled."""
    ink = ink_mask(gray)
    rules = horizontal_rules(ink)
    if len(rules) < 2:
        return None
    if len(rules) > MAX_ROW_RULES:
        raise TooManyRules(f"{len(rules)} row rules")
    bands = [(a.bottom + 1, b.top) for a, b in zip(rules, rules[1:], strict=False)]
    per_band = [_column_rules(ink, top, bottom) for top, bottom in bands]
    # One list of column-rule positions for the whole table, snapped across bands.
    centres: list[list[float]] = []
    for runs in per_band:
        if len(runs) > MAX_COLUMN_RULES:
            raise TooManyRules(f"{len(runs)} column rules in one row")
        for a, b in runs:
            c = (a + b) / 2
            near = next((g for g in centres if abs(np.mean(g) - c) <= RULE_SNAP), None)
            if near is None:
                centres.append([c])
            else:
                near.append(c)
    if len(centres) < 2:
        return None
    if len(centres) > MAX_COLUMN_RULES:
        raise TooManyRules(f"{len(centres)} column rules")
    xs = sorted(float(np.mean(g)) for g in centres)
    ncols, nrows = len(xs) - 1, len(bands)
    present = [[any(abs((a + b) / 2 - x) <= RULE_SNAP for a, b in runs) for x in xs] for runs in per_band]
    edges = {x: _edge(per_band, x) for x in xs}

    parent = list(range(nrows * ncols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for r in range(nrows):
        for c in range(ncols - 1):
            if not present[r][c + 1]:
                union(r * ncols + c, r * ncols + c + 1)
    for r in range(nrows - 1):
        rule = rules[r + 1]
        for c in range(ncols):
            a, b = int(xs[c]), int(xs[c + 1])
            inner = rule.drawn[a + RULE_SNAP : max(a + RULE_SNAP + 1, b - RULE_SNAP)]
            if inner.size and inner.mean() < 0.5:
                union(r * ncols + c, (r + 1) * ncols + c)
    groups: dict[int, list[int]] = {}
    for i in range(nrows * ncols):
        groups.setdefault(find(i), []).append(i)
    cells = []
    for members in groups.values():
        rows = [i // ncols for i in members]
        cols = [i % ncols for i in members]
        r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
        cells.append(
            Cell(
                row=r0,
                col=c0,
                x0=edges[xs[c0]][1] + 1,
                y0=bands[r0][0],
                x1=edges[xs[c1 + 1]][0],
                y1=bands[r1][1],
            )
        )
    cells.sort(key=lambda c: (c.row, c.col))
    return cells, nrows, ncols


def _edge(per_band: list[list[tuple[int, int]]], x: float) -> tuple[int, int]:
    """The pixel extent (first, last column) of the column rule at ``x``."""
    found = [(a, b) for runs in per_band for a, b in runs if abs((a + b) / 2 - x) <= RULE_SNAP]
    return min(a for a, _ in found), max(b for _, b in found)


def text_lines(ink: np.ndarray) -> list[tuple[int, int, int, int]]:
    """(x0, y0, x1, y1) of each printed line in a cell's ink, top to bottom.

    A line is a run of inked rows. Characters such as ``二`` or ``三`` have blank rows
    inside them, so a run much lower than the tallest one is joined to its nearer
    neighbour instead of standing alone.
    """
    if ink.sum() < MIN_TEXT_INK:
        return []
    runs = [list(r) for r in _runs(ink.sum(axis=1) > 0)]
    tallest = max(b - a + 1 for a, b in runs)
    short = max(6, int(tallest * 0.45))
    merged = True
    while merged and len(runs) > 1:
        merged = False
        for i, (a, b) in enumerate(runs):
            if b - a + 1 >= short:
                continue
            gap_up = a - runs[i - 1][1] if i > 0 else None
            gap_down = runs[i + 1][0] - b if i + 1 < len(runs) else None
            j = i - 1 if gap_down is None or (gap_up is not None and gap_up <= gap_down) else i + 1
            lo, hi = sorted((i, j))
            runs[lo] = [runs[lo][0], runs[hi][1]]
            del runs[hi]
            merged = True
            break
    out = []
    for a, b in runs:
        cols = np.flatnonzero(ink[a : b + 1].any(axis=0))
        if ink[a : b + 1].sum() >= MIN_TEXT_INK:
            out.append((int(cols[0]), a, int(cols[-1]), b))
    return out


def cells_to_grid(cells: Sequence[Cell], texts: dict[tuple[int, int], str | None], nrows: int, ncols: int) -> Grid:
    """Rows of cell texts; a merged cell's text sits at its top-left, its other positions are None."""
    grid: Grid = [[None] * ncols for _ in range(nrows)]
    for cell in cells:
        grid[cell.row][cell.col] = texts.get((cell.row, cell.col))
    return grid


def boxes_to_grid(boxes: Sequence[TextBox]) -> Grid:
    """Rows and columns of an unruled table from its text boxes.

    Rows: boxes whose vertical centres lie within half a line height of a row's centre.
    Columns: the x-gaps no box of a full row crosses (a row with nearly as many boxes as
    the fullest; a merged value spanning columns would hide the gaps); a box goes to the
    column its left edge is in.
    """
    boxes = [b for b in boxes if b.text.strip()]
    if not boxes:
        return []
    height = float(np.median([b.y1 - b.y0 for b in boxes]))
    rows: list[list[TextBox]] = []
    for b in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        centre = (b.y0 + b.y1) / 2
        if rows and abs(np.mean([(o.y0 + o.y1) / 2 for o in rows[-1]]) - centre) <= height / 2:
            rows[-1].append(b)
        else:
            rows.append([b])
    fullest = max(len(row) for row in rows)
    spans = sorted((b.x0, b.x1) for row in rows if len(row) >= 0.8 * fullest for b in row)
    starts: list[float] = []
    reach = -1.0
    for x0, x1 in spans:
        if x0 > reach + height / 2:
            starts.append(x0)
        reach = max(reach, x1)
    starts = starts or [min(b.x0 for b in boxes)]

    def column(x: float) -> int:
        return max(0, sum(1 for s in starts if s <= x + height / 2) - 1)

    grid: Grid = []
    for row in rows:
        cells: list[str | None] = [None] * len(starts)
        for b in sorted(row, key=lambda b: b.x0):
            j = column(b.x0)
            cells[j] = b.text if cells[j] is None else cells[j] + b.text
        grid.append(cells)
    return grid
