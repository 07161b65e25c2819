"""Producer, acceptor and pair effects in one model: the social relations model of the transfer table.

The transfer table is round-robin data: every model produces sufficient signals (the producer f) and
judges every other model's (the acceptor g), on the same clips.  One Bernoulli outcome T(f->g, x) per
off-diagonal row, modelled on the logit scale as::

    logit P(T = 1) = b0 + b1 log(1 + |S|) + b2 same_family(f, g) + b3 silence(g, c)
                     + producer_f + acceptor_g + pair_(f,g) + clip_x

with crossed normal random effects (SDs ``producer``, ``acceptor``, ``pair``, ``clip``).  ``pair`` is the
directed relationship effect of the ordered pair (f, g), what is left of a cell once both models' general
habits are taken out; ``same_family`` is 1 when f and g share a backbone family (:func:`model_family`);
``silence`` is 1 when the explained class c is g's own answer to the all-zero spectrum (the stratum where
acceptance needs no evidence).

Fit: :class:`statsmodels.genmod.bayes_mixed_glm.BinomialBayesMixedGLM` (mean-field variational Bayes, crossed
variance components, vague priors).  VB posterior SDs are too narrow, so the intervals come from a
parametric bootstrap over the fit instead: ``n_boot`` tables are drawn from the fitted model (random effects
redrawn at the fitted SDs) and refitted; the interval is bias-corrected and normal, on the log-SD scale for
the components and on the coefficient scale for the fixed effects: ``2 theta_hat - mean(theta*) +/- t sd(theta*)``
(``t`` with ``n_boot - 1`` degrees of freedom; the correction matters because VB shrinks small SDs
towards its prior).  "Pair SD > 0" is tested by a second parametric bootstrap under its null (the same fit with
the pair SD set to 0): the observed log pair SD against the null refits' log pair SDs, taken as normal
(a one-sided prediction t test with ``n_boot - 1`` degrees of freedom); where it keeps the null at level
``1 - ci``, the pair interval's lower end is 0.  The coverage and the test's size are measured by :func:`suffice.transfer.simulate.relations_coverage`.

This replaces the between-pair SD of :func:`suffice.transfer.rates.pair_variance`, which mixed producer and
acceptor habits, family and silence into one "pair" spread and whose clip-bootstrap interval did not cover.
"""
from __future__ import annotations

import hashlib
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from tqdm.auto import tqdm

from ..errors import OptionError
from .table import _check_options, _model_order, kept_rows, require_columns, transfer_outcome, validate_table

__all__ = ["COMPONENTS", "FIXED_EFFECTS", "FAMILY_GROUPS", "model_family", "relations_design",
           "social_relations", "relations_table", "draw_outcomes", "describe_relations"]

#: the crossed random effects (variance components), in the model's order
COMPONENTS: tuple[str, ...] = ("producer", "acceptor", "pair", "clip")
#: the fixed effects besides the intercept
FIXED_EFFECTS: tuple[str, ...] = ("log_size", "same_family", "silence")
#: backbones that form one model family: the waveform encoders trained here share their convolutional
#: front end and transformer recipe (wav2vec2, HuBERT and DistilHuBERT are one lineage)
FAMILY_GROUPS: dict[str, str] = {"wav2vec2": "wav2vec2-hubert", "hubert": "wav2vec2-hubert",
                                 "distilhubert": "wav2vec2-hubert"}
#: the columns of a fit's table
_COLUMNS: tuple[str, ...] = ("term", "kind", "estimate", "lo", "hi", "p")
_VC_FORMULAS = {"producer": "0 + C(source)", "acceptor": "0 + C(target)", "pair": "0 + C(pair)",
                "clip": "0 + C(clip_id)"}


def model_family(name: str) -> str:
    """The backbone family of a zoo model ("genre/hubert-tiny" -> "wav2vec2-hubert"; a head or zero-shot
    model's family is its pretrained backbone, so yamnet-probe and yamnet-zeroshot share "yamnet").
    Names not in the zoo are their own family."""
    from ..models.zoo import SPECS

    spec = SPECS.get(name)
    if spec is None:
        return name
    return FAMILY_GROUPS.get(spec.arch, spec.arch)


