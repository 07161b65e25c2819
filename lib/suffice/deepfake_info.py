"""Real against fake sufficiencies with the set size, the search and the clip held apart.

A sufficient signal's spectral descriptors depend on how many bins it keeps (normalised PSD entropy
rises with |S| alone), on which bins the search tends to try first (the loudest), and on the clip.  This
module builds, for every (detector, clip) explanation that found a set S, the descriptors of

* ``sufficient``: the sufficient signal itself;
* ``topmag``: the clip's |S| highest-magnitude rfft bins (model-free: what the clip's loudest partials give);
* ``random``: |S| bins drawn uniformly without replacement (model-free: what the size alone gives);
* ``original``: the whole clip (one row per detector, so that per-clip differences line up);

and compares them by the explained class (``source_pred``, the class the detector was explaining) or by
the true label (a second view), always controlling for log |S| and the detector, with clips as clusters
(:mod:`suffice.stats_blocked`).  Explanations with no sufficient set (``found=False``) have no signal:
they are counted per group (:func:`empty_counts`) and left out of every descriptor test.

**Which set** (``obj``, :data:`OBJECTS`).  A detector's *silence class* (the class it gives the
all-zero spectrum) has the empty set as its minimal sufficient set, so within one detector only the
other class has sufficient signals, and no class contrast exists.  ``obj="necessary"`` describes instead
each explanation's sufficient-and-necessary (contrastive) set ``N`` (the study's ``contrastive``
option): kept alone ``N`` gives the class, removed it loses it.  ``N`` is never empty (removing
nothing loses nothing), so a clip of either class has one wherever the search finds it (those it does
not are counted as not found, or apart where the budget ran out first; a set whose pruning the budget
cut short is described, and counted as budget-cut), and the same class contrast and interaction test apply to the same kind
of object on both sides; its kind in the tables is ``"necessary"`` in place of ``"sufficient"``.

**Under a fill** (:mod:`suffice.fills`).  A study run under a non-silent fill (its ``fill`` option) gives
empty sufficient sets only where the model gives the class to the clip's own fill, not to silence, so
both classes of a detector have sufficient signals.  What is described is still the kept bins of the
clip, the removed bins set to zero (:func:`descriptor_table`), not the filled signal the detector heard:
the kept bins are the evidence the explanation names, while the fill is noise drawn from the clip at its
level, whose descriptors would swamp those of a small set.  The references keep the same number of bins
of the same clip, so the comparison is like for like under either fill.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .corpora.jobs import stable_hash
from .errors import OptionError
from .explanation import budget_cut
from .spectral import features, log_psd_bands, psd_matrix
from .stats import holm
from .stats_blocked import blocked_ranks, clustered_ols, wald_test, wild_cluster_wald

__all__ = ["KINDS", "OBJECTS", "FEATURES", "study_records", "analyse", "analyse_studies", "reference_keeps", "descriptor_table", "differences", "empty_counts", "all_empty", "class_effects",
           "interaction_test", "across_detectors", "conclusion", "separating", "separation_lines", "headline",
           "adjust_chapter", "PRIMARY_KIND", "class_difference_bound", "psd_bands"]

KINDS = ("sufficient", "topmag", "random", "original")
#: the explained sets that can be described: the minimal sufficient set, or the sufficient-and-necessary one
OBJECTS = ("sufficient", "necessary")


def _check_obj(obj: str) -> str:
    if obj not in OBJECTS:
        raise OptionError(f"unknown set {obj!r}: one of {', '.join(OBJECTS)}")
    return obj


def reference_keeps(waveform: np.ndarray, size: int, *, seed: int, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Model-free keep masks of ``size`` bins for one clip: its top-magnitude bins, and uniform random bins.

    The random draw is seeded from ``(seed, stable_hash(key))`` (e.g. key = ``"<model>/<clip_id>"``).
    """
    spec = np.abs(np.fft.rfft(np.asarray(waveform, dtype=np.float64)))
    k = spec.size
    if not 0 <= size <= k:
        raise OptionError(f"a set of {size} bins does not fit a spectrum of {k}")
    top = np.zeros(k, dtype=bool)
    top[np.argsort(-spec, kind="stable")[:size]] = True
    rnd = np.zeros(k, dtype=bool)
    rnd[np.random.default_rng([int(seed), stable_hash(key)]).choice(k, size, replace=False)] = True
    return top, rnd


