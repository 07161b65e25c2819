"""What every zoo model shares: identity, label mapping, input checks, batched probabilities."""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

import numpy as np

from ..errors import AudioError
from .labels import LabelMap

from ..constants import SAMPLE_RATE


def as_batch(waveforms: np.ndarray, name: str) -> np.ndarray:
    """float32 contiguous (N, T) from (N, T) or (T,); a clear error otherwise."""
    x = np.asarray(waveforms)
    if x.ndim == 1:
        x = x[None]
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise AudioError(f"{name}: expected waveforms of shape (N, T), got {np.shape(waveforms)}")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise AudioError(f"{name}: waveforms must be real numbers, got dtype {x.dtype}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise AudioError(f"{name}: waveforms contain NaN or infinite samples")
    return x


def content_hash(parts: Iterable[bytes | str], n: int = 16) -> str:
    """sha256 over a sequence of byte strings / strings, hex-truncated to ``n`` characters."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else bytes(p)
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()[:n]


def file_hash(path: str, n: int = 16) -> str:
    """sha256 of a file's bytes (streamed)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n]


class MappedClassifier:
    """Base of the zoo's classifiers.

    Subclasses implement :meth:`raw_scores` ((N, T) float32 -> (N, R) non-negative scores over
    ``raw_labels``, e.g. softmax or sigmoid outputs) and set ``_identity_parts``.  ``predict_proba``
    maps them onto the task's canonical labels with :meth:`LabelMap.aggregate`.
    """

    sample_rate: int = SAMPLE_RATE

    def __init__(self, *, name: str, task: str, code: str, label_map: LabelMap,
                 identity_parts: Iterable[bytes | str], info: dict[str, Any] | None = None) -> None:
        if label_map.task != task:
            raise ValueError(f"label map is for task {label_map.task!r}, model is for {task!r}")
        self.name = name
        self.task = task
        self.code = code
        self.label_map = label_map
        self.raw_labels: tuple[str, ...] = label_map.raw_labels
        self.labels: tuple[str, ...] = label_map.labels
        self.info: dict[str, Any] = dict(info or {})
        self._identity = content_hash([type(self).__name__, name, json.dumps(label_map.to_dict(), sort_keys=True),
                                       *identity_parts])

    def identity(self) -> str:
        """Content hash of weights + config + label mapping (results are cached on it)."""
        return self._identity

    def raw_scores(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        """(N, T) float32 waveforms at 16 kHz -> (N, len(labels)) probabilities (rows sum to 1)."""
        x = as_batch(waveforms, self.name)
        return self.label_map.aggregate(self.raw_scores(x))

    def predict(self, waveforms: np.ndarray) -> list[str]:
        """Top-1 canonical label per waveform."""
        p = self.predict_proba(waveforms)
        return [self.labels[i] for i in p.argmax(axis=1)]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.code}) labels={list(self.labels)}>"
