"""Transfer rates: the matrix, the task rate, out/in rates, not-found counts, between-pair variance.

``R(f->g)`` is the mean of T over the clips with a found sufficiency (``found=False`` rows are excluded
and counted); with ``condition="agree"`` only clips where ``g(x) = f(x)`` count.  ``M[f, g]`` has the
producer f as row and the acceptor g as column; its diagonal is computed from the data like every other
cell (1 under the class criterion when the search is deterministic).  The task rate, out-rate ``O(m)``
(row m) and in-rate ``I(m)`` (column m) are unweighted means of off-diagonal cell rates, with 95%
percentile cluster-bootstrap CIs over clips: one resample of clips serves every cell, so the CIs of the
matrix, the task rate and O/I are mutually consistent.  A single cell's interval is a Wilson interval
with a design effect for rows that share a clip (several seeds), which does not collapse at 0 or 1.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..stats import bootstrap_weights, cluster_interval, percentile_ci, wilson_interval
from .table import _check_options, _codes, _model_order, kept_rows, transfer_outcome, validate_table

__all__ = ["TransferSummary", "summarise", "pair_rates", "matrix", "task_rate", "model_rates",
           "not_found_counts", "pair_variance", "cell_design_effect"]


@dataclass(frozen=True)
class TransferSummary:
    """All transfer results of one table under one criterion/condition (see :func:`summarise`)."""

    models: tuple[str, ...]
    pairs: pd.DataFrame       # source, target, rate, lo, hi, n, n_transfer, n_not_found, n_disagree
    matrix: pd.DataFrame      # rates, rows = source (producer), columns = target (acceptor)
    task: dict[str, float]    # rate, lo, hi, n_pairs
    per_model: pd.DataFrame   # model, out_rate, out_lo, out_hi, in_rate, in_lo, in_hi
    replicates: np.ndarray = field(repr=False)  # (n_boot, M, M) bootstrap replicates of the matrix
    options: dict[str, object] = field(default_factory=dict)


def _cube(df: pd.DataFrame, y: np.ndarray, models: Sequence[str], valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-clip successes and trials (C, M, M) of every source x target cell, and the clip ids."""
    clip_codes, clips = pd.factorize(df["clip_id"], sort=True)
    fi, gi = _codes(df["source"], models), _codes(df["target"], models)
    m = len(models)
    num = np.zeros((len(clips), m, m))
    den = np.zeros((len(clips), m, m))
    np.add.at(num, (clip_codes[valid], fi[valid], gi[valid]), y[valid])
    np.add.at(den, (clip_codes[valid], fi[valid], gi[valid]), 1.0)
    return num, den, np.asarray(clips)