def descriptor_table(records: Iterable[dict[str, Any]], *, seed: int = 0, nperseg: int = 512,
                     overlap: float = 0.5, progress: bool = False, obj: str = "sufficient") -> pd.DataFrame:
    """Descriptors of every found explanation's explained, top-magnitude, random and original signal.

    ``records``: dicts with ``model``, ``clip_id``, ``true_label``, ``source_pred``, ``keep`` (bool rfft
    mask of the explained set) and ``waveform`` (the clip), found explanations only.  ``obj``: what
    ``keep`` is (:data:`OBJECTS`), the ``kind`` of its rows.  Returns a long table: the record's
    labels, ``kind`` (``obj``, ``topmag``, ``random``, ``original``), ``size`` (|S|), ``log_size`` and the
    columns of :func:`suffice.spectral.features` (``n_kept``/``fraction_kept`` are of the kind's own mask).
    """
    _check_obj(obj)
    meta, waves, keeps = [], [], []
    for r in records:
        x = np.asarray(r["waveform"])
        keep = np.asarray(r["keep"], dtype=bool)
        size = int(keep.sum())
        if size == 0:
            raise OptionError(f"{r['model']}/{r['clip_id']}: an empty set has no signal to describe; pass found explanations only")
        top, rnd = reference_keeps(x, size, seed=seed, key=f"{r['model']}/{r['clip_id']}")
        for kind, mask in ((obj, keep), ("topmag", top), ("random", rnd), ("original", None)):
            meta.append({"model": r["model"], "clip_id": r["clip_id"], "true_label": r["true_label"],
                         "source_pred": r["source_pred"], "kind": kind, "size": size})
            waves.append(x)
            keeps.append(np.ones_like(keep) if mask is None else mask)
    if not meta:
        raise OptionError("no found explanation to describe")
    feats = features(waves, keeps, nperseg=nperseg, overlap=overlap, progress=progress).reset_index(drop=True)
    out = pd.concat([pd.DataFrame(meta), feats], axis=1)
    out["log_size"] = np.log(out["size"].astype(float))
    return out


def differences(table: pd.DataFrame, values: Sequence[str], *, minus: str = "original",
                kinds: Sequence[str] | None = None) -> pd.DataFrame:
    """Per (detector, clip): each kind's descriptors minus those of ``minus`` (e.g. sufficient - original).

    ``kinds``: the kinds to difference (``None``: every kind of ``table`` but ``minus`` and ``original``).
    Returns a long table like ``table`` with ``kind`` renamed ``"<kind> - <minus>"``.
    """
    if kinds is None:
        kinds = [k for k in table["kind"].unique() if k not in (minus, "original")]
    key = ["model", "clip_id"]
    base = table[table["kind"] == minus].set_index(key)[list(values)]
    parts = []
    for kind in kinds:
        if kind == minus:
            continue
        sub = table[table["kind"] == kind].set_index(key)
        d = sub.copy()
        d[list(values)] = sub[list(values)] - base.reindex(sub.index)[list(values)]
        d["kind"] = f"{kind} - {minus}"
        parts.append(d.reset_index())
    return pd.concat(parts, ignore_index=True)


def empty_counts(explained: pd.DataFrame, group: str = "source_pred") -> pd.DataFrame:
    """Explanations per detector and group that give no sufficient signal to describe, and their share.

    ``explained``: one row per (model, clip_id) with ``found``, ``group`` and (optionally) ``set_size``
    and ``budget_cut`` (the budget ran out before the search for the set finished).
    ``empty``: a set was found but holds no bin (|S| = 0: the silent signal already gets the class, so
    its descriptors are undefined); ``not_found``: the search finished and found no set short of the
    whole spectrum; ``cut_none``: the budget ran out before any set was found (unknown, not "not
    found").  These three are left out of every descriptor test, and this table is where they are
    counted.  ``budget_cut``: a set was found but the budget ran out before it was pruned to the end (it
    is described, as a sufficient set that may not be minimal).
    """
    found = explained["found"].astype(bool)
    size = explained["set_size"] if "set_size" in explained.columns else pd.Series(1, index=explained.index)
    cut = (explained["budget_cut"].astype(bool) if "budget_cut" in explained.columns
           else pd.Series(False, index=explained.index))
    flags = pd.DataFrame({"model": explained["model"], group: explained[group],
                          "empty": found & (size == 0), "not_found": ~found & ~cut, "cut_none": ~found & cut,
                          "budget_cut": found & (size > 0) & cut})
    g = flags.groupby(["model", group], observed=True)
    out = pd.DataFrame({"explanations": g.size(),
                        **{c: g[c].sum().astype(int) for c in ("empty", "not_found", "cut_none", "budget_cut")}})
    out["left_out_share"] = (out["empty"] + out["not_found"] + out["cut_none"]) / out["explanations"]
    return out.reset_index()


