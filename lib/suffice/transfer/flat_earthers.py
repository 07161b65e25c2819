"""The flat-earther test: is one model an outlier whose sufficiencies the others reject, or who rejects theirs?

A model m is compared with each other model k *on the same partners*, leaving both out as partners.
For the out role:

* ``O_m^(-k)``: the share of m's sufficient signals accepted by the judges other than m and k;
* ``O_k^(-m)``: the share of k's signals accepted by the same judges (all models but m and k);
* the pairwise contrast is ``d_mk = logit O_m^(-k) - logit O_k^(-m)``, and the effect is the median of
  ``d_mk`` over the others k (of an even number, the upper middle value).

The median makes the comparison one with the bulk of the models: beside two strong producers an
ordinary model's median contrast is one with another ordinary model, not with an average pulled up by the
stars; and judging both models by the same judges keeps a judge's habits (a model that accepts
everything) out of the contrast.  Logits use counts pooled over the judges with half a success and half a
failure added, so a row or column that is all 0 or all 1 (where a logistic GLM separates) still gives a
finite effect.  The in role is the same on the transposed matrix (producers in place of judges).

Inference: a clip-cluster bootstrap.  Every replicate resamples whole clips (all cells of a clip move
together, so clip, clip x source and clip x target effects are kept) and recomputes every contrast; the
standard error is the replicates' SD, floored by the binomial standard error of the two smoothed logits
(near 0 or 1 a resample of clips barely moves a count, and the bootstrap alone would be overconfident);
the one-sided p-value is ``Phi(effect / se)`` and the CI ``effect -/+ z se`` (odds-ratio scale in the
table).  Holm corrects across the 2M tests, and a model
is flagged only when the corrected p is below ``alpha`` *and* the odds ratio is below the stated minimum
effect ``min_odds_ratio`` (0.5: the model's signals are accepted at under half the typical odds).
Calibration by simulation: :func:`suffice.transfer.simulate.calibrate`.

The raw rates above mix rejection with chance: :func:`adjusted_flat_earthers` runs the same leave-one-out
contrast on acceptance adjusted for each row's own random-set baseline (a Mantel-Haenszel odds ratio, so a
judge's response bias to sparse signals cancels), adds the between-pair variance to the standard error,
requires the flag on every row, the non-empty sets and the agree-only rows, and names each flag's mechanism.
Its calibration: :func:`suffice.transfer.simulate.calibrate_adjusted`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import OptionError
from ..stats import bootstrap_se, bootstrap_weights, holm
from .rates import _cube, summarise
from .table import _codes, kept_rows, require_columns, transfer_outcome

__all__ = ["flat_earthers", "loo_contrasts", "METHODS", "MIN_ODDS_RATIO", "VIEWS", "adjusted_flat_earthers",
           "mh_sums", "mh_cubes", "pair_variance_adjusted", "adjusted_flags_from_cubes", "describe_flags"]

#: accepted values of ``method`` (``auto`` is the leave-one-out clip-bootstrap test)
METHODS: tuple[str, ...] = ("auto", "loo")
#: the stated minimum effect: a model is a flat-earther only below this odds ratio against the others
MIN_ODDS_RATIO = 0.5


def _upper_median(x: np.ndarray, exclude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper median along the last axis of ``x`` (..., M, M) over the finite entries not in ``exclude``
    (of an even number of values, the upper middle one), and the position of the chosen entry."""
    v = np.where(exclude | ~np.isfinite(x), np.inf, x)
    order = np.argsort(v, axis=-1, kind="stable")
    s = np.take_along_axis(v, order, axis=-1)
    n = np.isfinite(s).sum(-1)
    idx = np.clip(n // 2, 0, s.shape[-1] - 1)[..., None]
    out = np.take_along_axis(s, idx, axis=-1)[..., 0]
    return np.where(n > 0, out, np.nan), np.take_along_axis(order, idx, axis=-1)[..., 0]


def _loo_parts(num: np.ndarray, den: np.ndarray) -> dict[str, np.ndarray]:
    """Per role: the leave-one-out log odds ratios (..., M) and their binomial (independent-rows)
    variances, which floor the bootstrap variance where counts sit at 0 or at n."""
    m = num.shape[-1]
    eye = np.eye(m, dtype=bool)
    out: dict[str, np.ndarray] = {}
    for role, (n_, d_) in (("out", (num, den)), ("in", (np.swapaxes(num, -1, -2), np.swapaxes(den, -1, -2)))):
        n_ = np.where(eye, 0.0, n_)
        d_ = np.where(eye, 0.0, d_)
        rs_n, rs_d = n_.sum(-1), d_.sum(-1)                        # (..., M): pooled over partners
        # [..., j, k]: model j's counts over the partners other than j and k, and model k's over the same
        own_n, own_d = rs_n[..., :, None] - n_, rs_d[..., :, None] - d_
        oth_n = rs_n[..., None, :] - np.swapaxes(n_, -1, -2)
        oth_d = rs_d[..., None, :] - np.swapaxes(d_, -1, -2)
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (own_d > 0) & (oth_d > 0)
            lo_own = np.log((own_n + 0.5) / (own_d - own_n + 0.5))
            lo_oth = np.log((oth_n + 0.5) / (oth_d - oth_n + 0.5))
            d = np.where(ok, lo_own - lo_oth, np.nan)
            var = np.where(ok, 1 / (own_n + 0.5) + 1 / (own_d - own_n + 0.5)
                           + 1 / (oth_n + 0.5) + 1 / (oth_d - oth_n + 0.5), np.nan)
        med, at = _upper_median(d, eye)
        out[role] = med
        out[f"{role}_var"] = np.take_along_axis(var, at[..., None], axis=-1)[..., 0]
    return out


def loo_contrasts(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out log odds ratios of every model's out- and in-rate against the others' typical one.

    ``num``/``den``: (..., M, M) successes and trials per [source, target] cell, diagonal ignored.
    Returns ``(out_effect, in_effect)``, each (..., M); see the module docstring for the estimand.
    """
    parts = _loo_parts(num, den)
    return parts["out"], parts["in"]


def flat_earthers(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
                  method: str = "auto", alpha: float = 0.05, min_odds_ratio: float = MIN_ODDS_RATIO,
                  n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
                  models: Sequence[str] | None = None) -> pd.DataFrame:
    """Flag models whose sufficiencies the others reject (out) or that reject the others' (in).

    Null of each of the 2M one-sided tests: the model's out- (in-) rate odds equal the typical odds of the
    other models, judged by (judging) the same partners (log odds ratio >= 0 for "not below").  Estimand:
    the leave-one-out log odds ratio of :func:`loo_contrasts` (module docstring), reported as
    ``out_or``/``in_or`` with a ``ci`` interval from the clip-cluster bootstrap standard error.
    A model is flagged when its Holm-corrected p-value (over all 2M tests) is below ``alpha`` and its odds
    ratio below ``min_odds_ratio``.  With fewer than 3 models with outcomes in both roles nothing is tested
    (``method = "none"``); models without outcomes in both roles keep NaN.

    Returns one row per model: the raw ``out_rate``/``in_rate`` with CIs (from :func:`summarise`), then per
    role ``*_effect`` (log OR), ``*_se``, ``*_or``, ``*_or_lo``, ``*_or_hi``, ``*_p``, ``*_p_holm``,
    ``*_flag``; ``flat_earther`` (either flag) and ``method``.
    """
    if method not in METHODS:
        raise OptionError(f"unknown method {method!r}; choose one of {', '.join(METHODS)} (the GLM and "
                          "permutation tests were replaced: they flagged ordinary models beside strong ones)")
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha!r}")
    if not 0 < min_odds_ratio <= 1:
        raise OptionError(f"min_odds_ratio must be in (0, 1], got {min_odds_ratio!r}")
    summ = summarise(df, criterion=criterion, delta=delta, condition=condition, n_boot=n_boot, ci=ci,
                     seed=seed, models=models)
    order = summ.models
    table = summ.per_model.copy()
    cols = ("effect", "se", "or", "or_lo", "or_hi", "p", "p_holm")
    for role in ("out", "in"):
        for c in cols:
            table[f"{role}_{c}"] = np.nan
        table[f"{role}_flag"] = False
    used = "none"
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    keep = kept_rows(df, y, condition)
    src, tgt = set(df.loc[keep, "source"]), set(df.loc[keep, "target"])
    tested = [x for x in order if x in src and x in tgt]
    keep &= df["source"].isin(tested).to_numpy() & df["target"].isin(tested).to_numpy()
    if len(tested) >= 3 and keep.any():
        used = "loo"
        at = np.array([order.index(x) for x in tested], dtype=int)
        num, den, _ = _cube(df, np.nan_to_num(y), tested, keep)
        res = _loo_test(num, den, n_boot=n_boot, seed=seed, ci=ci)
        for role in ("out", "in"):
            for c in ("effect", "se", "or", "or_lo", "or_hi", "p"):
                table.loc[at, f"{role}_{c}"] = res[f"{role}_{c}"]
        mm = len(order)
        adj = holm(np.concatenate([table["out_p"].to_numpy(), table["in_p"].to_numpy()]))
        table["out_p_holm"], table["in_p_holm"] = adj[:mm], adj[mm:]
        for role in ("out", "in"):
            table[f"{role}_flag"] = ((table[f"{role}_p_holm"] < alpha) & (table[f"{role}_or"] < min_odds_ratio))
    table["flat_earther"] = table["out_flag"] | table["in_flag"]
    table["method"] = used
    table.attrs.update(summ.options, alpha=alpha, min_odds_ratio=min_odds_ratio, test=used)
    return table


def _loo_test(num: np.ndarray, den: np.ndarray, *, n_boot: int, seed: int, ci: float) -> dict[str, np.ndarray]:
    """Effects, bootstrap SEs, odds-ratio CIs and one-sided p-values of :func:`loo_contrasts` on a cube
    (C clips, M, M); the clip-cluster bootstrap of the module docstring."""
    c, m, _ = num.shape
    w = bootstrap_weights(c, n_boot, seed)
    bn = (w @ num.reshape(c, -1)).reshape(-1, m, m)
    bd = (w @ den.reshape(c, -1)).reshape(-1, m, m)
    obs = _loo_parts(num.sum(0), den.sum(0))
    rep_out, rep_in = loo_contrasts(bn, bd)
    z = sps.norm.ppf(0.5 + ci / 2)
    out: dict[str, np.ndarray] = {}
    for role, eff, rep in (("out", obs["out"], rep_out), ("in", obs["in"], rep_in)):
        se = np.fmax(bootstrap_se(rep, axis=0), np.sqrt(obs[f"{role}_var"]))
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(se > 0, sps.norm.cdf(eff / np.where(se > 0, se, 1.0)),
                         np.where(eff < 0, 0.0, 1.0))
        out[f"{role}_effect"], out[f"{role}_se"], out[f"{role}_p"] = eff, se, np.where(np.isfinite(eff), p, np.nan)
        out[f"{role}_or"] = np.exp(eff)
        out[f"{role}_or_lo"], out[f"{role}_or_hi"] = np.exp(eff - z * se), np.exp(eff + z * se)
    return out


def flags_from_cube(num: np.ndarray, den: np.ndarray, *, alpha: float = 0.05,
                    min_odds_ratio: float = MIN_ODDS_RATIO, n_boot: int = 400, seed: int = 0,
                    ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The out- and in-flags of :func:`flat_earthers` computed straight from a (C, M, M) cube of per-clip
    successes and trials (used by the calibration, where building tables would dominate the time)."""
    res = _loo_test(num, den, n_boot=n_boot, seed=seed, ci=ci)
    adj = holm(np.concatenate([res["out_p"], res["in_p"]]))
    m = num.shape[-1]
    fo = (adj[:m] < alpha) & (res["out_or"] < min_odds_ratio)
    fi = (adj[m:] < alpha) & (res["in_or"] < min_odds_ratio)
    return fo, fi


def cube_of(df: pd.DataFrame, models: Sequence[str], *, criterion: str = "class", delta: float = 1.0,
            condition: str = "all") -> tuple[np.ndarray, np.ndarray]:
    """Per-clip successes and trials (C, M, M) of the off-diagonal cells of ``df`` (what the test uses)."""
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    keep = kept_rows(df, y, condition)
    num, den, _ = _cube(df, np.nan_to_num(y), list(models), keep & (_codes(df["source"], models) >= 0)
                        & (_codes(df["target"], models) >= 0))
    return num, den


# --- the chance-adjusted test -------------------------------------------------------------------------
#: the views on which a chance-adjusted flag must hold: every row, the non-empty sets, the agree-only rows
VIEWS: tuple[str, ...] = ("all", "non_empty", "agree")
#: the Mantel-Haenszel sums of one row (a: accepted, b: rejected, c/d: random sets accepted/rejected, n: a+b+c+d)
_MH_SUMS = ("R", "S", "PR", "PSQR", "QS")
#: smoothing of the pooled Mantel-Haenszel sums (a row's largest contribution is n_null / (n_null + 1))
_MH_SMOOTH = 0.25
#: the pair effects' share of the contrast's variance, tau^2 / (M - 2): the tested model's own cells with the
#: M - 2 partners enter every contrast of the median; the other model's average out over the median
PAIR_FACTOR = 1.0


def mh_sums(accepted: np.ndarray, chance_accepted: np.ndarray, chance_n: np.ndarray) -> dict[str, np.ndarray]:
    """Per row, the Mantel-Haenszel sums of the 2 x 2 table (sufficient set: accepted or not, against
    ``chance_n`` random sets of the same size: ``chance_accepted`` accepted): ``R = a d / n``, ``S = b c / n``
    and the Robins-Breslow-Greenland variance terms ``PR``, ``PS + QR``, ``QS``.  Additive over rows."""
    a = np.asarray(accepted, dtype=np.float64)
    b = 1.0 - a
    c = np.asarray(chance_accepted, dtype=np.float64)
    d = np.asarray(chance_n, dtype=np.float64) - c
    n = a + b + c + d
    r, s = a * d / n, b * c / n
    p, q = (a + d) / n, (b + c) / n
    return {"R": r, "S": s, "PR": p * r, "PSQR": p * s + q * r, "QS": q * s}


def _mh_log_or(sums: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed log Mantel-Haenszel odds ratio of pooled sums, and its RBG variance."""
    r, s = sums["R"] + _MH_SMOOTH, sums["S"] + _MH_SMOOTH
    var = sums["PR"] / (2 * r ** 2) + sums["PSQR"] / (2 * r * s) + sums["QS"] / (2 * s ** 2)
    return np.log(r / s), np.fmax(var, 1.0 / r + 1.0 / s) / 2


def _loo_mh(cubes: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per role, the leave-one-out contrast of the chance-adjusted log odds ratios (..., M) and its RBG
    variance; ``cubes``: the :data:`_MH_SUMS` as (..., M, M) [source, target] arrays (diagonal ignored)."""
    m = cubes["R"].shape[-1]
    eye = np.eye(m, dtype=bool)
    out: dict[str, np.ndarray] = {}
    for role in ("out", "in"):
        own, oth = {}, {}
        for k, v in cubes.items():
            v = np.where(eye, 0.0, v if role == "out" else np.swapaxes(v, -1, -2))
            rs = v.sum(-1)
            own[k] = rs[..., :, None] - v                               # [j, k]: j's sums without partners j, k
            oth[k] = rs[..., None, :] - np.swapaxes(v, -1, -2)          # [j, k]: k's sums over the same partners
        lo_own, v_own = _mh_log_or(own)
        lo_oth, v_oth = _mh_log_or(oth)
        d = lo_own - lo_oth
        med, at = _upper_median(d, eye)
        out[role] = med
        out[f"{role}_var"] = np.take_along_axis(v_own + v_oth, at[..., None], axis=-1)[..., 0]
    return out


def pair_variance_adjusted(cubes: Mapping[str, np.ndarray]) -> float:
    """Between-pair variance of the cells' chance-adjusted log odds ratios net of sampling noise (method of
    moments): the residual mean square of an additive source + target fit of the off-diagonal cells'
    log Mantel-Haenszel odds ratios, minus their mean RBG variance, floored at 0.  ``cubes``: (M, M)."""
    m = cubes["R"].shape[-1]
    lo, var = _mh_log_or(cubes)
    f, g = np.nonzero(~np.eye(m, dtype=bool))
    x = np.zeros((f.size, 2 * m - 1))
    x[:, 0] = 1.0
    rows = np.arange(f.size)
    x[rows[f < m - 1], 1 + f[f < m - 1]] = 1.0                     # source dummies (the last model: reference)
    x[rows[g < m - 1], m + g[g < m - 1]] = 1.0                     # target dummies
    y = lo[f, g]
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    df = f.size - np.linalg.matrix_rank(x)
    if df < 1:
        return 0.0
    return float(max(np.sum((y - x @ beta) ** 2) / df - var[f, g].mean(), 0.0))


def _adjusted_test(cubes: Mapping[str, np.ndarray], *, n_boot: int, seed: int, ci: float,
                   pair_var: float | None = None) -> dict[str, np.ndarray]:
    """Effects, standard errors, odds-ratio CIs and one-sided p-values of the chance-adjusted contrast on
    (C, M, M) cubes of the Mantel-Haenszel sums: clip-cluster bootstrap variance floored by the RBG variance,
    plus the between-pair variance's share ``tau^2 / (M - 2)`` (:data:`PAIR_FACTOR`; pair effects do not move
    with clips)."""
    c, m, _ = cubes["R"].shape
    w = bootstrap_weights(c, n_boot, seed)
    boot = {k: (w @ v.reshape(c, -1)).reshape(-1, m, m) for k, v in cubes.items()}
    pooled = {k: v.sum(0) for k, v in cubes.items()}
    obs, rep = _loo_mh(pooled), _loo_mh(boot)
    tau2 = pair_variance_adjusted(pooled) if pair_var is None else float(pair_var)
    z = sps.norm.ppf(0.5 + ci / 2)
    out: dict[str, np.ndarray] = {"pair_var": np.asarray(tau2)}
    for role in ("out", "in"):
        eff = obs[role]
        se = np.sqrt(np.fmax(bootstrap_se(rep[role], axis=0) ** 2, obs[f"{role}_var"]) + PAIR_FACTOR * tau2 / max(m - 2, 1))
        with np.errstate(invalid="ignore"):
            p = sps.norm.cdf(eff / se)
        out[f"{role}_effect"], out[f"{role}_se"] = eff, se
        out[f"{role}_p"] = np.where(np.isfinite(eff), p, np.nan)
        out[f"{role}_or"], out[f"{role}_or_lo"], out[f"{role}_or_hi"] = np.exp(eff), np.exp(eff - z * se), np.exp(eff + z * se)
    return out


def adjusted_flags_from_cubes(cubes: Mapping[str, np.ndarray], *, alpha: float = 0.05,
                              min_odds_ratio: float = MIN_ODDS_RATIO, n_boot: int = 400, seed: int = 0,
                              ci: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Out- and in-flags of the chance-adjusted test on one view's (C, M, M) Mantel-Haenszel cubes (Holm over
    the 2M tests, odds ratio below ``min_odds_ratio``); the calibration's code path."""
    res = _adjusted_test(cubes, n_boot=n_boot, seed=seed, ci=ci)
    m = cubes["R"].shape[-1]
    adj = holm(np.nan_to_num(np.concatenate([res["out_p"], res["in_p"]]), nan=1.0))
    return ((adj[:m] < alpha) & (res["out_or"] < min_odds_ratio),
            (adj[m:] < alpha) & (res["in_or"] < min_odds_ratio))


def mh_cubes(df: pd.DataFrame, models: Sequence[str], *, view: str = "all", criterion: str = "class",
             delta: float = 1.0) -> dict[str, np.ndarray]:
    """Per-clip Mantel-Haenszel sums (C, M, M) of one view of ``df`` (rows with a chance baseline only)."""
    if view not in VIEWS:
        raise OptionError(f"unknown view {view!r}; choose one of {', '.join(VIEWS)}")
    require_columns(df, ["null_random_accept", "null_random_n"], "the chance-adjusted flat-earther test")
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    keep = kept_rows(df, y, "agree" if view == "agree" else "all")
    if view == "non_empty":
        keep &= (df["set_size"] > 0).to_numpy()
    n_null = df["null_random_n"].to_numpy(dtype=np.float64)
    k_null = df["null_random_accept"].to_numpy(dtype=np.float64) * n_null
    keep &= np.isfinite(k_null) & (n_null > 0)
    keep &= (_codes(df["source"], models) >= 0) & (_codes(df["target"], models) >= 0)
    sums = mh_sums(np.nan_to_num(y), np.nan_to_num(np.round(k_null)), np.where(n_null > 0, n_null, 1.0))
    return {k: _cube(df, np.nan_to_num(v), list(models), keep)[0] for k, v in sums.items()}


def _mechanism(raw_all: bool, raw_non_empty: bool, adj: Mapping[str, bool]) -> str:
    """Why a model's rate is low, from its flags on the views (the module docstring's table)."""
    if adj["all"] and adj["non_empty"] and adj["agree"]:
        return "rejection"
    if (raw_all and not raw_non_empty) or (adj["all"] and not adj["non_empty"]):
        return "silence class"
    if raw_all and not adj["all"]:
        return "response bias"
    if adj["all"]:
        return "disagreement"
    return ""


def adjusted_flat_earthers(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0,
                           alpha: float = 0.05, min_odds_ratio: float = MIN_ODDS_RATIO, n_boot: int = 1000,
                           ci: float = 0.95, seed: int = 0, models: Sequence[str] | None = None) -> pd.DataFrame:
    """Flag models whose acceptance, adjusted for chance, is an outlier: out (the others reject its sets
    beyond what they do to random sets) or in (it rejects the others' sets beyond its own random-set rate).

    Estimand per model and role: the leave-one-out contrast (as in :func:`flat_earthers`) of the
    Mantel-Haenszel log odds ratio of acceptance against the row's own chance baseline (``null_random_n``
    random keep-sets of the same size, same clip, same judge: a judge's response bias to sparse signals
    cancels within the row).  Null: the model's chance-adjusted odds ratio equals the other models'
    (log contrast >= 0).  Standard error: clip-cluster bootstrap, floored by the RBG variance, plus the
    between-pair variance (:func:`pair_variance_adjusted`); Holm over the 2M tests of each view; a view
    flags when the corrected p < ``alpha`` and the odds ratio < ``min_odds_ratio``.  A model is flagged
    only when the flag holds on all three :data:`VIEWS` (every row, non-empty sets, agree-only rows), an
    intersection-union test whose false-flag rate is at most that of one view.

    ``*_mechanism`` says why a model looks low: ``rejection`` (flagged), ``silence class`` (the raw or
    adjusted flag vanishes without empty sets), ``response bias`` (flagged on raw rates, not once chance is
    adjusted for), ``disagreement`` (adjusted flag on all rows that vanishes on agree-only rows), or "".
    Returns per model: ``*_or`` (all rows) with ``*_or_lo``/``*_or_hi``, ``*_p_holm``, per view
    ``*_flag_<view>``, ``*_flag_raw`` (the raw-rate test of :func:`flat_earthers`), ``*_flag``,
    ``*_mechanism``, and ``flat_earther``; ``attrs["pair_sd"]`` is the estimated pair SD (all rows).
    """
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha!r}")
    raw = flat_earthers(df, criterion=criterion, delta=delta, alpha=alpha, min_odds_ratio=min_odds_ratio,
                        n_boot=n_boot, ci=ci, seed=seed, models=models)
    order = list(raw["model"])
    nonempty = df[df["set_size"] > 0]
    raw_ne = (flat_earthers(nonempty, criterion=criterion, delta=delta, alpha=alpha, min_odds_ratio=min_odds_ratio,
                            n_boot=n_boot, ci=ci, seed=seed, models=order) if len(nonempty) else None)
    table = pd.DataFrame({"model": order})
    m = len(order)
    flags: dict[tuple[str, str], np.ndarray] = {}
    pair_sd = np.nan
    for view in VIEWS:
        cubes = mh_cubes(df, order, view=view, criterion=criterion, delta=delta)
        if m < 3 or cubes["R"].shape[0] == 0:
            for role in ("out", "in"):
                flags[role, view] = np.zeros(m, dtype=bool)
            continue
        res = _adjusted_test(cubes, n_boot=n_boot, seed=seed, ci=ci)
        adj = holm(np.nan_to_num(np.concatenate([res["out_p"], res["in_p"]]), nan=1.0))
        for k, role in enumerate(("out", "in")):
            flags[role, view] = (adj[k * m:(k + 1) * m] < alpha) & (res[f"{role}_or"] < min_odds_ratio)
            if view == "all":
                for c in ("or", "or_lo", "or_hi"):
                    table[f"{role}_{c}"] = res[f"{role}_{c}"]
                table[f"{role}_p_holm"] = adj[k * m:(k + 1) * m]
        if view == "all":
            pair_sd = float(np.sqrt(res["pair_var"]))
    for role in ("out", "in"):
        for view in VIEWS:
            table[f"{role}_flag_{view}"] = flags[role, view]
        table[f"{role}_flag_raw"] = raw[f"{role}_flag"].to_numpy()
        raw_ne_flag = raw_ne[f"{role}_flag"].to_numpy() if raw_ne is not None else np.zeros(m, dtype=bool)
        table[f"{role}_flag"] = flags[role, "all"] & flags[role, "non_empty"] & flags[role, "agree"]
        table[f"{role}_mechanism"] = [
            _mechanism(bool(table[f"{role}_flag_raw"].iat[j]), bool(raw_ne_flag[j]),
                       {v: bool(flags[role, v][j]) for v in VIEWS}) for j in range(m)]
    table["flat_earther"] = table["out_flag"] | table["in_flag"]
    table.attrs.update(criterion=criterion, delta=delta, alpha=alpha, min_odds_ratio=min_odds_ratio,
                       n_boot=n_boot, seed=seed, pair_sd=pair_sd)
    return table


def describe_flags(table: pd.DataFrame) -> str:
    """One sentence per role reading an :func:`adjusted_flat_earthers` table: the models flagged, and the
    raw-rate flags that the chance adjustment explains away, each with its mechanism."""
    out = []
    for role, word in (("out", "whose sets the others reject"), ("in", "that rejects the others' sets")):
        flagged = table.loc[table[f"{role}_flag"], "model"].tolist()
        text = (f"Flagged as a model {word}, beyond chance on every view: "
                + (", ".join(f"`{m}`" for m in flagged) if flagged else "none") + ".")
        other = table[(table[f"{role}_flag_raw"] | table[f"{role}_flag_all"]) & ~table[f"{role}_flag"]]
        if len(other):
            text += " Not flagged, with the reason: " + "; ".join(
                f"`{r.model}` ({getattr(r, f'{role}_mechanism') or 'no flag on all rows'})"
                for r in other.itertuples()) + "."
        out.append(text)
    return " ".join(out)
