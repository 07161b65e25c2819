"""The headline contrast of transfer, like for like: observed minus level-matched and size-matched chance.

A sufficient set S is loud, and a uniform random set of the same size mostly holds quiet bins, so
"observed minus the size-matched random reference" mixes *which* bins f kept with *how loud* they are.
The like-for-like references keep S's size **and** level:

* ``loudest``: g's class on the clip's ``|S|`` loudest bins (``target_pred_topmag``);
* ``energy``: the share of energy-matched random sets (``null_energy_accept``; random bins each as loud
  as the bin of S it stands for, see :func:`suffice.study.nulls.energy_matched_keeps`) given class c;
* ``random``: the size-matched uniform random sets (``null_random_accept``), reported after them.

For a set found over atoms (``resolution_bins`` > 1) the study draws every reference in whole atoms of the
same grid, as many as S touches (:func:`suffice.study.nulls.null_keeps`); "bins" then reads "atoms".

Estimand, per row stratum: the pooled acceptance ``sum(y) / n`` over the off-diagonal rows (f != g,
a found S, the chance references computed) of the observed transfer and of each reference, and the
contrasts observed - reference (paired: the same rows).  Strata (:data:`STRATA`): the empty sets apart
(an empty S is the floor, silence under the zero fill and the fill alone under another: observed and every
reference are g's answer to the floor, so they agree by construction), then the non-empty sets whose
class c is the judge g's own class for the floor (``target_pred_silence``: g gives c to nothing at all, so
any quiet signal lands there) and those whose class is not.  The strata keep their names under any fill.

Inference: clips are drawn k per class, so intervals resample clips within class (Rao-Wu rescaled
stratified bootstrap, :func:`suffice.stats.stratified_bootstrap_weights`; every row of a clip moves
together; classes with one clip in a stratum are pooled into one stratum).  With at least
:data:`MIN_CLIPS_BOOTSTRAP` clips the interval is the bootstrap percentile interval; with fewer, a t
interval on the bootstrap standard error with ``n_clips - n_classes`` degrees of freedom; with fewer
than :data:`MIN_CLIPS_ANY` clips (or no degree of freedom), no interval and no claim.  Coverage under a
null with clip and class structure is checked by simulation in ``tests/test_transfer_contrast.py``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import OptionError
from ..stats import MIN_CLUSTERS_ANY, MIN_CLUSTERS_NORMAL, cluster_interval, stratified_bootstrap_weights
from .table import CONDITIONS, kept_rows, require_columns, transfer_outcome, validate_table

__all__ = ["REFERENCES", "STRATA", "MIN_CLIPS_BOOTSTRAP", "MIN_CLIPS_ANY", "contrast_table", "headline_contrast",
           "silence_strata", "row_strata", "clips_needed", "contrast_sentence", "strata_sentence"]

#: reference -> the table column it is read from, in the order the book reports them
REFERENCES: dict[str, str] = {"loudest": "target_pred_topmag", "energy": "null_energy_accept",
                              "random": "null_random_accept"}
#: row strata: every row, then the three disjoint parts
STRATA: tuple[str, ...] = ("all", "empty set", "judge's silence class", "other class")
#: clips from which the interval is the stratified bootstrap's percentile interval (below: t interval)
MIN_CLIPS_BOOTSTRAP = MIN_CLUSTERS_NORMAL
#: clips below which no interval is given (no claim)
MIN_CLIPS_ANY = MIN_CLUSTERS_ANY

_LONG = {"loudest": "the |S| loudest bins", "energy": "energy-matched random bins",
         "random": "uniform random bins of the same size"}


def row_strata(df: pd.DataFrame) -> np.ndarray:
    """The silence stratum of each row (:data:`STRATA` without ``all``): ``empty set`` where ``set_size``
    is 0, else ``judge's silence class`` where ``source_pred`` equals ``target_pred_silence`` (g's top-1
    class on silence), else ``other class`` (also where g's silence class is unknown)."""
    require_columns(df, ("target_pred_silence",), "the silence strata")
    empty = pd.to_numeric(df["set_size"], errors="coerce").to_numpy() == 0
    own = (df["source_pred"] == df["target_pred_silence"]).to_numpy()
    return np.where(empty, STRATA[1], np.where(own, STRATA[2], STRATA[3]))


def _reference_values(df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per-row acceptance of each reference the table records (NaN where not computed)."""
    c = df["source_pred"].to_numpy()
    top = df["target_pred_topmag"]
    out = {"loudest": np.where(top.notna().to_numpy(), (top.to_numpy() == c).astype(np.float64), np.nan)}
    for name in ("energy", "random"):
        col = REFERENCES[name]
        if col in df.columns:
            out[name] = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(out.get("energy", np.array([np.nan]))).any():
        out.pop("energy", None)  # a table from before the energy-matched draws: that reference is absent
    return out


def _interval(est: float, reps: np.ndarray, n_clips: int, n_classes: int, ci: float) -> tuple[float, float, str]:
    """(lo, hi, method) by the small-sample rule of :func:`suffice.stats.cluster_interval`, with
    ``n_clips - n_classes`` df (the bootstrap resamples within classes)."""
    lo, hi, method = cluster_interval(est, np.asarray(reps, dtype=np.float64), n_clips, ci=ci, df=n_clips - n_classes)
    m = str(method[()])
    return float(lo), float(hi), ("stratified bootstrap" if m == "bootstrap" else
                                  "no claim: too few clips" if m.startswith("no claim") else m)


def _class_strata(clip_classes: np.ndarray) -> np.ndarray:
    """Bootstrap strata of the clips: their class, with the classes of a single clip pooled."""
    codes, _ = pd.factorize(pd.Series(clip_classes), sort=True)
    counts = np.bincount(codes)
    return np.where(counts[codes] >= 2, codes, -1)


def _one_stratum(y: dict[str, np.ndarray], clip: np.ndarray, clip_class: np.ndarray, stratum: str,
                 n_boot: int, ci: float, seed: int) -> list[dict]:
    """Tidy rows (one per measure and contrast) of one row stratum; ``clip`` are the rows' clip codes."""
    used, codes = np.unique(clip, return_inverse=True)
    n_clips = len(used)
    base = {"stratum": stratum, "n_rows": int(len(clip)), "n_clips": int(n_clips)}
    names = ["observed", *[k for k in REFERENCES if k in y]]
    if n_clips == 0:
        return [{**base, "measure": k, "kind": "rate", "estimate": np.nan, "lo": np.nan, "hi": np.nan,
                 "half_width": np.nan, "se": np.nan, "method": "no claim: no rows"} for k in names]
    strata = _class_strata(clip_class[used])
    n_classes = len(np.unique(strata))
    den = np.bincount(codes, minlength=n_clips).astype(np.float64)
    w = stratified_bootstrap_weights(strata, n_boot, seed)
    bd = w @ den
    point, reps = {}, {}
    for k in names:
        num = np.bincount(codes, weights=y[k], minlength=n_clips)
        point[k] = float(num.sum() / den.sum())
        reps[k] = (w @ num) / bd
    rows = []
    measures = [(k, "rate", point[k], reps[k]) for k in names]
    measures += [(f"observed - {k}", "contrast", point["observed"] - point[k], reps["observed"] - reps[k])
                 for k in names[1:]]
    for name, kind, est, r in measures:
        lo, hi, method = _interval(est, r, n_clips, n_classes, ci)
        if kind == "rate":  # a t interval of a rate may pass 0 or 1
            lo, hi = max(lo, 0.0), min(hi, 1.0)
        rows.append({**base, "measure": name, "kind": kind, "estimate": est, "lo": lo, "hi": hi,
                     "half_width": (hi - lo) / 2, "se": float(np.std(r, ddof=1)) if len(r) > 1 else np.nan,
                     "method": method})
    return rows


def contrast_table(df: pd.DataFrame, *, condition: str = "all", n_boot: int = 2000, ci: float = 0.95,
                   seed: int = 0, strata: Sequence[str] = STRATA) -> pd.DataFrame:
    """Observed transfer, its references and the contrasts, per silence stratum, with intervals.

    ``df``: a transfer table with the chance columns (``target_pred_topmag``, ``null_random_accept``,
    ``target_pred_silence``; ``null_energy_accept`` where the study drew energy-matched sets).
    Null of each contrast: observed and reference acceptance are equal on the same rows (0 excess).
    Returns a tidy table: ``stratum``, ``n_rows``, ``n_clips``, ``measure`` (observed, loudest, energy,
    random, ``observed - <reference>``), ``kind`` (rate / contrast), ``estimate``, ``lo``, ``hi``,
    ``half_width``, ``se`` (the bootstrap standard error) and ``method`` (see the module docstring).
    Class criterion; deterministic given ``seed``.
    """
    if condition not in CONDITIONS:
        raise OptionError(f"unknown condition {condition!r}; choose one of {', '.join(CONDITIONS)}")
    bad = [s for s in strata if s not in STRATA]
    if bad:
        raise OptionError(f"unknown stratum {bad[0]!r}; choose from {', '.join(STRATA)}")
    validate_table(df)
    require_columns(df, ("target_pred_topmag", "null_random_accept", "target_pred_silence"), "the headline contrast")
    y_obs = transfer_outcome(df, criterion="class").to_numpy()
    refs = _reference_values(df)
    keep = kept_rows(df, y_obs, condition)
    for v in refs.values():
        keep &= np.isfinite(v)
    y = {"observed": np.nan_to_num(y_obs)[keep], **{k: v[keep] for k, v in refs.items()}}
    clip_codes, clips = pd.factorize(df["clip_id"], sort=True)
    clip_class = df.groupby("clip_id", sort=True)["true_label"].first().reindex(clips).to_numpy()
    stratum_of = row_strata(df)[keep]
    clip = clip_codes[keep]
    rows: list[dict] = []
    for s in strata:
        m = np.ones(len(clip), bool) if s == "all" else stratum_of == s
        rows += _one_stratum({k: v[m] for k, v in y.items()}, clip[m], clip_class, s, n_boot, ci, seed)
    return pd.DataFrame(rows)


def headline_contrast(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """:func:`contrast_table` over every row (the stratum ``all``), the non-empty sets and the silence
    strata left out; options as there."""
    return contrast_table(df, strata=("all",), **options)  # type: ignore[arg-type]


def silence_strata(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """:func:`contrast_table` per silence stratum (empty sets, judge's silence class, other class)."""
    return contrast_table(df, strata=STRATA[1:], **options)  # type: ignore[arg-type]


def clips_needed(half_width: float, n_clips: int, target: float) -> int:
    """Clips that would bring an interval of ``half_width`` on ``n_clips`` clips to ``target`` (the
    half-width shrinks as one over the square root of the clips, the design otherwise unchanged)."""
    if not (target > 0 and n_clips > 0):
        raise OptionError(f"target and n_clips must be positive, got {target!r} and {n_clips!r}")
    if not np.isfinite(half_width):
        raise OptionError("the half-width is not finite: no interval to scale")
    return int(np.ceil(n_clips * (half_width / target) ** 2))


def _pp(x: float) -> str:
    return f"{100 * x:+.1f}"


def _contrast_phrase(row: pd.Series, ref: str) -> str:
    """``<reference> <estimate> pp (95% CI ...)``: one contrast of :func:`contrast_table` in words."""
    if not np.isfinite(row["lo"]):
        return f"{_LONG[ref]} {_pp(row['estimate'])} pp ({row['method']})"
    covers = row["lo"] <= 0 <= row["hi"]
    return (f"{_LONG[ref]} {_pp(row['estimate'])} pp (95% CI {_pp(row['lo'])} to {_pp(row['hi'])}"
            f"{', which covers 0' if covers else ''})")


def contrast_sentence(table: pd.DataFrame, *, stratum: str = "all", target_half_width: float = 0.015) -> str:
    """The headline in words, from :func:`contrast_table`: observed minus the level-matched references,
    then minus the size-matched one, with intervals, the half-width reached and what it could detect
    (an excess of ``2.8`` standard errors, detected with 80% power by a 5% two-sided test), and the clips
    that would bring the loudest-bins contrast to ``target_half_width``."""
    t = table[(table["stratum"] == stratum) & (table["kind"] == "contrast")].set_index("measure")
    if t.empty or "observed - loudest" not in t.index:
        raise OptionError(f"the table has no loudest-bins contrast in stratum {stratum!r}")
    level = [k for k in ("loudest", "energy") if f"observed - {k}" in t.index]
    first = t.loc["observed - loudest"]
    s = ("Observed transfer minus the acceptance of the level-matched references: "
         + "; ".join(_contrast_phrase(t.loc[f"observed - {k}"], k) for k in level) + ".")
    if "observed - random" in t.index:
        s += f" Minus the size-matched reference: {_contrast_phrase(t.loc['observed - random'], 'random')}."
    s += f" ({int(first['n_rows'])} transfers on {int(first['n_clips'])} clips; {first['method']}.)"
    if "observed - energy" not in t.index:
        s += " This table has no energy-matched random draws (a study from before they were added)."
    if np.isfinite(first["half_width"]):
        mde = (sps.norm.ppf(0.975) + sps.norm.ppf(0.8)) * first["se"]
        s += (f" The loudest-bins contrast's half-width is {100 * first['half_width']:.1f} pp: these clips detect "
              f"an excess of about {100 * mde:.1f} pp with 80% power")
        if first["half_width"] > target_half_width:
            n = clips_needed(first["half_width"], int(first["n_clips"]), target_half_width)
            s += f"; about {n} clips would bring the half-width to {100 * target_half_width:.1f} pp"
        s += "."
    return s


def strata_sentence(table: pd.DataFrame) -> str:
    """Per silence stratum, in words: its share of the transfers and observed minus the loudest bins."""
    t = table[table["measure"] == "observed - loudest"].set_index("stratum")
    total = int(t["n_rows"].sum()) if "all" not in t.index else int(t.loc["all", "n_rows"])
    bits = []
    for s in STRATA[1:]:
        if s not in t.index or t.loc[s, "n_rows"] == 0:
            continue
        r = t.loc[s]
        share = f"{int(r['n_rows'])} of {total} transfers"
        if s == "empty set":
            bits.append(f"empty sets: {share} (silence; every reference equals the observed by construction)")
        else:
            bits.append(f"{s}: {share}, observed minus {_contrast_phrase(r, 'loudest')}")
    if not bits:
        raise OptionError("the table has no silence stratum with rows")
    return "By silence stratum, " + "; ".join(bits) + "."
