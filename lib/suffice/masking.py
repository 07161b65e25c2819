"""Exact frequency-domain masking: keep a set of rfft bins, zero the rest, resynthesise.

``x_S = irfft(rfft(x) * 1_S, n=len(x))``.  A masked bin contributes nothing (magnitude and phase
are both zeroed), so nothing of it can leak into the output.  Batched over many keep-masks.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft


def n_bins(n_samples: int) -> int:
    """Number of rfft bins of a real signal of ``n_samples`` samples: ``T // 2 + 1``."""
    return int(n_samples) // 2 + 1


def spectrum(waveform: np.ndarray) -> np.ndarray:
    """complex64 rfft of a float waveform (last axis)."""
    return sfft.rfft(np.asarray(waveform, dtype=np.float32), axis=-1).astype(np.complex64, copy=False)


def synthesise(spec: np.ndarray, keep: np.ndarray, n_samples: int) -> np.ndarray:
    """Waveforms (float32) of ``spec`` restricted to ``keep``.

    ``spec``: (K,) complex; ``keep``: (K,) or (N, K) bool/0-1.  Returns (T,) or (N, T).
    """
    keep = np.asarray(keep)
    if keep.shape[-1] != spec.shape[-1]:
        raise ValueError(f"keep has {keep.shape[-1]} bins, the spectrum has {spec.shape[-1]}")
    masked = np.where(keep.astype(bool), spec, np.complex64(0))
    return sfft.irfft(masked, n=n_samples, axis=-1).astype(np.float32, copy=False)


def keep_bins(waveform: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Keep only the rfft bins in ``keep`` (bool, length ``T//2+1``; or (N, K) for a batch).

    ``waveform`` is (T,) or, with a batch of masks, (T,) shared or (N, T) one per mask.
    Output is float32 with the waveform's length.
    """
    x = np.asarray(waveform, dtype=np.float32)
    k = np.asarray(keep)
    if k.dtype != bool:
        if not np.isin(k, (0, 1)).all():
            raise ValueError("keep must be boolean (or 0/1)")
        k = k.astype(bool)
    n = x.shape[-1]
    if k.shape[-1] != n_bins(n):
        raise ValueError(f"keep has {k.shape[-1]} bins; a waveform of {n} samples has {n_bins(n)}")
    return synthesise(spectrum(x), k, n)
