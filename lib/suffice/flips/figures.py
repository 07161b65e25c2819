"""Figures of the flip chapter: flip curves with their baselines, and the flip-transfer matrix."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .analysis import FlipTransfer


def curves(curve: pd.DataFrame, ax=None, *, title: str = ""):
    """Share of clips flipped by <= k bins per model (solid, with its 95% band), and the same share
    for k random bins (dotted) and the k loudest bins (dashed) of the mean over models."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for model, g in curve[curve["model"] != "all models"].groupby("model", sort=True):
        line, = ax.plot(g["size"], g["rate"], marker="o", lw=1.5, label=model)
        ax.fill_between(g["size"], g["lo"], g["hi"], color=line.get_color(), alpha=0.12, lw=0)
    mean = curve[curve["model"] == "all models"]
    ax.plot(mean["size"], mean["random"], ls=":", color="0.3", label="random k bins (mean over models)")
    ax.plot(mean["size"], mean["loudest"], ls="--", color="0.3", label="loudest k bins (mean over models)")
    ax.set(xscale="log", xlabel="bins removed (k)", ylabel="share of clips flipped", ylim=(-0.03, 1.03),
           title=title)
    ax.set_xticks(sorted(curve["size"].unique()), [str(s) for s in sorted(curve["size"].unique())])
    ax.legend(fontsize="x-small", loc="upper left")
    return ax


def matrix(ft: FlipTransfer, ax=None, *, title: str = ""):
    """Heatmap of the flip-transfer matrix (producer f = row, judge g = column), each cell annotated
    with its rate, its random-removal null and its number of flipped clips."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 5), layout="constrained")
    r = ft.rate.to_numpy(dtype=float)
    im = ax.imshow(np.ma.masked_invalid(r), vmin=0, vmax=1, cmap="viridis")
    names = [str(m).split("/")[-1] for m in ft.rate.index]
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize="small")
    ax.set_yticks(range(len(names)), names, fontsize="small")
    for i in range(len(names)):
        for j in range(len(names)):
            n = int(ft.n.iloc[i, j])
            text = "-" if n == 0 else f"{r[i, j]:.2f}\nnull {ft.null.iloc[i, j]:.2f}\nn={n}"
            ax.text(j, i, text, ha="center", va="center", fontsize="x-small",
                    color="white" if np.isfinite(r[i, j]) and r[i, j] < 0.6 else "black")
    ax.set(xlabel="judge g (changes its class?)", ylabel="flipped model f", title=title)
    plt.colorbar(im, ax=ax, shrink=0.8, label="share of f's flips that change g")
    return ax


def curves_row(by_task: dict[str, pd.DataFrame]):
    """:func:`curves` of each task side by side (``by_task``: task -> flip curve).  Returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(by_task), figsize=(5.5 * len(by_task), 4.2), layout="constrained", squeeze=False)
    for ax, (task, curve) in zip(axes[0], by_task.items()):
        curves(curve, ax=ax, title=f"{task}: flipped by at most k bins")
    return fig


def matrices_row(transfers: dict[str, FlipTransfer]):
    """:func:`matrix` of each task side by side (``transfers``: task -> flip transfer).  Returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(transfers), figsize=(6 * len(transfers), 5.2), layout="constrained",
                             squeeze=False)
    for ax, (task, ft) in zip(axes[0], transfers.items()):
        matrix(ft, ax=ax, title=f"{task}: flip transfer")
    return fig