def all_empty(empty: pd.DataFrame, group: str = "source_pred") -> list[tuple[str, str]]:
    """The (detector, class) pairs of an :func:`empty_counts` table whose every explanation is an empty set:
    the detector gives that class to the floor of every such clip (silence under the zero fill, the
    clip's own fill under another), so the class has no sufficient signal to describe within it."""
    hit = empty[(empty["explanations"] > 0) & (empty["empty"] == empty["explanations"])]
    return [(str(r["model"]), str(r[group])) for _, r in hit.iterrows()]


def _design(df: pd.DataFrame, group: str, a: str, detector: str, interaction: bool):
    """Design of ``value ~ class + log_size + detector`` (or with class and log_size per detector)."""
    levels = sorted(df[detector].unique())
    d = pd.Categorical(df[detector], categories=levels).codes
    D = np.eye(len(levels))[d]
    spoof = (df[group].to_numpy() == a).astype(float)
    ls = df["log_size"].to_numpy(dtype=float)
    if interaction:
        cols = [D, D * spoof[:, None], D * ls[:, None]]
        names = ([f"det[{m}]" for m in levels] + [f"class[{m}]" for m in levels] + [f"log_size[{m}]" for m in levels])
    else:
        cols = [np.ones((len(df), 1)), spoof[:, None], ls[:, None], D[:, 1:]]
        names = ["const", "class", "log_size"] + [f"det[{m}]" for m in levels[1:]]
    return np.hstack(cols), names, levels


def _usable(df: pd.DataFrame, value: str, group: str, a: str, b: str, detector: str,
            min_per_class: int = 1) -> tuple[pd.DataFrame, list[str]]:
    """Rows with a finite value; detectors with at least ``min_per_class`` rows of both classes (others
    cannot contrast them)."""
    df = df[np.isfinite(df[value].to_numpy(dtype=float)) & df[group].isin([a, b])]
    counts = df.groupby([detector, group]).size().unstack(fill_value=0).reindex(columns=[a, b], fill_value=0)
    ok = counts.index[(counts >= min_per_class).all(axis=1)]
    dropped = sorted(set(df[detector]) - set(ok))
    return df[df[detector].isin(ok)], dropped


def class_effects(table: pd.DataFrame, values: Sequence[str], *, group: str = "source_pred", a: str = "spoof",
                  b: str = "bonafide", detector: str = "model", cluster: str = "clip_id",
                  ci: float = 0.95) -> pd.DataFrame:
    """The class difference of each descriptor at equal log |S| and detector, clip-clustered.

    Model: ``value = b0 + beta [class == a] + gamma log|S| + detector effects + e``, CR1 covariance over
    clips.  Estimand ``beta``: mean of ``a`` minus mean of ``b`` at the same set size and detector (common
    to all detectors).  Null ``beta = 0``; ``t`` reference with G - 1 degrees of freedom.  One row per
    (``kind`` if present, value): ``beta``, ``lo``, ``hi``, ``p``, ``n``, ``n_clusters``, ``dropped``
    (detectors without both classes), and ``p_holm`` within each kind.
    """
    from scipy import stats as sps
    rows = []
    kinds = table["kind"].unique() if "kind" in table.columns else [None]
    for kind in kinds:
        sub0 = table if kind is None else table[table["kind"] == kind]
        for value in values:
            sub, dropped = _usable(sub0, value, group, a, b, detector)
            row = {"kind": kind, "value": value, "n": len(sub), "dropped": dropped}
            try:
                X, names, _ = _design(sub, group, a, detector, interaction=False)
                if sub["log_size"].nunique() < 2:
                    X, names = np.delete(X, 2, axis=1), [n for n in names if n != "log_size"]
                fit = clustered_ols(sub[value].to_numpy(dtype=float), X, sub[cluster].to_numpy())
                j = names.index("class")
                se = float(np.sqrt(fit["cov"][j, j]))
                t = sps.t.ppf(0.5 + ci / 2, fit["df"])
                beta = float(fit["beta"][j])
                p = float(2 * sps.t.sf(abs(beta / se), fit["df"])) if se > 0 else float("nan")
                row.update(beta=beta, lo=beta - t * se, hi=beta + t * se, p=p, n_clusters=fit["n_clusters"])
            except OptionError:
                row.update(beta=np.nan, lo=np.nan, hi=np.nan, p=np.nan, n_clusters=sub[cluster].nunique())
            rows.append(row)
    out = pd.DataFrame(rows)
    out["p_holm"] = np.nan
    for kind, idx in out.groupby("kind", dropna=False).groups.items():
        ps = out.loc[idx, "p"].to_numpy(dtype=float)
        ok = np.isfinite(ps)
        if ok.any():
            adj = np.full(ps.size, np.nan)
            adj[ok] = holm(ps[ok])
            out.loc[idx, "p_holm"] = adj
    return out


