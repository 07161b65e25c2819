"""Tests for repeated measures: clip-clustered linear regression with Wald tests, and a blocked rank test.

Every detector explains the same clips, so rows of one clip are not independent.  Three tools:

* :func:`clustered_ols`: least squares with a cluster-robust (CR1) covariance, clusters = clips, and
  :func:`wald_test` of linear restrictions against ``F(q, G - 1)`` (G clusters);
* :func:`wild_cluster_wald`: the same Wald statistic referred to its wild cluster bootstrap
  distribution with the null imposed (the ``F(q, G - 1)`` reference is liberal with several
  restrictions and ~30 clusters, as simulated in ``tests/test_deepfake_info.py``);
* :func:`blocked_ranks`: Friedman's test across detectors with clips as blocks, and each detector's mean
  within-clip rank minus its null value ``(k + 1) / 2`` with a percentile interval from resampling clips.
  Under the null (exchangeable detectors within a clip) every deviation is 0, so the interval has a null
  value to cover (Kendall's W, always >= 0, has none; its interval excludes 0 under the null).

Calibration of all three under the null is checked by simulation in ``tests/test_deepfake_info.py``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .errors import OptionError
from .stats import percentile_ci

__all__ = ["clustered_ols", "wald_test", "wild_cluster_wald", "blocked_ranks"]


def _complete_rows(y: np.ndarray, X: np.ndarray, clusters: Sequence[object] | np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(y, X, cluster codes)`` of the rows with a finite outcome and finite regressors."""
    y = np.asarray(y, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != y.size:
        raise OptionError(f"design of shape {X.shape} does not match {y.size} outcomes")
    keep = np.isfinite(y) & np.isfinite(X).all(1)
    return y[keep], X[keep], pd.factorize(np.asarray(clusters, dtype=object)[keep])[0]


def _cr1(n_clusters: int, n: int, rank: int) -> float:
    """The CR1 small-sample factor ``G / (G - 1) * (n - 1) / (n - rank)``."""
    return n_clusters / (n_clusters - 1) * (n - 1) / max(n - rank, 1)


def clustered_ols(y: np.ndarray, X: np.ndarray, clusters: Sequence[object] | np.ndarray) -> dict[str, np.ndarray | int]:
    """OLS ``y ~ X`` with the CR1 cluster-robust covariance.

    Returns ``beta`` (p,), ``cov`` (p, p), ``n``, ``n_clusters``, ``df`` (= G - 1, the reference degrees
    of freedom) and ``rank``.  Columns that are linearly dependent get a pseudo-inverse solution; check
    ``rank`` against the number of columns before reading their coefficients.
    """
    y, X, g = _complete_rows(y, X, clusters)
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
    cov = _cr1(n_g, n, rank) * bread @ (scores.T @ scores) @ bread
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


def _wild_weights(rng: np.random.Generator, shape: tuple[int, int], kind: str) -> np.ndarray:
    """Cluster-level wild bootstrap weights: Rademacher (+-1) or Webb's six-point distribution."""
    if kind == "rademacher":
        return rng.integers(0, 2, size=shape) * 2.0 - 1.0
    if kind == "webb":
        pts = np.sqrt(np.array([0.5, 1.0, 1.5]))
        return pts[rng.integers(0, 3, size=shape)] * (rng.integers(0, 2, size=shape) * 2.0 - 1.0)
    raise OptionError(f"unknown wild bootstrap weights {kind!r} (rademacher or webb)")


def wild_cluster_wald(y: np.ndarray, X: np.ndarray, clusters: Sequence[object] | np.ndarray, R: np.ndarray,
                      r: np.ndarray | None = None, *, n_boot: int = 999, weights: str = "rademacher",
                      seed: int = 0) -> dict[str, float | int | str]:
    """Wald test of ``R beta = r`` in ``y ~ X`` (CR1, clusters) with a wild cluster bootstrap p-value.

    Null: ``R beta = r`` (default 0), errors independent across clusters (any dependence within one).
    Estimand: the linear contrasts ``R beta``; statistic ``F = W / q`` with ``W`` the CR1 Wald statistic
    of :func:`wald_test`.  Reference: the wild cluster bootstrap with the null imposed ("WCR", Cameron,
    Gelbach & Miller 2008, Rev. Econ. Stat. 90(3):414-427; MacKinnon & Webb 2017, J. Appl. Econometrics
    32(2):233-254 for Webb's six-point weights): the restricted least-squares fit ``beta_r`` and its
    residuals ``u_r``; ``y* = X beta_r + w_g u_r`` with one weight ``w_g`` per cluster (``weights``:
    ``"rademacher"`` or ``"webb"``); each replicate refitted and its own CR1 Wald statistic computed
    (vectorised over the ``n_boot`` replicates).  ``p = (1 + #{F* >= F}) / (n_boot + 1)``.

    Returns ``F``, ``df_num`` (q), ``df_den`` (G - 1), ``p`` (bootstrap), ``p_f`` (the ``F(q, G - 1)``
    reference of :func:`wald_test`, for comparison), ``n_boot``, ``weights`` and ``p_method``.  Seeded:
    the same ``seed`` gives the same p-value.
    """
    if n_boot < 1:
        raise OptionError(f"n_boot must be >= 1 (got {n_boot})")
    fit = clustered_ols(y, X, clusters)
    obs = wald_test(fit, R, r)
    out: dict[str, float | int | str] = {"F": obs["F"], "df_num": obs["df_num"], "df_den": obs["df_den"],
                                         "p": float("nan"), "p_f": obs["p"], "n_boot": int(n_boot),
                                         "weights": weights, "p_method": f"wild cluster bootstrap ({weights}, {n_boot})"}
    if obs["df_num"] == 0 or not np.isfinite(obs["F"]):
        return out
    y, X, g = _complete_rows(y, X, clusters)
    n, n_g = y.size, int(fit["n_clusters"])
    R = np.atleast_2d(np.asarray(R, dtype=np.float64))
    r = np.zeros(R.shape[0]) if r is None else np.asarray(r, dtype=np.float64)
    bread = np.linalg.pinv(X.T @ X)
    beta = bread @ X.T @ y
    # restricted least squares: beta_r = beta - B R' (R B R')^+ (R beta - r)
    beta_r = beta - bread @ R.T @ np.linalg.pinv(R @ bread @ R.T) @ (R @ beta - r)
    u_r = y - X @ beta_r
    w = _wild_weights(np.random.default_rng(seed), (n_g, int(n_boot)), weights)
    y_star = (X @ beta_r)[:, None] + u_r[:, None] * w[g]                 # (n, B)
    beta_star = bread @ (X.T @ y_star)                                   # (p, B)
    e_star = y_star - X @ beta_star                                      # (n, B)
    M = R @ bread                                                        # (q, p)
    H = X @ M.T                                                          # (n, q): row i's contribution to R B X' e
    onehot = np.zeros((n_g, n))
    onehot[g, np.arange(n)] = 1.0
    U = np.einsum("gi,iq,ib->bgq", onehot, H, e_star, optimize=True)    # (B, G, q): R B S_g per replicate
    V = _cr1(n_g, n, int(fit["rank"])) * np.einsum("bgq,bgk->bqk", U, U)                              # (B, q, q): R cov* R'
    d = (R @ beta_star - r[:, None]).T                                   # (B, q)
    W = np.einsum("bq,bqk,bk->b", d, np.linalg.pinv(V, hermitian=True), d)
    f_star = W / int(obs["df_num"])
    out["p"] = float((1 + np.count_nonzero(f_star >= obs["F"] * (1 - 1e-12))) / (n_boot + 1))
    return out


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
