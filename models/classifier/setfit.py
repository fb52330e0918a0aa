"""Approach (d): SetFit-style fine-tuning of the embedding model, then a logistic head.

SetFit (Tunstall et al. 2022) first pulls same-tier indicators together and pushes
different tiers apart with a contrastive loss on sentence pairs, then fits a plain
classifier on the tuned embeddings. It is done here with a short torch loop over the
SentenceTransformer (no ``setfit``/``datasets`` dependency) and kept inside the CPU
budget: a bounded number of pairs, one epoch, two torch threads. Pairs are drawn with
tiers sampled uniformly, so the rare tiers (生态, 可持续) get as many pairs as 数量.
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

from jixiao.models.classifier.calibration import fit_temperature, out_of_fold, retempered
from jixiao.models.classifier.contract import ClassifyInput
from jixiao.models.classifier.embedded import EmbeddingApproach
from jixiao.models.classifier.examples import embedding_text
from jixiao.models.classifier.labels import LABELS, training_labels

ENCODER_DIR = "encoder"


def sentence_transformer_of(embedder: Any):  # noqa: ANN201 - a SentenceTransformer
    """The SentenceTransformer behind an Embedder (through the cache wrapper), or None."""
    inner = getattr(embedder, "inner", embedder)
    model = getattr(inner, "model", None)
    return model if model is not None and hasattr(model, "tokenize") else None


def make_pairs(
    labels: list[str], groups: list[str], n_pairs: int, seed: int = 0
) -> list[tuple[int, int, float]]:
    """(i, j, 1.0 same tier / 0.0 other tier), half positive; positives prefer another source document."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, c in enumerate(labels):
        by_label.setdefault(c, []).append(i)
    classes = sorted(by_label)
    if len(classes) < 2:
        return []
    pairs: list[tuple[int, int, float]] = []
    for n in range(n_pairs):
        c = rng.choice(classes)
        i = rng.choice(by_label[c])
        if n % 2 == 0:
            others = [j for j in by_label[c] if groups[j] != groups[i]] or [j for j in by_label[c] if j != i]
            if not others:
                continue
            pairs.append((i, rng.choice(others), 1.0))
        else:
            c2 = rng.choice([d for d in classes if d != c])
            pairs.append((i, rng.choice(by_label[c2]), 0.0))
    return pairs


def _trainable(param_name: str, top_layers: int, total_layers: int = 12) -> bool:
    """Only the top ``top_layers`` transformer layers (and pooling) are tuned."""
    if "embeddings." in param_name:
        return False
    marker = "encoder.layer."
    if marker in param_name:
        layer = int(param_name.split(marker, 1)[1].split(".", 1)[0])
        return layer >= total_layers - top_layers
    return True


def _on(features: dict, device: Any) -> dict:
    """Tensors moved to the device; other entries (tokenizer metadata) kept as they are."""
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}


