"""The methods compared by the benchmark, each run on one (model, clip) and timed.

* ``rex-xai``: the real ReX package (:mod:`suffice.bench.rexxai`), our models and exact masking.
* ``rex``: our re-implementation (``strategy="rex"``).
* ``suffice``: our default strategy (``strategy="suffice"``).
* ``magnitude``: no causal reasoning: bins ranked by magnitude |X_k|, galloping then binary search
  over the prefix length (about 2 log2 K calls).
* ``occlusion``: a cheap attribution: the spectrum cut into ``n_bands`` mel-spaced bands, each band
  removed once (one batch of ``n_bands`` calls); bins ranked by the drop in the target probability
  their band causes, then by magnitude; the same galloping prefix search.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..classifier import Classifier
from ..search import explain
from ..search.extraction import first_prefix, prefix_masks, sufficient_predicate
from ..search.evaluator import MaskEvaluator
from ..search.result import rank_bins


@dataclass
class MethodResult:
    """A method's answer on one case, and its cost."""

    keep: np.ndarray
    found: bool
    target_index: int
    n_model_calls: int
    seconds: float
    model_seconds: float
    synth_seconds: float
    extra: dict = field(default_factory=dict)


def _via_explain(strategy: str, **options) -> Callable[..., MethodResult]:
    def run(model: Classifier, x: np.ndarray, seed: int) -> MethodResult:
        t0 = time.perf_counter()
        e = explain(model, x, strategy=strategy, seed=seed, **options)
        dt = time.perf_counter() - t0
        return MethodResult(e.keep, e.found, e.target_index, e.n_model_calls, dt,
                            float(e.meta["model_seconds"]), float(e.meta["synth_seconds"]),
                            {k: v for k, v in e.meta.items() if isinstance(v, (int, float, str, bool))})
    return run


def prefix_baseline(oracle: MaskEvaluator, order: np.ndarray) -> tuple[np.ndarray, bool]:
    """Shortest sufficient prefix of ``order`` by galloping + bisection; (keep, found)."""
    K = oracle.n_bins
    m = first_prefix(order, K, sufficient_predicate(oracle), mode="gallop", start=1)
    if m is None or m >= K:
        return np.ones(K, dtype=bool), False
    return prefix_masks(order, [m], K)[0], True


def mel_band_edges(n_bins: int, n_bands: int, sample_rate: int, n_samples: int) -> np.ndarray:
    """``n_bands + 1`` increasing bin edges, evenly spaced on the mel scale from 0 Hz to Nyquist."""
    mel_max = 2595.0 * np.log10(1.0 + (sample_rate / 2) / 700.0)
    hz = 700.0 * (10 ** (np.linspace(0.0, mel_max, n_bands + 1) / 2595.0) - 1.0)
    edges = np.unique(np.clip(np.rint(hz * n_samples / sample_rate).astype(int), 0, n_bins))
    edges[0], edges[-1] = 0, n_bins
    return np.unique(edges)


def occlusion_order(oracle: MaskEvaluator, n_bands: int = 32) -> np.ndarray:
    """Bins ranked by the target-probability drop when their band is removed (one batch)."""
    K = oracle.n_bins
    edges = mel_band_edges(K, n_bands, int(oracle.model.sample_rate), oracle.n_samples)
    masks = np.ones((len(edges) - 1, K), dtype=bool)
    for i, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        masks[i, a:b] = False
    drop = oracle.confidence - oracle.target_prob(masks)
    score = np.repeat(drop, np.diff(edges))
    return rank_bins(score, oracle.magnitude)


def _baseline(kind: str, n_bands: int = 32) -> Callable[..., MethodResult]:
    def run(model: Classifier, x: np.ndarray, seed: int, batch_size: int = 64) -> MethodResult:
        t0 = time.perf_counter()
        oracle = MaskEvaluator(model, x, batch_size=batch_size)
        if kind == "magnitude":
            order = rank_bins(oracle.magnitude)
        else:
            order = occlusion_order(oracle, n_bands)
        keep, found = prefix_baseline(oracle, order)
        dt = time.perf_counter() - t0
        return MethodResult(keep, found, oracle.target_index, oracle.n_calls, dt, oracle.model_seconds,
                            oracle.synth_seconds)
    return run


#: method name -> runner(model, waveform, seed) (``rex-xai`` is run by :mod:`suffice.bench.run`)
METHODS: dict[str, Callable[..., MethodResult]] = {
    "rex": _via_explain("rex"),
    "suffice": _via_explain("suffice"),
    "magnitude": _baseline("magnitude"),
    "occlusion": _baseline("occlusion"),
}
ALL_METHODS: tuple[str, ...] = ("rex-xai", "rex", "suffice", "magnitude", "occlusion")