def _offdiag_means(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row means, column means and overall mean of the off-diagonal of (..., M, M), ignoring NaN."""
    m = mat.shape[-1]
    off = ~np.eye(m, dtype=bool)
    vals = np.where(off & np.isfinite(mat), mat, 0.0)
    cnt = (off & np.isfinite(mat)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = np.where(cnt.sum(-1) > 0, vals.sum(-1) / np.maximum(cnt.sum(-1), 1), np.nan)
        cols = np.where(cnt.sum(-2) > 0, vals.sum(-2) / np.maximum(cnt.sum(-2), 1), np.nan)
        tot = np.where(cnt.sum((-1, -2)) > 0, vals.sum((-1, -2)) / np.maximum(cnt.sum((-1, -2)), 1), np.nan)
    return rows, cols, tot


def cell_design_effect(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Design effect of each cell's rate for rows clustered by clip (several seeds per clip).

    ``num``/``den``: (C, ...) per-clip successes and trials.  The ratio estimator's cluster-robust variance
    over the binomial one, floored at 1; 1 where the rate is 0 or 1 or fewer than 2 clips count (one
    row per clip always gives 1, since clips are independent within a cell).
    """
    n_c = (den > 0).sum(0)
    tot_n, tot_d = num.sum(0), den.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(tot_d > 0, tot_n / np.maximum(tot_d, 1e-300), np.nan)
        resid = num - p * den
        v_clu = (resid ** 2).sum(0) / np.maximum(tot_d, 1e-300) ** 2
        v_bin = p * (1 - p) / np.maximum(tot_d, 1e-300)
        deff = np.where((v_bin > 0) & (n_c > 1), v_clu / np.where(v_bin > 0, v_bin, 1.0), 1.0)
    return np.maximum(np.nan_to_num(deff, nan=1.0), 1.0)


def summarise(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
              n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
              models: Sequence[str] | None = None) -> TransferSummary:
    """Transfer matrix, pair rates, task rate and per-model out/in rates, with CIs.

    Estimands: each cell ``R(f->g)``, the task rate (mean off-diagonal cell) and ``O(m)``/``I(m)``.  The
    task rate and O/I get clip-cluster bootstrap CIs under the small-sample rule of
    :func:`suffice.stats.cluster_interval` (``task["method"]`` says which); each cell (``pairs``: ``lo``/``hi``)
    a Wilson interval with the cell's clip design effect and its ``n`` (rows) and ``n_clips``.

    ``condition="agree"`` keeps only rows with ``target_pred_original == source_pred``.  ``models`` fixes
    the row/column order (default: order of first appearance).  Deterministic for a given ``seed``.
    """
    _check_options(criterion, delta, condition)
    validate_table(df)
    order = _model_order(df, models)
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    found = df["found"].to_numpy(dtype=bool)
    agree = (df["target_pred_original"] == df["source_pred"]).to_numpy()
    valid = found & (agree if condition == "agree" else True)
    num, den, _clips = _cube(df, np.nan_to_num(y), order, valid)
    w = bootstrap_weights(num.shape[0], n_boot, seed)
    m = len(order)
    with np.errstate(invalid="ignore", divide="ignore"):
        tot_n, tot_d = num.sum(0), den.sum(0)
        rate = np.where(tot_d > 0, tot_n / np.maximum(tot_d, 1), np.nan)
        bn = (w @ num.reshape(num.shape[0], -1)).reshape(-1, m, m)
        bd = (w @ den.reshape(den.shape[0], -1)).reshape(-1, m, m)
        reps = np.where(bd > 0, bn / np.maximum(bd, 1e-300), np.nan)
    deff = cell_design_effect(num, den)
    lo, hi = wilson_interval(tot_n, tot_d, ci=ci, deff=deff)

    # counts per cell: excluded for not found, excluded for disagreement
    fi, gi = _codes(df["source"], order), _codes(df["target"], order)
    n_nf = np.zeros((m, m))
    np.add.at(n_nf, (fi[~found], gi[~found]), 1.0)
    n_dis = np.zeros((m, m))
    dis = found & ~agree
    np.add.at(n_dis, (fi[dis], gi[dis]), 1.0)
    src, tgt = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    pairs = pd.DataFrame({
        "source": np.asarray(order, dtype=object)[src.ravel()], "target": np.asarray(order, dtype=object)[tgt.ravel()],
        "rate": rate.ravel(), "lo": lo.ravel(), "hi": hi.ravel(), "n": tot_d.ravel().astype(int),
        "n_clips": (den > 0).sum(0).ravel().astype(int), "design_effect": deff.ravel(),
        "n_transfer": tot_n.ravel().astype(int), "n_not_found": n_nf.ravel().astype(int),
        "n_disagree": n_dis.ravel().astype(int),
    })
    present = (tot_d + n_nf.astype(float) + n_dis.astype(float)).ravel() > 0
    pairs = pairs[present | (src.ravel() != tgt.ravel())].reset_index(drop=True)
    pairs["diagonal"] = pairs["source"] == pairs["target"]

    mat = pd.DataFrame(rate, index=pd.Index(order, name="source"), columns=pd.Index(order, name="target"))
    o, i_, t = _offdiag_means(rate)
    ob, ib, tb = _offdiag_means(reps)
    has = (den > 0) & ~np.eye(m, dtype=bool)  # (clip, source, target) off-diagonal rows
    # a t interval of a rate may pass 0 or 1: clipped (NaN stays NaN)
    olo, ohi = np.clip(cluster_interval(o, ob, has.any(axis=2).sum(0), ci=ci)[:2], 0.0, 1.0)
    ilo, ihi = np.clip(cluster_interval(i_, ib, has.any(axis=1).sum(0), ci=ci)[:2], 0.0, 1.0)
    n_task = int(has.any(axis=(1, 2)).sum())
    tlo, thi, how = cluster_interval(t, tb, n_task, ci=ci)
    tlo, thi = np.clip(tlo, 0.0, 1.0), np.clip(thi, 0.0, 1.0)
    per_model = pd.DataFrame({"model": list(order), "out_rate": o, "out_lo": olo, "out_hi": ohi,
                              "in_rate": i_, "in_lo": ilo, "in_hi": ihi})
    task = {"rate": float(t), "lo": float(tlo), "hi": float(thi),
            "n_pairs": int((np.isfinite(rate) & ~np.eye(m, dtype=bool)).sum()), "n_clips": n_task,
            "method": str(how[()])}
    opts = {"criterion": criterion, "delta": float(delta), "condition": condition, "n_boot": int(n_boot),
            "ci": float(ci), "seed": int(seed)}
    return TransferSummary(order, pairs, mat, task, per_model, reps, opts)


def pair_rates(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Tidy rates per (source, target) with CI and counts; options as :func:`summarise`."""
    return summarise(df, **options).pairs  # type: ignore[arg-type]


def matrix(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Transfer matrix M[f, g] (rows = producer f, columns = acceptor g); options as :func:`summarise`."""
    return summarise(df, **options).matrix  # type: ignore[arg-type]


def task_rate(df: pd.DataFrame, **options: object) -> dict[str, float]:
    """Mean off-diagonal transfer rate with its bootstrap CI; options as :func:`summarise`."""
    return summarise(df, **options).task  # type: ignore[arg-type]


def model_rates(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Out-rate O(m) (row mean) and in-rate I(m) (column mean) of each model, off-diagonal, with CIs."""
    return summarise(df, **options).per_model  # type: ignore[arg-type]


def not_found_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Per source model: explanations attempted, found, not found (each (clip, seed) counted once)."""
    validate_table(df)
    one = df.drop_duplicates(["source", "clip_id", "seed"])
    out = one.groupby("source", sort=False)["found"].agg(attempted="size", found="sum").reset_index()
    out["not_found"] = out["attempted"] - out["found"]
    out["found"] = out["found"].astype(int)
    return out


def pair_variance(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
                  n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
                  models: Sequence[str] | None = None) -> dict[str, float]:
    """Between-pair variance of transfer on the logit scale, net of binomial noise, with a clip-bootstrap CI.

    Estimand: ``tau2``, the variance across off-diagonal model pairs (f, g) of the true cell log-odds
    ``logit R(f->g)`` (how much transfer differs from pair to pair, not counting the sampling noise of
    each cell).  Estimator (method of moments, DerSimonian-Laird style): the variance of the empirical
    logits ``logit((k + 1/2) / (n + 1))`` across pairs minus the mean of their sampling variances
    ``1/(k + 1/2) + 1/(n - k + 1/2)``, floored at 0.  The CI is a percentile bootstrap that resamples
    whole clips (every cell's counts move together), so clip-level dependence between the cells is kept.
    Null for ``p``: no between-pair variance (all pairs share one rate; ``tau2 = 0``); ``p`` is the
    chi-square heterogeneity test ``Q = sum_w (l - lbar)^2`` against ``n_pairs - 1`` degrees of freedom,
    which treats cells as independent (read it as indicative when clips drive every cell).
    Returns ``tau2``, ``tau2_lo``, ``tau2_hi``, ``tau`` (SD on the logit scale) with ``tau_lo``/``tau_hi``,
    ``Q``, ``p``, ``n_pairs``, ``n_clips``.
    """
    from scipy import stats as sps

    _check_options(criterion, delta, condition)
    validate_table(df)
    order = _model_order(df, models)
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    keep = kept_rows(df, y, condition)
    num, den, _ = _cube(df, np.nan_to_num(y), order, keep)
    m = len(order)
    off = ~np.eye(m, dtype=bool)

    def moments(k: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ok = off & (n > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            lg = np.log((k + 0.5) / (n - k + 0.5))
            v = 1.0 / (k + 0.5) + 1.0 / (n - k + 0.5)
        cnt = ok.sum((-1, -2))
        lgz, vz = np.where(ok, lg, 0.0), np.where(ok, v, 0.0)
        mean = lgz.sum((-1, -2)) / np.maximum(cnt, 1)
        var = (np.where(ok, (lg - mean[..., None, None]) ** 2, 0.0)).sum((-1, -2)) / np.maximum(cnt - 1, 1)
        tau2 = var - vz.sum((-1, -2)) / np.maximum(cnt, 1)
        w = np.where(ok, 1.0 / np.where(ok, v, 1.0), 0.0)
        lw = (w * lgz).sum((-1, -2)) / np.maximum(w.sum((-1, -2)), 1e-300)
        q = (w * (lgz - lw[..., None, None]) ** 2).sum((-1, -2))
        return np.maximum(tau2, 0.0), q, cnt

    tau2, q, cnt = moments(num.sum(0), den.sum(0))
    w = bootstrap_weights(num.shape[0], n_boot, seed)
    bn = (w @ num.reshape(num.shape[0], -1)).reshape(-1, m, m)
    bd = (w @ den.reshape(den.shape[0], -1)).reshape(-1, m, m)
    reps, _, _ = moments(bn, bd)
    lo, hi = percentile_ci(reps, ci)
    n_pairs = int(cnt)
    p = float(sps.chi2.sf(float(q), n_pairs - 1)) if n_pairs > 1 else float("nan")
    return {"tau2": float(tau2), "tau2_lo": float(lo), "tau2_hi": float(hi), "tau": float(np.sqrt(tau2)),
            "tau_lo": float(np.sqrt(lo)), "tau_hi": float(np.sqrt(hi)), "Q": float(q), "p": p,
            "n_pairs": n_pairs, "n_clips": int((den.sum((1, 2)) > 0).sum())}
