"""Figures of the deepfake information analysis: feature (entropy) distributions per model and class,
mean log-PSD per class with bootstrap bands.  Each function returns the matplotlib Figure.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError

CLASS_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise OptionError(f"{what} needs column(s) {', '.join(missing)}")


def _colours(levels: Sequence[object]) -> dict[object, str]:
    return {lev: CLASS_COLOURS[i % len(CLASS_COLOURS)] for i, lev in enumerate(levels)}


def distributions(df: pd.DataFrame, value: str = "psd_entropy_norm", *, by: str = "model",
                  hue: str = "true_label", ax=None, title: str | None = None, stats: pd.DataFrame | None = None):
    """Box plots with jittered points of ``value`` per level of ``by``, split by ``hue`` (e.g. class).

    ``stats``: optional :func:`suffice.stats.compare_groups` output (indexed by ``by`` level) whose
    rank-biserial effect and Holm p-value are written above each group.
    """
    import matplotlib.pyplot as plt

    _need(df, [value, by, hue], "distributions")
    groups = list(pd.unique(df[by]))
    hues = sorted(pd.unique(df[hue]).tolist(), key=str)
    colours = _colours(hues)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.5 + 1.8 * len(groups), 4), layout="constrained")
    width = 0.8 / max(len(hues), 1)
    rng = np.random.default_rng(0)
    for gi, g in enumerate(groups):
        for hi, h in enumerate(hues):
            vals = df.loc[(df[by] == g) & (df[hue] == h), value].to_numpy(float)
            vals = vals[np.isfinite(vals)]
            pos = gi - 0.4 + width * (hi + 0.5)
            if vals.size:
                bp = ax.boxplot([vals], positions=[pos], widths=width * 0.8, showfliers=False, patch_artist=True)
                for box in bp["boxes"]:
                    box.set(facecolor=colours[h], alpha=0.25, edgecolor=colours[h])
                ax.scatter(pos + rng.uniform(-width / 4, width / 4, vals.size), vals, s=8, color=colours[h],
                           alpha=0.6, zorder=3)
    for h in hues:
        ax.scatter([], [], color=colours[h], label=str(h))
    ticks = [str(g) for g in groups]
    if stats is not None:
        st = stats.set_index(by) if by in stats.columns else stats
        for gi, g in enumerate(groups):
            if g in st.index and np.isfinite(st.loc[g].get("r_rb", np.nan)):
                ticks[gi] += f"\nr_rb={st.loc[g, 'r_rb']:+.2f}, p_Holm={st.loc[g, 'p_holm']:.2g}"
    ax.set_xticks(range(len(groups)), ticks, fontsize=8)
    ax.set_ylabel(value.replace("_", " "))
    ax.set_title(title or f"{value.replace('_', ' ')} by {by} and {hue}", fontsize=10)
    ax.legend(fontsize=8, title=hue, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax.figure


def log_psd(bands: pd.DataFrame, *, facet: str | None = None, max_hz: float | None = None,
            title: str | None = None, sharey: bool = True):
    """Mean log-PSD (dB) per group with its bootstrap band, from :func:`suffice.spectral.log_psd_bands`.

    ``facet``: a column (e.g. ``model``, added by the caller when concatenating several models' bands)
    giving one panel per level.
    """
    import matplotlib.pyplot as plt

    _need(bands, ["group", "freq", "mean_db", "lo_db", "hi_db"], "log_psd")
    panels = list(pd.unique(bands[facet])) if facet else [None]
    if facet:
        _need(bands, [facet], "log_psd")
    ncol = min(3, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.2 * nrow), sharex=True, sharey=sharey,
                             squeeze=False, layout="constrained")
    colours = _colours(sorted(pd.unique(bands["group"]).tolist(), key=str))
    for ax, panel in zip(axes.ravel(), panels):
        sub = bands if panel is None else bands[bands[facet] == panel]
        for grp, d in sub.groupby("group", sort=True):
            d = d.sort_values("freq")
            if max_hz is not None:
                d = d[d["freq"] <= max_hz]
            n = int(d["n"].iloc[0]) if "n" in d and len(d) else None
            ax.plot(d["freq"], d["mean_db"], color=colours[grp], lw=1.2, label=f"{grp}" + (f" (n={n})" if n else ""))
            ax.fill_between(d["freq"], d["lo_db"], d["hi_db"], color=colours[grp], alpha=0.25, lw=0)
        if panel is not None:
            ax.set_title(str(panel), fontsize=9)
        ax.set_xlabel("frequency (Hz)")
        ax.legend(fontsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("mean PSD (dB), 95% bootstrap band")
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def entropy_by_size(table: pd.DataFrame):
    """Normalised PSD entropy against the set size (log scale) of :func:`suffice.deepfake_info.descriptor_table`'s
    sufficient signals and their top-magnitude and random references, one panel each, coloured by the
    explained class (bona fide, spoof)."""
    import matplotlib.pyplot as plt

    _need(table, ["kind", "source_pred", "size", "psd_entropy_norm"], "entropy_by_size")
    fig, axes = plt.subplots(1, 3, figsize=(7.5, 3.2), layout="constrained", sharey=True)
    for ax, kind in zip(axes, ("sufficient", "topmag", "random")):
        for label, colour in (("bonafide", "#1f77b4"), ("spoof", "#d62728")):
            sub = table[(table.kind == kind) & (table.source_pred == label)]
            ax.scatter(sub["size"], sub["psd_entropy_norm"], s=14, alpha=0.6, color=colour, label=label)
        ax.set(xscale="log", title=kind, xlabel="|S| (bins kept)")
    axes[0].set_ylabel("normalised PSD entropy")
    axes[0].legend(title="explained class")
    return fig
