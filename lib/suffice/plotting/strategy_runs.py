"""The toy chapter's strategy comparison as a figure: model calls against set size, one point per run."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

#: a colour per variant, in the order the runs name them
COLOURS = ("#d62728", "#1f77b4", "#17becf", "#7f7f7f", "#ff7f0e")


def plot_strategy_runs(runs: pd.DataFrame, circles: str = "tones"):
    """Log-log scatter of ``runs`` (:func:`suffice.book.strategy_comparison.strategy_runs`): calls against
    bins, a colour per variant, circles for the case ``circles`` and squares for the others.  Returns the
    figure."""
    colours = dict(zip(dict.fromkeys(runs["strategy"]), COLOURS))
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for (case, label), g in runs.groupby(["model", "strategy"], sort=False):
        ax.scatter(g["model calls"], g["size"], marker="o" if case == circles else "s",
                   color=colours[label], alpha=0.7, label=f"{case} model, {label}")
    ax.set(xscale="log", yscale="log", xlabel="model calls (log)",
           ylabel="bins in the sufficient set (log)",
           title="cost and size of the explanation, one point per seed")
    ax.legend(fontsize="x-small", ncol=2)
    return fig
