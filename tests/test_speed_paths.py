"""The speed work (issue 14) must not change results: each fast path against the slow one it replaced."""

from __future__ import annotations

import threading
import unicodedata

import jieba
import numpy as np

from jixiao.corpus.normalize import _OPERATORS, fold_width, normalize_text
from jixiao.corpus.taxonomy import Scheme
from jixiao.corpus.values import parse_value
from jixiao.models import embedding_onnx
from jixiao.models.bm25 import make_tokenizer
from jixiao.models.classifier.contract import ClassifyInput, Explanation, Neighbor
from jixiao.models.classifier.labels import LABELS, make_prediction
from jixiao.models.classifier.rules import facts_of
from jixiao.service.prediction_cache import PredictionCache


def _fold_width_loop(text: str) -> str:
    """The character loop fold_width used to be."""
    text = text.translate(_OPERATORS)
    out = []
    for ch in text:
        if 0xFF01 <= ord(ch) <= 0xFF5E and ch not in "（），：；！？":
            out.append(unicodedata.normalize("NFKC", ch))
        else:
            out.append(ch)
    return "".join(out)


def test_fold_width_table_equals_the_loop_on_every_bmp_character() -> None:
    chars = [chr(i) for i in range(0x10000) if not 0xD800 <= i < 0xE000]
    assert fold_width("".join(chars)) == _fold_width_loop("".join(chars))
    assert [fold_width(c) for c in chars] == [_fold_width_loop(c) for c in chars]
    assert fold_width("完成率＞＝９０％（全年）") == _fold_width_loop("完成率＞＝９０％（全年）")


def test_memoised_text_functions_answer_like_the_uncached_ones() -> None:
    for text in ["≥90%", "２０２４年１２月３１日前", "有效提高", "", None, "100 万元", "大于等于95％"]:
        assert parse_value(text) == parse_value.__wrapped__(text)
        assert normalize_text(text) == normalize_text.__wrapped__(text)


def test_rule_facts_are_the_same_for_the_same_name_and_value() -> None:
    a = facts_of(ClassifyInput(name="资金拨付及时率", value="100%", project="甲"))
    b = facts_of(ClassifyInput(name="资金拨付及时率", value="100%", project="乙"))
    assert a == b and a.value.unit == "%"
    assert facts_of(ClassifyInput(name="资金拨付及时率", value="95%")).value.number != a.value.number


def test_private_tokenizer_copies_the_stock_dictionary_and_leaves_the_global_one_alone() -> None:
    terms = ["农村公路养护", "河道清淤", "绩效目标"]
    before = dict(jieba.dt.FREQ) if jieba.dt.initialized else None
    tok = make_tokenizer(terms)
    fresh = jieba.Tokenizer()
    fresh.initialize()
    for t in terms:
        fresh.add_word(t, freq=max(fresh.FREQ.get(t, 0), 5000))
    assert tok.FREQ == fresh.FREQ and tok.total == fresh.total
    assert tok.lcut_for_search("农村公路养护项目") == fresh.lcut_for_search("农村公路养护项目")
    assert "农村公路养护" not in jieba.dt.FREQ
    if before is not None:
        assert before == jieba.dt.FREQ


def _prediction(code: str = "11"):  # noqa: ANN202
    probs = np.full(len(LABELS), 0.01)
    probs[LABELS.index(code)] = 0.9
    neighbors = [Neighbor(name="培训人次", code=code, similarity=0.9)]
    return make_prediction(LABELS, probs, Explanation(neighbors=neighbors, rules=["r"]))


def test_in_scheme_a_is_the_prediction_itself_and_b_still_moves_cost() -> None:
    p = _prediction("14")
    assert p.in_scheme(Scheme.A) is p
    b = p.in_scheme(Scheme.B)
    assert b.code == "41" and b.explanation.neighbors[0].code == "41"
    assert abs(sum(b.probabilities.values()) - 1) < 1e-9
    assert b.in_scheme(Scheme.A).code == "14"
    q = _prediction("12")
    assert q.in_scheme(Scheme.B).code == "12"


def test_prediction_memo_keys_tell_every_field_apart() -> None:
    calls: list[int] = []

    def predict(rows: list) -> list:  # noqa: ANN001
        calls.append(len(rows))
        return [_prediction() for _ in rows]

    cache = PredictionCache()
    rows = [
        ClassifyInput(name="培训人次", value="100人次"),
        ClassifyInput(name="培训人次", value="100人次", project="另一个项目"),
        ClassifyInput(name="培训人次", value="100人次"),
    ]
    out = cache.predict(object, rows, predict)
    assert calls == [2] and out[0] is out[2] and out[0] is not out[1]


