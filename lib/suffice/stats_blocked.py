"""Tests for repeated measures: clip-clustered linear regression with Wald tests, and a blocked rank test.

Every detector explains the same clips, so rows of one clip are not independent.  Two tools:

* :func:`clustered_ols`: least squares with a cluster-robust (CR1) covariance, clusters = clips, and
  :func:`wald_test` of linear restrictions against ``F(q, G - 1)`` (G clusters);
* :func:`blocked_ranks`: Friedman's test across detectors with clips as blocks, and each detector's mean
  within-clip rank minus its null value ``(k + 1) / 2`` with a percentile interval from resampling clips.
  Under the null (exchangeable detectors within a clip) every deviation is 0, so the interval has a null
  value to cover (Kendall's W, always >= 0, has none; its interval excludes 0 under the null).

Calibration of both under the null is checked by simulation in ``tests/test_deepfake_info.py``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .errors import OptionError
from .stats import percentile_ci

__all__ = ["clustered_ols", "wald_test", "blocked_ranks"]


def clustered_ols(y: np.ndarray, X: np.ndarray, clusters: Sequence[object] | np.ndarray) -> dict[str, np.ndarray | int]:
    """OLS ``y ~ X`` with the CR1 cluster-robust covariance.

    Returns ``beta`` (p,), ``cov`` (p, p), ``n``, ``n_clusters``, ``df`` (= G - 1, the reference degrees
    of freedom) and ``rank``.  Columns that are linearly dependent get a pseudo-inverse solution; check
    ``rank`` against the number of columns before reading their coefficients.
    """
    y = np.asarray(y, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != y.size:
        raise OptionError(f"design of shape {X.shape} does not match {y.size} outcomes")
    keep = np.isfinite(y) & np.isfinite(X).all(1)
    y, X = y[keep], X[keep]
    g = pd.factorize(np.asarray(clusters, dtype=object)[keep])[0]
    n, p = X.shape
    n_g = int(g.max()) + 1 if n else 0
    if n_g < 2 or n <= p:
        raise OptionError(f"clustered regression needs >= 2 clusters and more rows than terms (got {n_g}, {n} rows, {p} terms)")
    bread = np.linalg.pinv(X.T @ X)
    beta = bread @ X.T @ y
    resid = y - X @ beta
    scores = np.zeros((n_g, p))
    np.add.at(scores, g, X * resid[:, None])
    rank = int(np.linalg.matrix_rank(X))
    if n_g <= rank or n <= rank:
        raise OptionError(f"{n_g} clusters and {n} rows cannot support a clustered fit of {rank} terms")
    c = n_g / (n_g - 1) * (n - 1) / max(n - rank, 1)
    cov = c * bread @ (scores.T @ scores) @ bread
    return {"beta": beta, "cov": cov, "n": n, "n_clusters": n_g, "df": n_g - 1, "rank": rank}


def wald_test(fit: dict, R: np.ndarray, r: np.ndarray | None = None) -> dict[str, float]:
    """Wald test of ``R beta = r`` (default 0) from :func:`clustered_ols`: ``F = W / q`` against ``F(q, G-1)``."""
    R = np.atleast_2d(np.asarray(R, dtype=np.float64))
    r = np.zeros(R.shape[0]) if r is None else np.asarray(r, dtype=np.float64)
    d = R @ fit["beta"] - r
    v = R @ fit["cov"] @ R.T
    q = int(np.linalg.matrix_rank(v))
    if q == 0:
        return {"F": float("nan"), "df_num": 0, "df_den": int(fit["df"]), "p": float("nan")}
    w = float(d @ np.linalg.pinv(v) @ d)
    f = w / q
    return {"F": f, "df_num": q, "df_den": int(fit["df"]), "p": float(sps.f.sf(f, q, fit["df"]))}


def blocked_ranks(df: pd.DataFrame, value: str, *, by: str = "model", block: str = "clip_id", n_boot: int = 1000,
                  ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Friedman's test of ``value`` across ``by`` with ``block`` as blocks, and per level its mean rank.

    Null: within each block the levels are exchangeable.  Estimand per level: its mean within-block rank
    minus ``(k + 1) / 2`` (0 under the null; positive = higher values than the other levels in the same
    clips), with a percentile interval from resampling blocks.  Only blocks with a finite value for every
    level are used.  Returns one row per level (``level``, ``mean_rank_dev``, ``lo``, ``hi``) with the
    Friedman ``chi2``, ``p``, ``n_blocks``, ``kendall_w`` in ``attrs``.
    """
    for col in (value, by, block):
        if col not in df.columns:
            raise OptionError(f"column {col!r} not in the table")
    wide = df.pivot_table(index=block, columns=by, values=value, aggfunc="mean", observed=True)
    wide = wide[np.isfinite(wide.to_numpy(dtype=np.float64)).all(axis=1)]
    ranks = sps.rankdata(wide.to_numpy(dtype=np.float64), axis=1)
    n, k = ranks.shape
    if k < 2 or n < 2:
        raise OptionError(f"a blocked comparison needs >= 2 {by} levels and >= 2 complete {block}s (got {k} and {n})")
    # Friedman's chi2 with the tie correction (as suffice.stats.friedman): n (k-1) W
    ss = ((ranks.sum(0) - n * (k + 1) / 2) ** 2).sum()
    total = ((ranks - (k + 1) / 2) ** 2).sum()
    w = ss / (n * total) if total > 0 else float("nan")
    chi2 = w * n * (k - 1)
    fr = {"chi2": chi2, "df": k - 1, "p": float(sps.chi2.sf(chi2, k - 1)), "n_blocks": n, "kendall_w": w}
    dev = ranks.mean(0) - (k + 1) / 2
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    reps = ranks[idx].mean(1) - (k + 1) / 2
    lo, hi = percentile_ci(reps, ci)
    out = pd.DataFrame({"level": list(wide.columns), "mean_rank_dev": dev, "lo": lo, "hi": hi})
    out.attrs.update({"chi2": fr["chi2"], "df": fr["df"], "p": fr["p"], "n_blocks": fr["n_blocks"],
                      "kendall_w": fr["kendall_w"]})
    return out
