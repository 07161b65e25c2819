"""Our numbers beside a paper's: a transfer rate against a reported value, a variance component across tasks.

The paper reports point values without intervals, so a reported number is taken as fixed and all the
uncertainty is ours.

* :func:`against_reported`: estimand ``rate - reported``, our task transfer rate (the mean over rows,
  clips resampled within their class, :func:`suffice.transfer.contrast.contrast_table`) minus the fixed
  reported rate.  Null: they are equal.  The interval follows the contrast module's small-sample rule (a
  stratified bootstrap from 20 clips, a t interval below, no claim below 6); the two-sided p-value is
  the matching t (or normal) test on the bootstrap standard error.
* :func:`compare_components`: estimand ``log SD_a - log SD_b`` of one variance component of the social
  relations model (:func:`suffice.transfer.social_relations`) in two tasks.  Null: equal SDs.  The tasks'
  fits are independent, so the difference's standard error is the root sum of squares of each fit's
  parametric-bootstrap standard error on the log scale; normal interval and two-sided p.  Where a
  component's interval reaches 0 (the pair test kept "SD = 0") the log scale is undefined and no
  difference is claimed.

Absence is said as a bound: an interval that covers 0 rules out only differences beyond its ends.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import OptionError
from .contrast import contrast_table

__all__ = ["against_reported", "reported_sentence", "compare_components", "components_sentence"]


def _p_two_sided(z: float, method: str) -> float:
    """Two-sided p of a standardised difference under the contrast module's interval ``method``."""
    if not np.isfinite(z):
        return float("nan")
    if method.startswith("t ("):
        df = int(method.split("(")[1].split()[0])
        return float(2 * sps.t.sf(abs(z), df))
    return float(2 * sps.norm.sf(abs(z)))


def against_reported(table: pd.DataFrame, reported: float, *, n_boot: int = 2000, ci: float = 0.95,
                     seed: int = 0) -> dict[str, object]:
    """Our task transfer rate minus a reported rate (module docstring: estimand, null, inference).

    ``table``: a transfer table with the chance columns (as :func:`contrast_table` needs); ``reported``:
    the paper's rate in [0, 1].  Returns ``rate``, ``rate_lo``, ``rate_hi``, ``diff``, ``lo``, ``hi`` (of
    the difference), ``p``, ``se``, ``n_clips``, ``method`` and ``reported``.
    """
    if not 0.0 <= float(reported) <= 1.0:
        raise OptionError(f"reported must be a rate in [0, 1], got {reported!r}")
    obs = contrast_table(table, n_boot=n_boot, ci=ci, seed=seed, strata=("all",))
    r = obs[obs["measure"] == "observed"].iloc[0]
    rep = float(reported)
    lo, hi = float(r["lo"]), float(r["hi"])
    se = float(r["se"])
    z = (float(r["estimate"]) - rep) / se if se > 0 else float("nan")
    return {"rate": float(r["estimate"]), "rate_lo": lo, "rate_hi": hi, "reported": rep,
            "diff": float(r["estimate"]) - rep, "lo": lo - rep, "hi": hi - rep,
            "p": _p_two_sided(z, str(r["method"])) if np.isfinite(lo) else float("nan"),
            "se": se, "n_clips": int(r["n_clips"]), "method": str(r["method"])}


def _bound(lo: float, hi: float, scale: float = 100.0, unit: str = " pp") -> str:
    return f"it rules out only differences below {scale * lo:+.1f}{unit} or above {scale * hi:+.1f}{unit}"


def reported_sentence(result: Mapping[str, object], *, what: str = "our rate", ci: float = 0.95) -> str:
    """:func:`against_reported` in words: the difference, its interval and p, and the reading (higher,
    lower, or the bound an interval covering 0 sets)."""
    lvl = int(round(100 * ci))
    d, lo, hi = (float(result[k]) for k in ("diff", "lo", "hi"))
    head = (f"{what} {100 * float(result['rate']):.1f}% over {result['n_clips']} clips minus the reported "
            f"{100 * float(result['reported']):.0f}%: {100 * d:+.1f} pp")
    if not np.isfinite(lo):
        return f"{head} ({result['method']}): no claim."
    head += f" ({lvl}% CI {100 * lo:+.1f} to {100 * hi:+.1f}, {result['method']}; p = {float(result['p']):.2g})"
    if lo > 0:
        return f"{head}: higher than reported."
    if hi < 0:
        return f"{head}: lower than reported."
    return f"{head}: the interval covers no difference, which does not show agreement: {_bound(lo, hi)}."


