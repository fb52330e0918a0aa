"""Cache the ensemble's out-of-fold expert probabilities for grouped CV, so that combiner- or
decoder-only experiments do not refit the experts.

For each outer fold of ``grouped_kfold(seed)`` this fits ``ensemble+ngram`` on the training
tables exactly as ``jixiao eval classify --cv`` does, and stores: the training rows' inner
out-of-fold expert log-probabilities (what the ensemble tunes its weights on), the chosen
weights / prior balance / temperature, and the held-out rows' expert log-probabilities from
the experts fitted on all training rows. ``bench/clf_stack_experiment.py`` reads the cache.

    python bench/clf_oof_cache.py --seeds 0 1 2 --out $JIXIAO_HOME/exp/oof
"""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import numpy as np

from jixiao.eval.classify_runner import _input, labeled_rows, select_approaches
from jixiao.eval.fixture_sets import project_corpus
from jixiao.eval.splits import grouped_kfold
from jixiao.models.classifier.labels import training_labels


class _Recording:
    """Wraps an EnsembleClassifier so its inner out-of-fold expert logs are kept."""

    def __init__(self, model):  # noqa: ANN001
        self.model = model
        self.oof = None
        orig = model._out_of_fold

        def spy(*a, **k):  # noqa: ANN002, ANN003, ANN202
            self.oof = orig(*a, **k)
            return self.oof

        model._out_of_fold = spy


def build(seed: int, out: Path) -> None:
    tables = project_corpus()
    make = select_approaches("ensemble+ngram")["ensemble+ngram"]
    folds = []
    for fold in grouped_kfold(tables, k=5, seed=seed):
        train_rows, _ = labeled_rows([tables[i] for i in fold.train])
        test_rows, _ = labeled_rows([tables[i] for i in fold.test])
        X_tr = [_input(r, with_declared=True) for r in train_rows]
        y_tr = [r.indicator.code for r in train_rows]
        model = make()
        rec = _Recording(model)
        model.fit(X_tr, y_tr)
        del model._out_of_fold
        X_te = [_input(r) for r in test_rows]
        emb_te = model.embed(X_te)
        parts = (model.rules_, model.linear_, model.knn_, model.ngram_)
        test_logs = model._log_parts(parts, X_te, emb_te)
        folds.append(
            {
                "classes": model.classes,
                "X_tr": X_tr,
                "labels_tr": training_labels(y_tr),
                "emb_tr": model.train_emb_,
                "oof": rec.oof,
                "weights": model.weights_,
                "balance": model.balance_,
                "temperature": model.temperature_,
                "log_freq": model.log_freq_,
                "test_rows": test_rows,
                "emb_te": emb_te,
                "test_logs": test_logs,
                "decoder": model.table_decoder_,
                "test_probs": model.predict_proba_emb(X_te, emb_te),
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"seed{seed}.pkl", "wb") as f:
        pickle.dump(folds, f)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    np.seterr(all="ignore")
    for s in a.seeds:
        build(s, a.out)


if __name__ == "__main__":
    main()
