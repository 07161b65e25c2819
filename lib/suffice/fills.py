"""Fills (baselines): what a removed rfft bin is replaced by (:func:`suffice.masking.synthesise`).

A fill is named by a string and drawn with a seed (``fill_seed``); both are search options and both are
recorded in every :class:`~suffice.Explanation` and cache key.  Every fill here is defined by the clip
alone, never by the model, and the same (clip, fill, seed) gives the same fill spectrum whatever the
batch or the model:

* ``"zero"``: silence, ``F = 0`` (the paper's intervention and the library's default);
* ``"smoothed-magnitude"``: the clip's long-term magnitude spectrum, ``|F_k| = E_k``, with a fixed-seed
  uniform random phase, where ``E_k`` is the root of ``|X|^2`` averaged over a moving window of
  :func:`envelope_width` bins (:data:`ENVELOPE_BANDS` windows across the band): a stationary noise with
  the clip's level and long-term spectrum, no bin of the clip's fine structure;
* ``"envelope-noise"``: complex Gaussian noise shaped by the same envelope, ``F_k = E_k (a_k + i b_k)/sqrt 2``
  with ``a, b`` standard normal (Rayleigh magnitudes: white noise filtered by the clip's envelope);
* ``"level-noise"``: white noise at the clip's level, ``F_k = L (a_k + i b_k)/sqrt 2`` with ``L^2`` the
  clip's mean ``|X_k|^2``: the clip's energy without its spectral shape.

Every non-silent fill has the clip's expected energy, so a removed bin is as loud as (with the envelope
fills) its neighbourhood of the clip, and a kept bin stands out only by being louder than that (our
choice; the paper zeroes).
"""
from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

ZERO = "zero"
#: the fills offered, the default first
FILLS: tuple[str, ...] = (ZERO, "smoothed-magnitude", "envelope-noise", "level-noise")
#: moving windows across the band over which the clip's power spectrum is averaged into its envelope
ENVELOPE_BANDS = 256


def check_fill(fill: object) -> str | None:
    """An error message for a fill name that is not one of :data:`FILLS`, else None (for the option check)."""
    if fill not in FILLS:
        return f"the fill must be one of {', '.join(map(repr, FILLS))}"
    return None


def envelope_width(n_bins: int) -> int:
    """Bins per moving window of the envelope: ``ceil(n_bins / ENVELOPE_BANDS)``, at least 1."""
    return max(1, -(-int(n_bins) // ENVELOPE_BANDS))


def envelope(spec: np.ndarray) -> np.ndarray:
    """(K,) float64: the root of the clip's power ``|X_k|^2`` averaged over :func:`envelope_width` bins
    around each bin (edges reflected), the long-term magnitude spectrum of the clip."""
    power = np.abs(np.asarray(spec, dtype=np.complex128)) ** 2
    # the running mean's rounding can leave a bin far from any energy a hair below zero: clip it
    return np.sqrt(np.maximum(uniform_filter1d(power, envelope_width(len(power)), mode="reflect"), 0.0))


def fill_spectrum(spec: np.ndarray, fill: str, seed: int = 0) -> np.ndarray | None:
    """The (K,) complex64 spectrum of ``fill`` for a clip of spectrum ``spec`` (None for ``"zero"``).

    ``seed`` draws the random phase (and magnitudes) of a non-silent fill, from a generator of its own.
    """
    msg = check_fill(fill)
    if msg:
        raise ValueError(f"{msg}, got {fill!r}")
    if fill == ZERO:
        return None
    env = envelope(spec)
    if fill == "level-noise":  # the clip's mean power on every bin: its level, not its shape
        env = np.full(len(env), np.sqrt(np.mean(env ** 2)))
    rng = np.random.default_rng([int(seed), len(env)])
    if fill == "smoothed-magnitude":
        shape = np.exp(1j * rng.uniform(0.0, 2 * np.pi, len(env)))
    else:  # envelope-noise, level-noise: complex Gaussian bins
        shape = (rng.standard_normal(len(env)) + 1j * rng.standard_normal(len(env))) / np.sqrt(2.0)
    return (env * shape).astype(np.complex64)

