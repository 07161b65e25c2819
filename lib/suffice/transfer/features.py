"""Transfer against features of the sufficient signal: clip-clustered logistic GLMs, set sizes, criteria.

Every GLM here is :func:`suffice.stats.logistic_glm` (the one GLM helper); the functions build its data.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..explanation import budget_cut
from ..stats import logistic_glm
from .rates import summarise
from .table import TableError, _check_options, _codes, _model_order, _require, transfer_outcome, validate_table

__all__ = ["feature_glm", "deviation_design", "set_size_glm", "set_size_table", "criteria_table", "accepted_by",
           "compare_strategies", "same_clips", "strategy_difference",
           "CRITERIA_ROWS"]


def deviation_design(codes: np.ndarray, m: int) -> np.ndarray:
    """Sum-to-zero (deviation) coding of ``codes`` in 0..m-1: m-1 columns, the last level is -1 everywhere."""
    x = np.zeros((codes.size, m - 1))
    for j in range(m - 1):
        x[codes == j, j] = 1.0
    x[codes == m - 1, :] = -1.0
    return x


def feature_glm(df: pd.DataFrame, features: pd.DataFrame, predictors: Sequence[str], *, criterion: str = "class",
                delta: float = 1.0, condition: str = "all", adjust_for_models: bool = True,
                standardise: bool = True, ci: float = 0.95) -> pd.DataFrame:
    """Logistic GLM of transfer success on features of the sufficient signal, clip-clustered errors.

    Null of each feature's test: no association between the feature and T given the other terms;
    estimand: the feature's odds ratio (per standard deviation with ``standardise``).

    ``features``: one row per explanation with ``source``, ``clip_id`` (and ``seed`` when present) and
    the ``predictors`` columns (e.g. :func:`suffice.spectral.features` of ``s_f(x)``), joined onto the
    off-diagonal rows with a found sufficiency.  ``adjust_for_models`` adds sum-to-zero source and target
    terms (``source[m]``, ``target[m]``), so a feature's odds ratio is read within model pairs rather than
    through which model produced the signal.  With ``standardise`` the feature odds ratios are per
    standard deviation.  Returns :func:`suffice.stats.logistic_glm`'s table (features first; ``attrs``
    flag a degenerate fit).
    """
    _check_options(criterion, delta, condition)
    validate_table(df)
    on = [c for c in ("source", "clip_id", "seed") if c in features.columns]
    if "source" not in on or "clip_id" not in on:
        raise TableError("features need columns 'source' and 'clip_id' (and 'seed' when several seeds ran)")
    _require(features, list(predictors), "the features table")
    if features.duplicated(on).any():
        raise TableError(f"features has several rows per ({', '.join(on)})")
    data = df.assign(transfer=transfer_outcome(df, criterion=criterion, delta=delta))
    keep = data["transfer"].notna() & (data["source"] != data["target"])
    if condition == "agree":
        keep &= data["target_pred_original"] == data["source_pred"]
    data = data[keep].merge(features[on + list(predictors)], on=on, how="inner", suffixes=("_table", ""))
    if data.empty:
        raise TableError("no off-diagonal found rows match the features table")
    terms = list(predictors)
    if adjust_for_models:
        order = _model_order(df, None)
        m = len(order)
        for role in ("source", "target") if m > 2 else ("source",):  # with 2 models target = not source
            codes = _codes(data[role], order)
            dev = deviation_design(codes, m)
            for j in range(m - 1):
                name = f"{role}[{order[j]}]"
                data[name] = dev[:, j]
                terms.append(name)
    res = logistic_glm(data, "transfer", terms, cluster="clip_id",
                       standardise=list(predictors) if standardise else False, ci=ci)
    res.attrs.update(criterion=criterion, delta=float(delta), condition=condition,
                     adjusted_for_models=bool(adjust_for_models))
    return res


def set_size_glm(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
                 adjust_for_models: bool = True, ci: float = 0.95) -> pd.DataFrame:
    """Transfer against the set's size and the producer's margin on its own signal (clip-clustered GLM).

    Predictors per explanation (f, x): ``log_fraction`` = log of the share of bins kept (empty sets are left
    out: their log is undefined and they are silence), and ``own_prob`` = ``p_f(s_f(x))[c]``, the producer's
    probability of its class on its own sufficient signal (from the diagonal rows: how far inside f's
    decision region the signal lies).  Null of each term's test: no association with transfer given the
    other terms (and the source and target models when ``adjust_for_models``); estimand: the odds ratio per
    standard deviation of the predictor.  Returns :func:`feature_glm`'s table.
    """
    validate_table(df)
    diag = df[(df["source"] == df["target"]) & df["found"].astype(bool) & (df["set_size"] > 0)]
    on = ["source", "clip_id", "seed"]
    feats = diag.drop_duplicates(on)[on + ["fraction", "target_prob_sufficient"]].copy()
    feats["log_fraction"] = np.log(feats["fraction"].astype(float))
    feats["own_prob"] = feats["target_prob_sufficient"].astype(float)
    feats = feats.drop(columns=["fraction", "target_prob_sufficient"])
    if feats.empty:
        raise TableError("no found, non-empty sufficient sets with diagonal rows: nothing to relate to set size")
    return feature_glm(df, feats, ["log_fraction", "own_prob"], criterion=criterion, delta=delta,
                       condition=condition, adjust_for_models=adjust_for_models, ci=ci)


def _budget_cut(df: pd.DataFrame) -> pd.Series:
    """Per row, as bool: :func:`suffice.explanation.budget_cut` of the two flag columns."""
    return pd.Series(budget_cut(df["budget_exhausted"].astype(bool), df["verified_minimal"].astype(bool)) == 1.0,
                     index=df.index)


def set_size_table(explanations: pd.DataFrame) -> pd.DataFrame:
    """Per source model: explanations, found, empty sets, median bins and fraction kept, median calls and
    seconds.  ``explanations``: one row per explanation with ``model``, ``clip_id``, ``found``,
    ``set_size``, ``fraction``, ``n_model_calls`` (and ``seconds``, ``budget_exhausted``,
    ``verified_minimal``, ``extra_calls`` when present).  With ``verified_minimal``, ``budget_cut``
    counts the sufficient sets the budget cut short (``budget_exhausted`` and not verified minimal),
    apart from searches whose budget ran out only later, in the contrastive or complete set; with
    ``extra_calls``, ``median_extra_calls`` is the median of the calls spent on those sets; with a
    ``necessary_budget_cut`` column that is not all missing (a study run with ``contrastive``),
    ``necessary_budget_cut`` counts the sufficient-and-necessary searches the budget ended early.  With a
    ``robust`` column that is not all missing (a study run with the ``robustness`` option), ``not_robust``
    counts the found sets whose class did not survive saving and playback (:mod:`suffice.search.robust`;
    counted apart like budget-cut sets, kept in the rates), and with ``repaired_bins``, ``repaired`` those
    grown to be robust (then pruned: 1-minimal under robust acceptance where the prune completed)."""
    _require(explanations, ("model", "clip_id", "found", "set_size", "fraction", "n_model_calls"),
             "the explanations table")
    e = explanations
    agg = {"explanations": ("clip_id", "size"), "found": ("found", "sum"),
           "empty": ("set_size", lambda v: int((v == 0).sum())), "median_bins": ("set_size", "median"),
           "median_fraction": ("fraction", "median"), "median_calls": ("n_model_calls", "median")}
    if "seconds" in e.columns:
        agg["median_seconds"] = ("seconds", "median")
    if "budget_exhausted" in e.columns:
        agg["budget_exhausted"] = ("budget_exhausted", "sum")
        if "verified_minimal" in e.columns:
            e = e.assign(budget_cut=_budget_cut(e))
            agg["budget_cut"] = ("budget_cut", "sum")
    if "extra_calls" in e.columns:
        agg["median_extra_calls"] = ("extra_calls", "median")
    if "necessary_budget_cut" in e.columns and e["necessary_budget_cut"].notna().any():
        e = e.assign(necessary_budget_cut=e["necessary_budget_cut"].fillna(False).astype(bool))
        agg["necessary_budget_cut"] = ("necessary_budget_cut", "sum")
    if "robust" in e.columns and e["robust"].notna().any():
        e = e.assign(not_robust=e["found"].astype(bool) & e["robust"].eq(False))
        agg["not_robust"] = ("not_robust", "sum")
        if "repaired_bins" in e.columns:
            e = e.assign(repaired=e["repaired_bins"].fillna(0).astype(int) > 0)
            agg["repaired"] = ("repaired", "sum")
    found = e[e["found"].astype(bool)]
    out = e.groupby("model", sort=False).agg(**{k: v for k, v in agg.items()
                                                if k in ("explanations", "found", "empty")
                                                or k in ("median_seconds", "budget_exhausted", "budget_cut",
                                                         "median_extra_calls", "necessary_budget_cut",
                                                         "not_robust", "repaired")})
    med = found.groupby("model", sort=False).agg(**{k: v for k, v in agg.items()
                                                    if k in ("median_bins", "median_fraction", "median_calls")})
    out = out.join(med, how="left").reset_index()
    out["found"] = out["found"].astype(int)
    return out


#: the criteria of :func:`criteria_table`: (criterion, delta, label)
CRITERIA_ROWS: tuple[tuple[str, float, str], ...] = (
    ("class", 1.0, "class"), ("confidence", 0.5, "confidence, δ = 0.5"), ("confidence", 1.0, "confidence, δ = 1"),
)


def criteria_table(df: pd.DataFrame, *, n_boot: int = 1000, seed: int = 0,
                   models: Sequence[str] | None = None) -> pd.DataFrame:
    """The task rate under the class criterion, the confidence criteria (δ = 0.5, 1) and the class criterion
    without empty sufficient sets (silence; only models whose sets are non-empty take part), with CIs."""
    rows = []
    for crit, d, label in CRITERIA_ROWS:
        s = summarise(df, criterion=crit, delta=d, n_boot=n_boot, seed=seed, models=models)
        rows.append({"criterion": label, **s.task})
    producers = set(df.loc[df["set_size"] > 0, "source"])
    nonempty = df[(df["set_size"] > 0) & df["target"].isin(producers)]
    if len(producers) >= 2:
        order = [m for m in (models or _model_order(df, None)) if m in producers]
        s = summarise(nonempty, n_boot=n_boot, seed=seed, models=order)
        rows.append({"criterion": "class, non-empty sets only", **s.task})
    return pd.DataFrame(rows)


def accepted_by(df: pd.DataFrame, source: str, clip_id: str, *, seed: int | None = None) -> list[str]:
    """The models other than ``source`` that give ``source``'s class to its sufficient signal of ``clip_id``
    (T = 1 under the class criterion)."""
    rows = df[(df["source"] == source) & (df["clip_id"] == clip_id) & (df["target"] != source)]
    if seed is not None:
        rows = rows[rows["seed"] == seed]
    ok = transfer_outcome(rows) == 1.0
    return rows.loc[ok, "target"].tolist()


def same_clips(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each table restricted to the clips, and the models (as source and as target), that every table
    holds: strategies compared on the same clips and models."""
    if not tables:
        raise OptionError("same_clips needs at least one table")
    common = set.intersection(*(set(t["clip_id"]) for t in tables.values()))
    if not common:
        raise TableError("the tables share no clip")
    models = set.intersection(*(set(t["source"]) & set(t["target"]) for t in tables.values()))
    if not models:
        raise TableError("the tables share no model")
    return {k: t[t["clip_id"].isin(common) & t["source"].isin(models) & t["target"].isin(models)
                 ].reset_index(drop=True) for k, t in tables.items()}


