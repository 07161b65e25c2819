"""Figures of transferability: matrix heatmap, out/in rates with flat-earthers, accuracy vs transfer,
sufficient-set sizes.  Each function returns the matplotlib Figure (and draws on ``ax`` when given).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..transfer import TransferSummary

FLAG_COLOUR = "#d62728"
OUT_COLOUR, IN_COLOUR = "#1f77b4", "#ff7f0e"


def _ax(ax, figsize):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _need(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise OptionError(f"{what} needs column(s) {', '.join(missing)}")


def heatmap(result: TransferSummary | pd.DataFrame, *, ax=None, title: str | None = None, ci: bool = True,
            cmap: str = "viridis", vmin: float = 0.0, vmax: float = 1.0):
    """Transfer matrix as a heatmap: rows = producer f, columns = acceptor g, cells annotated with the
    rate (and, when ``result`` is a :class:`~suffice.transfer.TransferSummary` and ``ci``, its Wilson
    interval and the number of rows n behind it).  ``vmin``/``vmax``: colour range (e.g. ``vmin=-1`` for
    an excess-over-chance matrix).

    The diagonal (1 by construction) is hatched so the eye reads the off-diagonal.
    """
    if isinstance(result, TransferSummary):
        mat = result.matrix
        pairs = result.pairs.set_index(["source", "target"])
        if title is None:
            o = result.options
            title = (f"transfer rate ({o['criterion']}"
                     + (f", delta={o['delta']:g}" if o["criterion"] == "confidence" else "")
                     + f", {o['condition']} clips): task {result.task['rate']:.2f} "
                     f"[{result.task['lo']:.2f}, {result.task['hi']:.2f}]")
    elif isinstance(result, pd.DataFrame):
        mat, pairs, ci = result, None, False
    else:
        raise OptionError(f"heatmap needs a TransferSummary or a matrix DataFrame, got {type(result).__name__}")
    m = len(mat)
    ax = _ax(ax, (1.3 + 1.1 * m, 1.0 + 0.9 * m))
    vals = mat.to_numpy(dtype=float)
    shown = np.ma.masked_invalid(vals)
    im = ax.imshow(shown, vmin=vmin, vmax=vmax, cmap=cmap)
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="R(f -> g)")
    import matplotlib.colors as mcolors
    from matplotlib.patches import Rectangle

    norm, cm = mcolors.Normalize(vmin, vmax), ax.images[-1].cmap
    for i, f in enumerate(mat.index):
        for j, g in enumerate(mat.columns):
            v = vals[i, j]
            if f == g:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", edgecolor="0.6", linewidth=0))
            if not np.isfinite(v):
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=8, color="0.4")
                continue
            r, g_, b, _ = cm(norm(v))
            colour = "black" if 0.299 * r + 0.587 * g_ + 0.114 * b > 0.5 else "white"
            label = f"{v:.2f}"
            if ci and pairs is not None and f != g and (f, g) in pairs.index:
                lo, hi, n = pairs.loc[(f, g), ["lo", "hi", "n"]]
                label += f"\n[{lo:.2f}, {hi:.2f}]\nn={int(n)}"
            ax.text(j, i, label, ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(m), [str(c) for c in mat.columns], rotation=30, ha="right")
    ax.set_yticks(range(m), [str(r) for r in mat.index])
    ax.set_xlabel("acceptor g (target)")
    ax.set_ylabel("producer f (source)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure


def model_rates(table: pd.DataFrame, *, ax=None, title: str | None = None):
    """Out-rate O(m) and in-rate I(m) of each model with CI error bars; flat-earthers marked in red.

    ``table``: :func:`suffice.transfer.flat_earthers` or :func:`~suffice.transfer.model_table` output
    (or :func:`~suffice.transfer.model_rates`, without flags).
    """
    _need(table, ["model", "out_rate", "out_lo", "out_hi", "in_rate", "in_lo", "in_hi"], "model_rates")
    n = len(table)
    ax = _ax(ax, (9.5, 1.2 + 0.45 * n))
    y = np.arange(n)
    for role, off, colour, mk, name in (("out", -0.12, OUT_COLOUR, "o", "out-rate O (others accept its sufficiencies)"),
                                        ("in", 0.12, IN_COLOUR, "s", "in-rate I (it accepts others')")):
        r = table[f"{role}_rate"].to_numpy(float)
        err = np.vstack([r - table[f"{role}_lo"].to_numpy(float), table[f"{role}_hi"].to_numpy(float) - r])
        ax.errorbar(r, y + off, xerr=np.abs(np.nan_to_num(err)), fmt=mk, color=colour, capsize=3, label=name)
        flag = table[f"{role}_flag"].to_numpy(bool) if f"{role}_flag" in table else np.zeros(n, bool)
        if flag.any():
            ax.scatter(r[flag], (y + off)[flag], s=160, marker=mk, facecolors="none", edgecolors=FLAG_COLOUR,
                       linewidths=2, label=f"flagged: {role}-rate below average", zorder=3)
    fe = table["flat_earther"].to_numpy(bool) if "flat_earther" in table else np.zeros(n, bool)
    ax.set_yticks(y, [str(name) + ("  (flat-earther)" if f else "") for name, f in zip(table["model"], fe)])
    for lab, flagged in zip(ax.get_yticklabels(), fe):
        if flagged:
            lab.set_color(FLAG_COLOUR)
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("mean off-diagonal transfer rate (95% bootstrap CI)")
    test = table.attrs.get("test")
    ax.set_title(title or ("out- and in-rates" + (f"; flags: {test} test, Holm" if test and test != "none" else "")),
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax.figure


def accuracy_vs_transfer(table: pd.DataFrame, *, x: str = "accuracy", ax=None, title: str | None = None):
    """Scatter of each model's ``x`` (accuracy or macro_precision) against its out- and in-rate.

    ``table``: :func:`suffice.transfer.model_table` output.  A flagged out- or in-rate is ringed in red.
    """
    _need(table, ["model", x, "out_rate", "in_rate"], "accuracy_vs_transfer")
    ax = _ax(ax, (6, 4.5))
    xv = table[x].to_numpy(float)
    flag = table["flat_earther"].to_numpy(bool) if "flat_earther" in table else np.zeros(len(table), bool)
    # a thin line joins each model's out- and in-rate
    ax.vlines(xv, table["out_rate"].to_numpy(float), table["in_rate"].to_numpy(float), colors="0.8", lw=1, zorder=1)
    for role, marker, colour in (("out", "o", OUT_COLOUR), ("in", "s", IN_COLOUR)):
        yv = table[f"{role}_rate"].to_numpy(float)
        ax.scatter(xv, yv, marker=marker, color=colour, label=f"{role}-rate", zorder=2)
        ring = table[f"{role}_flag"].to_numpy(bool) if f"{role}_flag" in table else flag
        if ring.any():
            ax.scatter(xv[ring], yv[ring], s=170, marker=marker, facecolors="none", edgecolors=FLAG_COLOUR,
                       linewidths=2, zorder=3)
        for xi, yi, name in zip(xv, yv, table["model"]):
            ax.annotate(str(name), (xi, yi), textcoords="offset points", xytext=(5, 3), fontsize=7)
    if flag.any():
        ax.scatter([], [], s=120, facecolors="none", edgecolors=FLAG_COLOUR, linewidths=2, label="flat-earther")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel("transfer rate")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title(title or f"{x.replace('_', ' ')} vs transferability", fontsize=10)
    ax.legend(fontsize=8)
    return ax.figure


def set_sizes(df: pd.DataFrame, *, value: str = "fraction", ax=None, log: bool = True, title: str | None = None):
    """Distribution of sufficient-set sizes per source model (one point per found explanation).

    ``df``: the transfer table (each (source, clip, seed) counted once).  ``value``: ``fraction`` (|S|/K)
    or ``set_size``.  Tick labels give n found and n not found.
    """
    _need(df, ["source", "clip_id", "seed", "found", value], "set_sizes")
    one = df.drop_duplicates(["source", "clip_id", "seed"])
    models = list(pd.unique(one["source"]))
    ax = _ax(ax, (1.5 + 1.0 * len(models), 4))
    found = one[one["found"].astype(bool)]
    data = [found.loc[found["source"] == m_, value].to_numpy(float) for m_ in models]
    pos = np.arange(len(models))
    nonempty = [i for i, d in enumerate(data) if d.size]
    if nonempty:
        ax.boxplot([data[i] for i in nonempty], positions=pos[nonempty], widths=0.5, showfliers=False)
    rng = np.random.default_rng(0)
    for i, d in enumerate(data):
        ax.scatter(i + rng.uniform(-0.15, 0.15, d.size), d, s=10, alpha=0.6, color=OUT_COLOUR, zorder=3)
    nf = [int((~one.loc[one["source"] == m_, "found"].astype(bool)).sum()) for m_ in models]
    ax.set_xticks(pos, [f"{m_}\n{d.size} found, {k} not" for m_, d, k in zip(models, data, nf)], fontsize=8)
    if log and all((d > 0).all() for d in data) and any(d.size for d in data):
        ax.set_yscale("log")
    ax.set_ylabel("|S| / K (fraction of bins kept)" if value == "fraction" else value.replace("_", " "))
    ax.set_title(title or "size of the sufficient sets per model", fontsize=10)
    return ax.figure
