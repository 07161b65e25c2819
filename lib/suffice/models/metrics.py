"""Held-out metrics of a classifier on a split: accuracy, macro precision/recall/F1, confusion matrix."""
from __future__ import annotations

import time
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from ..classifier import predict_in_batches


def evaluate(model: Any, x: np.ndarray, y: Sequence[str], batch_size: int = 32) -> dict[str, Any]:
    """Metrics over the true labels present in ``y`` plus whatever the model predicts.

    Chance: ``1 / number of true classes``; ``majority``: accuracy of always answering the commonest label.
    """
    p = predict_in_batches(model, x, batch_size)
    pred = [model.labels[i] for i in p.argmax(1)]
    classes = sorted(set(y) | set(pred), key=lambda c: (list(model.labels) + sorted(set(y))).index(c))
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, labels=sorted(set(y)), average="macro",
                                                       zero_division=0)
    counts = {c: list(y).count(c) for c in set(y)}
    return {
        "n": len(y), "accuracy": float(accuracy_score(y, pred)), "macro_precision": float(prec),
        "macro_recall": float(rec), "macro_f1": float(f1), "chance": 1.0 / len(set(y)),
        "majority": max(counts.values()) / len(y),
        "confusion": {"labels": classes, "matrix": confusion_matrix(y, pred, labels=classes).tolist()},
    }


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