def compare_strategies(tables: Mapping[str, pd.DataFrame], *, n_boot: int = 1000, seed: int = 0,
                       models: Sequence[str] | None = None) -> pd.DataFrame:
    """Side by side, one row per strategy, on the clips every table holds: clips, the task rate with its CI,
    the rate where g(x) = f(x), found and empty sets, the median share of bins kept and model calls, and
    the number of searches that ran out of budget (``budget_exhausted``) and, of those, the ones whose
    sufficient set it cut short (``budget_cut``: not verified minimal), when the columns are there.

    The CIs are per strategy; the difference between strategies is read with :func:`strategy_difference`.
    """
    rows = []
    for name, t in same_clips(tables).items():
        s = summarise(t, n_boot=n_boot, seed=seed, models=models)
        a = summarise(t, condition="agree", n_boot=n_boot, seed=seed, models=models)
        one = t.drop_duplicates(["source", "clip_id", "seed"])
        found = one[one["found"].astype(bool)]
        row = {"strategy": name, "clips": t["clip_id"].nunique(), "rate": s.task["rate"], "lo": s.task["lo"],
               "hi": s.task["hi"], "rate_agree": a.task["rate"], "explanations": len(one),
               "found": int(one["found"].sum()), "empty": int((found["set_size"] == 0).sum()),
               "median_fraction": float(found["fraction"].median()) if len(found) else np.nan,
               "median_calls": float(one["n_model_calls"].median())}
        if "budget_exhausted" in one.columns:
            row["budget_exhausted"] = int(one["budget_exhausted"].astype(bool).sum())
            if "verified_minimal" in one.columns:
                row["budget_cut"] = int(_budget_cut(one).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def strategy_difference(a: pd.DataFrame, b: pd.DataFrame, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
                        models: Sequence[str] | None = None) -> dict[str, float]:
    """The task rate of ``a`` minus that of ``b`` on their common clips, with a paired clip bootstrap.

    Estimand: the difference of the two task rates (mean off-diagonal cells) over the same clips; the CI
    resamples clips once for both tables (the clips are shared, so the pairing is kept).  Null for ``p``
    (two-sided, from the bootstrap standard error): no difference.  Small samples follow the contrast
    module's rule: from :data:`~suffice.transfer.contrast.MIN_CLIPS_BOOTSTRAP` clips the percentile
    interval and a normal test, below it a t interval and test with ``clips - 1`` df on the bootstrap
    standard error, below :data:`~suffice.transfer.contrast.MIN_CLIPS_ANY` no interval (``method`` says which).
    """
    from scipy import stats as sps

    from ..stats import bootstrap_se, percentile_ci

    ta, tb = same_clips({"a": a, "b": b}).values()
    clips = sorted(set(ta["clip_id"]))
    ra = summarise(ta, n_boot=n_boot, seed=seed, models=models)
    rb = summarise(tb, n_boot=n_boot, seed=seed, models=models)
    # same seed and same sorted clip set: the two summaries used the same bootstrap weights
    from .rates import _offdiag_means

    da = _offdiag_means(ra.replicates)[2] - _offdiag_means(rb.replicates)[2]
    est = ra.task["rate"] - rb.task["rate"]
    from .contrast import MIN_CLIPS_ANY, MIN_CLIPS_BOOTSTRAP

    se = float(bootstrap_se(da[:, None])[0])
    n = len(clips)
    if n < MIN_CLIPS_ANY:
        lo = hi = p = float("nan")
        method = "no claim: too few clips"
    elif not se > 0:  # every resample gives the same difference
        lo = hi = float(est)
        p, method = (1.0 if est == 0 else 0.0), "exact: no variation over resamples"
    elif n < MIN_CLIPS_BOOTSTRAP:
        q = float(sps.t.ppf(0.5 + ci / 2, n - 1))
        lo, hi = est - q * se, est + q * se
        p = float(2 * sps.t.sf(abs(est) / se, n - 1))
        method = f"t ({n - 1} df)"
    else:
        b_lo, b_hi = percentile_ci(da[:, None], ci)
        lo, hi = float(b_lo[0]), float(b_hi[0])
        p = float(2 * sps.norm.sf(abs(est) / se))
        method = "paired clip bootstrap"
    return {"difference": float(est), "lo": float(lo), "hi": float(hi), "se": se, "p": p, "n_clips": n,
            "method": method}
