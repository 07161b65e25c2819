"""``strategy="occlusion"``: a cheap attribution baseline, bins ranked by what removing their band costs.

The spectrum is cut into ``n_bands`` bands evenly spaced on the mel scale from 0 Hz to Nyquist
(:func:`mel_band_edges`; bands narrower than a bin merge, so there can be fewer).  Each band is removed
once, all other bins kept (one model batch of ``n_bands`` calls); a bin's score is the drop in the
target probability its band's removal causes.  Bins are ranked by score (descending), ties by
magnitude, and the explanation is the shortest sufficient prefix of that ranking, by galloping and
bisection as in :mod:`suffice.search.strategies.magnitude` (about ``n_bands + 2 log2 K`` calls).

``responsibility`` is the score rescaled to [0, 1] (minimum 0, maximum 1; all 0 when every band
scored the same).  The bands, not single bins, are what the model is asked about: within a band the
ranking is by magnitude alone.  ``seed`` is not used (no randomness).
"""
from __future__ import annotations

import numpy as np

from ..evaluator import MaskEvaluator
from ..options import Option
from ..result import SearchResult, rank_bins
from .magnitude import ranked_result

NAME = "occlusion"
OPTIONS: tuple[Option, ...] = (
    Option("n_bands", int, 32, "mel-spaced bands, each removed once (at most this many)", min=1, max=4096),
)


def mel_band_edges(n_bins: int, n_bands: int, sample_rate: int, n_samples: int) -> np.ndarray:
    """Increasing bin edges (0 first, ``n_bins`` last) of at most ``n_bands`` mel-spaced bands."""
    mel_max = 2595.0 * np.log10(1.0 + (sample_rate / 2) / 700.0)
    hz = 700.0 * (10 ** (np.linspace(0.0, mel_max, n_bands + 1) / 2595.0) - 1.0)
    edges = np.unique(np.clip(np.rint(hz * n_samples / sample_rate).astype(int), 0, n_bins))
    edges[0], edges[-1] = 0, n_bins
    return np.unique(edges)


def band_scores(oracle: MaskEvaluator, n_bands: int) -> np.ndarray:
    """Per bin: the original confidence minus the target probability with the bin's band removed."""
    K = oracle.n_bins
    edges = mel_band_edges(K, n_bands, int(oracle.model.sample_rate), oracle.n_samples)
    masks = np.ones((len(edges) - 1, K), dtype=bool)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        masks[i, a:b] = False
    drop = oracle.confidence - oracle.target_prob(masks)
    return np.repeat(drop, np.diff(edges))


def occlusion_order(oracle: MaskEvaluator, n_bands: int = 32) -> np.ndarray:
    """Bins ranked by their band's score (descending), then by magnitude."""
    return rank_bins(band_scores(oracle, n_bands), oracle.magnitude)


def search(oracle: MaskEvaluator, *, seed: int = 0, contrastive: bool = False, complete: bool = False,
           n_bands: int = 32) -> SearchResult:
    """Score the bands, rank the bins, take the shortest sufficient prefix."""
    before = oracle.n_calls
    score = band_scores(oracle, n_bands)
    occlusion_calls = oracle.n_calls - before
    lo, hi = float(score.min()), float(score.max())
    resp = ((score - lo) / (hi - lo) if hi > lo else np.zeros_like(score)).astype(np.float32)
    return ranked_result(oracle, rank_bins(score, oracle.magnitude), resp, contrastive=contrastive,
                         complete=complete, meta={"occlusion_calls": occlusion_calls})
