"""Figures of transferability: matrix heatmap, out/in rates with flat-earthers, accuracy vs transfer,
sufficient-set sizes.  Each function returns the matplotlib Figure (and draws on ``ax`` when given).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..transfer import ChanceSummary, TransferSummary

FLAG_COLOUR = "#d62728"
#: the book's text column in inches at the notebooks' 100 dpi (about 770 px at a 1,400 px window):
#: a wider figure is shown scaled down, and its labels shrink with it
BOOK_WIDTH_IN = 7.5
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


def short_names(names: Sequence[str]) -> tuple[list[str], str]:
    """Names without the folder prefix they all share (``genre/ast-tiny`` -> ``ast-tiny``), and that
    prefix (``genre/``; ``""`` when they share none)."""
    names = [str(n) for n in names]
    heads = {n.rsplit("/", 1)[0] + "/" if "/" in n else "" for n in names}
    prefix = heads.pop() if len(heads) == 1 else ""
    return [n[len(prefix):] for n in names], prefix


#: colour-bar labels: a rate matrix, and a signed one (a difference of rates, e.g. the excess over chance)
RATE_LABEL, SIGNED_LABEL = "transfer rate R(f -> g)", "difference of transfer rates (0: none)"


def heatmap(result: TransferSummary | pd.DataFrame, *, ax=None, title: str | None = None, ci: bool = True,
            cmap: str | None = None, vmin: float = 0.0, vmax: float = 1.0, label: str | None = None):
    """Transfer matrix as a heatmap: rows = producer f, columns = acceptor g, each cell annotated with
    its rate.  When ``result`` is a :class:`~suffice.transfer.TransferSummary` and ``ci``, each
    off-diagonal cell also draws its Wilson interval as a bar inside the cell (the cell's width spans the
    colour range ``vmin``..``vmax``, the tick marks the rate) and the title gives the rows n per cell.

    ``vmin < 0`` marks a signed matrix (e.g. ``vmin=-1`` for an excess over chance): a diverging map
    centred on 0 and :data:`SIGNED_LABEL` on the colour bar; otherwise a sequential map and
    :data:`RATE_LABEL`.  ``cmap`` and ``label`` override these (``label`` defaults to the matrix's
    ``attrs["label"]`` when set).  Tick labels drop the folder prefix every model shares, which goes
    into the axis labels.  The diagonal (1 by construction) is hatched so the eye reads the off-diagonal.
    """
    import matplotlib.colors as mcolors
    from matplotlib.patches import Rectangle

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
    if not vmin < vmax:
        raise OptionError(f"heatmap needs vmin < vmax, got {vmin}, {vmax}")
    signed = vmin < 0
    m = len(mat)
    ax = _ax(ax, (min(2.0 + 0.72 * m, BOOK_WIDTH_IN), min(1.4 + 0.62 * m, BOOK_WIDTH_IN - 0.5)))
    vals = mat.to_numpy(dtype=float)
    if signed:
        half = max(abs(vmin), abs(vmax))
        norm = mcolors.TwoSlopeNorm(0.0, vmin, vmax) if vmax > 0 else mcolors.Normalize(-half, half)
    else:
        norm = mcolors.Normalize(vmin, vmax)
    im = ax.imshow(np.ma.masked_invalid(vals), norm=norm, cmap=cmap or ("RdBu_r" if signed else "viridis"))
    ax.figure.colorbar(im, ax=ax, shrink=0.8,
                       label=label or mat.attrs.get("label") or (SIGNED_LABEL if signed else RATE_LABEL))
    cm = im.cmap
    # text size from the cell's size on the page: a cell of w points holds "0.00" at about w / 3.2
    bbox = ax.get_window_extent().transformed(ax.figure.dpi_scale_trans.inverted())
    cell_pt = 72 * min(bbox.width, bbox.height) / max(m, 1)
    size = float(np.clip(cell_pt / 3.4, 6, 12))
    ns = []
    for i, f in enumerate(mat.index):
        for j, g in enumerate(mat.columns):
            v = vals[i, j]
            if f == g:
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="//", edgecolor="0.6", linewidth=0))
            if not np.isfinite(v):
                ax.text(j, i, "n/a", ha="center", va="center", fontsize=size * 0.8, color="0.4")
                continue
            r, g_, b, _ = cm(norm(v))
            colour = "black" if 0.299 * r + 0.587 * g_ + 0.114 * b > 0.5 else "white"
            has_ci = ci and pairs is not None and f != g and (f, g) in pairs.index
            ax.text(j, i - (0.12 if has_ci else 0), f"{v:.2f}", ha="center", va="center", fontsize=size, color=colour)
            if has_ci:
                lo, hi, n = pairs.loc[(f, g), ["lo", "hi", "n"]]
                ns.append(int(n))
                x = lambda q: j - 0.4 + 0.8 * (float(np.clip(q, vmin, vmax)) - vmin) / (vmax - vmin)  # noqa: E731
                ax.plot([j - 0.4, j + 0.4], [i + 0.27, i + 0.27], color=colour, lw=0.6, alpha=0.35)  # the scale
                ax.plot([x(lo), x(hi)], [i + 0.27, i + 0.27], color=colour, lw=2.2, solid_capstyle="butt")
                ax.plot([x(v)], [i + 0.27], marker="|", markersize=size * 0.45, markeredgewidth=1.2, color=colour)
    ticks, prefix = short_names(list(mat.columns))
    ax.set_xticks(range(m), ticks, rotation=30, ha="right")
    ax.set_yticks(range(m), short_names(list(mat.index))[0])
    ax.set_xlabel(f"acceptor g{f' ({prefix}...)' if prefix else ''}")
    ax.set_ylabel(f"producer f{f' ({prefix}...)' if prefix else ''}")
    if ns:
        what = f"n = {ns[0]}" if min(ns) == max(ns) else f"n = {min(ns)} to {max(ns)}"
        title = (title + "\n" if title else "") + f"bar under each rate: its 95% interval on a {vmin:g}-{vmax:g} scale; {what} rows per cell"
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure


def heatmaps(panels: Mapping[str, TransferSummary | pd.DataFrame], *, suptitle: str | None = None,
             options: Mapping[str, dict] | None = None, height: float = 6.0):
    """Heatmaps (:func:`heatmap`) stacked in one figure, one per panel: ``{title: summary or matrix}``, each
    drawn with its ``options[title]`` (keyword arguments of :func:`heatmap`), ``height`` inches each."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 1, figsize=(BOOK_WIDTH_IN, height * len(panels)), layout="constrained",
                             squeeze=False)
    for ax, (title, panel) in zip(axes[:, 0], panels.items()):
        heatmap(panel, ax=ax, title=title, **(options or {}).get(title, {}))
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def chance_heatmaps(chance: ChanceSummary):
    """The size-matched null matrix above the excess over it (observed minus null), of
    :func:`suffice.transfer.chance_baselines`."""
    excess = "excess: observed minus null"
    return heatmaps({"size-matched null (random sets of the same size)": chance.matrices["null"],
                     excess: chance.matrices["excess"]},
                    options={excess: {"vmin": -1.0, "label": "excess over the matched null"}})


