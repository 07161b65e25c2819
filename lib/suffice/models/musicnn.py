"""musicnn (Pons & Serra 2019): the MSD and MTT music taggers, 50 tags each, as ONNX models.

``make musicnn`` converts the TF1 checkpoints of PyPI ``musicnn==0.1.0`` once, in its own environment
(:mod:`suffice.models.musicnn_export`), into ``data/models/musicnn/``; here they run with onnxruntime, with
no tensorflow.  Each model maps 3 s log-mel patches to 50 sigmoid tag probabilities and a 200-d embedding
(the penultimate layer).

Front end: musicnn's own (``musicnn.extractor.batch_data``) in torch, checked against it by the tests:
librosa's ``melspectrogram`` defaults with musicnn's settings -- 512-point STFT of a periodic Hann window,
hop 256, centred with zero padding, power, 96 Slaney mel bands from 0 to 8 kHz -- rounded to float16 (as
musicnn stores it), then ``log10(10000 * mel + 1)`` in float32 (numpy 1.x computes musicnn's
``10000 * float16`` in float32; under numpy 2 it would overflow float16 for mel > 6.55; we do not).

Patches: 187 frames (3 s), as musicnn was trained.  A clip of T samples has F = 1 + T // 256 centred
frames; the last one only adds the clip's final ``T mod 256`` samples (< 16 ms) to zero padding and is left
out.  The other F - 1 frames are covered by ``P = ceil((F - 1) / 187)`` patches whose starts are spaced
evenly from frame 0 to frame ``F - 1 - 187`` (rounded): the first is musicnn's own first patch, the last
ends with the clip, and no frame between is skipped.  A 3 s clip (188 frames) is one patch; a 4 s clip
(251 frames) is two, at frames 0 and 63.  Clips shorter than 187 frames are repeat-padded (musicnn's
training setting ``pad_short: repeat-pad``).  A clip's tag probabilities and embedding are the means over
its patches.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from ..constants import SAMPLE_RATE
from ..errors import SufficeError
from .base import content_hash, file_hash
from ..paths import data_root
from .taggers import ZeroShotTagger, onnx_session

MODELS = ("MSD_musicnn", "MTT_musicnn")
N_FFT, HOP, N_MELS, PATCH = 512, 256, 96, 187
SR = SAMPLE_RATE
#: patches per onnxruntime call.  onnxruntime's memory arena keeps its largest request: a batch of 64
#: genre clips (128 patches) in one call left the process at 8.0 GB (peak RSS, measured) and cost 60 ms
#: per clip; in calls of 16 patches, 1.3 GB and 40 ms per clip (2 threads)
PATCH_BATCH = 16
#: changes whenever :func:`logmel` or :func:`patches` change what the network sees (part of the identity)
FRONT_END = "musicnn log-mel float16 v1; patches: even starts over F - 1 frames, repeat-pad, mean v1"


def model_dir() -> Path:
    """Folder of the converted models (``data/models/musicnn``, under ``$SUFFICE_DATA`` when set)."""
    return data_root() / "models" / "musicnn"


def onnx_path(model: str = "MSD_musicnn") -> Path:
    """The ONNX file of ``model``; a :class:`SufficeError` naming ``make musicnn`` when it is missing."""
    if model not in MODELS:
        raise SufficeError(f"unknown musicnn model {model!r}; known: {', '.join(MODELS)}")
    path = model_dir() / f"{model}.onnx"
    if not path.exists():
        raise SufficeError(f"the musicnn model {path} is not built: run `make musicnn` (converts the TF "
                           "checkpoints of PyPI musicnn==0.1.0 to ONNX once, in .venv-musicnn)")
    return path


@lru_cache(maxsize=1)
def _mel_filters() -> torch.Tensor:
    import librosa
    fb = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS)  # Slaney scale and norm, 0 - 8 kHz
    return torch.from_numpy(np.ascontiguousarray(fb, dtype=np.float32))


def logmel(x: np.ndarray) -> torch.Tensor:
    """(N, T) float32 16 kHz -> (N, 1 + T // 256, 96) musicnn log-mel."""
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    st = torch.stft(t, N_FFT, HOP, window=torch.hann_window(N_FFT), center=True, pad_mode="constant",
                    return_complex=True)
    mel = _mel_filters() @ (st.real ** 2 + st.imag ** 2)
    mel = mel.clamp(max=65504.0).half().float()  # float16 as musicnn stores it (never clamped for |x| <= 1)
    return torch.log10(10000.0 * mel + 1.0).transpose(1, 2)


def patch_starts(n_frames: int) -> np.ndarray:
    """First frame of each 187-frame patch of a clip of ``n_frames`` frames (see the module notes)."""
    usable = max(PATCH, n_frames - 1)
    return np.round(np.linspace(0, usable - PATCH, -(-usable // PATCH))).astype(int)


def patches(x: np.ndarray) -> tuple[np.ndarray, int]:
    """(N, T) -> ((N * P, 187, 96) float32 patches, P)."""
    lm = logmel(x)
    if lm.shape[1] < PATCH:
        lm = lm.repeat(1, -(-PATCH // lm.shape[1]), 1)[:, :PATCH]
    starts = patch_starts(lm.shape[1])
    out = torch.stack([lm[:, s:s + PATCH] for s in starts], dim=1)  # (N, P, 187, 96)
    return out.reshape(-1, PATCH, N_MELS).numpy(), len(starts)


@lru_cache(maxsize=2)
def tag_names(model: str = "MSD_musicnn") -> tuple[str, ...]:
    """The 50 tags of ``model`` in output order (written by the export from musicnn's configuration)."""
    onnx_path(model)
    return tuple(json.loads((model_dir() / "tags.json").read_text())[model])


def weights_hash(model: str) -> str:
    """Identity of a converted model: what it was converted from and how, per ``export.json`` (tf2onnx
    does not write byte-identical files twice), after checking that the ONNX file is the one recorded."""
    path = onnx_path(model)
    meta = json.loads((model_dir() / "export.json").read_text())
    rec = meta["models"][model]
    if file_hash(str(path), n=64) != rec["onnx_sha256"]:
        raise SufficeError(f"{path} is not the file recorded in export.json: run `make musicnn` again")
    v = meta["versions"]
    return content_hash([json.dumps(rec["source_sha256"], sort_keys=True), meta["export_script_sha256"],
                         *(f"{k}={v[k]}" for k in ("musicnn", "tensorflow", "tf2onnx", "onnx")),
                         str(meta["opset"]), FRONT_END])


class MusicnnBackbone:
    """Batched musicnn: ``forward(x) -> (tag probabilities (N, 50), embeddings (N, 200))``, patch means."""

    def __init__(self, model: str = "MSD_musicnn", threads: int | None = None) -> None:
        path = onnx_path(model)
        self.model = model
        self.tags = tag_names(model)
        self.weights_hash = weights_hash(model)
        self.session = onnx_session(str(path), threads)
        self.dim = int(self.session.get_outputs()[1].shape[1])

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, T) float32 16 kHz -> (mean patch tag probabilities (N, 50), mean patch embeddings (N, D))."""
        p, n_p = patches(x)
        parts = [self.session.run(["tags", "embedding"], {"patches": p[i:i + PATCH_BATCH]})
                 for i in range(0, len(p), PATCH_BATCH)]
        tags = np.concatenate([t for t, _ in parts])
        emb = np.concatenate([e for _, e in parts])
        n = len(x)
        return tags.reshape(n, n_p, -1).mean(1), emb.reshape(n, n_p, -1).mean(1)


@lru_cache(maxsize=2)
def backbone(model: str = "MSD_musicnn") -> MusicnnBackbone:
    """The shared backbone of ``model`` (one ONNX session per process)."""
    return MusicnnBackbone(model)


#: tags mapped onto canonical labels, per model and task; every other tag is dropped explicitly.  MSD has
#: no classical, disco or reggae tag (nor does any tag name them: funk, soul, dance, 70s are not disco), so
#: those genres are unreachable for it; MTT has only rock, pop, country, metal and classical ones.
ZERO_SHOT_MAPS: dict[str, dict[str, dict[str, str]]] = {
    "MSD_musicnn": {"genre": {
        "blues": "blues", "country": "country", "Hip-Hop": "hiphop", "jazz": "jazz", "metal": "metal",
        "heavy metal": "metal", "pop": "pop", "indie pop": "pop", "rock": "rock", "classic rock": "rock",
        "hard rock": "rock", "alternative rock": "rock", "indie rock": "rock", "Progressive rock": "rock",
        "punk": "rock"}},
    "MTT_musicnn": {"genre": {
        "classical": "classical", "classic": "classical", "opera": "classical", "country": "country",
        "metal": "metal", "pop": "pop", "rock": "rock"}},
}


class MusicnnZeroShot(ZeroShotTagger):
    """musicnn as a zero-shot classifier: the mapped tags' mean patch probabilities are summed per canonical
    label and renormalised over the reachable labels (:class:`ZeroShotTagger`)."""

    def __init__(self, task: str = "genre", *, model: str = "MSD_musicnn", name: str | None = None,
                 code: str = "MZS", tag_map: Mapping[str, str] | None = None) -> None:
        if tag_map is None and task not in ZERO_SHOT_MAPS.get(model, {}):
            raise SufficeError(f"no zero-shot tag map of {model} for the {task} task; pass tag_map")
        self.backbone = backbone(model)
        super().__init__(task, self.backbone.tags, ZERO_SHOT_MAPS[model][task] if tag_map is None else tag_map,
                         name=name or f"{task}/musicnn-zeroshot", code=code, vocabulary=f"{model[:3]} tags",
                         identity_parts=[self.backbone.weights_hash, model, "zero-shot sigmoid-sum v1"],
                         info={"architecture": f"musicnn {model} (Pons & Serra 2019), ONNX from musicnn 0.1.0"})

    def raw_scores(self, x: np.ndarray) -> np.ndarray:
        return self.backbone.forward(x)[0].astype(np.float64)