def relations_design(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
                     models: Sequence[str] | None = None,
                     families: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The model's rows: one per off-diagonal row with a found sufficiency, columns ``y``, ``source``,
    ``target``, ``pair``, ``clip_id`` and the fixed effects (``families`` maps model -> family; default
    :func:`model_family`)."""
    _check_options(criterion, delta, condition)
    validate_table(df)
    require_columns(df, ["target_pred_silence"], "the social relations model (its silence stratum)")
    order = _model_order(df, models)
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    keep = kept_rows(df, y, condition) & df["source"].isin(order).to_numpy() & df["target"].isin(order).to_numpy()
    d = df.loc[keep, ["source", "target", "clip_id", "set_size", "source_pred", "target_pred_silence"]].copy()
    fam = {m: (families[m] if families is not None and m in families else model_family(m)) for m in order}
    d["y"] = y[keep]
    d["pair"] = d["source"].astype(str) + " -> " + d["target"].astype(str)
    d["log_size"] = np.log1p(d["set_size"].astype(float))
    d["same_family"] = (d["source"].map(fam) == d["target"].map(fam)).astype(float)
    d["silence"] = (d["target_pred_silence"] == d["source_pred"]).astype(float)
    return d.reset_index(drop=True)


def _model(design: pd.DataFrame, fixed: Sequence[str]) -> BinomialBayesMixedGLM:
    formula = "y ~ " + (" + ".join(fixed) if fixed else "1")
    return BinomialBayesMixedGLM.from_formula(formula, _VC_FORMULAS, design, vcp_p=1.0, fe_p=2.0)


def _fit(model: BinomialBayesMixedGLM, start: tuple[np.ndarray, np.ndarray] | None = None
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """VB fit: (fixed effects, component SDs, VB mean vector, VB SD vector)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = model.fit_vb(mean=None if start is None else start[0], sd=None if start is None else start[1],
                         fit_method="L-BFGS-B", rng=0)
    return (np.asarray(r.fe_mean), np.exp(np.asarray(r.vcp_mean)), np.r_[r.fe_mean, r.vcp_mean, r.vc_mean],
            np.r_[r.fe_sd, r.vcp_sd, r.vc_sd])


def draw_outcomes(model: BinomialBayesMixedGLM, fixed: np.ndarray, sds: np.ndarray,
                  rng: np.random.Generator) -> np.ndarray:
    """Outcomes drawn from the model with fixed effects ``fixed`` and component SDs ``sds`` (random effects
    redrawn)."""
    u = np.asarray(sds)[model.ident] * rng.standard_normal(model.k_vc)
    eta = model.exog @ np.asarray(fixed) + model.exog_vc @ u
    return (rng.random(eta.shape[0]) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)


def _bias_corrected(estimate: float, replicates: np.ndarray, t_q: float) -> tuple[float, float]:
    """Centre and half-width of the bias-corrected normal bootstrap interval: the estimate minus the
    replicates' bias (``2 estimate - mean``), plus or minus ``t_q`` replicate SDs."""
    rep = np.asarray(replicates, dtype=np.float64)
    sd = float(np.std(rep, ddof=1)) if rep.size > 1 else np.inf
    return float(2 * estimate - rep.mean()), t_q * sd


def _null_p(observed: float, null: np.ndarray) -> float:
    """One-sided p of ``observed`` against null replicates taken as normal: the prediction t statistic
    ``(observed - mean) / (sd sqrt(1 + 1/B))`` with ``B - 1`` degrees of freedom (usable with few refits)."""
    null = np.asarray(null, dtype=np.float64)
    b = null.size
    sd = float(np.std(null, ddof=1)) if b > 1 else 0.0
    if not sd > 0:
        return float(observed <= null.mean()) if b else float("nan")
    return float(sps.t.sf((observed - null.mean()) / (sd * np.sqrt(1 + 1 / b)), b - 1))


def _vc_names(model: BinomialBayesMixedGLM) -> list[str]:
    return list(model.vcp_names)


def relations_table(model: BinomialBayesMixedGLM, *, n_boot: int = 19, ci: float = 0.95, seed: int = 0,
                    progress: bool = False) -> pd.DataFrame:
    """The fit and parametric bootstrap of :func:`social_relations` on a built model (its ``endog`` holds
    the outcomes); the same table, without ``attrs``."""
    fe, sds, mean, sd = _fit(model)
    names = _vc_names(model)
    at_pair = names.index("pair")
    rng = np.random.default_rng(seed)
    boot_fe, boot_sd, null_pair = [], [], []
    y_obs = model.endog.copy()
    null_sds = sds.copy()
    null_sds[at_pair] = 0.0
    for _ in tqdm(range(int(n_boot)), desc="social relations bootstrap", disable=not progress):
        model.endog = draw_outcomes(model, fe, sds, rng)
        bfe, bsd, _, _ = _fit(model, (mean, sd))
        boot_fe.append(bfe)
        boot_sd.append(bsd)
        model.endog = draw_outcomes(model, fe, null_sds, rng)
        null_pair.append(_fit(model, (mean, sd))[1][at_pair])
    model.endog = y_obs
    boot_fe, boot_sd = np.array(boot_fe), np.array(boot_sd)
    t_q = float(sps.t.ppf(0.5 + ci / 2, max(len(boot_fe) - 1, 1)))
    null_pair = np.array(null_pair)
    rows = []
    for j, name in enumerate(names):
        centre, half = _bias_corrected(np.log(sds[j]), np.log(boot_sd[:, j]), t_q)
        p = _null_p(np.log(sds[j]), np.log(null_pair)) if j == at_pair else np.nan
        # a log-scale interval never holds 0: where the test keeps "pair SD = 0", the interval does too
        lo = 0.0 if j == at_pair and p >= 1 - ci else float(np.exp(centre - half))
        rows.append({"term": name, "kind": "component", "estimate": float(sds[j]),
                     "lo": lo, "hi": float(np.exp(centre + half)), "p": p})
    fe_names = list(model.exog_names)
    for name in ("Intercept", *FIXED_EFFECTS):
        row = {"term": name, "kind": "fixed", "estimate": np.nan, "lo": np.nan, "hi": np.nan, "p": np.nan}
        if name in fe_names:
            j = fe_names.index(name)
            centre, half = _bias_corrected(fe[j], boot_fe[:, j], t_q)
            se = half / t_q
            row.update(estimate=float(fe[j]), lo=float(centre - half), hi=float(centre + half),
                       p=float(2 * sps.t.sf(abs(centre) / se, max(len(boot_fe) - 1, 1))) if se > 0 else np.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def _cache_key(design: pd.DataFrame, fixed: Sequence[str], n_boot: int, ci: float, seed: int) -> dict:
    """What a fit depends on: this module's source, the design's rows and the options."""
    from ..constants import VERSION

    rows = design[["y", "source", "target", "pair", "clip_id", *FIXED_EFFECTS]].to_csv(index=False)
    return {"v": VERSION, "code": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
            "design": hashlib.sha256(rows.encode()).hexdigest(), "fixed": list(fixed), "n_boot": int(n_boot),
            "ci": float(ci), "seed": int(seed)}


def _valid_payload(payload: Any) -> bool:
    """A cached fit is a non-empty list of rows with exactly the table's columns."""
    return (isinstance(payload, list) and len(payload) > 0
            and all(isinstance(r, dict) and set(r) == set(_COLUMNS) for r in payload))


def social_relations(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
                     n_boot: int = 19, ci: float = 0.95, seed: int = 0, models: Sequence[str] | None = None,
                     families: Mapping[str, str] | None = None, progress: bool = False,
                     cache: Any | None = None) -> pd.DataFrame:
    """Producer, acceptor, pair and clip SDs and the fixed effects of the social relations model.

    Estimands (module docstring): the four random-effect SDs on the logit scale and the fixed effects
    (log odds ratios per unit: ``log_size`` per e-fold of 1 + |S|, ``same_family`` for a pair of one
    family, ``silence`` for the silence stratum).  Intervals: the parametric bootstrap of the module
    docstring (``n_boot`` refits, level ``ci``).  ``pair`` also gets ``p``: the parametric-bootstrap
    p-value of "pair SD = 0" (another ``n_boot`` refits under that null, module docstring).
    A fixed effect that does not vary in the data (no same-family pair, no silence-stratum row) is left
    out of the model and reported as NaN.

    Cost: ``1 + 2 n_boot`` VB fits of the whole table (``attrs["seconds"]`` says what it took).
    ``cache``: an object with ``get(kind, key)`` and ``put(kind, key, payload)`` (a
    :class:`suffice.study.cache.DiskCache`): a fit of the same rows, options and code is read back
    instead of refitted (``attrs["cached"]`` says so), so two chapters share one fit.

    Returns one row per term: ``term``, ``kind`` ("component" or "fixed"), ``estimate``, ``lo``, ``hi``,
    ``p``; ``attrs`` hold the options, ``n_rows``, ``n_clips``, ``n_models`` and ``seconds``.
    """
    if int(n_boot) < 2:
        raise OptionError(f"n_boot must be at least 2, got {n_boot!r}")
    if not 0 < ci < 1:
        raise OptionError(f"ci must be in (0, 1), got {ci!r}")
    t0 = time.perf_counter()
    design = relations_design(df, criterion=criterion, delta=delta, condition=condition, models=models,
                              families=families)
    if design["source"].nunique() < 3 or design["clip_id"].nunique() < 2:
        raise OptionError("the social relations model needs at least 3 producers and 2 clips with outcomes")
    fixed = [c for c in FIXED_EFFECTS if design[c].nunique() > 1]
    key = _cache_key(design, fixed, n_boot, ci, seed) if cache is not None else None
    hit = cache.get("relations", key, check=_valid_payload) if cache is not None else None
    cached = hit is not None
    if cached:
        out = pd.DataFrame(hit, columns=list(_COLUMNS))
    else:
        out = relations_table(_model(design, fixed), n_boot=n_boot, ci=ci, seed=seed, progress=progress)
        if cache is not None:
            getattr(cache, "put_or_record", cache.put)("relations", key, out.to_dict(orient="records"))
    out.attrs.update(cached=cached, criterion=criterion, delta=delta, condition=condition, n_boot=int(n_boot), ci=ci, seed=seed,
                     n_rows=len(design), n_clips=int(design["clip_id"].nunique()),
                     n_models=int(pd.concat([design["source"], design["target"]]).nunique()),
                     seconds=time.perf_counter() - t0)
    return out


def describe_relations(table: pd.DataFrame) -> str:
    """One paragraph reading a :func:`social_relations` table: the three model components and the clip SD
    with intervals, the pair test, and the family term as an odds ratio with its interval."""
    t = table.set_index("term")
    level = int(round(100 * table.attrs.get("ci", 0.95)))

    def sd(name: str) -> str:
        r = t.loc[name]
        return f"{r['estimate']:.2f} ({level}% CI {r['lo']:.2f} to {r['hi']:.2f})"

    pair = t.loc["pair"]
    parts = [f"On the logit scale, producers differ with SD {sd('producer')}, acceptors with SD {sd('acceptor')}, "
             f"and pairs, beyond both, with SD {sd('pair')}; clips with SD {sd('clip')}."]
    parts.append(f"Pair SD > 0: parametric-bootstrap p = {pair['p']:.3f}"
                 f" ({'evidence of pair effects' if pair['p'] < 0.05 else 'no evidence of pair effects at 0.05'}).")
    fam = t.loc["same_family"] if "same_family" in t.index else None
    if fam is None or not np.isfinite(fam["estimate"]):
        parts.append("No pair of models shares a family here, so the family term is not estimated.")
    else:
        parts.append(f"A pair of one model family accepts at {np.exp(fam['estimate']):.1f} times the odds of other "
                     f"pairs ({level}% CI {np.exp(fam['lo']):.1f} to {np.exp(fam['hi']):.1f}), other terms held.")
    return " ".join(parts)
