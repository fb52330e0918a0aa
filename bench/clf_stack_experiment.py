"""Combiner and second-stage experiments on the cached out-of-fold expert probabilities
(``bench/clf_oof_cache.py``): each experiment maps a fold's training-row inner out-of-fold
expert logs and held-out expert logs to row probabilities; the table decoder is then fitted
on the training rows' probabilities exactly as the ensemble does, and the held-out rows are
scored row / table / table+L1 with the evaluation's own code. Nothing is tuned on the
held-out fold.

    python bench/clf_stack_experiment.py --cache $JIXIAO_HOME/exp/oof --seeds 0 1 2 --exp base stack
"""

from __future__ import annotations

import argparse
import json
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from jixiao.eval.classify_runner import _score_all, predict_decodings
from jixiao.models.classifier.calibration import fit_temperature, grouped_folds, tempered
from jixiao.models.classifier.ensemble import EnsembleClassifier
from jixiao.models.classifier.examples import group_of
from jixiao.models.classifier.labels import make_predictions
from jixiao.models.classifier.table_fit import fit_decoder, table_sequences

Combiner = Callable[[dict], tuple[np.ndarray, np.ndarray]]


class _Fixed:
    """A stand-in model: precomputed held-out probabilities and a fitted decoder."""

    def __init__(self, classes: list[str], probs: np.ndarray, decoder):  # noqa: ANN001
        self.classes, self.probs, self.table_decoder_ = classes, probs, decoder

    def predict(self, X):  # noqa: ANN001, ANN201
        return make_predictions(self.classes, self.probs)


def _y(f: dict) -> np.ndarray:
    return np.array([f["classes"].index(c) for c in f["labels_tr"]])


def _groups(f: dict) -> list[str]:
    return [group_of(x, i) for i, x in enumerate(f["X_tr"])]


# -- the shipped combiner ---------------------------------------------------------------
def _ensemble(f: dict, names: tuple[str, ...] | None = None) -> EnsembleClassifier:
    m = EnsembleClassifier(with_ngram=True)
    m.classes = f["classes"]
    m.log_freq_ = f["log_freq"]
    m.weights_, m.balance_, m.temperature_ = f["weights"], f["balance"], f["temperature"]
    return m


def base(f: dict) -> tuple[np.ndarray, np.ndarray]:
    m = _ensemble(f)
    return m._calibrated(f["oof"]), m._calibrated(f["test_logs"])


def rechosen(oof: dict, test: dict, f: dict) -> tuple[np.ndarray, np.ndarray]:
    """The ensemble's own weight / balance / temperature choice over any set of experts."""
    m = _ensemble(f)
    names = tuple(oof)
    type(m).component_names = property(lambda self: names)  # noqa: B023
    try:
        m._choose(oof, _y(f))
    finally:
        del type(m).component_names
    return m._calibrated(oof), m._calibrated(test)


# -- learned stacking ---------------------------------------------------------------------
def _cross_fit(F_tr: np.ndarray, F_te: np.ndarray, f: dict, make) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """A second-stage model: out-of-fold on the training rows (inner grouped folds), then
    fitted on all of them for the held-out rows; one temperature from the out-of-fold part."""
    y = _y(f)
    k = len(f["classes"])
    oof = np.zeros((len(y), k))
    for test in grouped_folds(_groups(f), 3):
        train = np.setdiff1d(np.arange(len(y)), test)
        head = make().fit(F_tr[train], y[train])
        oof[np.ix_(test, head.classes_)] = head.predict_proba(F_tr[test])
    oof = np.clip(oof, 1e-9, 1)
    t = fit_temperature(oof, y)
    head = make().fit(F_tr, y)
    te = np.full((len(F_te), k), 1e-9)
    te[:, head.classes_] = head.predict_proba(F_te)
    return tempered(np.log(oof), t), tempered(np.log(np.clip(te, 1e-9, 1)), t)


def _lr(C: float, balanced: bool):  # noqa: ANN202
    return lambda: LogisticRegression(C=C, class_weight="balanced" if balanced else None, max_iter=2000)


def _stack_features(logs: dict) -> np.ndarray:
    return np.hstack([np.maximum(logs[k], np.log(1e-6)) for k in sorted(logs)])


def stack(C: float = 0.1, balanced: bool = True) -> Combiner:
    def run(f: dict) -> tuple[np.ndarray, np.ndarray]:
        return _cross_fit(_stack_features(f["oof"]), _stack_features(f["test_logs"]), f, _lr(C, balanced))

    return run