def interaction_test(table: pd.DataFrame, value: str, *, group: str = "source_pred", a: str = "spoof",
                     b: str = "bonafide", detector: str = "model", cluster: str = "clip_id",
                     ci: float = 0.95, method: str = "wild", n_boot: int = 999, weights: str = "rademacher",
                     seed: int = 0) -> pd.DataFrame:
    """Does the class difference of ``value`` differ between detectors?  (class x detector, clip-clustered.)

    Model: per detector its own intercept, class difference ``beta_m`` and log |S| slope, one CR1
    covariance over clips.  Null: ``beta_1 = ... = beta_k`` (the detectors use the class difference
    alike); estimand: the ``k - 1`` contrasts ``beta_m - beta_k``; statistic: the CR1 Wald ``F = W / (k - 1)``.
    ``method="wild"`` (default) refers ``F`` to its wild cluster bootstrap distribution with the null
    imposed (:func:`suffice.stats_blocked.wild_cluster_wald`, ``n_boot`` replicates, ``weights``,
    ``seed``); ``method="f"`` to ``F(k - 1, G - 1)``, which is liberal with ~30 clips and several detectors
    (simulated in ``tests/test_deepfake_info.py``).  Returns one row per detector with its ``beta``,
    ``lo``, ``hi`` (t interval, G - 1 df) and ``p``; ``attrs`` hold ``F``, ``df_num``, ``df_den``,
    ``p_interaction`` (by ``method``), ``p_interaction_f`` (the F reference, always), ``p_method``,
    ``dropped``, ``n_clusters``.
    """
    if method not in ("wild", "f"):
        raise OptionError(f"unknown interaction test method {method!r} (wild or f)")
    from scipy import stats as sps
    sub, dropped = _usable(table, value, group, a, b, detector, min_per_class=2)
    if sub[detector].nunique() < 2:
        raise OptionError(f"the interaction test needs >= 2 detectors with both classes (dropped: {dropped})")
    X, names, levels = _design(sub, group, a, detector, interaction=True)
    flat = [j for j, nm in enumerate(names) if nm.startswith("log_size[")
            and np.unique(X[X[:, names.index("det[" + nm[9:])] == 1, j]).size < 2]
    X = np.delete(X, flat, axis=1)
    names = [nm for j, nm in enumerate(names) if j not in flat]
    fit = clustered_ols(sub[value].to_numpy(dtype=float), X, sub[cluster].to_numpy())
    cls = [names.index(f"class[{m}]") for m in levels]
    R = np.zeros((len(levels) - 1, len(names)))
    for i in range(len(levels) - 1):
        R[i, cls[i]], R[i, cls[-1]] = 1.0, -1.0
    if method == "wild":
        w = wild_cluster_wald(sub[value].to_numpy(dtype=float), X, sub[cluster].to_numpy(), R,
                              n_boot=n_boot, weights=weights, seed=seed)
    else:
        w = wald_test(fit, R)
        w = {**w, "p_f": w["p"], "p_method": f"F({w['df_num']}, {w['df_den']})"}
    t = sps.t.ppf(0.5 + ci / 2, fit["df"])
    rows = []
    for m, j in zip(levels, cls):
        beta, se = float(fit["beta"][j]), float(np.sqrt(fit["cov"][j, j]))
        rows.append({"model": m, "beta": beta, "lo": beta - t * se, "hi": beta + t * se,
                     "p": float(2 * sps.t.sf(abs(beta / se), fit["df"])) if se > 0 else float("nan"),
                     "n": int((sub[detector] == m).sum())})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p"].fillna(1.0).to_numpy())
    out.attrs.update({"F": w["F"], "df_num": w["df_num"], "df_den": w["df_den"], "p_interaction": w["p"],
                      "p_interaction_f": w["p_f"], "p_method": w["p_method"], "dropped": dropped, "n_clusters": fit["n_clusters"]})
    return out


def across_detectors(table: pd.DataFrame, value: str, *, n_boot: int = 1000, ci: float = 0.95,
                     seed: int = 0) -> pd.DataFrame:
    """Blocked (Friedman) comparison of detectors on ``value``, clips as blocks: see
    :func:`suffice.stats_blocked.blocked_ranks`; uses clips every detector found a set for."""
    return blocked_ranks(table, value, by="model", block="clip_id", n_boot=n_boot, ci=ci, seed=seed)