class _Encoding:
    def __init__(self, ids: list[int]):
        self.ids = ids


class _Tokenizer:
    def encode_batch(self, texts: list[str]) -> list[_Encoding]:
        return [_Encoding([0, *(ord(c) % 1000 for c in t), 2]) for t in texts]


class _Session:
    """Each row's vector is its own length and token checksum: rows must come back in order."""

    def __init__(self):
        self.threads: set[str] = set()

    def run(self, _names, feeds: dict) -> list[np.ndarray]:  # noqa: ANN001
        self.threads.add(threading.current_thread().name)
        ids, mask = feeds["input_ids"], feeds["attention_mask"]
        out = np.zeros((len(ids), 4), dtype=np.float32)
        out[:, 0] = mask.sum(axis=1)
        out[:, 1] = (ids * mask).sum(axis=1)
        return [out]


def test_parallel_onnx_passes_return_rows_in_input_order(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(embedding_onnx, "BATCH_SIZE", 3)
    emb = embedding_onnx.OnnxEmbedder.__new__(embedding_onnx.OnnxEmbedder)
    emb.dim, emb.prompts, emb.pad_id = 4, {"query": "q"}, 1
    emb.tokenizer, emb.session = _Tokenizer(), _Session()
    emb.threads = 2
    emb._passes = embedding_onnx.ThreadPoolExecutor(2)
    emb._solo, emb._solo_lock, emb._in_flight, emb._count_lock = _Session(), threading.Lock(), 0, threading.Lock()
    texts = [chr(0x4E00 + i) * (1 + (i * 7) % 11) for i in range(40)]
    out = emb.encode_queries(texts)
    assert out[:, 0].tolist() == [len(t) + 3 for t in texts]  # <s>, the prompt, the text, </s>
    assert out[:, 1].tolist() == [sum(e.ids) for e in _Tokenizer().encode_batch(["q" + t for t in texts])]
    assert emb.session.threads and all(t.startswith("ThreadPoolExecutor") for t in emb.session.threads)
    few = texts[:5]  # fewer texts than a pass holds: still one pass per thread, rows in order
    assert emb.encode_queries(few)[:, 0].tolist() == [len(t) + 3 for t in few]
    assert emb.encode_queries([]).shape == (0, 4)
    # a lone text on an idle embedder runs in the caller on the every-core session
    assert emb.encode_queries(["河道清淤"])[0, 0] == 4 + 3
    assert emb._solo.threads == {threading.current_thread().name} and emb._in_flight == 0


def test_onnx_passes_pad_little_and_run_longest_first(monkeypatch) -> None:  # noqa: ANN001
    """70 texts of 3 to 31 tokens: passes of at most 16 texts of similar length, little padding,
    the longest pass queued first; rows still in input order."""
    monkeypatch.setattr(embedding_onnx, "BATCH_SIZE", 16)
    sizes: list[tuple[int, int]] = []

    class _Recording(_Session):
        def run(self, names, feeds: dict) -> list[np.ndarray]:  # noqa: ANN001
            sizes.append(feeds["input_ids"].shape)
            return super().run(names, feeds)

    emb = embedding_onnx.OnnxEmbedder.__new__(embedding_onnx.OnnxEmbedder)
    emb.dim, emb.prompts, emb.pad_id = 4, {}, 1
    emb.tokenizer, emb.session = _Tokenizer(), _Recording()
    emb.threads = 2
    emb._passes = embedding_onnx.ThreadPoolExecutor(1)  # one worker: passes run in queue order
    emb._solo, emb._solo_lock, emb._in_flight, emb._count_lock = _Session(), threading.Lock(), 0, threading.Lock()
    texts = [chr(0x4E00 + i) * (1 + (i * 13) % 29) for i in range(70)]
    out = emb.encode_queries(texts)
    assert out[:, 0].tolist() == [len(t) + 2 for t in texts]
    rows = [n for n, _ in sizes]
    assert sum(rows) == 70 and max(rows) <= 16 and len(rows) >= 2
    padded = sum(n * w for n, w in sizes)
    assert padded <= 1.1 * sum(len(t) + 2 for t in texts)  # equal-size passes padded 1.13x here
    widths = [w for _, w in sizes]
    assert widths == sorted(widths, reverse=True)  # the longest texts first


def test_upload_tables_are_completed_by_the_parser_and_reviewed_without_a_copy() -> None:
    from jixiao.corpus.data_paths import seed_files
    from jixiao.corpus.review import complete_table
    from jixiao.service.analysis import review_tables
    from jixiao.service.routes.tables import parse_upload

    path = seed_files()[1]  # seed 001: rows that print only a level 1
    upload = parse_upload(path.read_bytes(), path.name)
    parsed = upload.result
    assert [complete_table(t) for t in parsed.tables] == parsed.tables  # already complete
    given = review_tables(None, parsed.tables, completed=True, table_only=upload.table_only)
    assert all(r.table is t for r, t in zip(given, parsed.tables, strict=True))
    copied = review_tables(None, parsed.tables)
    assert all(r.table is not t and r.table == t for r, t in zip(copied, parsed.tables, strict=True))
    assert [r.findings for r in given] == [r.findings for r in copied]
    assert any(r.findings for r in given)


def test_table_only_findings_from_elsewhere_land_in_the_same_places(monkeypatch) -> None:  # noqa: ANN001
    """Findings of the table-only checks made in the parser process: the same review, and none recomputed."""
    from jixiao.corpus import review, review_table_only
    from jixiao.corpus.data_paths import seed_files
    from jixiao.service.routes.tables import parse_upload

    for path in seed_files():
        upload = parse_upload(path.read_bytes(), path.name)
        for table, alone in zip(upload.result.tables, upload.table_only, strict=True):
            here = review.review_table(table)
            with monkeypatch.context() as m:
                m.setattr(review, "table_only_findings", None)  # would raise if called
                assert review.review_table(table, table_only=alone) == here
            assert alone == review_table_only.table_only_findings(table)


def test_batched_predictions_equal_row_by_row_ones() -> None:
    from jixiao.models.classifier.labels import make_predictions

    rng = np.random.default_rng(0)
    probs = rng.random((40, len(LABELS))) ** 3
    probs[rng.random(probs.shape) < 0.3] = 0.0
    probs[0] = 0.0  # no evidence at all: uniform
    probs[1, 2] = -0.5  # clipped at 0
    one = [make_prediction(LABELS, row) for row in probs]
    assert [p.model_dump() for p in make_predictions(LABELS, probs)] == [p.model_dump() for p in one]
    assert make_predictions(LABELS, np.zeros((0, len(LABELS)))) == []


def test_in_scheme_shortcut_agrees_with_re_expressing_every_code(monkeypatch) -> None:  # noqa: ANN001
    """``_same_in`` (set lookups) is true exactly when re-expressing every code changes nothing."""
    from jixiao.corpus.taxonomy import TIERS
    from jixiao.models.classifier.contract import TierPrediction

    shortcut = TierPrediction._same_in
    cases = []
    for code in TIERS:
        for other in (None, "11", "41", "14"):
            for neighbour in ("11", "43", "14"):
                probs = dict.fromkeys(LABELS, 0.0) | ({other: 0.1} if other else {})
                probs[code] = probs.get(code, 0.0) + 0.5
                explanation = Explanation(neighbors=[Neighbor(name="x", code=neighbour, similarity=0.9)])
                cases.append(
                    TierPrediction(
                        code=code,
                        level1=TIERS[code].level1,
                        level2=TIERS[code].level2,
                        confidence=probs[code],
                        probabilities=probs,
                        explanation=explanation,
                    )
                )
    monkeypatch.setattr(TierPrediction, "_same_in", lambda self, scheme: False)  # always the full path
    for pred in cases:
        for scheme in Scheme:
            unchanged = pred.in_scheme(scheme).model_dump() == pred.model_dump()
            assert shortcut(pred, scheme) == unchanged, (pred.code, scheme)


def test_read_routes_resolve_their_dependencies_without_a_worker_thread() -> None:
    """A plain ``def`` dependency runs in FastAPI's thread pool: two hand-offs per request."""
    import inspect
    import typing

    from jixiao.service.deps import EngineDep, SettingsDep
    from jixiao.service.security import require_read_access, require_write_key

    deps = [typing.get_args(a)[1].dependency for a in (EngineDep, SettingsDep)]
    assert all(inspect.iscoroutinefunction(f) for f in [*deps, require_read_access, require_write_key])
