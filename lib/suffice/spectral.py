"""Spectral descriptors of (sufficient) signals: Welch PSD, spectral entropy, centroid, band energies.

Settings (our choices, not the paper's): Welch PSD with a Hann window, ``nperseg=512``, 50% overlap, 16 kHz, no
detrending (a kept DC bin is part of the signal); spectral entropy ``H = -sum p log2 p`` of the PSD
normalised to sum 1, also divided by ``log2`` of the number of PSD bins (1 = flat spectrum, 0 = one bin);
periodogram entropy of the kept rfft bins (divided by ``log2 |S|`` when normalised); ``|S| / K``; spectral
centroid; energy per band (0-1, 1-2, 2-4, 4-8 kHz).  Everything is vectorised over a batch (N, T); lists
of waveforms of different lengths are grouped by length.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.fft as sfft
from scipy import signal as sps_signal
from tqdm.auto import tqdm

from .constants import SAMPLE_RATE
from .errors import AudioError, OptionError
from .masking import keep_bins, n_bins
from .stats import bootstrap_weights, percentile_ci

__all__ = [
    "BANDS", "welch_psd", "periodogram", "spectral_entropy", "periodogram_entropy", "spectral_centroid",
    "band_energies", "kept_fraction", "features", "psd_matrix", "log_psd_bands",
]

#: frequency bands (Hz) of :func:`band_energies`: [lo, hi), the last one closed at the top
BANDS: tuple[tuple[float, float], ...] = ((0.0, 1000.0), (1000.0, 2000.0), (2000.0, 4000.0), (4000.0, 8000.0))


def _as_batch(waveforms: np.ndarray) -> np.ndarray:
    x = np.asarray(waveforms, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[-1] == 0:
        raise AudioError(f"expected a waveform (T,) or a batch (N, T) with T > 0, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise AudioError("waveform contains NaN or infinite samples")
    return x


def welch_psd(waveforms: np.ndarray, sample_rate: int = SAMPLE_RATE, *, nperseg: int = 512, overlap: float = 0.5,
              window: str = "hann") -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density (one-sided, power/Hz) of one waveform (T,) or a batch (N, T).

    Returns ``(freqs, psd)`` with ``psd`` of shape (nperseg//2 + 1,) or (N, nperseg//2 + 1); its
    integral ``sum(psd) * df`` approximates the mean square of the signal.  Raises :class:`AudioError`
    for a signal shorter than ``nperseg`` (rather than silently changing the frequency grid).
    """
    x = _as_batch(waveforms)
    if int(sample_rate) <= 0:
        raise OptionError(f"sample_rate must be positive, got {sample_rate!r}")
    if int(nperseg) < 2:
        raise OptionError(f"nperseg must be at least 2, got {nperseg!r}")
    if not 0.0 <= overlap < 1.0:
        raise OptionError(f"overlap must be in [0, 1), got {overlap!r}")
    if x.shape[-1] < nperseg:
        raise AudioError(f"a signal of {x.shape[-1]} samples is shorter than nperseg={nperseg}")
    freqs, psd = sps_signal.welch(x, fs=sample_rate, window=window, nperseg=int(nperseg),
                                  noverlap=int(round(overlap * nperseg)), detrend=False,
                                  scaling="density", axis=-1)
    return freqs, psd


