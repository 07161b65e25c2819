"""Orders of the rfft bins that the search's prior prefix is drawn from.

The magnitude ranking (loudest first) needs every bin louder than the quietest one a model needs; where
a model needs a little of each part of the spectrum (a log-mel front end, say), that is thousands of
loud low-frequency bins before the first bin of a quiet high band.  The band rankings put each log-
frequency band's own loudest bins first, whatever the band's level.
"""
from __future__ import annotations

import numpy as np

from .result import rank_bins

#: the kinds of band ranking: ``"within"`` orders by a bin's rank inside its band (every band's loudest
#: bin, then every band's second loudest, ...), ``"relative"`` by its magnitude over its band's loudest
BAND_KINDS = ("within", "relative")


def magnitude_order(magnitude: np.ndarray) -> np.ndarray:
    """Bins by magnitude, loudest first, ties by index."""
    return rank_bins(magnitude)


def log_bands(n_bins: int, n_bands: int) -> np.ndarray:
    """Band index of each of ``n_bins`` bins: ``n_bands`` bands equally wide in log frequency (bin 0,
    the DC bin, has a band of its own; at low frequency a band is at least one bin, so fewer bands
    come out where ``n_bins`` is small)."""
    if n_bins < 1 or n_bands < 1:
        raise ValueError(f"need n_bins >= 1 and n_bands >= 1, got {n_bins} and {n_bands}")
    edges = np.unique(np.round(np.geomspace(1, max(n_bins, 2), n_bands + 1)).astype(np.int64))
    return np.searchsorted(edges, np.arange(n_bins), side="right")


def band_order(magnitude: np.ndarray, n_bands: int, kind: str = "within") -> np.ndarray:
    """Bins ranked band by band (see :data:`BAND_KINDS`), ties by magnitude, then index."""
    mag = np.asarray(magnitude, dtype=np.float64)
    K = len(mag)
    band = log_bands(K, n_bands)
    idx = np.arange(K)
    if kind == "within":
        o = np.lexsort((idx, -mag, band))                 # by band, loudest first inside it
        first = np.searchsorted(band[o], band[o], side="left")
        rank = np.empty(K, np.int64)
        rank[o] = idx - first
        return np.lexsort((idx, -mag, rank))
    if kind == "relative":
        top = np.zeros(int(band.max()) + 1)
        np.maximum.at(top, band, mag)
        rel = mag / np.maximum(top[band], np.finfo(np.float64).tiny)
        return np.lexsort((idx, -mag, -rel))
    raise ValueError(f"unknown band ranking kind {kind!r}; expected one of {BAND_KINDS}")
