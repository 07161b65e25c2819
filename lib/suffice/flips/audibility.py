"""How audible a flip is: the energy it removes, and a perceptual proxy.

Three numbers compare the original clip ``x`` with the flipped signal ``y`` (``x`` without the removed
rfft bins):

* :func:`removed_energy_db`: ``10 log10(E_removed / E_clip)`` by Parseval over the removed bins (-20 dB:
  the removal is 1% of the clip's energy).  It is the global signal-to-perturbation ratio with the
  sign flipped, and says nothing about *where in time* the removed energy sits.
* :func:`log_spectral_distance` (LSD, dB), our named perceptual proxy: the root-mean-square difference
  of the two log power spectrograms (32 ms Hann frames, 50% overlap), averaged over frames, with both
  spectrograms floored ``floor_db`` below the original's loudest cell.  LSD is a standard objective
  measure of spectral distortion (speech coding, bandwidth extension); working on a log scale per
  frame it weighs a change by how large it is *relative to what is there at that moment*, which is
  what matters here: one rfft bin of a whole clip is a steady sinusoid over the clip, so removing it
  leaves its negative sounding through the clip's quiet stretches, where a global energy ratio hides
  it.  The floor keeps differences far below the clip's level (inaudible at any sensible playback
  level) from dominating.  It is a proxy, not a listening test: it models no masking or loudness.
* :func:`segmental_snr` (dB): the mean over frames of each frame's SNR, clamped to [-10, 35] dB (the
  usual clamp), the classic speech-quality companion of LSD; low values flag quiet frames where the
  change dominates.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft
from scipy.signal import stft

FRAME = 512        # 32 ms at 16 kHz
FLOOR_DB = 80.0    # the spectrograms are floored this far below the original's loudest cell


def _parseval_weights(n_samples: int) -> np.ndarray:
    w = np.full(n_samples // 2 + 1, 2.0)
    w[0] = 1.0
    if n_samples % 2 == 0:
        w[-1] = 1.0
    return w


def removed_energy_db(waveform: np.ndarray, removed: np.ndarray) -> float:
    """Energy of the removed bins relative to the clip's, in dB (``-inf`` for no energy removed)."""
    x = np.asarray(waveform, dtype=np.float64)
    power = _parseval_weights(len(x)) * np.abs(sfft.rfft(x)) ** 2
    total = float(power.sum())
    part = float(power[np.asarray(removed, dtype=np.int64)].sum())
    if total <= 0 or part <= 0:
        return float("-inf")
    return float(10.0 * np.log10(part / total))


def _power(x: np.ndarray, frame: int) -> np.ndarray:
    seg = min(frame, len(x))
    _, _, z = stft(np.asarray(x, dtype=np.float64), nperseg=seg, noverlap=seg // 2, window="hann",
                   boundary=None, padded=False)
    return np.abs(z) ** 2


def log_spectral_distance(original: np.ndarray, changed: np.ndarray, *, frame: int = FRAME,
                          floor_db: float = FLOOR_DB) -> float:
    """Log-spectral distance (dB) between two equally long signals; 0 when they are identical."""
    p, q = _power(original, frame), _power(changed, frame)
    top = max(float(p.max()), 1e-30)
    lo = top * 10 ** (-floor_db / 10)
    a = 10 * np.log10(np.maximum(p, lo))
    b = 10 * np.log10(np.maximum(q, lo))
    return float(np.mean(np.sqrt(np.mean((a - b) ** 2, axis=0))))


def segmental_snr(original: np.ndarray, changed: np.ndarray, *, frame: int = FRAME,
                  clamp: tuple[float, float] = (-10.0, 35.0)) -> float:
    """Mean per-frame SNR (dB) of ``changed`` against ``original``, each frame clamped to ``clamp``."""
    x = np.asarray(original, dtype=np.float64)
    d = x - np.asarray(changed, dtype=np.float64)
    seg = min(frame, len(x))
    hop = max(1, seg // 2)
    starts = range(0, len(x) - seg + 1, hop)
    vals = []
    for s in starts:
        sig = float(np.sum(x[s:s + seg] ** 2))
        err = float(np.sum(d[s:s + seg] ** 2))
        if err <= 0:
            vals.append(clamp[1])
        elif sig <= 0:
            vals.append(clamp[0])
        else:
            vals.append(float(np.clip(10 * np.log10(sig / err), *clamp)))
    return float(np.mean(vals))


def audibility(original: np.ndarray, changed: np.ndarray, removed: np.ndarray) -> dict[str, float]:
    """``removed_energy_db``, ``lsd_db`` and ``seg_snr_db`` of one change."""
    return {"removed_energy_db": removed_energy_db(original, removed),
            "lsd_db": log_spectral_distance(original, changed),
            "seg_snr_db": segmental_snr(original, changed)}
