"""Set overlap beside acceptance: do f and g keep the same atoms of a clip, and does g accept f's signal
more often when they do?

Every model explains every clip, so on clip x there are two sufficient sets per transfer f -> g: S_f (f's,
for its class c = f(x)) and S_g (g's, for its own class g(x)).  Both are sets of atoms (the studies search
32 Hz atoms, ``resolution_bins`` bins each; single bins when ``resolution_bins`` is 1), so overlap is
counted in atoms:

* ``jaccard``: ``|S_f & S_g| / |S_f | S_g|`` (symmetric);
* ``energy_share``: the share of S_f's energy that lies in S_g's atoms (asymmetric, read from f's side:
  how much of the signal g is asked to judge is evidence g itself needs), energy as
  :func:`suffice.study.nulls.bin_energy` summed per atom;
* ``jaccard_random``: the expected Jaccard of two uniform random sets of sizes ``|S_f|`` and ``|S_g|`` among
  the clip's atoms (the hypergeometric law of the intersection), the chance reference of ``jaccard``;
* ``source_loudest`` / ``target_loudest``: the Jaccard of each set with the clip's atoms of most energy, as
  many as the set holds: the study's own loudest-bins reference (:func:`suffice.study.nulls.null_keeps`).

An empty set or a set not found gives NaN overlaps; such rows are counted apart (band ``empty set`` or
``no set found``) and kept out of the regression.  Bands of ``jaccard`` are declared once in
:data:`OVERLAP_EDGES`.

"Acceptance given overlap" (:func:`overlap_glm`) is the direct test of shared evidence: if g accepts f's
signal because it holds what g relies on, acceptance rises with overlap at a given set size.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..errors import OptionError
from ..stats import logistic_glm, wilson_interval
from .rates import cell_design_effect
from .table import CONDITIONS, kept_rows, require_columns, transfer_outcome, validate_table

__all__ = ["OVERLAP_EDGES", "BANDS", "JACCARD_STEP", "AtomSet", "expected_jaccard", "overlap_rows",
           "loudest_overlap", "acceptance_by_overlap", "overlap_glm", "OverlapResult", "set_overlap",
           "overlap_sentence", "simulate_overlap", "calibrate_overlap"]

#: Jaccard band edges: 0 is "no shared atom", (0, 0.5] "at most half shared", above 0.5 "more than half"
OVERLAP_EDGES: tuple[float, float] = (0.0, 0.5)
#: the bands, in report order: the three of :data:`OVERLAP_EDGES`, then the rows counted apart
BANDS: tuple[str, ...] = ("no shared atom", "at most half shared", "more than half shared", "empty set",
                          "no set found")
#: the regression's overlap unit: odds ratios are per this much Jaccard
JACCARD_STEP = 0.1
#: the covariates of :func:`overlap_glm` besides the overlap
COVARIATES: tuple[str, ...] = ("log_size", "log_size_target", "silence", "loudest_y")


@dataclass(frozen=True)
class AtomSet:
    """One explanation's sufficient set over atoms: ``atoms`` (sorted atoms S touches), ``loudest`` (the
    ``len(atoms)`` atoms of most energy, the study's loudest-bins reference), ``energy`` (every atom's energy
    on the clip), ``found`` (a set short of the whole spectrum) and ``width`` (bins per atom)."""

    atoms: np.ndarray
    loudest: np.ndarray
    energy: np.ndarray
    found: bool = True
    width: int = 1

    @property
    def n_atoms(self) -> int:
        return int(len(self.energy))


def expected_jaccard(n: int, a: int, b: int) -> float:
    """Expected Jaccard of two independent uniform random sets of ``a`` and ``b`` of ``n`` items (the
    intersection is hypergeometric); NaN when either set is empty."""
    if a <= 0 or b <= 0:
        return float("nan")
    if a > n or b > n:
        raise OptionError(f"sets of {a} and {b} cannot be drawn from {n} items")
    k = np.arange(max(0, a + b - n), min(a, b) + 1)
    return float((sps.hypergeom.pmf(k, n, a, b) * k / (a + b - k)).sum())


def _jaccard(a: np.ndarray, b: np.ndarray) -> tuple[int, float]:
    """(shared items, Jaccard) of two sorted index arrays; NaN Jaccard when either is empty."""
    shared = len(np.intersect1d(a, b, assume_unique=True))
    if len(a) == 0 or len(b) == 0:
        return shared, float("nan")
    return shared, shared / (len(a) + len(b) - shared)


def _band(jaccard: float, f: AtomSet, g: AtomSet) -> str:
    if not (f.found and g.found):
        return BANDS[4]
    if not np.isfinite(jaccard):
        return BANDS[3]
    return BANDS[int(np.searchsorted(OVERLAP_EDGES, jaccard, side="left"))]


def _pair_measures(f: AtomSet, g: AtomSet) -> dict[str, object]:
    """The overlap columns of one row (f's set against g's on the same clip)."""
    if f.width != g.width:
        raise OptionError(f"the two sets are over different atoms ({f.width} and {g.width} bins)")
    shared, jac = _jaccard(f.atoms, g.atoms)
    if not (f.found and g.found):
        jac = float("nan")
    e_f = float(f.energy[f.atoms].sum())
    share = float(f.energy[np.intersect1d(f.atoms, g.atoms)].sum() / e_f) if np.isfinite(jac) and e_f > 0 else np.nan
    return {"source_atoms": len(f.atoms), "target_atoms": len(g.atoms), "shared": shared, "jaccard": jac,
            "energy_share": share,
            "jaccard_random": expected_jaccard(f.n_atoms, len(f.atoms), len(g.atoms)) if np.isfinite(jac) else np.nan,
            "source_loudest": _jaccard(f.atoms, f.loudest)[1], "target_loudest": _jaccard(g.atoms, g.loudest)[1],
            "band": _band(jac, f, g)}


def overlap_rows(table: pd.DataFrame, sets: Mapping[tuple[str, str], AtomSet], *,
                 condition: str = "all") -> pd.DataFrame:
    """One row per counted off-diagonal transfer (f, g, x) with its outcome and overlap.

    ``table``: a transfer table with ``target_pred_topmag`` and ``target_pred_silence``; ``sets``:
    ``{(model, clip_id): AtomSet}`` (:func:`suffice.study.sets.explanation_sets`), one per model and clip
    (a single seed); ``condition``: ``"agree"`` keeps the rows where g(x) = f(x) (S_g then explains the same class).
    Returns ``source``, ``target``, ``clip_id``, ``true_label``, ``y`` (T, class criterion), ``loudest_y``
    (g's acceptance of the |S_f| loudest atoms), the columns of the module docstring, ``band``,
    ``log_size``/``log_size_target`` (``log(1 + atoms)`` of S_f and S_g) and ``silence`` (1 where c is g's
    own class for the floor, as in :func:`suffice.transfer.relations.relations_design`).
    """
    if condition not in CONDITIONS:
        raise OptionError(f"unknown condition {condition!r}; choose one of {', '.join(CONDITIONS)}")
    validate_table(table)
    require_columns(table, ("target_pred_topmag", "target_pred_silence"), "the set overlap")
    y = transfer_outcome(table, criterion="class").to_numpy()
    keep = kept_rows(table, y, condition)
    d = table.loc[keep, ["source", "target", "clip_id", "true_label", "source_pred", "target_pred_topmag",
                         "target_pred_silence"]].reset_index(drop=True)
    missing = {(str(r.source), str(r.clip_id)) for r in d.itertuples()} - set(sets)
    missing |= {(str(r.target), str(r.clip_id)) for r in d.itertuples()} - set(sets)
    if missing:
        raise OptionError(f"no set for {len(missing)} (model, clip), e.g. {sorted(missing)[0]}")
    cols = pd.DataFrame([_pair_measures(sets[(str(r.source), str(r.clip_id))], sets[(str(r.target), str(r.clip_id))])
                         for r in d.itertuples()], index=d.index)
    out = pd.concat([d[["source", "target", "clip_id", "true_label"]], cols], axis=1)
    out.insert(4, "y", y[keep])
    out.insert(5, "loudest_y", (d["target_pred_topmag"] == d["source_pred"]).to_numpy(dtype=np.float64))
    out["log_size"] = np.log1p(out["source_atoms"].astype(float))
    out["log_size_target"] = np.log1p(out["target_atoms"].astype(float))
    out["silence"] = (d["target_pred_silence"] == d["source_pred"]).to_numpy(dtype=np.float64)
    return out


def loudest_overlap(sets: Mapping[tuple[str, str], AtomSet]) -> pd.DataFrame:
    """Per found non-empty explanation: ``model``, ``clip_id``, ``atoms``, ``jaccard_loudest`` (its Jaccard
    with the clip's as many loudest atoms), ``is_loudest`` (the set *is* those atoms) and
    ``jaccard_random`` (the expected Jaccard of a uniform random set of its size with those atoms)."""
    rows = []
    for (m, c), s in sets.items():
        if not s.found or len(s.atoms) == 0:
            continue
        j = _jaccard(s.atoms, s.loudest)[1]
        rows.append({"model": m, "clip_id": c, "atoms": len(s.atoms), "jaccard_loudest": j, "is_loudest": j == 1.0,
                     "jaccard_random": expected_jaccard(s.n_atoms, len(s.atoms), len(s.atoms))})
    return pd.DataFrame(rows, columns=["model", "clip_id", "atoms", "jaccard_loudest", "is_loudest", "jaccard_random"])


def acceptance_by_overlap(rows: pd.DataFrame, *, ci: float = 0.95) -> pd.DataFrame:
    """Transfer rate per overlap band (:data:`BANDS`, those with rows) with clip-clustered intervals.

    ``rows``: :func:`overlap_rows`.  Estimand per band: the pooled acceptance ``sum(y) / n`` of its rows;
    interval: Wilson with the band's clip design effect (:func:`suffice.transfer.rates.cell_design_effect`:
    rows of one clip are not independent).  Beside it, ``loudest``: the acceptance of the |S_f| loudest
    atoms on the same rows (is a high-overlap set accepted because it is loud?).  Returns ``band``,
    ``n``, ``n_clips``, ``accepted``, ``rate``, ``lo``, ``hi``, ``design_effect``, ``loudest``,
    ``mean_jaccard``.
    """
    out = []
    for band in [b for b in BANDS if (rows["band"] == b).any()]:
        part = rows[rows["band"] == band]
        per_clip = part.groupby("clip_id")["y"].agg(["sum", "size"])
        num, den = per_clip["sum"].to_numpy(float)[:, None], per_clip["size"].to_numpy(float)[:, None]
        deff = cell_design_effect(num, den)
        lo, hi = wilson_interval(num.sum(0), den.sum(0), ci=ci, deff=deff)
        out.append({"band": band, "n": len(part), "n_clips": len(per_clip), "accepted": int(part["y"].sum()),
                    "rate": float(part["y"].mean()), "lo": float(lo[0]), "hi": float(hi[0]),
                    "design_effect": float(deff[0]), "loudest": float(part["loudest_y"].mean()),
                    "mean_jaccard": float(part["jaccard"].mean())})
    return pd.DataFrame(out, columns=["band", "n", "n_clips", "accepted", "rate", "lo", "hi", "design_effect",
                                      "loudest", "mean_jaccard"])


def overlap_glm(rows: pd.DataFrame, *, ci: float = 0.95) -> pd.DataFrame:
    """Logistic regression of transfer on overlap, clip-clustered: the test of shared evidence.

    Model (rows with both sets non-empty and found)::

        logit P(T = 1) = b0 + b1 jaccard / JACCARD_STEP + b2 log(1 + |S_f|) + b3 log(1 + |S_g|) + b4 silence
                         + b5 loudest

    Estimand: ``b1``, the log odds ratio of acceptance per +0.1 Jaccard at given set sizes (both enter,
    since the Jaccard of two sets depends on their sizes), silence stratum (c is g's class for the floor)
    and g's answer to the |S_f| loudest atoms of the clip (``loudest``: 1 when g gives them c), so that
    sets that overlap because both are the clip's loudest atoms are not read as shared evidence beyond
    loudness.  Null: acceptance does not depend on overlap given those terms (``b1 = 0``).  Test: Wald
    with the cluster-robust (clip) sandwich error of a binomial GLM (:func:`suffice.stats.logistic_glm`:
    t with ``n_clips - 1`` degrees of freedom, no claim below 20 clips); its size and power under clip
    effects are measured by :func:`calibrate_overlap`.  A covariate constant on these rows is left out,
    and a degenerate fit (separation, too few clips) reports NaN estimates.  Producer and acceptor habits
    are not held (the social relations model does that); a pair of one family may accept more and
    overlap more, which this reads as shared evidence.
    Returns :func:`suffice.stats.logistic_glm`'s table (``odds_ratio`` per step); ``attrs`` add ``step``.
    """
    d = rows[np.isfinite(rows["jaccard"].to_numpy(dtype=float))].copy()
    d["jaccard_step"] = d["jaccard"] / JACCARD_STEP
    covs = [c for c in COVARIATES if d[c].nunique() > 1]
    out = logistic_glm(d, "y", ["jaccard_step", *covs], cluster="clip_id", standardise=False, ci=ci)
    out.attrs["step"] = JACCARD_STEP
    if out.attrs.get("degenerate"):  # separation or too few clips: no estimate to read
        out.loc[:, "coef":] = np.nan
    return out


@dataclass(frozen=True)
class OverlapResult:
    """:func:`set_overlap`'s parts: ``rows`` (:func:`overlap_rows`), ``bands``
    (:func:`acceptance_by_overlap`), ``glm`` (:func:`overlap_glm`), ``loudest`` (:func:`loudest_overlap`)."""

    rows: pd.DataFrame
    bands: pd.DataFrame
    glm: pd.DataFrame
    loudest: pd.DataFrame

    def summary(self) -> dict[str, float]:
        """Means over the non-empty rows: ``jaccard``, ``jaccard_random``, ``energy_share``; over the
        explanations: ``jaccard_loudest``, ``is_loudest`` (share of sets that are their loudest atoms),
        ``loudest_random`` (a random set's expected Jaccard with them)."""
        ok = self.rows[np.isfinite(self.rows["jaccard"].to_numpy(dtype=float))]
        return {"jaccard": float(ok["jaccard"].mean()), "jaccard_random": float(ok["jaccard_random"].mean()),
                "energy_share": float(ok["energy_share"].mean()), "n_rows": len(ok),
                "jaccard_loudest": float(self.loudest["jaccard_loudest"].mean()),
                "is_loudest": float(self.loudest["is_loudest"].mean()),
                "loudest_random": float(self.loudest["jaccard_random"].mean()), "n_sets": len(self.loudest)}


def set_overlap(table: pd.DataFrame, sets: Mapping[tuple[str, str], AtomSet], *, condition: str = "all",
                ci: float = 0.95) -> OverlapResult:
    """Overlap and acceptance of a study: ``table`` its transfer table, ``sets`` its sets
    (:func:`suffice.study.sets.explanation_sets`); ``condition`` as :func:`overlap_rows`."""
    rows = overlap_rows(table, sets, condition=condition)
    return OverlapResult(rows, acceptance_by_overlap(rows, ci=ci), overlap_glm(rows, ci=ci), loudest_overlap(sets))


def _rate_phrase(bands: pd.DataFrame, band: str, what: str) -> str:
    b = bands.set_index("band")
    if band not in b.index:
        return f"no transfer where {what}"
    r = b.loc[band]
    return f"{r['rate']:.0%} of the {int(r['n'])} transfers where {what} (95% CI {r['lo']:.0%} to {r['hi']:.0%})"


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _odds_phrase(glm: pd.DataFrame) -> str:
    """The odds ratio per step with its interval, p and rows, read as an equivalence bound when the
    interval covers 1; '' when the fit is degenerate."""
    t = glm.set_index("term")
    if glm.attrs.get("degenerate") or "jaccard_step" not in t.index:
        return ""
    r = t.loc["jaccard_step"]
    s = (f"per +{JACCARD_STEP:g} Jaccard the odds of acceptance change by a factor {r['odds_ratio']:.2f} "
         f"(95% CI {r['or_lo']:.2f} to {r['or_hi']:.2f}, {_p(r['p'])}; clip-clustered, at given set sizes, "
         f"silence stratum and answer to the loudest atoms, {glm.attrs['n']} transfers on {glm.attrs['n_clusters']} clips)")
    if r["or_lo"] <= 1 <= r["or_hi"]:
        s += (f": no evidence that overlap matters, and the data rule out odds ratios below {r['or_lo']:.2f} "
              f"and above {r['or_hi']:.2f}")
    return s


def overlap_sentence(res: OverlapResult, agree: OverlapResult | None = None) -> str:
    """The result in words: acceptance where the sets share no atom and where they share more than half,
    the odds ratio per +0.1 Jaccard (clip-clustered; an interval that covers 1 is read as the odds ratios
    it rules out), mean overlap against random sets, and the overlap with the loudest atoms.  ``agree``:
    the same on the rows where g(x) = f(x) (g's set then explains the same class), whose odds ratio is
    added."""
    s = (f"g accepts f's signal in {_rate_phrase(res.bands, BANDS[0], 'the two sets share no atom')} and in "
         f"{_rate_phrase(res.bands, BANDS[2], 'they share more than half (Jaccard > 0.5)')}.")
    odds = _odds_phrase(res.glm)
    s += f" {odds[0].upper()}{odds[1:]}." if odds else f" No regression on overlap: {res.glm.attrs.get('reason')}."
    if agree is not None:
        odds = _odds_phrase(agree.glm)
        s += (f" Where g(x) = f(x), so that g's own set explains the same class: {odds}." if odds
              else f" Where g(x) = f(x): no regression ({agree.glm.attrs.get('reason')}).")
    m = res.summary()
    if m["n_rows"]:
        s += (f" The sets of f and g share a mean Jaccard of {m['jaccard']:.2f} (two random sets of their sizes: "
              f"{m['jaccard_random']:.2f}); {m['energy_share']:.0%} of f's set's energy lies in g's set on average.")
    if m["n_sets"]:
        s += (f" A sufficient set's mean Jaccard with the clip's as many loudest atoms is {m['jaccard_loudest']:.2f} "
              f"(random: {m['loudest_random']:.2f}); {m['is_loudest']:.0%} of the sets are exactly those atoms.")
    empty = res.bands.set_index("band")["n"].reindex(list(BANDS[3:])).fillna(0).astype(int)
    if empty.sum():
        s += f" Counted apart: {empty[BANDS[3]]} transfers with an empty set, {empty[BANDS[4]]} with no set found."
    return s


def simulate_overlap(n_clips: int = 30, n_models: int = 6, *, odds_ratio: float = 1.0, clip_sd: float = 1.0,
                     clip_source_sd: float = 0.5, n_atoms: int = 250, mean_atoms: float = 4.0,
                     seed: int = 0) -> pd.DataFrame:
    """A seeded table of :func:`overlap_rows`'s columns from a generative model of overlap and acceptance.

    On clip x every model keeps ``1 + Poisson(mean_atoms - 1)`` atoms drawn without replacement with
    weights ``exp(s_x z_j)`` (``z`` per atom, ``s_x ~ U(0, 3)`` per clip: some clips have a few dominant
    atoms that every model keeps, others none), so overlap varies from clip to clip as in a study.  Every
    ordered pair f != g gives one row with outcome::

        logit P(T = 1) = -1 + u_x + v_{x,f} - 0.3 log(1 + |S_f|) + 1.0 silence + 0.5 loudest
                         + log(odds_ratio) jaccard / 0.1

    ``u_x ~ N(0, clip_sd^2)``, ``v ~ N(0, clip_source_sd^2)``, ``silence ~ Bernoulli(0.2)`` and
    ``loudest ~ Bernoulli(0.3)`` per row; with
    ``odds_ratio = 1`` acceptance does not depend on overlap (the null of :func:`overlap_glm`).
    """
    rng = np.random.default_rng(seed)
    rows = []
    for x in range(int(n_clips)):
        w = np.exp(rng.uniform(0, 3) * rng.standard_normal(n_atoms))
        sets = [np.sort(rng.choice(n_atoms, size=min(1 + rng.poisson(mean_atoms - 1), n_atoms), replace=False,
                                   p=w / w.sum())) for _ in range(n_models)]
        u, v = clip_sd * rng.standard_normal(), clip_source_sd * rng.standard_normal(n_models)
        for f in range(n_models):
            for g in range(n_models):
                if f == g:
                    continue
                jac = _jaccard(sets[f], sets[g])[1]
                sil, loud = float(rng.random() < 0.2), float(rng.random() < 0.3)
                eta = (-1 + u + v[f] - 0.3 * np.log1p(len(sets[f])) + sil + 0.5 * loud
                       + np.log(odds_ratio) * jac / JACCARD_STEP)
                rows.append({"source": f"m{f}", "target": f"m{g}", "clip_id": f"c{x}",
                             "y": float(rng.random() < 1 / (1 + np.exp(-eta))), "jaccard": jac,
                             "log_size": np.log1p(len(sets[f])), "log_size_target": np.log1p(len(sets[g])),
                             "silence": sil, "loudest_y": loud})
    return pd.DataFrame(rows)


def calibrate_overlap(n_draws: int = 200, *, odds_ratio: float = 1.0, alpha: float = 0.05, seed: int = 0,
                      **options: object) -> dict[str, float]:
    """Rejection rate of :func:`overlap_glm`'s test of ``b1 = 0`` at level ``alpha`` over ``n_draws``
    tables of :func:`simulate_overlap` (``options`` passed on): its false-positive rate when
    ``odds_ratio`` is 1, its power otherwise.  Returns ``rate``, its binomial ``se``, ``n_draws`` (fits
    that were not degenerate), ``odds_ratio`` and ``mean_or`` (the mean estimated odds ratio)."""
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha!r}")
    hits, ors = [], []
    for i in range(int(n_draws)):
        fit = overlap_glm(simulate_overlap(odds_ratio=odds_ratio, seed=seed + i, **options))  # type: ignore[arg-type]
        if fit.attrs["degenerate"]:
            continue
        r = fit.set_index("term").loc["jaccard_step"]
        hits.append(r["p"] < alpha)
        ors.append(r["odds_ratio"])
    n = len(hits)
    rate = float(np.mean(hits)) if n else float("nan")
    return {"rate": rate, "se": float(np.sqrt(rate * (1 - rate) / n)) if n else float("nan"), "n_draws": n,
            "odds_ratio": float(odds_ratio), "mean_or": float(np.exp(np.mean(np.log(ors)))) if n else float("nan")}
