"""Approach (g): the e5 encoder fine-tuned end to end with a classification head.

The other approaches read a frozen sentence embedding. Here the top ``train_layers``
transformer layers and a linear head over their mean-pooled output are trained together
with cross-entropy on the tiers, so the encoder itself learns which characters of a row
decide its tier. Kept inside the CPU budget (training from scratch ≤ 10 minutes on two
cores) by three choices:

- short inputs: the row's name and value, at most ``max_length`` tokens;
- the word embeddings and the lower layers stay frozen, so their output is computed once
  per text and cached; each epoch runs only the top layers forward and backward;
- a few epochs with class weights (square root of balanced), since the rare tiers
  (生态, 可持续) have a handful of rows.

The temperature and the table decoder are fitted on out-of-fold probabilities of
``inner_folds`` grouped folds (each fold a fine-tune of its own), like the ensemble's.
The tuned top layers and head are saved next to ``model.pkl``; the frozen part comes back
from the embedding model the classifier was trained with.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import numpy as np

from jixiao.models.classifier.calibration import fit_temperature, grouped_folds, retempered
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.embedded import EmbeddingApproach
from jixiao.models.classifier.examples import embedding_text
from jixiao.models.classifier.labels import LABELS, training_labels
from jixiao.models.classifier.setfit import sentence_transformer_of
from jixiao.models.classifier.table_fit import fit_decoder

WEIGHTS_FILE = "finetuned_top.pt"


def base_transformer(embedder: Any, name: str | None):  # noqa: ANN201 - a SentenceTransformer
    """The torch SentenceTransformer behind ``embedder``, else the same model loaded with torch
    (the shipped encoder may be ONNX, which cannot be trained)."""
    model = sentence_transformer_of(embedder)
    if model is not None:
        return model
    from jixiao.models.embedding import load_embedder

    model = sentence_transformer_of(load_embedder(name, cache=False, progress=False, encoder="torch"))
    if model is None:
        raise TypeError(f"{name}: fine-tuning needs a sentence-transformers model")
    return model


class _Top:
    """The trainable part: the top transformer layers and the head, over cached lower states."""

    def __init__(self, layers: list, dim: int, n_classes: int, seed: int):
        import torch

        torch.manual_seed(seed)
        self.layers = torch.nn.ModuleList(copy.deepcopy(layers))
        self.head = torch.nn.Linear(dim, n_classes)
        self.dropout = torch.nn.Dropout(0.1)

    def modules(self) -> list:
        return [self.layers, self.head, self.dropout]

    def train(self, on: bool) -> None:
        for m in self.modules():
            m.train(on)

    def logits(self, hidden, mask):  # noqa: ANN001, ANN201 - torch tensors
        import torch

        additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        h = hidden
        for layer in self.layers:
            out = layer(h, attention_mask=additive)
            h = out[0] if isinstance(out, tuple) else out
        m = mask[..., None].to(h.dtype)
        pooled = (h * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        return self.head(self.dropout(pooled))


class FineTunedClassifier(EmbeddingApproach):
    approach = "finetune"

    def __init__(
        self,
        embedder: Any = None,
        train_layers: int = 4,
        epochs: int = 4,
        batch_size: int = 16,
        lr: float = 1e-4,
        head_lr: float = 2e-3,
        max_length: int = 32,
        inner_folds: int = 2,
        seed: int = 0,
        progress: bool = False,
    ):
        super().__init__(embedder)
        self.train_layers = train_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.head_lr = head_lr
        self.max_length = max_length
        self.inner_folds = inner_folds
        self.seed = seed
        self.progress = progress
        self.temperature_ = 1.0
        self._st = None  # the base SentenceTransformer (frozen part); not pickled
        self._top: _Top | None = None  # tuned layers and head; saved as a state dict
        self._lower_cache: dict[str, Any] = {}

    # -- the frozen lower part ------------------------------------------------------------
    @property
    def st(self):  # noqa: ANN201
        if self._st is None:
            self._st = base_transformer(self._embedder, self.embedder_name)
        return self._st

    def _bert(self):  # noqa: ANN202
        return self.st[0].auto_model

    def _texts(self, X: list[ClassifyInput]) -> list[str]:
        prefix = dict(getattr(self.st, "prompts", None) or {}).get("query", "")
        return [prefix + embedding_text(x) for x in X]

    def _lower(self, texts: list[str]) -> list:
        """Each text's hidden states below the tuned layers (tokens × dim), cached by text."""
        import torch

        todo = [t for t in dict.fromkeys(texts) if t not in self._lower_cache]
        bert = self._bert().eval()
        tok = self.st.tokenizer
        depth = bert.config.num_hidden_layers - self.train_layers
        for start in range(0, len(todo), 64):
            chunk = todo[start : start + 64]
            enc = tok(chunk, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
            with torch.no_grad():
                states = bert(**enc, output_hidden_states=True).hidden_states[depth]
            for t, h, m in zip(chunk, states, enc["attention_mask"], strict=True):
                self._lower_cache[t] = h[: int(m.sum())].clone()
        return [self._lower_cache[t] for t in texts]

    @staticmethod
    def _batch(states: list):  # noqa: ANN205 - (hidden, mask) tensors, padded
        import torch

        n = max(len(s) for s in states)
        hidden = torch.zeros(len(states), n, states[0].shape[1])
        mask = torch.zeros(len(states), n, dtype=torch.long)
        for i, s in enumerate(states):
            hidden[i, : len(s)] = s
            mask[i, : len(s)] = 1
        return hidden, mask

    # -- training -----------------------------------------------------------------------
    def _train(self, states: list, y_idx: np.ndarray) -> _Top:
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(min(2, torch.get_num_threads()))
        bert = self._bert()
        top = _Top(
            list(bert.encoder.layer[-self.train_layers :]),
            bert.config.hidden_size,
            len(self.classes),
            self.seed,
        )
        counts = np.bincount(y_idx, minlength=len(self.classes)).astype(np.float64)
        weights = np.sqrt(len(y_idx) / (len(self.classes) * np.clip(counts, 1.0, None)))
        weight = torch.tensor(weights, dtype=torch.float32)
        optim = torch.optim.AdamW(
            [
                {"params": top.layers.parameters(), "lr": self.lr},
                {"params": top.head.parameters(), "lr": self.head_lr},
            ],
            weight_decay=0.01,
        )
        rng = np.random.default_rng(self.seed)
        target = torch.tensor(y_idx, dtype=torch.long)
        top.train(True)
        epochs = range(self.epochs)
        if self.progress:
            from tqdm import tqdm

            epochs = tqdm(epochs, desc="微调", unit="轮", file=sys.stderr)
        for _ in epochs:
            order = rng.permutation(len(states))
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                hidden, mask = self._batch([states[i] for i in idx])
                loss = F.cross_entropy(top.logits(hidden, mask), target[idx], weight=weight)
                optim.zero_grad()
                loss.backward()
                optim.step()
        top.train(False)
        return top

    def _probs(self, top: _Top, states: list) -> np.ndarray:
        import torch

        out = []
        with torch.no_grad():
            for start in range(0, len(states), 64):
                hidden, mask = self._batch(states[start : start + 64])
                out.append(torch.softmax(top.logits(hidden, mask), dim=1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.classes)))

    def fit(self, X: list[ClassifyInput], y: list[str]) -> FineTunedClassifier:
        labels = training_labels(y)
        self.classes = [c for c in LABELS if c in set(labels)]
        y_idx = self.label_index(labels)
        states = self._lower(self._texts(X))
        folds = grouped_folds(self.groups(X), self.inner_folds)
        oof = None
        if len(folds) >= 2 and len(set(labels)) > 1:
            oof = np.zeros((len(X), len(self.classes)))
            for test in folds:
                train = np.setdiff1d(np.arange(len(X)), test)
                top = self._train([states[i] for i in train], y_idx[train])
                oof[test] = self._probs(top, [states[i] for i in test])
            self.temperature_ = fit_temperature(oof, y_idx)
            oof = retempered(oof, self.temperature_)
        self.table_decoder_ = fit_decoder(self.classes, X, labels, oof)
        self._top = self._train(states, y_idx)
        self.remember(X, labels, self.embed(X))
        return self

    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        if self._top is None:
            raise RuntimeError("FineTunedClassifier is not fitted")
        probs = self._probs(self._top, self._lower(self._texts(X)))
        return retempered(probs, self.temperature_)

    # -- persistence: the tuned layers and head next to model.pkl -------------------------
    def save_extra(self, folder: Path) -> None:
        import torch

        if self._top is not None:
            state = {"layers": self._top.layers.state_dict(), "head": self._top.head.state_dict()}
            torch.save(state, Path(folder) / WEIGHTS_FILE)

    def load_extra(self, folder: Path) -> None:
        import torch

        path = Path(folder) / WEIGHTS_FILE
        if not path.exists():
            return
        state = torch.load(path, map_location="cpu", weights_only=True)
        bert = self._bert()
        top = _Top(
            list(bert.encoder.layer[-self.train_layers :]), bert.config.hidden_size, len(self.classes), 0
        )
        top.layers.load_state_dict(state["layers"])
        top.head.load_state_dict(state["head"])
        top.train(False)
        self._top = top

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.update(_st=None, _top=None, _lower_cache={})
        return state
