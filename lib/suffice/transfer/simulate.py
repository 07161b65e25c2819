"""Seeded simulated transfer tables, and the calibration of the flat-earther test on them.

The generative model of one outcome T(f->g, x), f != g, on the logit scale::

    logit P(T = 1) = logit(base_rate) + out[f] + in[g] + u_x + a_{x,f} + b_{x,g} + p_{f,g}

with a clip effect ``u_x ~ N(0, clip_sd^2)``, a clip x source effect ``a ~ N(0, clip_source_sd^2)`` (one
producer's signal of one clip is good or bad for every judge), a clip x target effect ``b ~ N(0,
clip_target_sd^2)`` and a pair effect ``p ~ N(0, pair_sd^2)``; ``out``/``in`` are the models' planted log
odds ratios.  The chance baseline ``null_random_accept`` of a row is the share of ``null_n`` random
sets accepted, each with probability ``null_rate`` (shifted by the same clip effect).  The table has every
column of the contract (:data:`suffice.transfer.TABLE_COLUMNS`) and its optional extensions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..errors import OptionError
from .flat_earthers import MIN_ODDS_RATIO, adjusted_flags_from_cubes, flags_from_cube, mh_sums
from .relations import _model, draw_outcomes, relations_table

__all__ = ["simulate", "simulate_predictions", "Scenario", "SCENARIOS", "calibrate", "relations_coverage",
           "AdjustedScenario", "ADJUSTED_SCENARIOS", "calibrate_adjusted", "describe_adjusted_calibration"]


def _logit(p: float) -> float:
    if not 0 < p < 1:
        raise OptionError(f"rates must lie strictly between 0 and 1, got {p!r}")
    return float(np.log(p / (1 - p)))


def _effects(spec: Mapping[int, float] | Sequence[float] | None, m: int, what: str) -> np.ndarray:
    out = np.zeros(m)
    if spec is None:
        return out
    if isinstance(spec, Mapping):
        for k, v in spec.items():
            if not 0 <= int(k) < m:
                raise OptionError(f"{what}: model index {k} outside 0..{m - 1}")
            out[int(k)] = float(v)
        return out
    arr = np.asarray(spec, dtype=np.float64)
    if arr.shape != (m,):
        raise OptionError(f"{what} needs {m} values, got {arr.shape}")
    return arr


def _draw(rng: np.random.Generator, m: int, c: int, base_rate: float, out_eff: np.ndarray, in_eff: np.ndarray,
          clip_sd: float, clip_source_sd: float, clip_target_sd: float, pair_sd: float) -> np.ndarray:
    """(C, M, M) 0/1 outcomes [clip, source, target]; the diagonal is 1 (a model accepts its own set)."""
    eta = (_logit(base_rate) + out_eff[None, :, None] + in_eff[None, None, :]
           + clip_sd * rng.standard_normal((c, 1, 1)) + clip_source_sd * rng.standard_normal((c, m, 1))
           + clip_target_sd * rng.standard_normal((c, 1, m)) + pair_sd * rng.standard_normal((1, m, m)))
    t = (rng.random((c, m, m)) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    t[:, np.arange(m), np.arange(m)] = 1.0
    return t


def simulate(n_models: int = 5, n_clips: int = 30, *, base_rate: float = 0.3,
             out_log_or: Mapping[int, float] | Sequence[float] | None = None,
             in_log_or: Mapping[int, float] | Sequence[float] | None = None, clip_sd: float = 1.0,
             clip_source_sd: float = 0.5, clip_target_sd: float = 0.5, pair_sd: float = 0.0,
             null_rate: float = 0.1, null_n: int = 8, n_classes: int = 10, task: str = "genre",
             models: Sequence[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """A seeded transfer table from the module's generative model (one seed, every explanation found).

    ``out_log_or``/``in_log_or``: planted log odds ratios by model index (a mapping) or for all models.
    Clip ``i`` has true class ``i mod n_classes``, which every model predicts on the original clip, so
    ``condition="agree"`` keeps every row.  Same arguments and ``seed``, same table.
    """
    m, c = int(n_models), int(n_clips)
    if m < 2 or c < 1:
        raise OptionError(f"simulate needs >= 2 models and >= 1 clip, got {m} and {c}")
    names = list(models) if models is not None else [f"m{j}" for j in range(m)]
    if len(names) != m:
        raise OptionError(f"models names {len(names)} models, n_models is {m}")
    rng = np.random.default_rng(seed)
    t = _draw(rng, m, c, base_rate, _effects(out_log_or, m, "out_log_or"), _effects(in_log_or, m, "in_log_or"),
              clip_sd, clip_source_sd, clip_target_sd, pair_sd)
    null_p = 1.0 / (1.0 + np.exp(-(_logit(null_rate) + 0.5 * rng.standard_normal((c, m, 1)))))
    null = rng.binomial(int(null_n), np.broadcast_to(null_p, (c, m, m))) / int(null_n)
    silence = rng.random((c, m, m)) < null_rate
    topmag = rng.random((c, m, m)) < 0.5 * (null_rate + base_rate)
    labels = [f"class{k}" for k in range(int(n_classes))]
    ci, fi, gi = np.meshgrid(np.arange(c), np.arange(m), np.arange(m), indexing="ij")
    ci, fi, gi = ci.ravel(), fi.ravel(), gi.ravel()
    cls = np.array(labels, dtype=object)[ci % len(labels)]
    other = np.array(labels, dtype=object)[(ci + 1) % len(labels)]
    ok = t.ravel() > 0
    size = rng.integers(5, 60, size=(c, m))[ci, fi]
    return pd.DataFrame({
        "task": task, "clip_id": [f"x{k:03d}" for k in ci], "true_label": cls,
        "source": np.array(names, dtype=object)[fi], "target": np.array(names, dtype=object)[gi], "seed": 0,
        "source_pred": cls, "source_conf": 0.8, "found": True, "set_size": size, "n_bins": 1000,
        "fraction": size / 1000.0, "n_model_calls": 100, "target_pred_original": cls,
        "target_prob_original": 0.7, "target_pred_sufficient": np.where(ok, cls, other),
        "target_prob_sufficient": np.where(ok, rng.uniform(0.5, 1.0, ok.size), rng.uniform(0.0, 0.5, ok.size)), "strategy": "suffice", "budget_exhausted": False,
        "verified_minimal": True, "target_pred_silence": np.where(silence.ravel(), cls, other),
        "null_random_accept": np.where(fi == gi, 1.0, null.ravel()), "null_random_n": int(null_n),
        "target_pred_topmag": np.where(topmag.ravel() | (fi == gi), cls, other), "fill": "zero",
    })


def simulate_predictions(table: pd.DataFrame) -> pd.DataFrame:
    """The predictions table that goes with a simulated (or any) transfer table: each model's prediction
    on each original clip, read from its diagonal rows."""
    d = table[table["source"] == table["target"]].drop_duplicates(["source", "clip_id"])
    return pd.DataFrame({"clip_id": d["clip_id"].to_numpy(), "model": d["source"].to_numpy(),
                         "true_label": d["true_label"].to_numpy(), "pred": d["source_pred"].to_numpy(),
                         "conf": d["source_conf"].to_numpy()})


@dataclass(frozen=True)
class Scenario:
    """One calibration scenario: planted effects on the first models, the others ordinary.

    ``out_log_or``/``in_log_or`` hold the planted effects of models 0, 1, ... (the rest 0); ``outliers``
    indexes the models that are true flat-earthers (power is measured on them: flagged in the role of a
    negative effect); the models with no planted effect are the ordinary ones, which must not be flagged.
    """

    name: str
    base_rate: float = 0.3
    out_log_or: tuple[float, ...] = ()
    outliers: tuple[int, ...] = ()
    description: str = ""
    in_log_or: tuple[float, ...] = ()


#: the calibration scenarios of the statistics appendix
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("null", 0.3, description="all models alike, base rate 0.3"),
    Scenario("null, high base rate", 0.98,
             description="all models alike, base rate 0.98: rows and columns often all 1 (plain GLMs separate)"),
    Scenario("two stars", 0.3, (2.0, 2.0),
             description="two strong producers (out log OR +2 each) beside ordinary models"),
    Scenario("two stars, out and in", 0.3, (2.0, 2.0), in_log_or=(2.0, 2.0),
             description="two models that produce and accept strongly (log OR +2 in both roles)"),
    Scenario("one outlier, OR 0.2", 0.3, (-1.6,), outliers=(0,),
             description="one flat-earther whose signals the others accept at odds ratio 0.2"),
    Scenario("one outlier, OR 1/3", 0.3, (-1.1,), outliers=(0,),
             description="one flat-earther whose signals the others accept at odds ratio 1/3"),
    Scenario("one rejecting outlier, OR 0.2", 0.3, in_log_or=(-1.6,), outliers=(0,),
             description="one flat-earther that accepts the others' signals at odds ratio 0.2"),
)


def calibrate(scenarios: Sequence[Scenario] = SCENARIOS, *, n_rep: int = 200, n_models: Sequence[int] = (5, 8),
              n_clips: int = 30, n_boot: int = 400, alpha: float = 0.05, min_odds_ratio: float = MIN_ODDS_RATIO,
              clip_sd: float = 1.0, clip_source_sd: float = 0.5, clip_target_sd: float = 0.5, seed: int = 0,
              progress: bool = True) -> pd.DataFrame:
    """Operating characteristics of :func:`flat_earthers` by simulation.

    For each scenario and model count, ``n_rep`` seeded tables of ``n_clips`` clips.  Columns:
    ``any_ordinary_flag`` (share of replicates flagging at least one model with no planted effect: the
    family-wise false-flag rate; under the null scenarios it should stay below ``alpha``), its binomial
    standard error ``mc_se``, ``ordinary_flag_per_model`` (per-model false-flag share), ``power`` (share of
    replicates flagging every true outlier, NaN when there is none), ``separated`` (share of replicates
    with a row or column all 0 or all 1, where a plain logistic GLM has no finite estimate).
    The flags are those of :func:`flat_earthers` (same code path, computed on the per-clip cube).
    """
    rows = []
    jobs = [(s, m) for s in scenarios for m in n_models]
    for k, (sc, m) in enumerate(tqdm(jobs, desc="calibration", disable=not progress)):
        rng = np.random.default_rng([seed, k])
        eff, ieff = np.zeros(m), np.zeros(m)
        eff[: len(sc.out_log_or)] = sc.out_log_or
        ieff[: len(sc.in_log_or)] = sc.in_log_or
        ordinary = np.array([j for j in range(m) if eff[j] == 0 and ieff[j] == 0], dtype=int)
        any_ord = ord_share = power = sep = 0.0
        for r in range(int(n_rep)):
            t = _draw(rng, m, n_clips, sc.base_rate, eff, ieff, clip_sd, clip_source_sd, clip_target_sd, 0.0)
            den = np.ones_like(t)
            eye = np.eye(m, dtype=bool)
            t[:, eye], den[:, eye] = 0.0, 0.0
            fo, fi = flags_from_cube(t, den, alpha=alpha, min_odds_ratio=min_odds_ratio, n_boot=n_boot,
                                     seed=r)
            flag = fo | fi
            any_ord += float(flag[ordinary].any())
            ord_share += float(flag[ordinary].mean()) if ordinary.size else 0.0
            if sc.outliers:
                hit = [fo[j] if eff[j] < 0 else fi[j] for j in sc.outliers]
                power += float(all(hit))
            rates = t.sum(0)
            off = (m - 1) * n_clips
            row_r, col_r = rates.sum(1) / off, rates.sum(0) / off
            sep += float(np.any((row_r == 0) | (row_r == 1) | (col_r == 0) | (col_r == 1)))
        n = float(n_rep)
        p_any = any_ord / n
        rows.append({"scenario": sc.name, "models": m, "clips": n_clips, "replicates": int(n_rep),
                     "any_ordinary_flag": p_any, "mc_se": float(np.sqrt(p_any * (1 - p_any) / n)),
                     "ordinary_flag_per_model": ord_share / n,
                     "power": power / n if sc.outliers else np.nan, "separated": sep / n,
                     "description": sc.description})
    out = pd.DataFrame(rows)
    out.attrs.update(alpha=alpha, min_odds_ratio=min_odds_ratio, n_boot=n_boot, clip_sd=clip_sd,
                     clip_source_sd=clip_source_sd, clip_target_sd=clip_target_sd, seed=seed)
    return out


def relations_coverage(design: pd.DataFrame, *, fixed: Mapping[str, float], sds: Mapping[str, float],
                       n_rep: int = 20, n_boot: int = 19, ci: float = 0.95, alpha: float = 0.05, seed: int = 0,
                       progress: bool = True) -> pd.DataFrame:
    """Coverage of :func:`suffice.transfer.social_relations`' intervals, and its pair test's rejection rate.

    ``design``: the rows of :func:`suffice.transfer.relations.relations_design` (a real study's producers,
    acceptors, clips, set sizes, families and silence strata); ``fixed``: true coefficients by name
    (``Intercept`` and the fixed effects of the design), ``sds``: true SDs of ``producer``, ``acceptor``,
    ``pair``, ``clip``.  ``n_rep`` outcome vectors are drawn from the model and analysed like a study.
    Returns one row per term: ``truth``, ``coverage`` (share of intervals holding the truth), ``mc_se``,
    ``mean_estimate``; the ``pair`` row's ``reject`` is the share with pair p < ``alpha`` (the test's
    size when the true pair SD is 0, its power otherwise).
    """
    from .relations import COMPONENTS

    names = [c for c in ("log_size", "same_family", "silence") if c in fixed]
    model = _model(design, names)
    fe = np.array([fixed[n] for n in model.exog_names], dtype=np.float64)
    sd = np.array([sds[n] for n in model.vcp_names], dtype=np.float64)
    rng = np.random.default_rng(seed)
    hits: dict[str, list[float]] = {}
    est: dict[str, list[float]] = {}
    rejects = []
    truth = {**dict(zip(model.exog_names, fe)), **dict(zip(model.vcp_names, sd))}
    for r in tqdm(range(int(n_rep)), desc="relations coverage", disable=not progress):
        model.endog = draw_outcomes(model, fe, sd, rng)
        tab = relations_table(model, n_boot=n_boot, ci=ci, seed=int(rng.integers(2**31)))
        for row in tab.itertuples():
            if row.term in truth:
                hits.setdefault(row.term, []).append(float(row.lo <= truth[row.term] <= row.hi))
                est.setdefault(row.term, []).append(float(row.estimate))
        rejects.append(float(tab.set_index("term").loc["pair", "p"] < alpha))
    rows = []
    for term, h in hits.items():
        c = float(np.mean(h))
        rows.append({"term": term, "kind": "component" if term in COMPONENTS else "fixed", "truth": truth[term],
                     "coverage": c, "mc_se": float(np.sqrt(c * (1 - c) / len(h))),
                     "mean_estimate": float(np.mean(est[term])),
                     "reject": float(np.mean(rejects)) if term == "pair" else np.nan})
    out = pd.DataFrame(rows)
    out.attrs.update(n_rep=int(n_rep), n_boot=int(n_boot), ci=ci, alpha=alpha, seed=seed)
    return out


@dataclass(frozen=True)
class AdjustedScenario:
    """One calibration scenario of the chance-adjusted test (:func:`calibrate_adjusted`).

    ``pair_sd``: SD of the directed pair effects; ``out_log_or``/``in_log_or``: planted effects of models
    0, 1, ... on acceptance of sufficient sets only (random sets unaffected: a true flat-earther);
    ``response_bias``: models that answer class 0 to sparse signals (log odds ``+bias`` for class-0 clips,
    ``-bias`` otherwise, on sufficient and random sets alike: not a flat-earther, and the raw test's trap).
    """

    name: str
    pair_sd: float = 0.0
    out_log_or: tuple[float, ...] = ()
    in_log_or: tuple[float, ...] = ()
    response_bias: tuple[int, ...] = ()
    bias: float = 3.0
    description: str = ""


#: the calibration scenarios of the chance-adjusted flat-earther test (statistics appendix)
ADJUSTED_SCENARIOS: tuple[AdjustedScenario, ...] = (
    AdjustedScenario("null, pair SD 0.5", 0.5, description="all models alike, pair effects SD 0.5"),
    AdjustedScenario("null, pair SD 1.0", 1.0, description="all models alike, pair effects SD 1.0"),
    AdjustedScenario("response bias, pair SD 0.5", 0.5, response_bias=(0,),
                     description="model 0 answers class 0 to sparse signals (log odds +/-3): not a flat-earther"),
    AdjustedScenario("rejecting judge, OR 0.2", 0.5, in_log_or=(-1.6,),
                     description="model 0 accepts the others' sets at odds ratio 0.2 beyond chance (pair SD 0.5)"),
    AdjustedScenario("rejected producer, OR 0.2", 0.5, out_log_or=(-1.6,),
                     description="the others accept model 0's sets at odds ratio 0.2 beyond chance (pair SD 0.5)"),
)


def _draw_adjusted(rng: np.random.Generator, sc: AdjustedScenario, m: int, c: int, *, base_rate: float,
                   null_rate: float, n_null: int, n_classes: int, clip_sd: float, clip_source_sd: float,
                   clip_target_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """(C, M, M) sufficient-set outcomes and random-set successes (out of ``n_null``); diagonal unused."""
    out_eff, in_eff = np.zeros(m), np.zeros(m)
    out_eff[: len(sc.out_log_or)] = sc.out_log_or
    in_eff[: len(sc.in_log_or)] = sc.in_log_or
    cls = np.arange(c) % n_classes
    bias = np.zeros((c, 1, m))
    for j in sc.response_bias:
        bias[:, 0, j] = np.where(cls == 0, sc.bias, -sc.bias)
    chance = (_logit(null_rate) + clip_sd * rng.standard_normal((c, 1, 1))
              + clip_target_sd * rng.standard_normal((c, 1, m)) + bias)
    eta = (chance + _logit(base_rate) - _logit(null_rate) + out_eff[None, :, None] + in_eff[None, None, :]
           + clip_source_sd * rng.standard_normal((c, m, 1)) + sc.pair_sd * rng.standard_normal((1, m, m)))
    t = (rng.random((c, m, m)) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
    k = rng.binomial(int(n_null), np.broadcast_to(1.0 / (1.0 + np.exp(-chance)), (c, m, m))).astype(np.float64)
    return t, k


def calibrate_adjusted(scenarios: Sequence[AdjustedScenario] = ADJUSTED_SCENARIOS, *, n_rep: int = 100,
                       n_models: Sequence[int] = (6,), n_clips: int = 30, n_boot: int = 200, alpha: float = 0.05,
                       min_odds_ratio: float = MIN_ODDS_RATIO, base_rate: float = 0.3, null_rate: float = 0.15,
                       n_null: int = 3, n_classes: int = 8, clip_sd: float = 1.0, clip_source_sd: float = 0.5,
                       clip_target_sd: float = 0.5, seed: int = 0, progress: bool = True) -> pd.DataFrame:
    """Operating characteristics of :func:`suffice.transfer.adjusted_flat_earthers` by simulation, beside
    the raw-rate test of :func:`suffice.transfer.flat_earthers` on the same tables.

    Each replicate draws, per clip (class ``clip mod n_classes``), judge and producer, a sufficient-set
    outcome and ``n_null`` random-set outcomes (:class:`AdjustedScenario`).  Columns per scenario and model
    count: ``false_flag`` (share of replicates flagging a model with no planted rejection: family-wise;
    a response-biased model counts as not a flat-earther) with ``mc_se``, ``false_flag_raw`` (the same
    for the raw test), ``power`` (share flagging every planted model in its role; NaN without one) and
    ``power_raw``.  Every simulated set is non-empty and agreed on, so the three views coincide: this
    calibrates one view, and the intersection over views can only flag less.
    """
    rows = []
    jobs = [(s, m) for s in scenarios for m in n_models]
    for k, (sc, m) in enumerate(tqdm(jobs, desc="calibration (chance-adjusted)", disable=not progress)):
        rng = np.random.default_rng([seed, k])
        planted_out = np.zeros(m, dtype=bool)
        planted_in = np.zeros(m, dtype=bool)
        planted_out[: len(sc.out_log_or)] = np.asarray(sc.out_log_or) < 0
        planted_in[: len(sc.in_log_or)] = np.asarray(sc.in_log_or) < 0
        ordinary = ~(planted_out | planted_in)
        hits = {"false_flag": 0.0, "false_flag_raw": 0.0, "power": 0.0, "power_raw": 0.0}
        eye = np.eye(m, dtype=bool)
        for r in range(int(n_rep)):
            t, kn = _draw_adjusted(rng, sc, m, n_clips, base_rate=base_rate, null_rate=null_rate, n_null=n_null,
                                   n_classes=n_classes, clip_sd=clip_sd, clip_source_sd=clip_source_sd,
                                   clip_target_sd=clip_target_sd)
            cubes = {key: np.where(eye, 0.0, v) for key, v in mh_sums(t, kn, np.full_like(t, n_null)).items()}
            fo, fi = adjusted_flags_from_cubes(cubes, alpha=alpha, min_odds_ratio=min_odds_ratio, n_boot=n_boot,
                                               seed=r)
            den = np.where(eye, 0.0, 1.0) * np.ones_like(t)
            ro, ri = flags_from_cube(np.where(eye, 0.0, t), den, alpha=alpha, min_odds_ratio=min_odds_ratio,
                                     n_boot=n_boot, seed=r)
            for suffix, (o, i) in (("", (fo, fi)), ("_raw", (ro, ri))):
                flag = o | i
                hits["false_flag" + suffix] += float(flag[ordinary].any())
                if planted_out.any() or planted_in.any():
                    hits["power" + suffix] += float(np.all(o[planted_out]) and np.all(i[planted_in]))
        n = float(n_rep)
        ff = hits["false_flag"] / n
        has_power = bool(planted_out.any() or planted_in.any())
        rows.append({"scenario": sc.name, "models": m, "clips": n_clips, "replicates": int(n_rep),
                     "false_flag": ff, "mc_se": float(np.sqrt(ff * (1 - ff) / n)),
                     "false_flag_raw": hits["false_flag_raw"] / n,
                     "power": hits["power"] / n if has_power else np.nan,
                     "power_raw": hits["power_raw"] / n if has_power else np.nan, "description": sc.description})
    out = pd.DataFrame(rows)
    out.attrs.update(alpha=alpha, min_odds_ratio=min_odds_ratio, n_boot=n_boot, base_rate=base_rate,
                     null_rate=null_rate, n_null=n_null, n_classes=n_classes, seed=seed)
    return out


def describe_adjusted_calibration(calibration: pd.DataFrame) -> list[str]:
    """Sentences (markdown bullets) reading a :func:`calibrate_adjusted` table: the family-wise false-flag
    rate under the nulls with pair effects and under response bias, beside the raw test's, and the power."""
    alpha = calibration.attrs.get("alpha", 0.05)

    def at(name: str, col: str) -> str:
        sub = calibration[calibration["scenario"] == name]
        if sub.empty:
            raise OptionError(f"the calibration has no scenario {name!r}")
        return ", ".join(f"{v:.3f} ({m} models)" for m, v in zip(sub["models"], sub[col]))

    nulls = calibration[calibration["power"].isna()]
    at_worst = nulls.loc[nulls["false_flag"].idxmax()]
    worst, worst_se = float(at_worst["false_flag"]), float(at_worst["mc_se"])
    out = []
    for name in nulls["scenario"].unique():
        out.append(f"- **{name}**: the chance-adjusted test flags a model in {at(name, 'false_flag')} of the "
                   f"replicates (Monte Carlo SE {at(name, 'mc_se')}); the raw-rate test, "
                   f"{at(name, 'false_flag_raw')}.")
    for name in calibration.loc[calibration["power"].notna(), "scenario"].unique():
        out.append(f"- **Power, {name}**: {at(name, 'power')} (raw-rate test: {at(name, 'power_raw')}); "
                   f"false flags of the other models {at(name, 'false_flag')}.")
    verdict = "not above" if worst - 2 * worst_se <= alpha else "above"
    out.append(f"- The largest false-flag rate of the null scenarios is {worst:.3f} (Monte Carlo SE "
               f"{worst_se:.3f}): {verdict} α = {alpha} within two Monte Carlo SEs.")
    return out