def model_panels(table: pd.DataFrame):
    """Two panels of :func:`suffice.transfer.model_table`'s rows: out- and in-rate per model
    (:func:`model_rates`) above accuracy against transfer (:func:`accuracy_vs_transfer`)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(BOOK_WIDTH_IN, 9), layout="constrained")
    model_rates(table, ax=axes[0], title="out-rate and in-rate per model")
    accuracy_vs_transfer(table, ax=axes[1], title="accuracy against transfer")
    return fig


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
    """Distribution of sufficient-set sizes per source model (one point per found explanation), one row
    per model (the names never collide).

    ``df``: the transfer table (each (source, clip, seed) counted once).  ``value``: ``fraction`` (|S|/K)
    or ``set_size``.  ``log``: a log axis when the non-zero sizes span a decade or more; empty sets (size
    0) cannot sit on it and are counted in the labels instead.  Labels give n found, n not found and,
    on a log axis, n empty.
    """
    _need(df, ["source", "clip_id", "seed", "found", value], "set_sizes")
    one = df.drop_duplicates(["source", "clip_id", "seed"])
    models = list(pd.unique(one["source"]))
    found = one[one["found"].astype(bool)]
    data = [found.loc[found["source"] == m_, value].to_numpy(float) for m_ in models]
    positive = np.concatenate([d[d > 0] for d in data]) if data else np.array([])
    use_log = bool(log and positive.size and positive.max() >= 10 * positive.min())
    shown = [d[d > 0] if use_log else d for d in data]
    ax = _ax(ax, (BOOK_WIDTH_IN - 0.5, 1.2 + 0.5 * len(models)))
    pos = np.arange(len(models))
    nonempty = [i for i, d in enumerate(shown) if d.size]
    if nonempty:
        import matplotlib

        # ``orientation`` from matplotlib 3.10 on (``vert`` warns there), ``vert`` before
        across = ({"orientation": "horizontal"} if tuple(int(x) for x in matplotlib.__version__.split(".")[:2]) >= (3, 10)
                  else {"vert": False})
        ax.boxplot([shown[i] for i in nonempty], positions=pos[nonempty], widths=0.5, showfliers=False, **across)
    rng = np.random.default_rng(0)
    for i, d in enumerate(shown):
        ax.scatter(d, i + rng.uniform(-0.15, 0.15, d.size), s=10, alpha=0.6, color=OUT_COLOUR, zorder=3)
    nf = [int((~one.loc[one["source"] == m_, "found"].astype(bool)).sum()) for m_ in models]
    names, prefix = short_names(models)
    labels = [f"{n_}\n{d.size} found, {k} not" + (f", {int((d == 0).sum())} empty" if use_log else "")
              for n_, d, k in zip(names, data, nf)]
    ax.set_yticks(pos, labels, fontsize=8)
    ax.set_ylim(len(models) - 0.5, -0.5)
    if use_log:
        ax.set_xscale("log")
    ax.set_xlabel(("|S| / K (fraction of bins kept)" if value == "fraction" else value.replace("_", " "))
                  + (", log scale" if use_log else ""))
    if prefix:
        ax.set_ylabel(f"source model ({prefix}...)")
    ax.set_title(title or "size of the sufficient sets per model", fontsize=10)
    return ax.figure


#: the chance references of :func:`contrast_forest`, in the order drawn, with their legend text
CONTRAST_REFERENCES = {"loudest": "minus the |S| loudest bins (level-matched)",
                       "energy": "minus energy-matched random bins",
                       "random": "minus uniform random bins of size |S|"}


def contrast_forest(headlines: pd.DataFrame, *, ax=None, title: str | None = None):
    """Observed transfer minus each chance reference, per task, as points with 95% intervals.

    ``headlines``: one row per task (:func:`suffice.transfer.task_headline`: ``task`` and, per reference
    of :data:`CONTRAST_REFERENCES`, the estimate and ``_lo``/``_hi``).  A reference a task's table lacks
    (NaN) is left out; a vertical line marks 0 (no excess).  Values are in percentage points.
    """
    _need(headlines, ["task", *(f"{r}{s}" for r in CONTRAST_REFERENCES for s in ("", "_lo", "_hi"))],
          "contrast_forest")
    tasks = list(headlines["task"])
    ax = _ax(ax, (BOOK_WIDTH_IN - 0.5, 1.9 + 0.9 * len(tasks)))
    colours = dict(zip(CONTRAST_REFERENCES, ("#1f77b4", "#2ca02c", "#7f7f7f")))
    offsets = dict(zip(CONTRAST_REFERENCES, (-0.22, 0.0, 0.22)))
    for ref, text in CONTRAST_REFERENCES.items():
        est = 100 * headlines[ref].to_numpy(float)
        lo, hi = 100 * headlines[f"{ref}_lo"].to_numpy(float), 100 * headlines[f"{ref}_hi"].to_numpy(float)
        ok = np.isfinite(est)
        if not ok.any():
            continue
        err = np.vstack([est - lo, hi - est])[:, ok]
        ax.errorbar(est[ok], np.arange(len(tasks))[ok] + offsets[ref], xerr=np.nan_to_num(err), fmt="o",
                    color=colours[ref], capsize=3, label=text)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(np.arange(len(tasks)), tasks)
    ax.set_ylim(len(tasks) - 0.5, -0.5)
    ax.set_xlabel("observed transfer rate minus the reference (percentage points)")
    # below the axes: inside, it would hide the points of a task whose contrasts sit where it is drawn
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False)
    ax.set_title(title or "how much transfer is more than chance, by reference", fontsize=10)
    return ax.figure
