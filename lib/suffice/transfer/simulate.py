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
from .flat_earthers import MIN_ODDS_RATIO, flags_from_cube

__all__ = ["simulate", "simulate_predictions", "Scenario", "SCENARIOS", "calibrate"]


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
        "target_pred_topmag": np.where(topmag.ravel() | (fi == gi), cls, other),
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