def conclusion(effects: pd.DataFrame, interaction: pd.DataFrame | None, *, value: str, alpha: float = 0.05,
               label: str = "", obj: str = "sufficient") -> list[str]:
    """Plain-language lines computed from :func:`class_effects` (with kinds) and :func:`interaction_test`;
    ``obj``: which explained set the effects describe (:data:`OBJECTS`)."""
    _check_obj(obj)
    lines = []
    tag = f" ({label})" if label else ""

    def verdict(kind: str) -> str:
        r = effects[(effects["kind"] == kind) & (effects["value"] == value)]
        if not len(r) or not np.isfinite(r["beta"].iloc[0]):
            return f"`{kind}`: not estimable"
        r = r.iloc[0]
        sig = r["p_holm"] < alpha
        return (f"`{kind}`: spoof - bona fide = {r['beta']:+.3g} (95% CI {r['lo']:+.3g} to {r['hi']:+.3g}, "
                f"unadjusted; Holm-adjusted p = {r['p_holm']:.2g} over {n_values} descriptor{'s' * (n_values != 1)}), "
                + ("a difference" if sig else "no difference shown") + f" at α = {alpha}")
    n_values = int(effects["value"].nunique())
    lines.append(f"- {value}, at equal set size and detector: " + "; ".join(
        verdict(k) for k in (obj, "topmag", "random", f"{obj} - topmag") if (effects["kind"] == k).any()) + ".")
    if interaction is not None and len(interaction):
        p = interaction.attrs["p_interaction"]
        p_adj = interaction.attrs.get("p_chapter", p)
        n_adj = interaction.attrs.get("n_chapter")
        col = "p_primary" if "p_primary" in interaction.columns else "p_holm"
        sep = interaction[interaction[col] < alpha]["model"].tolist()
        method = interaction.attrs.get("p_method", f"F({interaction.attrs['df_num']}, {interaction.attrs['df_den']})")
        adjusted = (f"; Holm over the chapter's {n_adj} interaction tests: p = {p_adj:.2g}" if n_adj else "")
        lines.append(f"- Class x detector interaction{tag}: F = {interaction.attrs['F']:.2f} on "
                     f"({interaction.attrs['df_num']}, {interaction.attrs['df_den']}) df, p = {p:.3g} ({method}"
                     f"{adjusted}): "
                     + ("the detectors' class differences are shown to differ" if p_adj < alpha else
                        "not shown that the detectors' class differences differ")
                     + f". Detectors whose own class difference is nonzero ({_DETECTOR_FAMILY[col]}): "
                     + (", ".join(f"`{m}`" for m in sep) if sep else "none") + ".")
    return lines


def separating(interaction: pd.DataFrame | None, alpha: float = 0.05) -> set[str] | None:
    """Detectors whose own class difference is nonzero in an :func:`interaction_test` result (Holm over the
    chapter's primary family, ``p_primary`` of :func:`adjust_chapter`, where the result has it; else Holm
    over this test's detectors);
    ``None`` when the test could not be estimated (``None`` result, or no finite interaction p-value),
    which is not the same as "no detector"."""
    if interaction is None or not len(interaction) or not np.isfinite(interaction.attrs.get("p_interaction", np.nan)):
        return None
    col = "p_primary" if "p_primary" in interaction.columns else "p_holm"
    return set(interaction.loc[interaction[col] < alpha, "model"])


def class_difference_bound(interaction: pd.DataFrame | None) -> float:
    """The widest end of the detectors' class-difference intervals in an :func:`interaction_test` result
    (``max |lo|, |hi|``): class differences beyond it are excluded for every detector, smaller ones are not.
    NaN where the test could not run."""
    if interaction is None or not len(interaction) or not {"lo", "hi"} <= set(interaction.columns):
        return float("nan")
    return float(np.nanmax(np.abs(interaction[["lo", "hi"]].to_numpy(dtype=float))))


def separation_lines(seps: dict[str, set[str] | None], *, value: str,
                     reasons: dict[str, str] | None = None, obj: str = "sufficient",
                     bounds: dict[str, float] | None = None, change: str = "search") -> list[str]:
    """The chapter's verdict, per strategy, from :func:`separating` of each strategy's analysis: which
    detectors separate real from fake ``obj`` sets (:data:`OBJECTS`) in ``value`` once set size and the
    clip's loudest bins are controlled, said as "not estimable" where the test could not run (with that
    strategy's reason from ``reasons``, e.g. :func:`analyse`'s ``why_not``, where given), and whether it
    survives the change between the two runs (only where both were estimable); ``change`` names what
    differs between them (``"search"``: two strategies; ``"fill"``: two fills).  ``bounds``: per run,
    :func:`class_difference_bound` of its test, which states what an absence of separation rules out."""
    reasons = reasons or {}
    bounds = bounds or {}
    what = {"sufficient": "sufficiencies", "necessary": "sufficient-and-necessary sets"}[_check_obj(obj)]

    def one(name: str, s: set[str] | None) -> str:
        if s is None:
            why = reasons.get(name) or (f"too few clips with non-empty {obj} sets of both explained "
                                        "classes within a detector, or too few clips for the clip-clustered "
                                        "fit: see the counts above")
            return f"not estimable ({why})"
        return ", ".join(f"`{m}`" for m in sorted(s)) if s else "none"
    lines = [f"**Which detectors separate real from fake {what}** in {value} once the set size and "
             "the clip's loudest bins are controlled: " + "; ".join(f"`{n}`: {one(n, s)}" for n, s in seps.items()) + "."]
    if len(seps) == 2:
        (na, a), (nb, b) = seps.items()
        if a is None or b is None:
            lines.append(f"Across the change of {change}: not answerable here, since "
                         + " and ".join(f"`{n}`" for n, s in seps.items() if s is None) + " could not be estimated.")
        else:
            both = a & b
            one_, many = ("strategy", "strategies") if change == "search" else (change, f"{change}s")
            lines.append(f"Across the change of {change}: " + (
                f"no detector separates under either {one_}, which is an absence of evidence, not evidence of "
                "absence: " + _bounds_phrase(bounds, value) if not a and not b else
                f"the same detector(s) under both {many} ({', '.join(sorted(a))})." if a == b else
                f"{len(both)} detector(s) under both ({', '.join(sorted(both)) or 'none'}); the rest under one "
                f"{one_} only (the `{nb}` run has fewer clips, so less power: absence there is not evidence of absence)."))
    return lines