# -- table context: a second stage over the neighbours' first-stage probabilities ----------
def _context(logp: np.ndarray, seqs: list[list[int]], mean: bool = True) -> np.ndarray:
    n, k = logp.shape
    prev, nxt = np.zeros((n, k)), np.zeros((n, k))
    tab, pos = np.zeros((n, k)), np.zeros((n, 3))
    p = np.exp(logp)
    for s in seqs:
        for j, i in enumerate(s):
            if j > 0:
                prev[i] = logp[s[j - 1]] - logp[s[j - 1]].mean()
            if j + 1 < len(s):
                nxt[i] = logp[s[j + 1]] - logp[s[j + 1]].mean()
            others = [o for o in s if o != i]
            tab[i] = p[others].mean(axis=0) if others else 0.0
            pos[i] = (j / max(1, len(s) - 1), j == 0, j + 1 == len(s))
    parts = [logp, prev, nxt, pos] + ([tab] if mean else [])
    return np.hstack(parts)


def _test_sequences(f: dict) -> list[list[int]]:
    order: dict[int, list[int]] = {}
    for i, r in enumerate(f["test_rows"]):
        order.setdefault(id(r.table), []).append(i)
    return list(order.values())


def context(C: float = 0.1, balanced: bool = False, mean: bool = True) -> Combiner:
    def run(f: dict) -> tuple[np.ndarray, np.ndarray]:
        tr, te = base(f)
        lt, le = np.log(np.clip(tr, 1e-9, 1)), np.log(np.clip(te, 1e-9, 1))
        F_tr = _context(np.maximum(lt, np.log(1e-6)), table_sequences(f["X_tr"]), mean)
        F_te = _context(np.maximum(le, np.log(1e-6)), _test_sequences(f), mean)
        return _cross_fit(F_tr, F_te, f, _lr(C, balanced))

    return run


# -- hierarchical L1 -> L2 over the embedding --------------------------------------------
def _head(C: float, scaled: bool):  # noqa: ANN202
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    return make_pipeline(StandardScaler(), lr) if scaled else lr


def _flat_probs(emb_tr, y_l2, emb_te, classes, C=2.0, scaled=False):  # noqa: ANN001, ANN202
    """The control: one flat head with the same settings as the hierarchical one."""
    out = np.full((len(emb_te), len(classes)), 1e-9)
    with threadpool_limits(limits=1):
        h = _head(C, scaled).fit(emb_tr, y_l2)
        out[:, h.classes_] = h.predict_proba(emb_te)
    return np.clip(out, 1e-9, 1)


def _hier_probs(emb_tr, y_l2, emb_te, classes, C=2.0, scaled=False):  # noqa: ANN001, ANN202
    l1_of = np.array([int(classes[c][0]) for c in range(len(classes))])
    y1 = l1_of[y_l2]
    out = np.zeros((len(emb_te), len(classes)))
    with threadpool_limits(limits=1):
        h1 = _head(C, scaled).fit(emb_tr, y1)
        p1 = np.zeros((len(emb_te), 10))
        p1[:, h1.classes_] = h1.predict_proba(emb_te)
        for l1 in np.unique(y1):
            members = np.flatnonzero(l1_of == l1)
            mask = y1 == l1
            present = np.unique(y_l2[mask])
            if len(present) == 1:
                out[:, present[0]] = p1[:, l1]
                continue
            h2 = _head(C, scaled).fit(emb_tr[mask], y_l2[mask])
            out[:, h2.classes_] = p1[:, [l1]] * h2.predict_proba(emb_te)
            del members
    return np.clip(out, 1e-9, 1)


def hier(replace: bool = False, C: float = 2.0, scaled: bool = False, flat: bool = False) -> Combiner:
    """A hierarchical linear head on the embedding as a fifth expert (or instead of ``linear``);
    ``flat``: the same head without the hierarchy (the control)."""
    probs = _flat_probs if flat else _hier_probs

    def run(f: dict) -> tuple[np.ndarray, np.ndarray]:
        y = _y(f)
        emb, classes = f["emb_tr"], f["classes"]
        oof_h = np.zeros((len(y), len(classes)))
        for test in grouped_folds(_groups(f), 3):
            train = np.setdiff1d(np.arange(len(y)), test)
            oof_h[test] = probs(emb[train], y[train], emb[test], classes, C, scaled)
        te_h = probs(emb, y, f["emb_te"], classes, C, scaled)
        oof, test = dict(f["oof"]), dict(f["test_logs"])
        key = "linear" if replace else "hier"
        oof[key], test[key] = np.log(oof_h), np.log(te_h)
        return rechosen(oof, test, f)

    return run


_EMBEDDER: list = []


