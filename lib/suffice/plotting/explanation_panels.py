"""Figures of several panels about explanations of one clip: responsibilities stacked, and a spectrum
over its responsibility with a band marked."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt

from ..explanation import Explanation
from .audio import plot_responsibility, plot_spectrum


def plot_responsibilities(explanations: Sequence[Explanation], max_hz: float | None = None):
    """The responsibility map of each explanation, one panel each, stacked over a shared frequency axis
    up to ``max_hz``.  Returns the figure."""
    fig, axes = plt.subplots(len(explanations), 1, figsize=(9, 5.5), sharex=True, layout="constrained")
    for ax, ex in zip(axes, explanations):
        plot_responsibility(ex, ax=ax, max_hz=max_hz)
    return fig


def plot_band_explanation(e: Explanation, band_hz: Sequence[float], max_hz: float | None = None):
    """``e``'s spectrum with its set and the band ``band_hz`` shaded, over its responsibility map, up to
    ``max_hz``.  Returns the figure."""
    fig, axes = plt.subplots(2, 1, figsize=(9, 5.5), layout="constrained")
    plot_spectrum(e, ax=axes[0], max_hz=max_hz)
    axes[0].axvspan(*band_hz, color="#1f77b4", alpha=0.08, label="band")
    plot_responsibility(e, ax=axes[1], max_hz=max_hz)
    return fig
