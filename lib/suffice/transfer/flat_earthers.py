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
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import OptionError
from ..stats import bootstrap_se, bootstrap_weights, holm
from .rates import _cube, summarise
from .table import _codes, kept_rows, transfer_outcome

__all__ = ["flat_earthers", "loo_contrasts", "METHODS", "MIN_ODDS_RATIO"]

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