def _log_se(row: pd.Series, ci: float) -> float:
    """Standard error of a component's log SD from its interval (the bias-corrected normal interval of
    :func:`suffice.transfer.relations.relations_table` is symmetric on the log scale); NaN at a 0 end."""
    if not (row["lo"] > 0 and row["hi"] > 0):
        return float("nan")
    n_boot = row.get("n_boot")
    q = sps.t.ppf(0.5 + ci / 2, max(int(n_boot) - 1, 1)) if n_boot is not None and np.isfinite(n_boot) \
        else sps.norm.ppf(0.5 + ci / 2)
    return float((np.log(row["hi"]) - np.log(row["lo"])) / (2 * q))


def compare_components(fits: Mapping[str, pd.DataFrame], *, term: str = "pair", focus: str,
                       ci: float = 0.95) -> pd.DataFrame:
    """One variance component of :func:`suffice.transfer.social_relations` in ``focus`` against each other
    task of ``fits`` (``{task: table}``); module docstring for the estimand and inference.

    Returns one row per other task: ``task``, ``other``, ``sd``, ``other_sd``, ``ratio`` (SD ratio),
    ``ratio_lo``, ``ratio_hi``, ``p`` (NaN, and no interval, where either fit's interval reaches 0).
    """
    if focus not in fits:
        raise OptionError(f"no fit for {focus!r}; fits are for {', '.join(fits)}")
    rows = []
    z = sps.norm.ppf(0.5 + ci / 2)

    def comp(task: str) -> pd.Series:
        t = fits[task]
        hit = t[t["term"] == term]
        if hit.empty:
            raise OptionError(f"the {task} fit has no component {term!r}")
        return pd.concat([hit.iloc[0], pd.Series({"n_boot": t.attrs.get("n_boot", np.nan)})])
    a = comp(focus)
    for other in fits:
        if other == focus:
            continue
        b = comp(other)
        se = float(np.hypot(_log_se(a, ci), _log_se(b, ci)))
        d = float(np.log(a["estimate"]) - np.log(b["estimate"])) if a["estimate"] > 0 and b["estimate"] > 0 \
            else float("nan")
        ok = np.isfinite(se) and np.isfinite(d)
        rows.append({"task": focus, "other": other, "sd": float(a["estimate"]), "other_sd": float(b["estimate"]),
                     "ratio": float(np.exp(d)) if np.isfinite(d) else float("nan"),
                     "ratio_lo": float(np.exp(d - z * se)) if ok else float("nan"),
                     "ratio_hi": float(np.exp(d + z * se)) if ok else float("nan"),
                     "p": float(2 * sps.norm.sf(abs(d / se))) if ok and se > 0 else float("nan")})
    out = pd.DataFrame(rows, columns=["task", "other", "sd", "other_sd", "ratio", "ratio_lo", "ratio_hi", "p"])
    out.attrs.update(term=term, ci=ci)
    return out


def components_sentence(table: pd.DataFrame, *, adjust: str = "holm") -> str:
    """:func:`compare_components` in words, with the p-values adjusted over its comparisons (``adjust``:
    ``holm`` or ``none``): for each other task, larger, smaller, or the ratio bound that the data set."""
    from ..stats import holm

    if adjust not in ("holm", "none"):
        raise OptionError(f"adjust must be holm or none, got {adjust!r}")
    if table.empty:
        raise OptionError("no comparison to describe")
    term = table.attrs.get("term", "pair")
    lvl = int(round(100 * table.attrs.get("ci", 0.95)))
    focus = table["task"].iloc[0]
    ps = table["p"].to_numpy(dtype=float)
    finite = np.isfinite(ps)
    adj = np.full_like(ps, np.nan)
    if finite.any():
        adj[finite] = holm(ps[finite]) if adjust == "holm" else ps[finite]
    bits = []
    for r, p in zip(table.itertuples(), adj):
        if not np.isfinite(p):
            bits.append(f"against {r.other}: no comparison (an interval reaches SD 0)")
            continue
        ratio = f"SD ratio {r.ratio:.2f} ({lvl}% CI {r.ratio_lo:.2f} to {r.ratio_hi:.2f}; p = {p:.2g}" \
                + (", Holm" if adjust == "holm" and finite.sum() > 1 else "") + ")"
        if p < 1 - lvl / 100 and r.ratio > 1:
            bits.append(f"larger than {r.other}'s, {ratio}")
        elif p < 1 - lvl / 100:
            bits.append(f"smaller than {r.other}'s, {ratio}")
        else:
            bits.append(f"not shown different from {r.other}'s, {ratio}: ratios outside that interval are ruled out")
    return f"{focus.capitalize()}'s {term} SD is " + "; ".join(bits) + "."
