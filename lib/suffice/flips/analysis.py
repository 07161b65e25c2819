"""Flip curves and flip transfer, with chance baselines and clip-cluster bootstrap intervals.

**Flip curve** of model ``f`` at ``k`` bins: the share of clips on which the search found a flip of at
most ``k`` bins.  Every found flip is an upper bound on the minimal one, so this share is a *lower
bound* on the share of clips that some ``k``-bin removal flips.  Its baselines are the same share for
``k`` random bins (the mean over ``n_null`` draws per clip) and for the ``k`` loudest bins.

**Flip transfer** ``f -> g`` on clip ``x`` where ``f`` was flipped by the set ``F``:
``T = 1[g(x without F) != g(x)]`` (g changes its own class too).  Estimand: the cell rate ``M[f, g]``,
the mean of ``T`` over those clips, and the task rate, the unweighted mean of the off-diagonal cells.
Null: ``F`` is no more likely to change ``g`` than a removal of ``|F|`` bins drawn uniformly at random,
whose rate ``N[f, g]`` (per clip the share of the ``n_null`` draws of that size that change ``g``) is
computed on the same clips; the test statistic is the task-level difference ``rate - null`` with a
95% percentile cluster-bootstrap interval (clips resampled, one resample for every cell), and the
difference is called positive when the interval lies above 0.  The removal of the ``|F|`` loudest bins
is a second, stronger baseline (is it these bins, or just loud ones?).  With ``condition="agree"``
only clips where ``g(x) = f(x)`` count.  :func:`calibrate` measures the decision's false-positive
rate under the null and its power, by simulation at a study's own size.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..stats import bootstrap_weights, percentile_ci


def _clip_index(flips: pd.DataFrame) -> list[str]:
    return sorted(flips["clip_id"].astype(str).unique())


def flip_curve(flips: pd.DataFrame, evaluations: pd.DataFrame, sizes: Sequence[int], *, n_boot: int = 1000,
               seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
    """One row per model (and ``"all models"``, their unweighted mean) and size ``k``.

    Columns: ``rate`` (share of clips flipped by <= k bins, a lower bound), ``lo``/``hi``, ``random``
    and ``loudest`` (the baselines' shares) with their intervals, ``n_clips``, ``budget_exhausted``
    (clips whose search ran out of calls without a flip of <= k bins: counted as not flipped).
    """
    if flips.empty:
        raise OptionError("flip_curve: the flips table is empty")
    models = sorted(flips["model"].unique())
    clips = _clip_index(flips)
    sizes = sorted({int(s) for s in sizes})
    n, M, S = len(clips), len(models), len(sizes)
    val = {name: np.full((n, M, S), np.nan) for name in ("rate", "random", "loudest")}
    ci_of = {c: i for i, c in enumerate(clips)}
    mi = {m: i for i, m in enumerate(models)}
    exhausted = np.zeros((M, S), dtype=int)
    for r in flips.itertuples():
        i, m = ci_of[str(r.clip_id)], mi[r.model]
        for s, k in enumerate(sizes):
            ok = bool(r.found) and r.size <= k
            val["rate"][i, m, s] = float(ok)
            exhausted[m, s] += int(bool(r.budget_exhausted) and not ok)
    ev = evaluations[evaluations["kind"].isin(["random", "loudest"]) & evaluations["size"].isin(sizes)]
    means = ev.groupby(["kind", "clip_id", "model", "size"])["changed"].mean()
    for (kind, cid, model, k), v in means.items():
        if str(cid) in ci_of and model in mi:
            val[kind][ci_of[str(cid)], mi[model], sizes.index(int(k))] = v
    w = bootstrap_weights(n, n_boot, seed)
    rows = []
    for label, sel in [(m, [mi[m]]) for m in models] + [("all models", list(range(M)))]:
        out = {}
        for name, arr in val.items():
            a = np.nanmean(arr[:, sel, :], axis=1) if len(sel) > 1 else arr[:, sel[0], :]  # (n, S)
            ok = np.isfinite(a)
            num = np.where(ok, a, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                est = num.sum(0) / ok.sum(0)
                reps = (w @ num) / (w @ ok)
            lo, hi = percentile_ci(reps, ci)
            out[name] = (est, lo, hi)
        for s, k in enumerate(sizes):
            rows.append({"model": label, "size": k, "rate": out["rate"][0][s], "lo": out["rate"][1][s],
                         "hi": out["rate"][2][s], "random": out["random"][0][s], "random_lo": out["random"][1][s],
                         "random_hi": out["random"][2][s], "loudest": out["loudest"][0][s],
                         "loudest_lo": out["loudest"][1][s], "loudest_hi": out["loudest"][2][s], "n_clips": n,
                         "budget_exhausted": int(exhausted[sel, s].sum())})
    return pd.DataFrame(rows)


@dataclass
class FlipTransfer:
    """Cell matrices (producer f = row, judge g = column), task-level rates and their intervals."""

    rate: pd.DataFrame
    null: pd.DataFrame
    loudest: pd.DataFrame
    n: pd.DataFrame
    task: dict


def outcome_arrays(flips: pd.DataFrame, evaluations: pd.DataFrame, models: Sequence[str], *,
                   condition: str = "all") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Per clip and cell: (T, null share, loudest, counted) as (n_clips, M, M) arrays, and the clips."""
    if condition not in ("all", "agree"):
        raise OptionError(f"condition must be 'all' or 'agree', got {condition!r}")
    models = list(models)
    clips = _clip_index(flips)
    n, M = len(clips), len(models)
    ci_of = {c: i for i, c in enumerate(clips)}
    mi = {m: i for i, m in enumerate(models)}
    T, N, L, D = (np.zeros((n, M, M)) for _ in range(4))
    ev = evaluations.assign(clip_id=evaluations["clip_id"].astype(str))
    flip_ev = ev[ev["kind"] == "flip"].set_index(["clip_id", "source", "model"])
    null = ev[ev["kind"] == "random"].groupby(["clip_id", "size", "model"])["changed"].mean()
    loud = ev[ev["kind"] == "loudest"].set_index(["clip_id", "size", "model"])["changed"]
    orig = ev.drop_duplicates(["clip_id", "model"]).set_index(["clip_id", "model"])["orig_pred"]
    for r in flips[flips["found"].astype(bool)].itertuples():
        cid, f = str(r.clip_id), r.model
        if f not in mi:
            continue
        for g in models:
            key = (cid, f, g)
            if key not in flip_ev.index:
                continue
            if condition == "agree" and orig.get((cid, g)) != r.label:
                continue
            i, a, b = ci_of[cid], mi[f], mi[g]
            T[i, a, b] = float(flip_ev.loc[key, "changed"])
            N[i, a, b] = float(null.loc[(cid, int(r.size), g)])
            L[i, a, b] = float(loud.loc[(cid, int(r.size), g)])
            D[i, a, b] = 1.0
    return T, N, L, D, clips


def task_rates(T: np.ndarray, N: np.ndarray, D: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Task rate and null rate (mean of off-diagonal cells) for each row of cluster ``weights``."""
    M = T.shape[1]
    off = ~np.eye(M, dtype=bool)
    n = T.shape[0]
    den = weights @ D.reshape(n, -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cells_t = np.where(den > 0, (weights @ T.reshape(n, -1)) / den, np.nan).reshape(-1, M, M)
        cells_n = np.where(den > 0, (weights @ N.reshape(n, -1)) / den, np.nan).reshape(-1, M, M)
    with np.errstate(invalid="ignore"):
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(cells_t[:, off], axis=1), np.nanmean(cells_n[:, off], axis=1)


def flip_transfer(flips: pd.DataFrame, evaluations: pd.DataFrame, models: Sequence[str], *,
                  condition: str = "all", n_boot: int = 1000, seed: int = 0, ci: float = 0.95) -> FlipTransfer:
    """The flip-transfer matrix, its null and loudest-bins baselines, and the task-level test."""
    models = list(models)
    T, N, L, D, clips = outcome_arrays(flips, evaluations, models, condition=condition)
    n = len(clips)
    one = np.ones((1, n))
    den = D.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mats = {k: pd.DataFrame(np.where(den > 0, a.sum(0) / den, np.nan), index=models, columns=models)
                for k, a in (("rate", T), ("null", N), ("loudest", L))}
    w = bootstrap_weights(n, n_boot, seed)
    rate, null = (v[0] for v in task_rates(T, N, D, one))
    loud, _ = task_rates(L, N, D, one)
    b_rate, b_null = task_rates(T, N, D, w)
    b_loud, _ = task_rates(L, N, D, w)
    lo, hi = percentile_ci(b_rate, ci)
    nlo, nhi = percentile_ci(b_null, ci)
    llo, lhi = percentile_ci(b_loud, ci)
    dlo, dhi = percentile_ci(b_rate - b_null, ci)
    elo, ehi = percentile_ci(b_rate - b_loud, ci)
    off = ~np.eye(len(models), dtype=bool)
    task = {"rate": float(rate), "lo": float(lo), "hi": float(hi), "null": float(null), "null_lo": float(nlo),
            "null_hi": float(nhi), "diff": float(rate - null), "diff_lo": float(dlo), "diff_hi": float(dhi),
            "above_null": bool(dlo > 0), "loudest": float(loud[0]), "loudest_lo": float(llo),
            "loudest_hi": float(lhi), "diff_loudest": float(rate - loud[0]), "diff_loudest_lo": float(elo),
            "diff_loudest_hi": float(ehi), "n_clips": int((D.sum((1, 2)) > 0).sum()),
            "n_pairs": int(D[:, off].sum())}
    return FlipTransfer(rate=mats["rate"], null=mats["null"], loudest=mats["loudest"],
                        n=pd.DataFrame(den.astype(int), index=models, columns=models), task=task)


def calibrate(n_clips: int, n_models: int, n_null: int, *, base: float = 0.1, effect: float = 0.2,
              n_sim: int = 200, n_boot: int = 200, seed: int = 0, ci: float = 0.95) -> dict:
    """False-positive rate and power of "the interval of rate - null lies above 0", by simulation.

    Each simulated study has ``n_clips`` clips and ``n_models`` models, every model flipped on every
    clip.  A clip's susceptibility ``p_x`` is drawn from a Beta distribution of mean ``base`` (and
    concentration 4: clips differ a lot) and shared by all its cells; under the null each transfer
    outcome is Bernoulli(``p_x``) like each of the ``n_null`` random draws; under the alternative the
    transfer outcome is Bernoulli(``min(1, p_x + effect)``).  Returns ``fpr``, ``power`` and the setup.
    """
    rng = np.random.default_rng(seed)
    M = int(n_models)
    D = np.ones((n_clips, M, M))
    hits = {"fpr": 0, "power": 0}
    for _ in range(int(n_sim)):
        p = rng.beta(4 * base, 4 * (1 - base), size=(n_clips, 1, 1)) * np.ones((1, M, M))
        N = rng.binomial(int(n_null), p) / int(n_null)
        w = bootstrap_weights(n_clips, n_boot, int(rng.integers(2**31)))
        for name, q in (("fpr", p), ("power", np.minimum(1.0, p + effect))):
            T = (rng.random(p.shape) < q).astype(float)
            r, nu = task_rates(T, N, D, w)
            lo, _ = percentile_ci(r - nu, ci)
            hits[name] += int(lo > 0)
    return {"n_clips": int(n_clips), "n_models": M, "n_null": int(n_null), "base": base, "effect": effect,
            "n_sim": int(n_sim), "fpr": hits["fpr"] / n_sim, "power": hits["power"] / n_sim,
            "nominal": (1 - ci) / 2}
