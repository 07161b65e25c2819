"""One clip explained at several resolutions: its sets as a figure, its sounds as players, its costs as a
table (the toy chapter's comparison; see :mod:`suffice.search.resolution`).

Every function takes ``explanations``, a mapping from a label (e.g. ``"single bins"``, ``"32 Hz"``) to
an :class:`~suffice.Explanation` of the same clip by the same model.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import SufficeError
from ..explanation import Explanation
from .audio import KEPT_COLOUR, ORIGINAL_COLOUR, audio_players


def _same_clip(explanations: Mapping[str, Explanation]) -> Explanation:
    """The first explanation, after checking that every one explains the same clip with the same model."""
    if not explanations:
        raise SufficeError("need at least one explanation")
    first = next(iter(explanations.values()))
    for label, e in explanations.items():
        if e.model != first.model or not np.array_equal(e.waveform, first.waveform):
            raise SufficeError(f"explanation {label!r} is not of the same clip and model as the first")
    return first


def resolution_table(explanations: Mapping[str, Explanation]) -> pd.DataFrame:
    """One row per explanation: the atom width it was searched and verified at (bins and Hz), whether its
    set is verified 1-minimal at that width, the budget, the set's atoms and bins, and the model calls."""
    _same_clip(explanations)
    rows = []
    for label, e in explanations.items():
        rows.append({"resolution": label, "atom width (bins)": e.resolution_bins,
                     "atom width (Hz)": round(e.resolution_hz, 3), "verified 1-minimal at it": e.verified_minimal,
                     "budget ran out": e.budget_exhausted, "atoms kept": int(len(np.unique(np.flatnonzero(e.keep)
                                                                                           // e.resolution_bins))),
                     "bins kept": e.size, "model calls": e.n_model_calls})
    return pd.DataFrame(rows)


def plot_resolutions(explanations: Mapping[str, Explanation], *, max_hz: float | None = None,
                     regions: list[tuple[float, float]] | None = None):
    """One panel per explanation, sharing the frequency axis: the clip's magnitude spectrum (dB) with the
    kept bins drawn over it; ``regions`` (Hz) are shaded (e.g. the bands a toy model needs)."""
    import matplotlib.pyplot as plt

    first = _same_clip(explanations)
    f = np.arange(first.n_bins) * first.sample_rate / len(first.waveform)
    mag = np.abs(np.fft.rfft(np.asarray(first.waveform, dtype=np.float64)))
    db = 20 * np.log10(mag / max(mag.max(), 1e-12) + 1e-9)
    fig, axes = plt.subplots(len(explanations), 1, figsize=(9, 1.9 * len(explanations)), sharex=True,
                             sharey=True, layout="constrained", squeeze=False)
    for ax, (label, e) in zip(axes[:, 0], explanations.items()):
        for lo, hi in regions or []:
            ax.axvspan(lo, hi, color="#1f77b4", alpha=0.12, lw=0)
        ax.plot(f, db, color=ORIGINAL_COLOUR, lw=0.5)
        k = np.flatnonzero(e.keep)
        ax.vlines(f[k], max(float(db.min()), -120.0) - 5, db[k], color=KEPT_COLOUR, lw=0.6)  # visible when sparse
        state = "verified 1-minimal" if e.verified_minimal else "not verified"
        ax.set_title(f"{label}: {e.size} of {e.n_bins} bins kept, {state} at atoms of {e.resolution_hz:g} Hz, "
                     f"{e.n_model_calls} model calls", fontsize="medium")
        ax.set_ylabel("dB re max")
    axes[-1, 0].set(xlabel="frequency (Hz)", xlim=(0, max_hz or f[-1]), ylim=(max(np.nanmin(db), -120) - 5, 5))
    return fig


def resolution_players(explanations: Mapping[str, Explanation], *, name: str, audio_dir=None):
    """Players for the original clip and the sufficient signal of each explanation (16-bit PCM at the
    signal's own level; see :func:`suffice.plotting.audio.audio_players`)."""
    first = _same_clip(explanations)
    signals = {"original": first.waveform}
    for label, e in explanations.items():
        signals[f"sufficient at {label} ({e.size} bins)"] = e.sufficient_signal
    return audio_players(signals, first.sample_rate, name=name, audio_dir=audio_dir)


__all__ = ["plot_resolutions", "resolution_players", "resolution_table"]
