"""The toy chapter's scenes: each a toy model, a clip built for it, and what is known of its answer.

* :func:`tone_scene`: the tone model, a clip holding its tones among louder distractors, and its known
  minimal sufficient set;
* :func:`band_scene`: the band-energy model, a harmonic clip, and the smallest sufficient size;
* :func:`explain_at_resolutions`: one clip explained at several atom widths, keyed by a readable label.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..explanation import Explanation
from ..search import explain
from ..masking import n_bins
from ..toys import BandEnergyClassifier, ToneClassifier, tone_clip

SAMPLE_RATE = ToneClassifier.sample_rate


def to_bin(hz: float, n: int, sr: int = SAMPLE_RATE) -> int:
    """The rfft bin of ``hz`` for a clip of ``n`` samples at ``sr`` Hz."""
    return int(round(hz * n / sr))


@dataclass(frozen=True)
class ToneScene:
    """The tone model (``model``), its clip (``clip``, ``n`` samples) and its known minimal set (``truth``,
    sorted bins)."""

    model: ToneClassifier
    clip: np.ndarray
    truth: np.ndarray
    n: int

    def probabilities(self) -> pd.DataFrame:
        """The model's class probabilities on the clip, one row."""
        return pd.Series(self.model.predict_proba(self.clip[None])[0], index=self.model.labels,
                         name="probability").to_frame().T

    def description(self) -> str:
        """Two lines: the clip's samples and bins, and the known minimal set in bins and Hz."""
        return (f"{self.n} samples -> {n_bins(self.n)} frequency bins\n"
                f"known minimal sufficient set: bins {self.truth.tolist()} "
                f"= {(self.truth * SAMPLE_RATE / self.n).tolist()} Hz")

    def is_exact(self, e: Explanation) -> bool:
        """Whether ``e`` kept exactly the known minimal set."""
        return bool(np.array_equal(np.flatnonzero(e.keep), self.truth))

    def reading(self, e: Explanation) -> str:
        """Two lines: the bins ``e`` kept (and their frequencies), and whether they are the known set."""
        return (f"kept bins: {np.flatnonzero(e.keep).tolist()} = {np.round(e.frequencies(), 1).tolist()} Hz\n"
                f"the sufficient set is exactly the known minimal set: {self.is_exact(e)}")


def tone_scene(tones_hz: Sequence[float], distractors_hz: Sequence[float], tone_amplitude: float,
               distractor_amplitude: float, noise: float, duration_s: float, seed: int) -> ToneScene:
    """A tone model needing ``tones_hz`` and a clip of ``duration_s`` s holding those tones (each of
    ``tone_amplitude``), louder ``distractors_hz`` (``distractor_amplitude``) and white noise of standard
    deviation ``noise`` (random phases and noise from ``seed``)."""
    n = int(round(duration_s * SAMPLE_RATE))
    model = ToneClassifier(freqs=list(tones_hz))
    amplitude = [tone_amplitude] * len(tones_hz) + [distractor_amplitude] * len(distractors_hz)
    clip = tone_clip([to_bin(f, n) for f in [*tones_hz, *distractors_hz]], n_samples=n,
                     amplitude=amplitude, noise=noise, seed=seed)
    return ToneScene(model, clip, np.sort(model.required_bins(n)), n)


@dataclass(frozen=True)
class BandScene:
    """The band-energy model (``model``), its harmonic clip (``clip``) and the smallest sufficient size
    (``minimum``, bins)."""

    model: BandEnergyClassifier
    clip: np.ndarray
    minimum: int

    def is_exact(self, e: Explanation) -> bool:
        """Whether ``e``'s set has the smallest possible size."""
        return e.size == self.minimum

    def reading(self, e: Explanation) -> str:
        """Three lines: the smallest possible size, the size and frequencies ``e`` found, and its complete
        set's size and confidence against the original's (``e`` explained with ``complete=True``)."""
        return (f"smallest possible sufficient set: {self.minimum} bins\n"
                f"found: {e.size} bins at {np.round(e.frequencies(), 1).tolist()} Hz\n"
                f"complete set: {int(e.complete_keep.sum())} bins, confidence "
                f"{e.complete_confidence:.4f} against the original {e.confidence:.4f}")


def band_scene(band_hz: Sequence[float], min_rms: float, fundamental_hz: float, n: int, noise: float,
               seed: int) -> BandScene:
    """A band-energy model over ``band_hz`` needing in-band RMS ``min_rms``, and a clip of ``n`` samples:
    the harmonics of ``fundamental_hz`` below Nyquist (amplitude 0.1/k for the k-th, k < 40) and white
    noise of standard deviation ``noise`` (from ``seed``)."""
    model = BandEnergyClassifier(*band_hz, min_rms=min_rms)
    harmonics = [k for k in range(1, 40) if k * fundamental_hz < SAMPLE_RATE / 2]
    clip = tone_clip([to_bin(k * fundamental_hz, n) for k in harmonics], n_samples=n,
                     amplitude=[0.1 / k for k in harmonics], noise=noise, seed=seed)
    return BandScene(model, clip, model.minimum_size(clip))


def resolution_label(hz: float | None) -> str:
    """``"single bins"`` for None, else the width, e.g. ``"32 Hz"``."""
    return "single bins" if hz is None else f"{hz:g} Hz"


def explain_at_resolutions(model: Any, clip: np.ndarray, resolutions_hz: Sequence[float | None],
                           seed: int) -> dict[str, Explanation]:
    """``clip`` explained by ``model`` at one level at each width of ``resolutions_hz`` (None: single
    bins), keyed by :func:`resolution_label`."""
    return {resolution_label(hz): explain(model, clip, seed=seed, resolution_hz=hz, refine_to_hz=hz)
            for hz in resolutions_hz}

