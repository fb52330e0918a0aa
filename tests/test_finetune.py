"""The fine-tuned encoder approach, on a tiny random BERT built here (no model download),
and the Platt scaling the table decoder applies to the confidence it shows."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from jixiao.corpus.data_paths import EXTERNAL_TABLES
from jixiao.corpus.records import read_records
from jixiao.models.classifier import examples_from_tables
from jixiao.models.classifier.calibration import ece, fit_platt, platt_scaled
from jixiao.models.classifier.finetune import FineTunedClassifier
from jixiao.models.classifier.persist import save_model
from jixiao.models.embedding_base import HashEmbedder


def tiny_sentence_transformer(tmp_path, texts):
    """A 2-layer BERT with a character vocabulary of ``texts``, as a SentenceTransformer."""
    from sentence_transformers import SentenceTransformer, models
    from tokenizers import Regex, Tokenizer, pre_tokenizers
    from tokenizers.models import WordLevel
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    chars = sorted({c for t in texts for c in t})
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *chars])}
    tok = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]")
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    folder = tmp_path / "tiny-bert"
    BertModel(config).save_pretrained(folder)
    fast.save_pretrained(folder)
    body = models.Transformer(str(folder), max_seq_length=32)
    return SentenceTransformer(modules=[body, models.Pooling(32, "mean")], device="cpu")


@pytest.fixture(scope="module")
def data():
    tables = read_records(EXTERNAL_TABLES)[0]
    return examples_from_tables(tables[:30]), examples_from_tables(tables[30:40])


@pytest.mark.slow
def test_finetuned_encoder_learns_tiers_and_saves_its_tuned_layers(data, tmp_path):
    (X, y), (Xt, yt) = data
    st = tiny_sentence_transformer(tmp_path, [x.name + (x.value or "") + "：" for x in X + Xt])
    clf = FineTunedClassifier(
        HashEmbedder(dim=32), train_layers=2, epochs=20, lr=3e-3, head_lr=1e-2, inner_folds=2
    )
    clf._st = st
    clf.fit(X, y)
    assert clf.table_decoder_ is not None and clf.temperature_ > 0
    probs = clf.predict_proba(X)
    assert probs.shape == (len(X), len(clf.classes)) and np.allclose(probs.sum(axis=1), 1.0)
    # Trained end to end, it fits its own rows far better than the class prior would.
    train_acc = np.mean([clf.classes[i] == c for i, c in zip(probs.argmax(axis=1), y, strict=True)])
    majority = max(y.count(c) for c in set(y)) / len(y)
    assert train_acc > majority + 0.1, (train_acc, majority)
    # Saved and loaded, the tuned top layers and head give the same probabilities.
    save_model(clf, tmp_path / "model")
    state = pickle.loads(pickle.dumps(clf))
    assert state._top is None and state._st is None  # the torch parts are not pickled
    state._st = st
    state.load_extra(tmp_path / "model")
    assert np.allclose(state.predict_proba(Xt), clf.predict_proba(Xt), atol=1e-5)


def test_platt_scaling_pulls_overconfident_scores_down_and_keeps_the_winner():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(5, 0.3), size=2000)
    conf = probs.max(axis=1)
    # The true chance of being right is much flatter than the stated confidence.
    correct = rng.random(len(conf)) < 0.3 + 0.5 * conf
    slope, intercept = fit_platt(conf, correct)
    assert 0 < slope < 1
    scaled = platt_scaled(probs, slope, intercept)
    assert np.allclose(scaled.sum(axis=1), 1.0)
    assert (scaled.argmax(axis=1) == probs.argmax(axis=1)).all()
    assert ece(scaled.max(axis=1), correct) < ece(conf, correct) / 2
    assert platt_scaled(probs, 1.0, 0.0) is probs  # (1, 0): no change
    assert fit_platt(conf[:5], correct[:5]) == (1.0, 0.0)  # too few to fit
