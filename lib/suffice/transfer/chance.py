"""Chance baselines for transfer rates: how much of a rate is more than a degraded signal gets anyway.

For each producer f, clip x and judge g the study records (the table's optional columns):

* ``null_random_accept``: the share of random keep-sets of the same size ``|S_f(x)|`` (drawn uniformly
  from the clip's bins) to whose signal g gives f's class c: the *matched null*;
* ``target_pred_topmag``: g's class on the clip's ``|S_f(x)|`` highest-magnitude bins;
* ``target_pred_silence``: g's class on the floor, every bin removed under the study's fill (silence
  under the zero fill; every other signal here takes the same fill).

Estimands, per matrix cell, for the task (mean off-diagonal cell), for out/in rates (row/column means) and
per source class: the observed transfer rate, the null rate (the mean matched-null share over the same
rows) and the **excess** = observed - null.  Every CI comes from one clip-cluster bootstrap with one
resample of clips for every quantity, so the observed, null and excess intervals are of the same
replicates; the interval follows the small-sample rule of :func:`suffice.stats.cluster_interval` for the
clips behind it (percentile from 20 clips, t below, none below 6), and a source class gets no interval
on fewer than :data:`MIN_CLIPS_PER_CLASS` clips.  Only the class criterion has a null (the random sets are judged by class); rows whose null
was not computed (NaN) are left out of observed and null alike, so both are over the same rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import OptionError
from ..stats import bootstrap_weights, cluster_interval
from .rates import _cube, _offdiag_means
from .table import CONDITIONS, _model_order, kept_rows, require_columns, transfer_outcome, validate_table

__all__ = ["ChanceSummary", "chance_baselines", "CHANCE_COLUMNS", "MIN_CLIPS_PER_CLASS"]

#: clips of a source class below which its rates get no interval (a per-class claim needs about 8 clips)
MIN_CLIPS_PER_CLASS = 8

#: the table columns the baselines need
CHANCE_COLUMNS: tuple[str, ...] = ("null_random_accept", "target_pred_topmag", "target_pred_silence")

_MEASURES = ("observed", "null", "excess", "topmag", "silence")


@dataclass(frozen=True)
class ChanceSummary:
    """Observed, null and excess transfer of one table (see :func:`chance_baselines`).

    ``task``: one row per measure (observed, null, excess, topmag, silence) with rate, lo, hi.
    ``matrices``: measure -> (source x target) DataFrame.  ``per_model``: model, role (out/in), measure,
    rate, lo, hi.  ``per_class``: source class c, n rows, then rate/lo/hi per measure.
    """

    models: tuple[str, ...]
    task: pd.DataFrame
    matrices: dict[str, pd.DataFrame]
    per_model: pd.DataFrame
    per_class: pd.DataFrame
    options: dict[str, object] = field(default_factory=dict)


def chance_baselines(df: pd.DataFrame, *, condition: str = "all", n_boot: int = 1000, ci: float = 0.95,
                     seed: int = 0, models: Sequence[str] | None = None) -> ChanceSummary:
    """Observed, matched-null and excess transfer rates (class criterion) with clip-bootstrap CIs.

    Null (what a rate is compared with): g's acceptance of random keep-sets of the same size from the same
    clip, ``null_random_accept``.  Estimand: the excess ``R - R_null`` per cell, per task (mean
    off-diagonal cell), per model (out/in) and per source class; ``topmag`` and ``silence`` give the
    acceptance of the top-magnitude set and of silence for reference.  Raises
    :class:`~suffice.transfer.TableError` naming the columns when the table lacks them.
    """
    if condition not in CONDITIONS:
        raise OptionError(f"unknown condition {condition!r}; choose one of {', '.join(CONDITIONS)}")
    validate_table(df)
    require_columns(df, CHANCE_COLUMNS, "the chance baselines")
    order = _model_order(df, models)
    y = transfer_outcome(df, criterion="class").to_numpy()
    z = pd.to_numeric(df["null_random_accept"], errors="coerce").to_numpy(dtype=np.float64)
    keep = kept_rows(df, y, condition) & np.isfinite(z)
    c_ = df["source_pred"].to_numpy()
    vals = {"observed": np.nan_to_num(y), "null": np.nan_to_num(z),
            "topmag": (df["target_pred_topmag"].to_numpy() == c_).astype(np.float64),
            "silence": (df["target_pred_silence"].to_numpy() == c_).astype(np.float64)}
    m = len(order)
    cubes = {k: _cube(df, v, order, keep) for k, v in vals.items()}
    den = cubes["observed"][1]
    nclip = den.shape[0]
    w = bootstrap_weights(nclip, n_boot, seed)
    bd = (w @ den.reshape(nclip, -1)).reshape(-1, m, m)
    td = den.sum(0)
    point, reps = {}, {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for k, (num, _, _) in cubes.items():
            point[k] = np.where(td > 0, num.sum(0) / np.maximum(td, 1e-300), np.nan)
            bn = (w @ num.reshape(nclip, -1)).reshape(-1, m, m)
            reps[k] = np.where(bd > 0, bn / np.maximum(bd, 1e-300), np.nan)
    point["excess"] = point["observed"] - point["null"]
    reps["excess"] = reps["observed"] - reps["null"]

    task_rows, model_rows, mats = [], [], {}
    idx = pd.Index(order, name="source")
    has = den > 0  # (clip, source, target): the clip has a row of that cell
    off = ~np.eye(m, dtype=bool)
    n_task = int((has & off).any(axis=(1, 2)).sum())
    n_role = {"out": (has & off).any(axis=2).sum(0), "in": (has & off).any(axis=1).sum(0)}
    for k in _MEASURES:
        mats[k] = pd.DataFrame(point[k], index=idx, columns=pd.Index(order, name="target"))
        o, i_, t = _offdiag_means(point[k])
        ob, ib, tb = _offdiag_means(reps[k])
        tlo, thi, tm = cluster_interval(t, tb, n_task, ci=ci)
        task_rows.append({"measure": k, "rate": float(t), "lo": float(tlo), "hi": float(thi), "method": tm[()]})
        for role, est, rb in (("out", o, ob), ("in", i_, ib)):
            lo, hi, how = cluster_interval(est, rb, n_role[role], ci=ci)
            for j, name in enumerate(order):
                model_rows.append({"model": name, "role": role, "measure": k, "rate": est[j], "lo": lo[j],
                                   "hi": hi[j], "method": how[j]})

    per_class = _per_class(df, vals, keep, w, ci)
    opts = {"criterion": "class", "condition": condition, "n_boot": int(n_boot), "ci": float(ci), "seed": int(seed)}
    return ChanceSummary(order, pd.DataFrame(task_rows), mats, pd.DataFrame(model_rows), per_class, opts)


def _per_class(df: pd.DataFrame, vals: dict[str, np.ndarray], keep: np.ndarray, w: np.ndarray,
               ci: float) -> pd.DataFrame:
    """Pooled off-diagonal rates per source class c = f(x), observed / null / excess, clip bootstrap
    (``n_clips``: the clips with rows of the class; no interval below :data:`MIN_CLIPS_PER_CLASS`)."""
    clip_codes, clips = pd.factorize(df["clip_id"], sort=True)
    cls_codes, classes = pd.factorize(df["source_pred"], sort=True)
    nc, k = len(clips), len(classes)
    den = np.zeros((nc, k))
    np.add.at(den, (clip_codes[keep], cls_codes[keep]), 1.0)
    bd, td = w @ den, den.sum(0)
    n_clips = (den > 0).sum(0)
    out = pd.DataFrame({"source_class": list(classes), "n": td.astype(int), "n_clips": n_clips.astype(int)})
    sums = {}
    for name in ("observed", "null"):
        num = np.zeros((nc, k))
        np.add.at(num, (clip_codes[keep], cls_codes[keep]), vals[name][keep])
        sums[name] = (num.sum(0), w @ num)
    with np.errstate(invalid="ignore", divide="ignore"):
        est = {n_: np.where(td > 0, s[0] / np.maximum(td, 1e-300), np.nan) for n_, s in sums.items()}
        rep = {n_: np.where(bd > 0, s[1] / np.maximum(bd, 1e-300), np.nan) for n_, s in sums.items()}
    est["excess"], rep["excess"] = est["observed"] - est["null"], rep["observed"] - rep["null"]
    enough = n_clips >= MIN_CLIPS_PER_CLASS
    for name in ("observed", "null", "excess"):
        lo, hi, how = cluster_interval(est[name], rep[name], n_clips, ci=ci)
        out[name] = est[name]
        out[f"{name}_lo"], out[f"{name}_hi"] = np.where(enough, lo, np.nan), np.where(enough, hi, np.nan)
    out["method"] = np.where(enough, how, f"no claim: fewer than {MIN_CLIPS_PER_CLASS} clips")
    return out[out["n"] > 0].reset_index(drop=True)
