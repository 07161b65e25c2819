"""The :class:`Classifier` protocol: anything with these four members can be explained."""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import ModelOutputError


@runtime_checkable
class Classifier(Protocol):
    """An audio classifier.

    ``predict_proba`` takes float32 mono waveforms of shape (N, T) at ``sample_rate`` and returns an
    (N, C) array of class probabilities, one column per entry of ``labels``.
    """

    name: str
    labels: Sequence[str]
    sample_rate: int

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray: ...


def check_probabilities(probs: object, n: int, n_classes: int, model_name: str = "model") -> np.ndarray:
    """Validate a classifier's output: shape (n, C), finite, non-negative, rows summing to 1."""
    try:
        p = np.asarray(probs, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ModelOutputError(f"{model_name}.predict_proba returned something that is not an array of "
                               f"numbers ({type(probs).__name__}: {exc})") from None
    if p.shape != (n, n_classes):
        raise ModelOutputError(
            f"{model_name}.predict_proba returned shape {p.shape}; expected ({n}, {n_classes}) "
            f"for {n} waveforms and {n_classes} labels")
    if not np.isfinite(p).all():
        raise ModelOutputError(f"{model_name}.predict_proba returned NaN or infinite probabilities")
    if (p < -1e-6).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ModelOutputError(f"{model_name}.predict_proba did not return probabilities (rows must be "
                               ">= 0 and sum to 1; apply a softmax)")
    return p


def predict_in_batches(model: Classifier, waveforms: np.ndarray, batch_size: int) -> np.ndarray:
    """``model.predict_proba`` over ``waveforms`` in chunks of ``batch_size``; validated (N, C).

    Each chunk the model receives is its own copy: a model that writes into its input cannot change
    the caller's waveforms (a study's clips, a search's original).
    """
    x = np.asarray(waveforms, dtype=np.float32)
    if x.ndim == 1:
        x = x[None]
    n_classes = len(model.labels)
    out = np.empty((len(x), n_classes), dtype=np.float64)
    for start in range(0, len(x), batch_size):
        chunk = np.array(x[start:start + batch_size], dtype=np.float32, order="C", copy=True)
        out[start:start + len(chunk)] = check_probabilities(
            model.predict_proba(chunk), len(chunk), n_classes, getattr(model, "name", "model"))
    return out
