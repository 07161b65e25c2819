"""Every registered strategy on a few toy cases over several seeds: the runs, their table, their reading.

A *case* is ``(model, clip, exact)`` where ``exact(explanation)`` says whether the set is the known
answer; a *variant* is a label mapped to ``(strategy, options)`` for :func:`suffice.explain`.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Mapping

import pandas as pd

from ..explanation import Explanation
from ..search import explain

Case = tuple[Any, Any, Callable[[Explanation], bool]]
Variant = tuple[str, dict]


def toy_variants(rex_iters: int) -> dict[str, Variant]:
    """The toy chapter's variants: the default, ReX (bisection and ReX's linear extraction, ``rex_iters``
    iterations) and the two non-causal baselines."""
    return {
        "suffice": ("suffice", {}),
        "rex": ("rex", {"iters": rex_iters}),
        "rex (linear)": ("rex", {"iters": rex_iters, "extraction": "linear"}),
        "magnitude": ("magnitude", {}),
        "occlusion": ("occlusion", {}),
    }


def strategy_runs(cases: Mapping[str, Case], variants: Mapping[str, Variant], seeds: range) -> pd.DataFrame:
    """One row per case, variant and seed: ``model`` (case), ``strategy`` (variant label), ``seed``,
    ``found``, ``size``, ``model calls``, ``exact`` and wall ``seconds``."""
    rows = []
    for case, (model, clip, exact) in cases.items():
        for label, (strategy, options) in variants.items():
            for s in seeds:
                t0 = time.perf_counter()
                ex = explain(model, clip, seed=s, strategy=strategy, **options)
                rows.append({"model": case, "strategy": label, "seed": s,
                             "found": ex.found, "size": ex.size,
                             "model calls": ex.n_model_calls, "exact": exact(ex),
                             "seconds": time.perf_counter() - t0})
    return pd.DataFrame(rows)


def strategy_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per case and variant (in run order): runs, median and largest size, median calls, the share of
    exact runs and the median seconds, rounded to 3 decimals."""
    return (runs.groupby(["model", "strategy"], sort=False)
                .agg(runs=("seed", "size"), median_size=("size", "median"),
                     max_size=("size", "max"), median_calls=("model calls", "median"),
                     exact_share=("exact", "mean"), median_seconds=("seconds", "median"))
                .round(3))


def strategy_reading(runs: pd.DataFrame, n_seeds: int) -> str:
    """Markdown: per case, each variant's median calls and bins and its exact share; then the sizes of
    ReX's linear extraction against the bisection over the same ranking."""
    med = runs.groupby(["model", "strategy"])[["size", "model calls"]].median()
    exact_share = runs.groupby(["model", "strategy"])["exact"].mean()
    cases, variants = list(dict.fromkeys(runs["model"])), list(dict.fromkeys(runs["strategy"]))

    def sentence(case: str) -> str:
        parts = [f"{label} {med.loc[(case, label), 'model calls']:.0f} calls for "
                 f"{med.loc[(case, label), 'size']:.0f} bins (exact in "
                 f"{exact_share.loc[(case, label)]:.0%} of runs)" for label in variants]
        return f"- **{case} model**: " + "; ".join(parts) + "."

    lin, bis = med.xs("rex (linear)", level="strategy"), med.xs("rex", level="strategy")
    return (f"In this run (medians over {n_seeds} seeds):\n\n"
            + "\n".join(sentence(c) for c in cases)
            + "\n\nReX's linear extraction and our bisection over the same ranking gave sets "
            + " and ".join(f"of {lin.loc[c, 'size']:.0f} and {bis.loc[c, 'size']:.0f} bins ({c})"
                           for c in cases) + ".")
