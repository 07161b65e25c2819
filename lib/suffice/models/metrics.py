"""Classification metrics, in one place: accuracy, macro precision/recall/F1, confusion matrix, and a
binomial test of accuracy against always answering the majority class."""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np
from scipy import stats as sps
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from ..classifier import predict_in_batches

__all__ = ["evaluate", "label_metrics", "better_than_chance", "ms_per_clip"]


def better_than_chance(n_correct: int, n: int, majority: float, *, alpha: float = 0.05) -> dict[str, float | bool]:
    """One-sided exact binomial test that a classifier beats always answering the majority class.

    Null: each of the ``n`` clips is answered correctly with probability ``majority`` (the share of the
    commonest true label, the accuracy of the best constant answer); alternative: a higher probability.
    Estimand: the accuracy ``n_correct / n``.  Returns ``accuracy``, ``majority``, ``p`` and
    ``better_than_chance`` (``p < alpha``).  Clips are treated as independent draws.
    """
    n, k = int(n), int(n_correct)
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= n_correct <= n and n >= 1, got {k} of {n}")
    p = float(sps.binomtest(k, n, float(majority), alternative="greater").pvalue) if majority < 1 else 1.0
    return {"accuracy": k / n, "majority": float(majority), "p": p, "better_than_chance": bool(p < alpha)}


def label_metrics(y: Sequence[str], pred: Sequence[str], *, labels: Sequence[str] | None = None,
                  alpha: float = 0.05) -> dict[str, Any]:
    """Accuracy, macro precision/recall/F1 over ``labels`` (default: the true labels present), the
    majority-class rate and :func:`better_than_chance`'s test (``p_above_majority``, ``better_than_chance``).

    A label that is never predicted has precision 0 (no division warning).
    """
    y, pred = list(y), list(pred)
    if len(y) != len(pred) or not y:
        raise ValueError(f"need equally many true and predicted labels (got {len(y)} and {len(pred)})")
    labs = sorted(set(y), key=str) if labels is None else list(labels)
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, labels=labs, average="macro", zero_division=0)
    counts = {c: y.count(c) for c in set(y)}
    majority = max(counts.values()) / len(y)
    correct = int(sum(a == b for a, b in zip(y, pred)))
    test = better_than_chance(correct, len(y), majority, alpha=alpha)
    return {"n": len(y), "accuracy": correct / len(y), "macro_precision": float(prec), "macro_recall": float(rec),
            "macro_f1": float(f1), "chance": 1.0 / len(set(y)), "majority": majority,
            "p_above_majority": test["p"], "better_than_chance": test["better_than_chance"]}


def evaluate(model: Any, x: np.ndarray, y: Sequence[str], batch_size: int = 32) -> dict[str, Any]:
    """Metrics over the true labels present in ``y`` plus whatever the model predicts.

    Chance: ``1 / number of true classes``; ``majority``: accuracy of always answering the commonest label;
    ``better_than_chance``: :func:`better_than_chance`'s binomial test against ``majority``.
    """
    p = predict_in_batches(model, x, batch_size)
    pred = [model.labels[i] for i in p.argmax(1)]
    classes = sorted(set(y) | set(pred), key=lambda c: (list(model.labels) + sorted(set(y))).index(c))
    out = label_metrics(list(y), pred, labels=sorted(set(y)))
    out["accuracy"] = float(accuracy_score(y, pred))
    out["confusion"] = {"labels": classes, "matrix": confusion_matrix(y, pred, labels=classes).tolist()}
    return out


def ms_per_clip(model: Any, x: np.ndarray, batch: int = 32, repeats: int = 3) -> float:
    """Best-of-``repeats`` milliseconds per clip of ``predict_proba`` on a batch of ``batch`` clips."""
    xb = np.resize(x, (batch, x.shape[1])).astype(np.float32) if len(x) < batch else x[:batch]
    model.predict_proba(xb[:2])
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        model.predict_proba(xb)
        best = min(best, time.perf_counter() - t)
    return float(best * 1000 / len(xb))