class SetFitClassifier(EmbeddingApproach):
    approach = "setfit"

    def __init__(
        self,
        embedder: Any = None,
        n_pairs: int = 480,
        train_layers: int = 4,
        epochs: int = 1,
        batch_size: int = 16,
        lr: float = 2e-5,
        C: float = 0.05,
        seed: int = 0,
        progress: bool = False,
    ):
        super().__init__(embedder)
        self.n_pairs = n_pairs
        self.train_layers = train_layers
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.C = C
        self.seed = seed
        self.progress = progress
        self.temperature_ = 1.0
        self.head_ = None
        self._encoder = None  # the fine-tuned SentenceTransformer; saved as a folder, not pickled

    # -- the tuned encoder -------------------------------------------------------------
    def _prefix(self) -> str:
        return dict(getattr(self._encoder, "prompts", None) or {}).get("query", "")

    def embed(self, X: list[ClassifyInput]) -> np.ndarray:
        if self._encoder is None:
            raise RuntimeError("SetFitClassifier is not fitted")
        import torch

        torch.set_num_threads(min(2, torch.get_num_threads()))
        if not X:
            from jixiao.models.embedding import embedding_dimension

            return np.zeros((0, embedding_dimension(self._encoder)), dtype=np.float32)
        texts = [self._prefix() + embedding_text(x) for x in X]
        vecs = self._encoder.encode(texts, batch_size=32, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vecs, dtype=np.float32)

    def _fine_tune(self, X: list[ClassifyInput], labels: list[str]) -> None:
        import torch
        import torch.nn.functional as F

        base = sentence_transformer_of(self.embedder)
        if base is None:
            raise TypeError(f"{self.embedder_name}: SetFit needs a sentence-transformers embedder")
        torch.set_num_threads(min(2, torch.get_num_threads()))
        torch.manual_seed(self.seed)
        model = copy.deepcopy(base)
        model.train()
        model.max_seq_length = min(model.max_seq_length or 64, 64)  # indicator + value: < 64 tokens
        # The word-embedding matrix is ~80% of e5-small's weights and the lower layers carry
        # general language; on a few hundred pairs only the top layers are worth moving, and
        # freezing the rest makes the CPU budget (backward through the top only).
        for name, param in model.named_parameters():
            if not _trainable(name, self.train_layers):
                param.requires_grad_(False)
        prefix = dict(model.prompts or {}).get("query", "")
        texts = [prefix + embedding_text(x) for x in X]
        pairs = make_pairs(labels, self.groups(X), self.n_pairs * self.epochs, self.seed)
        optim = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=self.lr)
        steps = range(0, len(pairs), self.batch_size)
        if self.progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="SetFit 微调", unit="批", file=sys.stderr)
        device = model.device
        for start in steps:
            batch = pairs[start : start + self.batch_size]
            a = model.tokenize([texts[i] for i, _, _ in batch])
            b = model.tokenize([texts[j] for _, j, _ in batch])
            ea = model(_on(a, device))["sentence_embedding"]
            eb = model(_on(b, device))["sentence_embedding"]
            target = torch.tensor([s for _, _, s in batch], dtype=ea.dtype, device=device)
            loss = F.mse_loss(F.cosine_similarity(ea, eb), target)  # SetFit's CosineSimilarityLoss
            optim.zero_grad()
            loss.backward()
            optim.step()
        model.eval()
        self._encoder = model

    # -- the head ------------------------------------------------------------------------
    def _head(self, E: np.ndarray, y_idx: np.ndarray):  # noqa: ANN202
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        head = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        return make_pipeline(StandardScaler(), head).fit(E, y_idx)

    def fit(self, X: list[ClassifyInput], y: list[str]) -> SetFitClassifier:
        labels = training_labels(y)
        self.classes = [c for c in LABELS if c in set(labels)]
        self._fine_tune(X, labels)
        emb = self.embed(X)
        y_idx = self.label_index(labels)
        # The encoder has seen every training row, so these folds only set the head's
        # temperature (which is all they are for), not an accuracy estimate.
        oof = out_of_fold(
            len(X),
            len(self.classes),
            self.groups(X),
            lambda tr, te: self._proba(self._head(emb[tr], y_idx[tr]), emb[te]),
        )
        self.temperature_ = fit_temperature(oof, y_idx)
        self.head_ = self._head(emb, y_idx)
        self.remember(X, labels, emb)
        return self

    def predict_proba_emb(self, X: list[ClassifyInput], emb: np.ndarray) -> np.ndarray:
        return retempered(self._proba(self.head_, emb), self.temperature_)

    # -- persistence: the encoder is a sentence-transformers folder next to model.pkl ---
    def save_extra(self, folder: Path) -> None:
        if self._encoder is not None:
            self._encoder.save(str(Path(folder) / ENCODER_DIR))

    def load_extra(self, folder: Path) -> None:
        from sentence_transformers import SentenceTransformer

        enc = Path(folder) / ENCODER_DIR
        if enc.is_dir():
            self._encoder = SentenceTransformer(str(enc), device="cpu")

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["_encoder"] = None
        return state
