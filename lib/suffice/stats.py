"""Statistics helpers: cluster bootstrap, Holm correction, group comparisons, clustered logistic GLMs.

Every function returns effect sizes with confidence intervals next to p-values, and is deterministic
for a given ``seed``.  Used by :mod:`suffice.transfer` (rates and flat-earthers) and by the deepfake
information analysis (real vs fake within a model, across models, transfer vs spectral features).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from .errors import OptionError

__all__ = [
    "bootstrap_weights", "stratified_bootstrap_weights", "percentile_ci", "wilson_interval", "bootstrap_se", "ratio_bootstrap", "holm", "mann_whitney", "compare_groups",
    "kruskal_wallis", "friedman", "logistic_glm", "compare_features", "kruskal_table", "MIN_CLUSTERS_NORMAL", "cluster_interval",
    "MIN_CLUSTERS_ANY",
]


#: clusters from which a clustered estimate is referred to the normal (or a percentile bootstrap is used)
MIN_CLUSTERS_NORMAL = 20
#: clusters below which no interval or test is given (no claim)
MIN_CLUSTERS_ANY = 6


def _check_level(ci: float) -> float:
    if not 0.0 < float(ci) < 1.0:
        raise OptionError(f"ci must be a probability in (0, 1), got {ci!r}")
    return float(ci)


def _check_n_boot(n_boot: int) -> int:
    if int(n_boot) < 1:
        raise OptionError(f"n_boot must be a positive integer, got {n_boot!r}")
    return int(n_boot)


def bootstrap_weights(n_clusters: int, n_boot: int, seed: int = 0) -> np.ndarray:
    """(n_boot, n_clusters) resampling counts: cluster ``i`` drawn ``w[b, i]`` times in replicate ``b``.

    A cluster (percentile) bootstrap resamples whole clusters (clips) with replacement; weighting each
    cluster's sums by its draw count is equivalent and lets one matrix product compute every replicate.
    """
    if int(n_clusters) < 1:
        raise OptionError("the bootstrap needs at least one cluster")
    rng = np.random.default_rng(seed)
    n = int(n_clusters)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=_check_n_boot(n_boot)).astype(np.float64)


def stratified_bootstrap_weights(strata: Sequence[object] | np.ndarray, n_boot: int, seed: int = 0) -> np.ndarray:
    """(n_boot, n_clusters) weights of a stratified cluster bootstrap (Rao and Wu's rescaling bootstrap).

    ``strata``: the stratum of each cluster (a clip's class, when clips are drawn k per class).  In each
    stratum of ``n_h >= 2`` clusters, ``n_h - 1`` are drawn with replacement and each draw weighs
    ``n_h / (n_h - 1)``: the replicates' variance of a weighted mean is then the unbiased stratified
    variance, where drawing ``n_h`` of ``n_h`` understates it by the factor ``(n_h - 1) / n_h`` (2/3 with
    3 clips per class).  A stratum of one cluster keeps weight 1 (it adds no variance: the caller should
    make no claim that rests on it).
    """
    codes = pd.factorize(pd.Series(list(strata)), sort=True)[0]
    if len(codes) < 1:
        raise OptionError("the bootstrap needs at least one cluster")
    rng = np.random.default_rng(seed)
    b = _check_n_boot(n_boot)
    w = np.ones((b, len(codes)))
    for h in range(codes.max() + 1):
        idx = np.flatnonzero(codes == h)
        n = len(idx)
        if n >= 2:
            w[:, idx] = rng.multinomial(n - 1, np.full(n, 1.0 / n), size=b) * (n / (n - 1))
    return w


def percentile_ci(replicates: np.ndarray, ci: float = 0.95, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap ``replicates`` along ``axis``, ignoring NaN replicates.

    A position whose replicates are all NaN gets a NaN interval (no warning).
    """
    level = _check_level(ci)
    r = np.moveaxis(np.asarray(replicates, dtype=np.float64), axis, 0)
    flat = r.reshape(r.shape[0], -1)
    lo = np.full(flat.shape[1], np.nan)
    hi = np.full(flat.shape[1], np.nan)
    q = [100 * (1 - level) / 2, 100 * (1 + level) / 2]
    ok = np.isfinite(flat)
    if ok.all():
        lo, hi = np.percentile(flat, q, axis=0)
        return lo.reshape(r.shape[1:]), hi.reshape(r.shape[1:])
    for j in np.flatnonzero(ok.any(axis=0)):
        lo[j], hi[j] = np.percentile(flat[ok[:, j], j], q)
    return lo.reshape(r.shape[1:]), hi.reshape(r.shape[1:])


def cluster_interval(estimate: np.ndarray | float, replicates: np.ndarray, n_clusters: np.ndarray | int, *,
                     ci: float = 0.95, df: np.ndarray | int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The small-sample rule for an interval from a cluster bootstrap (``replicates`` along axis 0).

    From :data:`MIN_CLUSTERS_NORMAL` clusters the percentile interval; from :data:`MIN_CLUSTERS_ANY` a t
    interval, the estimate plus or minus ``t(df)`` bootstrap standard errors (``df``: ``n_clusters - 1``
    unless given, e.g. clusters minus strata for a stratified bootstrap); below, no interval (NaN: no
    claim).  ``estimate`` and ``n_clusters`` broadcast over the replicates' other axes.  Returns ``lo``,
    ``hi`` and the method per position (``"bootstrap"``, ``"t (k df)"`` or ``"no claim: too few clusters"``).
    """
    level = _check_level(ci)
    reps = np.asarray(replicates, dtype=np.float64)
    est = np.broadcast_to(np.asarray(estimate, dtype=np.float64), reps.shape[1:])
    n = np.broadcast_to(np.asarray(n_clusters), reps.shape[1:])
    dof = np.broadcast_to(np.asarray(n - 1 if df is None else df), reps.shape[1:])
    lo, hi = (np.asarray(v, dtype=np.float64).reshape(est.shape) for v in percentile_ci(reps, ci))
    method = np.full(est.shape, "bootstrap", dtype=object)
    small = (n < MIN_CLUSTERS_NORMAL) & (n >= MIN_CLUSTERS_ANY) & (dof >= 1)
    if small.any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN positions stay NaN
            se = np.nanstd(reps, axis=0, ddof=1).reshape(est.shape)
        q = sps.t.ppf(0.5 + level / 2, np.maximum(dof, 1))
        lo = np.where(small, est - q * se, lo)
        hi = np.where(small, est + q * se, hi)
        for idx in np.ndindex(est.shape):
            if small[idx]:
                method[idx] = f"t ({int(dof[idx])} df)"
    none = (n < MIN_CLUSTERS_ANY) | ((n < MIN_CLUSTERS_NORMAL) & (dof < 1)) | ~np.isfinite(est)
    lo, hi = np.where(none, np.nan, lo), np.where(none, np.nan, hi)
    method[none] = "no claim: too few clusters"
    return lo, hi, method


def wilson_interval(successes: np.ndarray | float, trials: np.ndarray | float, *, ci: float = 0.95,
                    deff: np.ndarray | float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion, with an optional design effect.

    Estimand: the success probability behind ``successes`` of ``trials``.  With a design effect ``deff``
    (>= 1: rows that share a cluster carry less information) the interval uses the effective sample size
    ``trials / deff`` at the same observed proportion.  Unlike the percentile bootstrap or the Wald
    interval it keeps a positive width at 0 and at 1 successes-share.  Zero trials give NaN.
    """
    level = _check_level(ci)
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    d = np.maximum(np.asarray(deff, dtype=np.float64), 1.0)
    z = sps.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)
        ne = np.where(n > 0, n / d, np.nan)
        centre = (p + z * z / (2 * ne)) / (1 + z * z / ne)
        half = z * np.sqrt(p * (1 - p) / ne + z * z / (4 * ne * ne)) / (1 + z * z / ne)
    lo, hi = np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
    return lo, hi


def bootstrap_se(replicates: np.ndarray, axis: int = 0) -> np.ndarray:
    """Standard deviation of bootstrap ``replicates`` along ``axis``, ignoring NaN (NaN if < 2 finite)."""
    r = np.asarray(replicates, dtype=np.float64)
    ok = np.isfinite(r).sum(axis)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sd = np.nanstd(r, axis=axis, ddof=1)
    return np.where(ok >= 2, sd, np.nan)


def ratio_bootstrap(numerators: np.ndarray, denominators: np.ndarray, *, n_boot: int = 1000,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Point estimates and cluster-bootstrap replicates of ratios of per-cluster sums.

    ``numerators``/``denominators``: (n_clusters, ...) per-cluster sums (e.g. successes and trials of
    each source x target cell per clip).  Returns ``(estimate, replicates)`` of shapes ``(...)`` and
    ``(n_boot, ...)``; a ratio with a zero denominator is NaN.
    """
    num = np.asarray(numerators, dtype=np.float64)
    den = np.asarray(denominators, dtype=np.float64)
    if num.shape != den.shape or num.ndim < 1:
        raise OptionError(f"numerators {num.shape} and denominators {den.shape} must share a shape (n_clusters, ...)")
    tail = num.shape[1:]
    n = num.shape[0]
    w = bootstrap_weights(n, n_boot, seed)
    bn = w @ num.reshape(n, -1)
    bd = w @ den.reshape(n, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(den.sum(0) > 0, num.sum(0) / den.sum(0), np.nan)
        reps = np.where(bd > 0, bn / np.where(bd > 0, bd, 1.0), np.nan)
    return est.reshape(tail), reps.reshape((w.shape[0],) + tail)


def holm(pvalues: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values (family-wise error control); NaN p-values stay NaN and are not counted.

    ``p_(i) -> max_{j <= i} min(1, (n - j + 1) p_(j))`` over the sorted finite p-values (pure numpy: the
    statsmodels routine runs a garbage collection on every call, which dominates simulations).
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        v = p[ok]
        order = np.argsort(v, kind="stable")
        n = v.size
        adj = np.minimum(1.0, np.maximum.accumulate((n - np.arange(n)) * v[order]))
        res = np.empty(n)
        res[order] = adj
        out[ok] = res
    return out


def mann_whitney(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *, n_boot: int = 1000,
                 ci: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Two-sided Mann-Whitney U test of ``a`` vs ``b`` with effect sizes and bootstrap CIs.

    Effect sizes: ``auc`` = P(A > B) + P(A = B)/2 (probability of superiority, 0.5 = no difference) and
    the rank-biserial correlation ``r_rb = 2 auc - 1`` (in [-1, 1], positive when ``a`` tends larger),
    with a percentile bootstrap CI (each group resampled separately); also the medians and the
    Hodges-Lehmann shift (median of all pairwise differences a - b).
    """
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size < 1 or y.size < 1:
        raise OptionError(f"mann_whitney needs finite values in both groups (got {x.size} and {y.size})")
    res = sps.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic" if min(x.size, y.size) > 8 else "auto")
    auc = float(res.statistic) / (x.size * y.size)
    rng = np.random.default_rng(seed)
    nb = _check_n_boot(n_boot)
    xb = x[rng.integers(0, x.size, size=(nb, x.size))]
    yb = y[rng.integers(0, y.size, size=(nb, y.size))]
    # vectorised AUC of every replicate via ranks of the pooled sample
    pooled = np.concatenate([xb, yb], axis=1)
    ranks = sps.rankdata(pooled, axis=1)
    u = ranks[:, : x.size].sum(1) - x.size * (x.size + 1) / 2
    r_boot = 2 * u / (x.size * y.size) - 1
    lo, hi = percentile_ci(r_boot, ci)
    return {
        "n_a": int(x.size), "n_b": int(y.size), "median_a": float(np.median(x)), "median_b": float(np.median(y)),
        "hl_shift": float(np.median(np.subtract.outer(x, y))) if x.size * y.size <= 4_000_000 else float("nan"),
        "U": float(res.statistic), "p": float(res.pvalue), "auc": auc, "r_rb": 2 * auc - 1,
        "r_rb_lo": float(lo), "r_rb_hi": float(hi),
    }


_MW_COLUMNS = ("n_a", "n_b", "median_a", "median_b", "hl_shift", "U", "p", "auc", "r_rb", "r_rb_lo", "r_rb_hi")


def compare_groups(df: pd.DataFrame, value: str, *, group: str = "true_label", by: str = "model",
                   a: str = "spoof", b: str = "bonafide", n_boot: int = 1000, ci: float = 0.95,
                   seed: int = 0) -> pd.DataFrame:
    """Mann-Whitney ``a`` vs ``b`` (values of column ``group``) of ``value`` within each level of ``by``.

    One row per level of ``by`` with :func:`mann_whitney`'s columns plus ``p_holm`` (Holm across the
    levels) and ``significant`` (``p_holm < 1 - ci``).  A level lacking one of the groups gets NaN.
    """
    for col in (value, group, by):
        if col not in df.columns:
            raise OptionError(f"column {col!r} not in the table (columns: {', '.join(map(str, df.columns))})")
    rows = []
    for level, sub in df.groupby(by, sort=True, observed=True):
        va = sub.loc[sub[group] == a, value].to_numpy(dtype=np.float64)
        vb = sub.loc[sub[group] == b, value].to_numpy(dtype=np.float64)
        row: dict[str, object] = {by: level, "value": value}
        if np.isfinite(va).any() and np.isfinite(vb).any():
            row.update(mann_whitney(va, vb, n_boot=n_boot, ci=ci, seed=seed))
        else:  # a group without finite values: every column present, NaN
            row.update(dict.fromkeys(_MW_COLUMNS, np.nan))
            row.update({"n_a": int(np.isfinite(va).sum()), "n_b": int(np.isfinite(vb).sum())})
        rows.append(row)
    if not rows:
        raise OptionError("compare_groups: the table is empty")
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p"].to_numpy())
    out["significant"] = out["p_holm"] < 1 - _check_level(ci)
    out.attrs["test"] = f"two-sided Mann-Whitney U, {a} vs {b} within each {by}; Holm across {by}s"
    return out


def kruskal_wallis(df: pd.DataFrame, value: str, *, by: str = "model", n_boot: int = 1000, ci: float = 0.95,
                   seed: int = 0) -> dict[str, float]:
    """Kruskal-Wallis H test of ``value`` across the levels of ``by``, with epsilon-squared and its CI.

    ``epsilon2 = H / (n - 1)`` (0 = no difference between groups, 1 = groups fully separated); its CI
    is a percentile bootstrap resampling within each group.  The test treats the groups as independent
    samples: when every group holds the same clips (a feature of each model's sufficiency of the same
    clips) it ignores that pairing, so read it as descriptive of how far the distributions differ.
    All values tied: NaN throughout.
    """
    for col in (value, by):
        if col not in df.columns:
            raise OptionError(f"column {col!r} not in the table")
    groups = [g[value].to_numpy(dtype=np.float64) for _, g in df.groupby(by, sort=True, observed=True)]
    groups = [g[np.isfinite(g)] for g in groups]
    groups = [g for g in groups if g.size]
    if len(groups) < 2:
        raise OptionError(f"kruskal_wallis needs at least two {by} levels with finite {value!r}")
    n = sum(g.size for g in groups)
    if np.ptp(np.concatenate(groups)) == 0:  # all values tied: H is undefined
        return {"H": float("nan"), "df": len(groups) - 1, "p": float("nan"), "n": int(n), "epsilon2": float("nan"),
                "epsilon2_lo": float("nan"), "epsilon2_hi": float("nan")}
    h, p = sps.kruskal(*groups)
    rng = np.random.default_rng(seed)
    nb = _check_n_boot(n_boot)
    # bootstrap epsilon^2: ranks of the pooled resample, H from rank sums (vectorised over replicates)
    samples = [g[rng.integers(0, g.size, size=(nb, g.size))] for g in groups]
    pooled = np.concatenate(samples, axis=1)
    ranks = sps.rankdata(pooled, axis=1)
    sizes = np.array([g.size for g in groups])
    edges = np.concatenate([[0], np.cumsum(sizes)])
    rbar = np.stack([ranks[:, edges[i]:edges[i + 1]].mean(1) for i in range(len(groups))], axis=1)
    # H with the tie correction built in: (n-1) * between-group / total sum of squares of the ranks
    between = (sizes * (rbar - (n + 1) / 2) ** 2).sum(1)
    total = ((ranks - (n + 1) / 2) ** 2).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = np.where(total > 0, (n - 1) * between / np.where(total > 0, total, 1.0), np.nan) / (n - 1)
    lo, hi = percentile_ci(reps, ci)
    return {"H": float(h), "df": len(groups) - 1, "p": float(p), "n": int(n), "epsilon2": float(h) / (n - 1),
            "epsilon2_lo": float(lo), "epsilon2_hi": float(hi)}


def friedman(df: pd.DataFrame, value: str, *, by: str = "model", block: str = "clip_id", n_boot: int = 1000,
             ci: float = 0.95, seed: int = 0) -> dict[str, float]:
    """Friedman test of ``value`` across the levels of ``by`` with ``block`` (clip) as the repeated unit.

    The paired counterpart of :func:`kruskal_wallis` when every model explained the same clips: only
    blocks with a finite value for every level are used (``n_blocks``).  Effect size: Kendall's
    ``W = chi2 / (n_blocks (k - 1))`` (0 = no consistent ordering of the models, 1 = the same ordering in
    every clip) with a percentile CI from resampling blocks.
    """
    for col in (value, by, block):
        if col not in df.columns:
            raise OptionError(f"column {col!r} not in the table")
    wide = df.pivot_table(index=block, columns=by, values=value, aggfunc="mean", observed=True)
    wide = wide[np.isfinite(wide.to_numpy(dtype=np.float64)).all(axis=1)]
    n, k = wide.shape
    if k < 2 or n < 2:
        raise OptionError(f"friedman needs >= 2 {by} levels and >= 2 complete {block}s (got {k} and {n})")
    x = wide.to_numpy(dtype=np.float64)
    ranks = sps.rankdata(x, axis=1)

    def kendall_w(r: np.ndarray) -> np.ndarray:
        """Tie-corrected Kendall's W of ranks (..., m, k): sum_j (R_j - m(k+1)/2)^2 / (m sum_ij (r_ij - (k+1)/2)^2)."""
        m = r.shape[-2]
        ss = ((r.sum(-2) - m * (k + 1) / 2) ** 2).sum(-1)
        total = ((r - (k + 1) / 2) ** 2).sum((-1, -2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, ss / (m * np.where(total > 0, total, 1.0)), np.nan)

    w_obs = float(kendall_w(ranks))
    chi2 = w_obs * n * (k - 1)
    p = float(sps.chi2.sf(chi2, k - 1)) if np.isfinite(chi2) else float("nan")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(_check_n_boot(n_boot), n))
    lo, hi = percentile_ci(kendall_w(ranks[idx]), ci)
    return {"chi2": chi2, "df": k - 1, "p": p, "n_blocks": int(n), "kendall_w": w_obs,
            "kendall_w_lo": float(lo), "kendall_w_hi": float(hi)}


def logistic_glm(df: pd.DataFrame, outcome: str, predictors: Sequence[str], *, cluster: str | None = "clip_id",
                 standardise: bool | Sequence[str] = True, ci: float = 0.95) -> pd.DataFrame:
    """Logistic GLM of a 0/1 ``outcome`` on numeric ``predictors`` with cluster-robust standard errors.

    With ``standardise`` each predictor (or those named, when a list) is z-scored first, so its
    ``odds_ratio`` is per standard deviation.
    ``cluster`` (e.g. ``clip_id``): rows of one clip share a cluster in the sandwich covariance; None
    gives model-based errors.  Each term's test: null ``coef = 0`` (no association with the outcome given the other
    terms), two-sided Wald z with the (cluster-robust) standard error; estimand: the term's log odds ratio.
    With ``cluster`` the statistic and the intervals are referred to t with ``G - 1`` df (G clusters), and
    below :data:`MIN_CLUSTERS_NORMAL` clusters there is no claim (``degenerate``, no p-value or interval):
    the sandwich errors are too noisy there (``tests/test_stats.py`` simulates the false-positive rate);
    ``attrs["reference"]`` says which reference was used.  Returns one row per term (``const`` first): ``coef``, ``se``, ``z``,
    ``p``, ``coef_lo``/``coef_hi``, ``odds_ratio`` with ``or_lo``/``or_hi``.  ``attrs`` hold ``n``,
    ``n_clusters``, a ``degenerate`` flag and its ``reason`` (too few rows, a constant outcome or
    predictor, collinear predictors, perfect separation, non-finite errors): when it is set the
    coefficients are NaN or not to be trusted.  Missing columns or a non-0/1 outcome raise OptionError.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    level = _check_level(ci)
    cols = list(dict.fromkeys([outcome, *predictors] + ([cluster] if cluster else [])))
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise OptionError(f"logistic_glm: columns missing from the table: {', '.join(missing)}")
    if not predictors:
        raise OptionError("logistic_glm needs at least one predictor")
    data = df[cols].dropna()
    y = data[outcome].astype(float).to_numpy()
    if not np.isin(y, (0.0, 1.0)).all():
        raise OptionError(f"outcome {outcome!r} must be 0/1 (or boolean)")
    scale = list(predictors) if standardise is True else ([] if standardise is False else list(standardise))
    unknown = [c for c in scale if c not in predictors]
    if unknown:
        raise OptionError(f"standardise names non-predictor(s): {', '.join(unknown)}")
    X = data[list(predictors)].astype(float)
    sd = X.std(ddof=0)
    reason = None
    if len(data) < len(predictors) + 2:
        reason = f"{len(data)} complete rows are too few for {len(predictors)} predictors"
    elif (sd == 0).any():
        reason = f"constant predictor(s): {', '.join(sd.index[sd == 0])}"
    elif np.unique(y).size < 2:
        reason = f"the outcome is always {int(y[0])}"
    if reason is None and scale:
        X[scale] = (X[scale] - X[scale].mean()) / sd[scale]
    X = sm.add_constant(X, has_constant="add")
    if reason is None and np.linalg.matrix_rank(X.to_numpy()) < X.shape[1]:
        reason = f"the predictors are collinear ({', '.join(predictors)})"
    fit = None
    if reason is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            try:
                kw = {"cov_type": "cluster", "cov_kwds": {"groups": pd.factorize(data[cluster])[0]}} if cluster else {}
                fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(**kw)
            except (PerfectSeparationError, PerfectSeparationWarning):
                reason = "perfect separation"
            except (np.linalg.LinAlgError, ValueError) as exc:
                reason = f"the fit failed: {exc}"
    n_clusters = int(data[cluster].nunique()) if cluster else int(len(data))
    if reason is None and cluster and n_clusters < MIN_CLUSTERS_NORMAL:
        reason = (f"{n_clusters} clusters are too few for a cluster-robust test (at least {MIN_CLUSTERS_NORMAL}: "
                  "below, its false-positive rate is well above the level)")
    # the sandwich variance is noisy with few clusters: the Wald statistic is referred to t(G - 1)
    df_t = n_clusters - 1 if cluster else None
    ref = sps.t(df_t) if df_t else sps.norm
    z_crit = ref.ppf(0.5 + level / 2)
    if fit is None:
        nan = np.full(X.shape[1], np.nan)
        coef, se = nan, nan
    else:
        coef, se = np.asarray(fit.params, float), np.asarray(fit.bse, float)
        if not np.isfinite(se).all() or bool((np.abs(coef) > 15).any()):
            reason = "non-finite or huge estimates (quasi-separation)"
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        z = coef / se
        out = pd.DataFrame({
            "term": list(X.columns), "coef": coef, "se": se, "z": z, "p": 2 * ref.sf(np.abs(z)),
            "coef_lo": coef - z_crit * se, "coef_hi": coef + z_crit * se,
        })
        out["odds_ratio"] = np.exp(out["coef"])
        out["or_lo"] = np.exp(out["coef_lo"])
        out["or_hi"] = np.exp(out["coef_hi"])
    if reason is not None and fit is not None:  # no claim: no test either
        out[["p", "coef_lo", "coef_hi", "or_lo", "or_hi"]] = np.nan
    out.attrs.update(n=int(len(data)), n_clusters=n_clusters, degenerate=reason is not None, reason=reason,
                     standardised=scale, reference=f"t ({df_t} df)" if df_t else "normal")
    return out


def compare_features(df: pd.DataFrame, values: Sequence[str], **options: object) -> pd.DataFrame:
    """:func:`compare_groups` for several feature columns, stacked (Holm within each feature, across
    the levels of ``by``)."""
    if not values:
        raise OptionError("compare_features needs at least one value column")
    return pd.concat([compare_groups(df, v, **options) for v in values], ignore_index=True)  # type: ignore[arg-type]


def kruskal_table(df: pd.DataFrame, values: Sequence[str], *, by: str = "model", split: str | None = "true_label",
                  n_boot: int = 1000, ci: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Kruskal-Wallis across the levels of ``by`` for each feature, within each level of ``split``
    (e.g. each class) and over all rows; one row each with :func:`kruskal_wallis`'s columns and a Holm
    correction across the rows of each feature."""
    if not values:
        raise OptionError("kruskal_table needs at least one value column")
    rows = []
    for v in values:
        parts: list[tuple[object, pd.DataFrame]] = [("all", df)]
        if split is not None:
            if split not in df.columns:
                raise OptionError(f"column {split!r} not in the table")
            parts += list(df.groupby(split, sort=True, observed=True))
        block = []
        for level, sub in parts:
            block.append({"value": v, "subset": level, **kruskal_wallis(sub, v, by=by, n_boot=n_boot, ci=ci, seed=seed)})
        ps = holm([r["p"] for r in block])
        for r, p in zip(block, ps):
            r["p_holm"] = p
        rows += block
    return pd.DataFrame(rows)