def periodogram(waveforms: np.ndarray, sample_rate: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """One-sided power per rfft bin (no window), scaled so that ``sum(power) == mean(x**2)`` (Parseval).

    Returns ``(freqs, power)``, power of shape (K,) or (N, K) with ``K = T // 2 + 1``.
    """
    x = _as_batch(waveforms)
    t = x.shape[-1]
    power = np.abs(sfft.rfft(x, axis=-1)) ** 2 / t ** 2
    # every bin but DC (and Nyquist, for even T) stands for a pair of +/- frequencies
    last = power.shape[-1] - (1 if t % 2 == 0 else 0)
    power[..., 1:last] *= 2.0
    return sfft.rfftfreq(t, d=1.0 / sample_rate), power


def _entropy_bits(weights: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Shannon entropy (bits) of non-negative ``weights`` along the last axis, and the bin count used.

    ``mask`` restricts to some bins; an all-zero row has NaN entropy.
    """
    w = np.asarray(weights, dtype=np.float64)
    if (w < 0).any():
        raise OptionError("spectral weights must be non-negative")
    if mask is not None:
        w = np.where(mask, w, 0.0)
        count = np.asarray(mask).sum(-1).astype(np.float64)
    else:
        count = np.full(w.shape[:-1], float(w.shape[-1]))
    total = w.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(total > 0, w / np.where(total > 0, total, 1.0), 0.0)
        h = 0.0 - np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0).sum(-1)  # 0.0 - x: no -0.0
    h = np.where(total[..., 0] > 0, h, np.nan)
    return h, count


def _normalise_entropy(h: np.ndarray, count: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 1, h / np.log2(np.maximum(count, 2.0)), np.where(count == 1, 0.0, np.nan))


def spectral_entropy(psd: np.ndarray, *, normalise: bool = False) -> np.ndarray:
    """Entropy ``-sum p log2 p`` (bits) of ``psd`` normalised to a distribution over its last axis.

    With ``normalise`` divide by ``log2`` of the bin count (1 for a flat spectrum).  NaN for a zero PSD.
    """
    h, count = _entropy_bits(psd)
    return _normalise_entropy(h, count) if normalise else h


def periodogram_entropy(waveforms: np.ndarray, keep: np.ndarray | None = None, *,
                        normalise: bool = False) -> np.ndarray:
    """Entropy (bits) of the periodogram restricted to the kept rfft bins (all bins when ``keep`` is None).

    ``keep``: bool (K,) or (N, K).  With ``normalise`` divide by ``log2 |S|`` (an empty or one-bin set
    gives NaN or 0).
    """
    _, power = periodogram(waveforms)
    mask = None
    if keep is not None:
        mask = np.broadcast_to(_check_keep(keep, power.shape[-1]), power.shape)
    h, count = _entropy_bits(power, mask)
    return _normalise_entropy(h, count) if normalise else h


def spectral_centroid(freqs: np.ndarray, psd: np.ndarray) -> np.ndarray:
    """Power-weighted mean frequency (Hz) of ``psd`` over ``freqs``; NaN for a zero PSD."""
    p = np.asarray(psd, dtype=np.float64)
    f = np.asarray(freqs, dtype=np.float64)
    if f.shape[-1] != p.shape[-1]:
        raise OptionError(f"freqs has {f.shape[-1]} bins, psd has {p.shape[-1]}")
    total = p.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (p * f).sum(-1) / np.where(total > 0, total, 1.0), np.nan)


def band_energies(freqs: np.ndarray, psd: np.ndarray, bands: Sequence[tuple[float, float]] = BANDS, *,
                  relative: bool = True) -> np.ndarray:
    """Energy of ``psd`` in each band ``[lo, hi)`` (the highest band also takes ``hi``): (..., n_bands).

    ``relative``: as a fraction of the total over all bins (NaN for a zero PSD); otherwise
    ``sum(psd) * df`` in the band (power, for a density PSD on a uniform grid).
    """
    p = np.asarray(psd, dtype=np.float64)
    f = np.asarray(freqs, dtype=np.float64)
    if f.ndim != 1 or f.shape[-1] != p.shape[-1]:
        raise OptionError(f"freqs must be 1-D with {p.shape[-1]} bins, got shape {f.shape}")
    bands = [(float(lo), float(hi)) for lo, hi in bands]
    if not bands or any(hi <= lo for lo, hi in bands):
        raise OptionError(f"bands must be a non-empty list of (lo, hi) with hi > lo, got {bands!r}")
    top = max(hi for _, hi in bands)
    sel = np.stack([(f >= lo) & ((f < hi) | ((hi == top) & (f == hi))) for lo, hi in bands], axis=-1)
    energy = p @ sel.astype(np.float64)
    if relative:
        total = p.sum(-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, energy / np.where(total > 0, total, 1.0), np.nan)
    df = float(f[1] - f[0]) if f.size > 1 else 1.0
    return energy * df


def _check_keep(keep: np.ndarray, k: int) -> np.ndarray:
    m = np.asarray(keep)
    if m.dtype != bool:
        if not np.isin(m, (0, 1)).all():
            raise OptionError("keep must be boolean (or 0/1)")
        m = m.astype(bool)
    if m.shape[-1] != k:
        raise OptionError(f"keep has {m.shape[-1]} bins, the signal has {k}")
    return m


def kept_fraction(keep: np.ndarray) -> np.ndarray:
    """|S| / K of a keep mask (K,) or a batch (N, K)."""
    m = _check_keep(keep, np.asarray(keep).shape[-1])
    return m.sum(-1) / m.shape[-1]


def _groups(waveforms: np.ndarray | Sequence[np.ndarray], keep: np.ndarray | Sequence[np.ndarray] | None):
    """Yield (row indices, (n, T) batch, (n, K) keep or None) grouped by length."""
    if isinstance(waveforms, np.ndarray) and waveforms.ndim in (1, 2):
        xs = [waveforms] if waveforms.ndim == 1 else list(waveforms)
    else:
        xs = list(waveforms)
    if not xs:
        raise AudioError("no waveforms given")
    ks: list | None = None
    if keep is not None:
        ks = [keep] if (isinstance(keep, np.ndarray) and keep.ndim == 1) else list(keep)
        if len(ks) != len(xs):
            raise OptionError(f"{len(ks)} keep masks for {len(xs)} waveforms")
    lengths = np.array([np.asarray(x).shape[-1] for x in xs])
    for t in np.unique(lengths):
        idx = np.flatnonzero(lengths == t)
        batch = np.stack([np.asarray(xs[i], dtype=np.float32) for i in idx])
        kb = None if ks is None else np.stack([_check_keep(ks[i], n_bins(int(t))) for i in idx])
        yield idx, batch, kb


def features(waveforms: np.ndarray | Sequence[np.ndarray], keep: np.ndarray | Sequence[np.ndarray] | None = None,
             *, sample_rate: int = SAMPLE_RATE, nperseg: int = 512, overlap: float = 0.5,
             bands: Sequence[tuple[float, float]] = BANDS, progress: bool = False) -> pd.DataFrame:
    """Spectral descriptors of many signals, one row each (in input order).

    ``waveforms``: (N, T), (T,) or a list of 1-D waveforms (lengths may differ).  With ``keep`` (masks
    matching each waveform's rfft) the descriptors are of the sufficient signal ``keep_bins(x, keep)``
    and the periodogram entropy is over the kept bins; without it, of the original signal.
    Columns: ``power`` (mean square), ``psd_entropy``, ``psd_entropy_norm``, ``periodogram_entropy``,
    ``periodogram_entropy_norm``, ``centroid_hz``, ``band_<lo>_<hi>`` (fraction of PSD energy),
    ``n_kept``, ``fraction_kept``.
    """
    names = [f"band_{lo / 1000:g}_{hi / 1000:g}k" for lo, hi in bands]
    parts = []
    groups = list(_groups(waveforms, keep))
    for idx, x, kb in tqdm(groups, desc="spectral features", disable=not progress):
        s = keep_bins(x, kb) if kb is not None else x
        s = np.asarray(s, dtype=np.float64)
        freqs, psd = welch_psd(s, sample_rate, nperseg=nperseg, overlap=overlap)
        k = n_bins(x.shape[-1])
        kmask = kb if kb is not None else np.ones((len(idx), k), dtype=bool)
        h_raw, h_cnt = _entropy_bits(periodogram(s, sample_rate)[1], kmask)
        part = pd.DataFrame({
            "power": np.mean(s ** 2, axis=-1),
            "psd_entropy": spectral_entropy(psd),
            "psd_entropy_norm": spectral_entropy(psd, normalise=True),
            "periodogram_entropy": h_raw,
            "periodogram_entropy_norm": _normalise_entropy(h_raw, h_cnt),
            "centroid_hz": spectral_centroid(freqs, psd),
        }, index=idx)
        part[names] = band_energies(freqs, psd, bands)
        part["n_kept"] = kmask.sum(-1)
        part["fraction_kept"] = kmask.sum(-1) / k
        parts.append(part)
    return pd.concat(parts).sort_index()


def psd_matrix(waveforms: np.ndarray | Sequence[np.ndarray], keep: np.ndarray | Sequence[np.ndarray] | None = None,
               *, sample_rate: int = SAMPLE_RATE, nperseg: int = 512, overlap: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSDs (N, nperseg//2+1) of many signals (of the sufficient signals when ``keep`` is given)."""
    rows: list[tuple[np.ndarray, np.ndarray]] = []
    freqs = None
    for idx, x, kb in _groups(waveforms, keep):
        s = keep_bins(x, kb) if kb is not None else x
        freqs, psd = welch_psd(np.asarray(s, dtype=np.float64), sample_rate, nperseg=nperseg, overlap=overlap)
        rows.append((idx, psd))
    n = sum(len(i) for i, _ in rows)
    out = np.empty((n, rows[0][1].shape[-1]))
    for idx, psd in rows:
        out[idx] = psd
    assert freqs is not None
    return freqs, out


def log_psd_bands(freqs: np.ndarray, psd: np.ndarray, groups: Sequence[object], *, n_boot: int = 1000,
                  ci: float = 0.95, seed: int = 0, floor_db: float = -150.0) -> pd.DataFrame:
    """Mean log-PSD (dB re 1 unit^2/Hz) per group with a percentile bootstrap band over signals.

    ``psd``: (N, F); ``groups``: N labels (e.g. bonafide/spoof).  Powers below ``floor_db`` are clipped
    to it (a sufficient signal has exact zeros).  Returns a tidy table ``group, freq, mean_db, lo_db, hi_db, n``.
    """
    p = np.asarray(psd, dtype=np.float64)
    g = np.asarray(groups, dtype=object)
    if p.ndim != 2 or p.shape[0] != g.size or p.shape[1] != np.asarray(freqs).size:
        raise OptionError(f"psd must be (N, F) matching {g.size} groups and {np.asarray(freqs).size} freqs, got {p.shape}")
    floor = 10.0 ** (floor_db / 10.0)
    db = 10.0 * np.log10(np.maximum(p, floor))
    out = []
    for k, level in enumerate(pd.unique(g)):
        rows = db[g == level]
        w = bootstrap_weights(rows.shape[0], n_boot, seed + k)
        reps = (w @ rows) / rows.shape[0]
        lo, hi = percentile_ci(reps, ci)
        out.append(pd.DataFrame({"group": level, "freq": freqs, "mean_db": rows.mean(0), "lo_db": lo, "hi_db": hi,
                                 "n": rows.shape[0]}))
    return pd.concat(out, ignore_index=True)
