"""Text normalisation shared by every parser.

PDF extraction, Excel exports and web pages write the same value many ways:
full-width operators (＞ ≦ ％), LaTeX from PDF-to-markdown converters
(``$\\geq 90\\%$``), traditional characters, and spaces that line wrapping put inside
words. Parsers and the classifier must see one form, so this is the single place
that decides it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_LATEX = [
    (r"\\geqslant", "≥"),
    (r"\\leqslant", "≤"),
    (r"\\geq", "≥"),
    (r"\\leq", "≤"),
    (r"\\ge", "≥"),
    (r"\\le", "≤"),
    (r"\\gt", ">"),
    (r"\\lt", "<"),
    (r"\\neq", "≠"),
    (r"\\approx", "≈"),
    (r"\\times", "×"),
    (r"\\%", "%"),
    (r"\\cdot", "·"),
]
_LATEX_RE = re.compile("|".join(p for p, _ in _LATEX))
_LATEX_MAP = {p.replace("\\\\", "\\"): r for p, r in _LATEX}

# Operators that NFKC leaves alone or maps inconsistently.
_OPERATORS = str.maketrans(
    {
        "≧": "≥",
        "≦": "≤",
        "＞": ">",
        "＜": "<",
        "＝": "=",
        "═": "=",
        "％": "%",
        "﹪": "%",
        "～": "~",
        "〜": "~",
        "—": "-",
        "－": "-",
    }
)
_WORD_OPERATORS = [
    ("大于或等于", "≥"),
    ("大于等于", "≥"),
    ("不低于", "≥"),
    ("不少于", "≥"),
    ("小于或等于", "≤"),
    ("小于等于", "≤"),
    ("不高于", "≤"),
    ("不多于", "≤"),
    ("不超过", "≤"),
    (">=", "≥"),
    ("<=", "≤"),
    ("=>", "≥"),
    ("=<", "≤"),
]

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCT = r"，。；：、（）《》“”‘’！？【】"
_SPACE_INSIDE_CJK = re.compile(rf"(?<=[{_CJK}{_CJK_PUNCT}])[ \t\u3000]+(?=[{_CJK}{_CJK_PUNCT}])")
_SPACE_AROUND_NUM = re.compile(rf"(?<=[{_CJK}])[ \t\u3000]+(?=[\d.%])|(?<=[\d.%])[ \t\u3000]+(?=[{_CJK}])")
_MULTI_SPACE = re.compile(r"[ \t\u3000\xa0]+")


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # opencc-python-reimplemented: pure Python, maintained, in the package lists

    return opencc.OpenCC("t2s").convert


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """Characters whose presence means t2s may change the text.

    The pure-Python converter costs ~0.1 ms per short string, and most of what we see is
    already simplified; scanning for these characters first makes the common case free.
    Built from opencc's own dictionaries: every character a TSCharacters entry changes,
    plus the differing character of phrase entries made only of unchanged characters
    (反覆 → 反复).
    """
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"
    changed: set[str] = set()
    for line in (folder / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("\t")
        if key != value.split(" ")[0]:
            changed.update(key)
    for line in (folder / "TSPhrases.txt").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition("\t")
        value = value.split(" ")[0]
        if key != value and not changed.intersection(key):
            changed.update(a for a, b in zip(key, value, strict=False) if a != b)
    return frozenset(changed)


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional → simplified; already simplified text (the common case) costs a set scan."""
    trad = _traditional_chars()
    if not any(ch in trad for ch in text):
        return text
    return _t2s()(text)


def strip_latex(text: str) -> str:
    """``$\\geq 90\\%$`` → ``≥90%``."""
    if "\\" not in text and "$" not in text:
        return text
    text = _LATEX_RE.sub(lambda m: _LATEX_MAP.get(m.group(0), m.group(0)), text)
    text = text.replace("$", "")
    text = re.sub(r"\\(text|mathrm)\{([^}]*)\}", r"\2", text)
    text = text.replace("\\", "")
    return text


#: Full-width ASCII (U+FF01-FF5E) → its NFKC half-width form, except the CJK punctuation kept.
_HALF_WIDTH = str.maketrans(
    {chr(o): unicodedata.normalize("NFKC", chr(o)) for o in range(0xFF01, 0xFF5F) if chr(o) not in "（），：；！？"}
)


def fold_width(text: str) -> str:
    """Full-width ASCII (digits, letters, ％ ＞) → half-width; CJK punctuation kept.

    Two table lookups per character: every indicator name and value of every upload and
    classify request passes through here, so it is a table, not a loop in Python.
    """
    return text.translate(_OPERATORS).translate(_HALF_WIDTH)


def normalize_operators(text: str) -> str:
    """Word and two-character operators (大于等于, >=) → one symbol (≥)."""
    for word, sym in _WORD_OPERATORS:
        text = text.replace(word, sym)
    return text


def squeeze_spaces(text: str) -> str:
    """Drop spaces that wrapping put between CJK characters; collapse the rest."""
    text = _MULTI_SPACE.sub(" ", text)
    text = _SPACE_INSIDE_CJK.sub("", text)
    text = _SPACE_AROUND_NUM.sub("", text)
    text = re.sub(r"(?<=[≥≤<>=≈约])\s+(?=[\d.])", "", text)
    text = re.sub(r"(?<=\d)\s+(?=%)", "", text)
    return text.strip()


@lru_cache(maxsize=65536)
def normalize_text(text: str | None) -> str:
    """The one normal form for names, values and goal texts.

    Memoised: a review normalises the same names and values in rule after rule, and
    uploads repeat them table after table.
    """
    if not text:
        return ""
    text = strip_latex(text)
    text = fold_width(text)
    text = to_simplified(text)
    text = text.replace("\r", "").replace("\n", " ")
    return squeeze_spaces(text)


def normalize_value(text: str | None) -> str:
    """Like normalize_text, and also unify operator spellings (大于等于 → ≥)."""
    return normalize_operators(normalize_text(text))


def name_key(text: str) -> str:
    """Aggressive form for deduplication and fuzzy matching: no spaces, no punctuation."""
    t = normalize_text(text)
    return re.sub(r"[\s\W_]+", "", t).lower()
