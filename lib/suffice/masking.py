"""Exact frequency-domain masking: keep a set of rfft bins, fill the rest, resynthesise.

``x_S = irfft(X * 1_S + F * (1 - 1_S), n=len(x))`` with ``F`` the rfft of the *fill* (a baseline, in
Captum's word): what stands in for the removed bins.  The default fill is ``"zero"`` (``F = 0``, the
paper's intervention): a removed bin contributes nothing (magnitude and phase are both zeroed), so
nothing of it can leak into the output.  A non-silent fill (:mod:`suffice.fills`) replaces a removed
bin by the fill's bin and nothing else; kept bins are always the clip's own.  Batched over many
keep-masks; each mask is synthesised on its own, so the batch never changes a waveform.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft

from .fills import ZERO, fill_spectrum


def n_bins(n_samples: int) -> int:
    """Number of rfft bins of a real signal of ``n_samples`` samples: ``T // 2 + 1``."""
    return int(n_samples) // 2 + 1


def spectrum(waveform: np.ndarray) -> np.ndarray:
    """complex64 rfft of a float waveform (last axis)."""
    return sfft.rfft(np.asarray(waveform, dtype=np.float32), axis=-1).astype(np.complex64, copy=False)


def synthesise(spec: np.ndarray, keep: np.ndarray, n_samples: int, fill: np.ndarray | None = None) -> np.ndarray:
    """Waveforms (float32) of ``spec`` restricted to ``keep``, the removed bins taken from ``fill``.

    ``spec``: (K,) complex; ``keep``: (K,) or (N, K) bool/0-1; ``fill``: the (K,) complex spectrum of the
    fill (:func:`suffice.fills.fill_spectrum`), None for the zero fill.  Returns (T,) or (N, T).
    """
    keep = np.asarray(keep)
    if keep.shape[-1] != spec.shape[-1]:
        raise ValueError(f"keep has {keep.shape[-1]} bins, the spectrum has {spec.shape[-1]}")
    if fill is None:  # the zero fill: the exact intervention of the paper, unchanged
        masked = np.where(keep.astype(bool), spec, np.complex64(0))
    else:
        if fill.shape != spec.shape[-1:]:
            raise ValueError(f"the fill has {fill.shape[-1]} bins, the spectrum has {spec.shape[-1]}")
        masked = np.where(keep.astype(bool), spec, np.asarray(fill, dtype=np.complex64))
    return sfft.irfft(masked, n=n_samples, axis=-1).astype(np.float32, copy=False)


def keep_bins(waveform: np.ndarray, keep: np.ndarray, *, fill: str = ZERO, fill_seed: int = 0) -> np.ndarray:
    """Keep only the rfft bins in ``keep`` (bool, length ``T//2+1``; or (N, K) for a batch); the others
    take the bins of ``fill`` (``"zero"``: silence; see :mod:`suffice.fills`) drawn with ``fill_seed``.

    ``waveform`` is (T,) or, with a batch of masks, (T,) shared or (N, T) one per mask (a per-mask
    waveform needs the zero fill).  Output is float32 with the waveform's length.
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
    spec = spectrum(x)
    if fill == ZERO:
        return synthesise(spec, k, n)
    if x.ndim != 1:
        raise ValueError("a non-zero fill is the fill of one clip: give one waveform (T,)")
    return synthesise(spec, k, n, fill_spectrum(spec, fill, fill_seed))


def floor_signal(waveform: np.ndarray, *, fill: str = ZERO, fill_seed: int = 0) -> np.ndarray:
    """The floor of a clip under ``fill``: the (T,) float32 signal with every bin removed (silence for
    the zero fill)."""
    x = np.asarray(waveform, dtype=np.float32)
    return keep_bins(x, np.zeros(n_bins(x.shape[-1]), dtype=bool), fill=fill, fill_seed=fill_seed)