def _bounds_phrase(bounds: dict[str, float], value: str) -> str:
    """What the strategies' intervals exclude, or that nothing was bounded."""
    got = {n: b for n, b in bounds.items() if np.isfinite(b)}
    if not got:
        return "no interval bounds the detectors' class differences here."
    return (f"the 95% intervals exclude only class differences in {value} larger than "
            + " and ".join(f"{b:.3g} (`{n}`)" for n, b in got.items()) + " for every detector.")


#: descriptors compared (normalised PSD entropy is the primary one; the others are secondary)
FEATURES = ("psd_entropy_norm", "periodogram_entropy_norm", "centroid_hz")


def headline(analyses: dict[tuple[str, str], dict[str, Any]], *, alpha: float = 0.05,
             value: str = FEATURES[0]) -> tuple[str, pd.DataFrame]:
    """The chapter's conclusion in one sentence, and the numbers behind it.

    For every (strategy, explained set) of :func:`analyse_studies`' result: the interaction test of
    ``value`` on the explained set minus its top-magnitude reference (set size and the clip's loudest
    bins controlled) and the detectors whose own class difference is nonzero (Holm, ``alpha``;
    :func:`separating`).  Returns the sentence and a table with one row per (strategy, set):
    ``detectors`` tested, ``separating`` (their number, NaN where not estimable), ``p_interaction``,
    ``names``.
    """
    what = {"sufficient": "sufficient sets", "necessary": "sufficient-and-necessary sets"}
    rows = []
    for (name, obj), a in analyses.items():
        res = a.get("interaction", {}).get((f"{obj} - topmag", value))
        sep = separating(res, alpha)
        rows.append({"strategy": name, "set": obj, "detectors": 0 if sep is None else len(res),
                     "separating": np.nan if sep is None else len(sep),
                     "p_interaction": np.nan if sep is None else float(res.attrs["p_interaction"]),
                     "names": "" if sep is None else ", ".join(sorted(sep))})
    table = pd.DataFrame(rows, columns=["strategy", "set", "detectors", "separating", "p_interaction", "names"])
    if table.empty:
        raise OptionError("headline needs at least one analysis (analyse_studies found none)")

    def one(r) -> str:
        if np.isnan(r.separating):
            return f"not estimable under `{r.strategy}`"
        return (f"{int(r.separating)} of {r.detectors} under `{r.strategy}`"
                + (f" ({', '.join(f'`{n}`' for n in r.names.split(', '))})" if r.names else ""))
    parts = [f"{what[obj]}: " + ", ".join(one(r) for r in t.itertuples())
             for obj, t in table.groupby("set", sort=False)]
    primary = any("p_primary" in r.columns for a in analyses.values()
                  for r in a.get("interaction", {}).values() if r is not None)
    family = "Holm over the chapter's primary per-detector tests" if primary else "Holm"
    sentence = (f"Detectors that tell real from fake clips apart by the {value} of what they keep, once the "
                f"set size and the clip's loudest bins are controlled ({family}, α = {alpha:g}): "
                + "; ".join(parts) + ".")
    return sentence, table