def _project_emb(X) -> np.ndarray:  # noqa: ANN001
    if not _EMBEDDER:
        from jixiao.models.suggest import resolve_embedder
        from jixiao.settings import get_settings

        s = get_settings()
        _EMBEDDER.append(resolve_embedder(s.embedding_model, s))
    texts = [f"{x.project or ''} {x.goal or ''}"[:300] for x in X]
    uniq = list(dict.fromkeys(texts))
    e = np.asarray(_EMBEDDER[0].encode_queries(uniq), dtype=np.float32)
    pos = {t: i for i, t in enumerate(uniq)}
    return e[[pos[t] for t in texts]]


def proj(C: float = 1.0, with_row: bool = True) -> Combiner:
    """A linear head on the project's (name + goal) embedding, optionally with the row's, as a
    fifth expert: what kind of project it is says economic or ecological."""

    def run(f: dict) -> tuple[np.ndarray, np.ndarray]:
        y = _y(f)
        k = len(f["classes"])
        X_te = [_input_of(r) for r in f["test_rows"]]
        P_tr, P_te = _project_emb(f["X_tr"]), _project_emb(X_te)
        if with_row:
            P_tr, P_te = np.hstack([P_tr, f["emb_tr"]]), np.hstack([P_te, f["emb_te"]])

        def fitp(a, b, yy):  # noqa: ANN001, ANN202
            with threadpool_limits(limits=1):
                h = LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(a, yy)
            out = np.full((len(b), k), 1e-9)
            out[:, h.classes_] = h.predict_proba(b)
            return np.clip(out, 1e-9, 1)

        oof_p = np.zeros((len(y), k))
        for test in grouped_folds(_groups(f), 3):
            train = np.setdiff1d(np.arange(len(y)), test)
            oof_p[test] = fitp(P_tr[train], P_tr[test], y[train])
        oof, test = dict(f["oof"]), dict(f["test_logs"])
        oof["proj"], test["proj"] = np.log(oof_p), np.log(fitp(P_tr, P_te, y))
        return rechosen(oof, test, f)

    return run


def _input_of(r):  # noqa: ANN001, ANN202
    from jixiao.eval.classify_runner import _input

    return _input(r)


EXPERIMENTS: dict[str, Combiner] = {
    "proj": proj(1.0, False),
    "proj_row": proj(1.0, True),
    "base": base,
    "rechosen": lambda f: rechosen(f["oof"], f["test_logs"], f),
    "stack": stack(0.1, True),
    "stack_C1": stack(1.0, True),
    "stack_unbal": stack(0.1, False),
    "ctx": context(0.1, False),
    "ctx_bal": context(0.1, True),
    "ctx_nomean": context(0.1, False, mean=False),
    "ctx_C1": context(1.0, False),
    "hier": hier(False),
    "hier_replace": hier(True),
    "flat_replace": hier(True, flat=True),
    "hier_replace_scaled": hier(True, C=0.05, scaled=True),
}


def evaluate(folds: list[dict], combiner: Combiner, reuse_decoder: bool = False) -> dict:
    rows, pooled = [], {}
    for f in folds:
        tr, te = combiner(f)
        decoder = f["decoder"] if reuse_decoder else fit_decoder(f["classes"], f["X_tr"], f["labels_tr"], tr)
        preds = predict_decodings(_Fixed(f["classes"], te, decoder), f["test_rows"])
        rows += f["test_rows"]
        for d, p in preds.items():
            pooled.setdefault(d, []).extend(p)
    out = {}
    for r in _score_all("x", rows, pooled, True, len(folds)):
        m = r.metrics
        per = {c.label: round(c.f1, 3) for c in m.level2.per_class}
        out[r.decoding] = {
            "l1_acc": round(m.level1.accuracy, 4),
            "l2_acc": round(m.level2.accuracy, 4),
            "l2_f1": round(m.level2.macro_f1, 4),
            "ece": round(m.ece, 4),
            "per_class": per,
        }
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cache", type=Path, required=True)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--exp", nargs="+", default=["base"])
    a = p.parse_args()
    np.seterr(all="ignore")
    caches = {s: pickle.loads((a.cache / f"seed{s}.pkl").read_bytes()) for s in a.seeds}
    for name in a.exp:
        res = {s: evaluate(caches[s], EXPERIMENTS[name]) for s in a.seeds}
        for dec in ("row", "table", "table+L1"):
            vals = {k: [res[s][dec][k] for s in a.seeds] for k in ("l1_acc", "l2_acc", "l2_f1", "ece")}
            mean = {k: round(float(np.mean(v)), 4) for k, v in vals.items()}
            print(json.dumps({"exp": name, "decoding": dec, "mean": mean, "by_seed": vals}, ensure_ascii=False))
        print(json.dumps({"exp": name, "per_class_table+L1": {s: res[s]["table+L1"]["per_class"] for s in a.seeds}}))


if __name__ == "__main__":
    main()