def study_records(result: Any, obj: str = "sufficient") -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Found explanations of a :class:`suffice.study.StudyResult` as records for :func:`descriptor_table`,
    and its explanation table with ``source_pred`` (the explained class) for :func:`empty_counts`.

    ``obj="necessary"``: the records' ``keep`` is each explanation's sufficient-and-necessary set, and the
    table's ``found`` and ``set_size`` are of that set (``found`` False where the study found none, or
    ran without the ``contrastive`` option: then :class:`~suffice.errors.OptionError`).  The table's
    ``budget_cut`` says, per row, that the budget ran out before the search for that set finished
    (:func:`suffice.explanation.budget_cut` for the sufficient set, ``necessary_budget_cut`` for the
    other; False where the table does not say).
    """
    _check_obj(obj)
    ex = result.explanations.rename(columns={"target": "source_pred"}).copy()
    sets: list[np.ndarray | None] = []
    waves: list[np.ndarray | None] = []
    asked = False  # did any found explanation run with the contrastive option?
    flagged = {"budget_exhausted", "verified_minimal"} <= set(ex.columns)
    cut = (budget_cut(ex["budget_exhausted"].astype(bool), ex["verified_minimal"].astype(bool)) == 1.0
           if flagged else np.zeros(len(ex), dtype=bool))
    cut_n: list[bool] = []
    for r, c in zip(ex.itertuples(), cut):
        e = result.explanation(r.model, r.clip_id) if bool(r.found) else None
        keep = None if e is None else (e.keep if obj == "sufficient" else e.necessary_keep)
        sets.append(None if keep is None else np.asarray(keep, dtype=bool))
        waves.append(None if e is None else e.waveform)
        asked = asked or (e is not None and bool(e.options.get("contrastive")))
        # no sufficient set (budget-cut): nothing after it ran, so the necessary search was cut too
        cut_n.append(bool(c) if e is None else bool(getattr(e, "necessary_budget_cut", False)))
    ex["budget_cut"] = np.asarray(cut, dtype=bool) if obj == "sufficient" else cut_n
    if obj == "necessary":
        if len(ex) and not any(k is not None for k in sets) and not asked:
            raise OptionError("the study ran without the contrastive option: it has no sufficient-and-necessary "
                              "sets (run it with options: {contrastive: true})")
        ex["found"] = [k is not None for k in sets]
        ex["set_size"] = [0 if k is None else int(k.sum()) for k in sets]
    records = []
    for r, keep, x in zip(ex.itertuples(), sets, waves):
        if keep is None or not keep.any():
            continue  # no set, or an empty one: no signal to describe (counted by empty_counts)
        records.append({"model": r.model, "clip_id": r.clip_id, "true_label": r.true_label,
                        "source_pred": r.source_pred, "keep": keep, "waveform": x})
    return records, ex


def analyse(result: Any, *, values: Sequence[str] = FEATURES, seed: int = 0, nperseg: int = 512,
            overlap: float = 0.5, n_boot: int = 1000, ci: float = 0.95, obj: str = "sufficient") -> dict[str, Any]:
    """Everything the deepfake information chapter shows for one study, for one explained set ``obj``
    (:data:`OBJECTS`: ``"sufficient"``, or ``"necessary"`` for a study run with ``contrastive``).

    Returns ``obj``; ``table`` (:func:`descriptor_table`), ``diffs`` (``obj`` / top-magnitude / random
    minus original, and ``obj`` minus top-magnitude), ``effects`` (:func:`class_effects` per grouping:
    ``source_pred`` and ``true_label``, over every kind and difference), ``interaction``
    (:func:`interaction_test` on the ``obj`` signals and on ``obj`` minus top-magnitude, by the
    explained class, per value, keyed ``(kind, value)``; ``None`` where it could not be estimated, with
    the reason in ``why_not`` under the same key), ``across`` (:func:`across_detectors` per value,
    ``obj`` signals) and ``empty`` (:func:`empty_counts` by explained class and by true label).
    """
    records, ex = study_records(result, obj)
    empty = {g: empty_counts(ex, g) for g in ("source_pred", "true_label")}
    if not records:
        return {"obj": obj, "table": None, "empty": empty, "n_found": 0,
                "why_not": {(k, v): f"no non-empty {obj} set to describe"
                            for k in (obj, f"{obj} - topmag") for v in values}}
    table = descriptor_table(records, seed=seed, nperseg=nperseg, overlap=overlap, obj=obj)
    diffs = pd.concat([differences(table, values),
                       differences(table, values, minus="topmag", kinds=(obj,))], ignore_index=True)
    long = pd.concat([table[table["kind"] != "original"], diffs], ignore_index=True)
    effects = {g: class_effects(long, values, group=g, ci=ci) for g in ("source_pred", "true_label")}
    interaction: dict[tuple[str, str], pd.DataFrame | None] = {}
    why_not: dict[tuple[str, str], str] = {}
    for kind in (obj, f"{obj} - topmag"):
        for v in values:
            try:
                interaction[(kind, v)] = interaction_test(long[long["kind"] == kind], v, ci=ci, seed=seed)
            except OptionError as exc:
                interaction[(kind, v)] = None
                why_not[(kind, v)] = str(exc)
    across = {}
    for v in values:
        try:
            across[v] = across_detectors(table[table["kind"] == obj], v, n_boot=n_boot, ci=ci, seed=seed)
        except OptionError:
            across[v] = None
    return {"obj": obj, "table": table, "diffs": diffs, "effects": effects, "interaction": interaction, "across": across,
            "empty": empty, "n_found": len(records), "why_not": why_not}


#: the chapter's primary endpoint: the class difference of each detector in :data:`FEATURES`' first
#: descriptor, on the explained set minus its top-magnitude reference (set size and loudness controlled)
PRIMARY_KIND = "{obj} - topmag"
_DETECTOR_FAMILY = {"p_primary": "Holm over the chapter's primary per-detector tests",
                    "p_holm": "Holm over this test's detectors"}


def adjust_chapter(analyses: dict[tuple[str, str], dict[str, Any]]) -> dict[str, int]:
    """Holm within the chapter's two families of tests, written into the :func:`interaction_test` results.

    * the interaction tests (every strategy, explained set, kind and descriptor): ``attrs["p_chapter"]``
      (adjusted) and ``attrs["n_chapter"]`` (the family's size);
    * the primary endpoint (:data:`PRIMARY_KIND` on :data:`FEATURES`' first descriptor): the per-detector
      class-difference tests of every strategy and explained set, column ``p_primary``.

    Returns the two family sizes, ``{"interaction": n, "primary": m}``."""
    from .stats import holm

    tests = [(key, res) for a in analyses.values() for key, res in a.get("interaction", {}).items()
             if res is not None and np.isfinite(res.attrs.get("p_interaction", np.nan))]
    if tests:
        adj = holm([res.attrs["p_interaction"] for _, res in tests])
        for (_, res), p in zip(tests, adj):
            res.attrs.update(p_chapter=float(p), n_chapter=len(tests))
    primary = [res for (_, obj), a in analyses.items()
               for key, res in a.get("interaction", {}).items()
               if res is not None and key == (PRIMARY_KIND.format(obj=obj), FEATURES[0]) and len(res)]
    ps = np.concatenate([r["p"].to_numpy(dtype=float) for r in primary]) if primary else np.array([])
    finite = np.isfinite(ps)
    adj = np.full_like(ps, np.nan)
    if finite.any():
        adj[finite] = holm(ps[finite])
    at = 0
    for r in primary:
        r["p_primary"] = adj[at:at + len(r)]
        at += len(r)
    return {"interaction": len(tests), "primary": int(finite.sum())}


def analyse_studies(studies: dict[str, Any], **kwargs: Any) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[tuple[str, str], str]]:
    """:func:`analyse` of every study (``{strategy: StudyResult}``) for every object of :data:`OBJECTS`
    it holds.  Returns ``({(strategy, obj): analysis}, {(strategy, obj): why it is missing})``: a study
    run without the ``contrastive`` option has no ``"necessary"`` analysis, and says so in the second.
    The p-values are then adjusted within the chapter's families of tests (:func:`adjust_chapter`)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    missing: dict[tuple[str, str], str] = {}
    for name, res in studies.items():
        for obj in OBJECTS:
            try:
                out[(name, obj)] = analyse(res, obj=obj, **kwargs)
            except OptionError as exc:
                if obj == "sufficient":
                    raise
                missing[(name, obj)] = str(exc)
    adjust_chapter(out)
    return out, missing


def psd_bands(result: Any, *, seed: int = 0, nperseg: int = 512, overlap: float = 0.5,
              n_boot: int = 1000) -> pd.DataFrame:
    """Mean log-PSD per explained class with bootstrap bands (:func:`suffice.spectral.log_psd_bands`) of a
    study's sufficient signals, of their top-magnitude references (:func:`reference_keeps`) and of the
    original clips, stacked with the kind of signal in the ``model`` column (the facet of
    :func:`suffice.plotting.spectral.log_psd`)."""
    records, _ = study_records(result)
    waves = [r["waveform"] for r in records]
    keeps = {"sufficient": [r["keep"] for r in records],
             "topmag": [reference_keeps(r["waveform"], int(r["keep"].sum()), seed=seed,
                                        key=f"{r['model']}/{r['clip_id']}")[0] for r in records],
             "original": None}
    bands = []
    for kind, keep in keeps.items():
        freqs, psd = psd_matrix(waves, keep, nperseg=nperseg, overlap=overlap)
        b = log_psd_bands(freqs, psd, [r["source_pred"] for r in records], n_boot=n_boot, seed=seed)
        bands.append(b.assign(model=kind))
    return pd.concat(bands, ignore_index=True)
