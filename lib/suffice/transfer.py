"""Transferability of sufficient signals between models: rates, matrices, CIs, flat-earthers.

Contract: the study's tidy table, one row per (source model f, target model g, clip [, seed]), diagonal
rows (f == g) included, with the columns of :data:`TABLE_COLUMNS`:

================================ ==========================================================
``task``                          task name (genre, emotion, deepfake)
``clip_id``                       clip identifier (the bootstrap cluster)
``true_label``                    ground truth, canonical label
``source``, ``target``            model names f and g
``seed``                          search seed
``source_pred``                   c = f(x), the explained class (canonical label)
``source_conf``                   p_f(x)[c]
``found``                         bool: a sufficient set short of the whole spectrum was found
``set_size``, ``n_bins``          |S| and K
``fraction``                      |S| / K
``n_model_calls``                 calls the search spent
``target_pred_original``          g(x)
``target_prob_original``          p_g(x)[c] (NaN if g has no label c)
``target_pred_sufficient``        g(s_f(x))
``target_prob_sufficient``        p_g(s_f(x))[c] (NaN if g has no label c)
================================ ==========================================================

and a predictions table (one row per model x clip, original clips) with :data:`PREDICTION_COLUMNS`.

Method (the book's method chapter, book/method.md, eq-transfer and eq-rate): ``T(f->g, x) = 1[g(s_f(x)) = c]`` (``criterion="class"``) or, with
``criterion="confidence"``, also ``p_g(s_f(x))[c] >= delta * p_g(x)[c]``.  ``R(f->g)`` is the mean of T
over the clips with a found sufficiency (``found=False`` rows are excluded and counted); with
``condition="agree"`` only clips where ``g(x) = f(x)`` count.  ``M[f, g]`` has the producer f as row and
the acceptor g as column; its diagonal is computed from the data like every other cell (1 under the
class criterion when the search is deterministic).  The task rate, out-rate ``O(m)`` (row m) and in-rate
``I(m)`` (column m) are unweighted means of off-diagonal cell rates.  95% CIs are percentile cluster
bootstraps over clips: one resample of clips serves every cell, so the CIs of the matrix, the task rate
and O/I are mutually consistent.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps
from tqdm.auto import tqdm

from .errors import OptionError, SufficeError
from .stats import bootstrap_weights, holm, logistic_glm, percentile_ci

__all__ = [
    "TABLE_COLUMNS", "PREDICTION_COLUMNS", "CRITERIA", "CONDITIONS", "validate_table", "validate_predictions",
    "transfer_outcome", "TransferSummary", "summarise", "pair_rates", "matrix", "task_rate", "model_rates",
    "not_found_counts", "flat_earthers", "feature_glm", "model_performance", "model_table",
]

TABLE_COLUMNS: tuple[str, ...] = (
    "task", "clip_id", "true_label", "source", "target", "seed", "source_pred", "source_conf", "found",
    "set_size", "n_bins", "fraction", "n_model_calls", "target_pred_original", "target_prob_original",
    "target_pred_sufficient", "target_prob_sufficient",
)
PREDICTION_COLUMNS: tuple[str, ...] = ("clip_id", "model", "true_label", "pred", "conf")
CRITERIA: tuple[str, ...] = ("class", "confidence")
CONDITIONS: tuple[str, ...] = ("all", "agree")


class TableError(SufficeError, ValueError):
    """A transfer or predictions table that breaks the column contract."""


def _require(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TableError(f"{what} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TableError(f"{what} lacks column(s): {', '.join(missing)} (expected: {', '.join(columns)})")


def validate_table(df: pd.DataFrame) -> pd.DataFrame:
    """Check ``df`` against the transfer-table contract; return it unchanged or raise :class:`TableError`.

    Checks: every column of :data:`TABLE_COLUMNS` present (missing ones named), not empty, one task,
    no missing model/clip/seed/label values, ``found`` boolean, no duplicate (source, target, clip_id, seed) row, one ``source_pred``/``found`` per
    (source, clip_id, seed).
    """
    _require(df, TABLE_COLUMNS, "the transfer table")
    if df.empty:
        raise TableError("the transfer table is empty")
    found = df["found"]
    if found.isna().any() or not found.isin([True, False]).all():
        raise TableError("column 'found' must be boolean (True/False) without missing values")
    key = ["source", "target", "clip_id", "seed"]
    labels = key + ["task", "source_pred", "target_pred_original", "target_pred_sufficient"]
    gaps = [c for c in labels if df[c].isna().any()]
    if gaps:
        raise TableError(f"missing values in column(s): {', '.join(gaps)}")
    if df["task"].nunique() > 1:
        raise TableError(f"the table mixes tasks ({', '.join(map(str, pd.unique(df['task'])))}): "
                         "select one task's rows first")
    dup = df.duplicated(key)
    if dup.any():
        first = df.loc[dup, key].iloc[0].to_dict()
        raise TableError(f"{int(dup.sum())} duplicate (source, target, clip_id, seed) row(s), e.g. {first}")
    per_source = df.groupby(["source", "clip_id", "seed"], observed=True)[["source_pred", "found"]].nunique()
    if (per_source > 1).any().any():
        bad = per_source[(per_source > 1).any(axis=1)].index[0]
        raise TableError(f"source_pred/found differ between targets for (source, clip_id, seed) = {bad}")
    return df


def validate_predictions(df: pd.DataFrame) -> pd.DataFrame:
    """Check the predictions table (:data:`PREDICTION_COLUMNS`, one row per model x clip)."""
    _require(df, PREDICTION_COLUMNS, "the predictions table")
    if df.empty:
        raise TableError("the predictions table is empty")
    dup = df.duplicated(["model", "clip_id"])
    if dup.any():
        raise TableError(f"{int(dup.sum())} duplicate (model, clip_id) row(s) in the predictions table")
    return df


def _check_options(criterion: str, delta: float, condition: str) -> None:
    if criterion not in CRITERIA:
        raise OptionError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")
    if condition not in CONDITIONS:
        raise OptionError(f"unknown condition {condition!r}; choose one of {', '.join(CONDITIONS)}")
    if not np.isfinite(delta) or delta < 0:
        raise OptionError(f"delta must be a finite number >= 0, got {delta!r}")


def transfer_outcome(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0) -> pd.Series:
    """T(f->g, x) per row as float 1/0; NaN where no sufficiency was found (row excluded from rates).

    ``criterion="class"``: ``g(s_f(x)) = c``.  ``"confidence"``: also
    ``p_g(s_f(x))[c] >= delta * p_g(x)[c]`` (a NaN probability, i.e. g lacks label c, fails).
    """
    _check_options(criterion, delta, "all")
    _require(df, ("source_pred", "target_pred_sufficient", "found", "target_prob_sufficient",
                  "target_prob_original"), "the transfer table")
    ok = (df["target_pred_sufficient"] == df["source_pred"]).to_numpy()
    if criterion == "confidence":
        ps = df["target_prob_sufficient"].to_numpy(dtype=np.float64)
        po = df["target_prob_original"].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            ok = ok & np.isfinite(ps) & np.isfinite(po) & (ps >= delta * po)
    out = np.where(df["found"].to_numpy(dtype=bool), ok.astype(np.float64), np.nan)
    return pd.Series(out, index=df.index, name="transfer")


@dataclass(frozen=True)
class TransferSummary:
    """All transfer results of one table under one criterion/condition (see :func:`summarise`)."""

    models: tuple[str, ...]
    pairs: pd.DataFrame       # source, target, rate, lo, hi, n, n_transfer, n_not_found, n_disagree
    matrix: pd.DataFrame      # rates, rows = source (producer), columns = target (acceptor)
    task: dict[str, float]    # rate, lo, hi, n_pairs
    per_model: pd.DataFrame   # model, out_rate, out_lo, out_hi, in_rate, in_lo, in_hi
    replicates: np.ndarray = field(repr=False)  # (n_boot, M, M) bootstrap replicates of the matrix
    options: dict[str, object] = field(default_factory=dict)


def _codes(values: pd.Series, levels: Sequence[str]) -> np.ndarray:
    """Position of each value in ``levels`` (-1 when absent)."""
    return pd.Index(list(levels)).get_indexer(pd.Index(values))


def _model_order(df: pd.DataFrame, models: Sequence[str] | None) -> tuple[str, ...]:
    present = list(pd.unique(pd.concat([df["source"], df["target"]], ignore_index=True)))
    if models is None:
        return tuple(present)
    unknown = [m for m in present if m not in models]
    if unknown:
        raise OptionError(f"models= omits model(s) present in the table: {', '.join(map(str, unknown))}")
    return tuple(models)


def _cube(df: pd.DataFrame, y: np.ndarray, models: Sequence[str], valid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-clip successes and trials (C, M, M) of every source x target cell, and the clip ids."""
    clip_codes, clips = pd.factorize(df["clip_id"], sort=True)
    fi, gi = _codes(df["source"], models), _codes(df["target"], models)
    m = len(models)
    num = np.zeros((len(clips), m, m))
    den = np.zeros((len(clips), m, m))
    np.add.at(num, (clip_codes[valid], fi[valid], gi[valid]), y[valid])
    np.add.at(den, (clip_codes[valid], fi[valid], gi[valid]), 1.0)
    return num, den, np.asarray(clips)


def _offdiag_means(mat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row means, column means and overall mean of the off-diagonal of (..., M, M), ignoring NaN."""
    m = mat.shape[-1]
    off = ~np.eye(m, dtype=bool)
    vals = np.where(off & np.isfinite(mat), mat, 0.0)
    cnt = (off & np.isfinite(mat)).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = np.where(cnt.sum(-1) > 0, vals.sum(-1) / np.maximum(cnt.sum(-1), 1), np.nan)
        cols = np.where(cnt.sum(-2) > 0, vals.sum(-2) / np.maximum(cnt.sum(-2), 1), np.nan)
        tot = np.where(cnt.sum((-1, -2)) > 0, vals.sum((-1, -2)) / np.maximum(cnt.sum((-1, -2)), 1), np.nan)
    return rows, cols, tot


def summarise(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
              n_boot: int = 1000, ci: float = 0.95, seed: int = 0,
              models: Sequence[str] | None = None) -> TransferSummary:
    """Transfer matrix, pair rates, task rate and per-model out/in rates, all with cluster-bootstrap CIs.

    ``condition="agree"`` keeps only rows with ``target_pred_original == source_pred``.  ``models`` fixes
    the row/column order (default: order of first appearance).  Deterministic for a given ``seed``.
    """
    _check_options(criterion, delta, condition)
    validate_table(df)
    order = _model_order(df, models)
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    found = df["found"].to_numpy(dtype=bool)
    agree = (df["target_pred_original"] == df["source_pred"]).to_numpy()
    valid = found & (agree if condition == "agree" else True)
    num, den, _clips = _cube(df, np.nan_to_num(y), order, valid)
    w = bootstrap_weights(num.shape[0], n_boot, seed)
    m = len(order)
    with np.errstate(invalid="ignore", divide="ignore"):
        tot_n, tot_d = num.sum(0), den.sum(0)
        rate = np.where(tot_d > 0, tot_n / np.maximum(tot_d, 1), np.nan)
        bn = (w @ num.reshape(num.shape[0], -1)).reshape(-1, m, m)
        bd = (w @ den.reshape(den.shape[0], -1)).reshape(-1, m, m)
        reps = np.where(bd > 0, bn / np.maximum(bd, 1e-300), np.nan)
    lo, hi = percentile_ci(reps, ci)

    # counts per cell: excluded for not found, excluded for disagreement
    fi, gi = _codes(df["source"], order), _codes(df["target"], order)
    n_nf = np.zeros((m, m))
    np.add.at(n_nf, (fi[~found], gi[~found]), 1.0)
    n_dis = np.zeros((m, m))
    dis = found & ~agree
    np.add.at(n_dis, (fi[dis], gi[dis]), 1.0)
    src, tgt = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    pairs = pd.DataFrame({
        "source": np.asarray(order, dtype=object)[src.ravel()], "target": np.asarray(order, dtype=object)[tgt.ravel()],
        "rate": rate.ravel(), "lo": lo.ravel(), "hi": hi.ravel(), "n": tot_d.ravel().astype(int),
        "n_transfer": tot_n.ravel().astype(int), "n_not_found": n_nf.ravel().astype(int),
        "n_disagree": n_dis.ravel().astype(int),
    })
    present = (tot_d + n_nf.astype(float) + n_dis.astype(float)).ravel() > 0
    pairs = pairs[present | (src.ravel() != tgt.ravel())].reset_index(drop=True)
    pairs["diagonal"] = pairs["source"] == pairs["target"]

    mat = pd.DataFrame(rate, index=pd.Index(order, name="source"), columns=pd.Index(order, name="target"))
    o, i_, t = _offdiag_means(rate)
    ob, ib, tb = _offdiag_means(reps)
    olo, ohi = percentile_ci(ob, ci)
    ilo, ihi = percentile_ci(ib, ci)
    tlo, thi = percentile_ci(tb[:, None], ci)
    per_model = pd.DataFrame({"model": list(order), "out_rate": o, "out_lo": olo, "out_hi": ohi,
                              "in_rate": i_, "in_lo": ilo, "in_hi": ihi})
    task = {"rate": float(t), "lo": float(tlo[0]), "hi": float(thi[0]),
            "n_pairs": int((np.isfinite(rate) & ~np.eye(m, dtype=bool)).sum())}
    opts = {"criterion": criterion, "delta": float(delta), "condition": condition, "n_boot": int(n_boot),
            "ci": float(ci), "seed": int(seed)}
    return TransferSummary(order, pairs, mat, task, per_model, reps, opts)


def pair_rates(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Tidy rates per (source, target) with CI and counts; options as :func:`summarise`."""
    return summarise(df, **options).pairs  # type: ignore[arg-type]


def matrix(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Transfer matrix M[f, g] (rows = producer f, columns = acceptor g); options as :func:`summarise`."""
    return summarise(df, **options).matrix  # type: ignore[arg-type]


def task_rate(df: pd.DataFrame, **options: object) -> dict[str, float]:
    """Mean off-diagonal transfer rate with its bootstrap CI; options as :func:`summarise`."""
    return summarise(df, **options).task  # type: ignore[arg-type]


def model_rates(df: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Out-rate O(m) (row mean) and in-rate I(m) (column mean) of each model, off-diagonal, with CIs."""
    return summarise(df, **options).per_model  # type: ignore[arg-type]


def not_found_counts(df: pd.DataFrame) -> pd.DataFrame:
    """Per source model: explanations attempted, found, not found (each (clip, seed) counted once)."""
    validate_table(df)
    one = df.drop_duplicates(["source", "clip_id", "seed"])
    out = one.groupby("source", sort=False)["found"].agg(attempted="size", found="sum").reset_index()
    out["not_found"] = out["attempted"] - out["found"]
    out["found"] = out["found"].astype(int)
    return out


# ---------------------------------------------------------------- flat-earther tests

def _deviation_design(codes: np.ndarray, m: int) -> np.ndarray:
    """Sum-to-zero (deviation) coding of ``codes`` in 0..m-1: m-1 columns, the last level is -1 everywhere."""
    x = np.zeros((codes.size, m - 1))
    for j in range(m - 1):
        x[codes == j, j] = 1.0
    x[codes == m - 1, :] = -1.0
    return x


def _glm_effects(y: np.ndarray, fi: np.ndarray, gi: np.ndarray, clusters: np.ndarray, m: int) -> dict[str, np.ndarray] | None:
    """Source and target log-odds effects (deviation from the average model) with clustered SEs, or None if degenerate."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    X = np.column_stack([np.ones(y.size), _deviation_design(fi, m), _deviation_design(gi, m)])
    if np.linalg.matrix_rank(X) < X.shape[1] or np.unique(y).size < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        try:
            fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(
                cov_type="cluster", cov_kwds={"groups": pd.factorize(clusters)[0]})
        except (PerfectSeparationError, PerfectSeparationWarning, np.linalg.LinAlgError, ValueError):
            return None
    beta, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    # contrast matrix: effect of level j = beta_j (j < m-1) or -sum(beta) (last level)
    L = np.zeros((m, m - 1))
    L[: m - 1] = np.eye(m - 1)
    L[m - 1] = -1.0
    out: dict[str, np.ndarray] = {}
    for role, sl in (("out", slice(1, m)), ("in", slice(m, 2 * m - 1))):
        eff = L @ beta[sl]
        var = np.einsum("ij,jk,ik->i", L, cov[sl, sl], L)
        if not (np.all(np.isfinite(eff)) and np.all(var > 0) and np.all(np.abs(eff) < 15)):
            return None
        out[f"{role}_effect"] = eff
        out[f"{role}_se"] = np.sqrt(var)
    return out


def _perm_stat(z: np.ndarray, m: int, src: np.ndarray) -> np.ndarray:
    """Model's mean cell rate minus the mean of the other models' (for the role on axis 'slot').

    ``z``: (P, U, M, M-1) outcomes (NaN = none) arranged [unit, other-role model g, slot s], slot s of g
    being model ``src[g, s]``.  Returns (P, M).
    """
    n = np.nansum(z, axis=1)
    d = np.isfinite(z).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(d > 0, n / np.maximum(d, 1), np.nan)           # (P, M, M-1)
    full = np.full((z.shape[0], m, m), np.nan)                       # [p, role model, other model]
    gg = np.repeat(np.arange(m), m - 1)
    full[:, src.ravel(), gg] = r.reshape(z.shape[0], -1)
    ok = np.isfinite(full)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(ok.any(-1), np.where(ok, full, 0).sum(-1) / np.maximum(ok.sum(-1), 1), np.nan)
        others = (np.nansum(rate, axis=1, keepdims=True) - np.nan_to_num(rate)) / np.maximum(
            np.isfinite(rate).sum(1, keepdims=True) - np.isfinite(rate), 1)
    return rate - others


def _permutation_pvalues(cube: np.ndarray, n_perm: int, seed: int, role: str) -> tuple[np.ndarray, np.ndarray]:
    """One-sided permutation p-values that a model's out- (or in-) rate is below the others'.

    ``cube``: (U, M, M) outcomes per unit (clip x seed) [source, target], NaN = no outcome.  Under the
    null, a unit's outcomes for one target are exchangeable across its sources (role "out"), or a
    source's across its targets (role "in"); shuffling within those groups keeps clip and partner fixed.
    """
    c = cube if role == "out" else cube.transpose(0, 2, 1)            # [unit, role model, other model]
    u, m, _ = c.shape
    src = np.array([[f for f in range(m) if f != g] for g in range(m)])  # (M, M-1)
    z = c[:, src, np.arange(m)[:, None]]                             # (U, M(other), M-1 slots)
    obs = _perm_stat(z[None], m, src)[0]
    rng = np.random.default_rng(seed)
    below = np.zeros(m)
    done = 0
    batch = max(1, min(n_perm, int(2e6 // max(z.size, 1))))
    with tqdm(total=n_perm, desc=f"permutation test ({role})", leave=False, disable=n_perm < 5000) as bar:
        while done < n_perm:
            b = min(batch, n_perm - done)
            order = np.argsort(rng.random((b, *z.shape)), axis=-1)
            zp = np.take_along_axis(np.broadcast_to(z, (b, *z.shape)), order, axis=-1)
            stat = _perm_stat(zp, m, src)
            below += (stat <= obs + 1e-12).sum(0)
            done += b
            bar.update(b)
    return obs, (1.0 + below) / (n_perm + 1.0)


def flat_earthers(df: pd.DataFrame, *, criterion: str = "class", delta: float = 1.0, condition: str = "all",
                  method: str = "auto", alpha: float = 0.05, n_boot: int = 1000, n_perm: int = 2000,
                  ci: float = 0.95, seed: int = 0, models: Sequence[str] | None = None) -> pd.DataFrame:
    """Flag models whose sufficiencies others reject (low out-rate) or that reject others' (low in-rate).

    Test (``method="glm"``): logistic GLM of T(f->g, x) on source and target with sum-to-zero contrasts
    over off-diagonal rows with a found sufficiency, clip-clustered (sandwich) standard errors.  A model's
    source (target) effect is its log-odds deviation from the average model; one-sided p-value for "below
    average"; Holm correction across all 2M tests; flagged when ``p_holm < alpha``.
    ``method="permutation"``: statistic = the model's O (or I) minus the mean of the others', null by
    shuffling sources among one clip's rows for a target (targets among a source's, for I); same Holm.
    ``"auto"`` uses the GLM and falls back to the permutation test when the GLM is degenerate (perfect
    separation, rank deficiency, non-finite or huge estimates).  With fewer than 3 models source and
    target effects are not separable: nothing is flagged (``method = "none"``).  Only models with outcomes
    both as source and as target are tested (the others keep NaN p-values).

    Returns one row per model with the raw ``out_rate``/``in_rate`` and their CIs (from
    :func:`summarise`), then ``out_effect``, ``out_se`` (GLM only), ``out_p``, ``out_p_holm``, ``out_flag``
    and the same for ``in_``, ``flat_earther`` (either flag) and ``method``.
    """
    if method not in ("auto", "glm", "permutation"):
        raise OptionError(f"unknown method {method!r}; choose auto, glm or permutation")
    if not 0 < alpha < 1:
        raise OptionError(f"alpha must be in (0, 1), got {alpha!r}")
    summ = summarise(df, criterion=criterion, delta=delta, condition=condition, n_boot=n_boot, ci=ci,
                     seed=seed, models=models)
    order = summ.models
    m = len(order)
    table = summ.per_model.copy()
    for col in ("out_effect", "out_se", "out_p", "out_p_holm", "in_effect", "in_se", "in_p", "in_p_holm"):
        table[col] = np.nan
    table["out_flag"] = False
    table["in_flag"] = False
    used = "none"
    y = transfer_outcome(df, criterion=criterion, delta=delta).to_numpy()
    keep = np.isfinite(y) & (df["source"] != df["target"]).to_numpy()
    if condition == "agree":
        keep &= (df["target_pred_original"] == df["source_pred"]).to_numpy()
    # test only the models with outcomes both as source and as target (others keep NaN p-values)
    tested = [x for x in order if x in set(df.loc[keep, "source"]) and x in set(df.loc[keep, "target"])]
    at = np.array([order.index(x) for x in tested], dtype=int)
    m = len(tested)
    keep &= df["source"].isin(tested).to_numpy() & df["target"].isin(tested).to_numpy()
    if m >= 3:
        fi, gi = _codes(df["source"], tested), _codes(df["target"], tested)
        res = None
        if method in ("auto", "glm") and keep.any():
            res = _glm_effects(y[keep], fi[keep], gi[keep], df["clip_id"].to_numpy()[keep], m)
            if res is not None:
                used = "glm"
                for role in ("out", "in"):
                    table.loc[at, f"{role}_effect"] = res[f"{role}_effect"]
                    table.loc[at, f"{role}_se"] = res[f"{role}_se"]
                    table.loc[at, f"{role}_p"] = sps.norm.cdf(res[f"{role}_effect"] / res[f"{role}_se"])
            elif method == "glm":
                raise SufficeError("the flat-earther GLM is degenerate (perfect separation or too little data); "
                                   "use method='permutation' or 'auto'")
        if res is None and keep.any():
            used = "permutation"
            unit_codes, _ = pd.factorize(pd.MultiIndex.from_arrays([df["clip_id"], df["seed"]]))
            cube = np.full((unit_codes.max() + 1, m, m), np.nan)
            cube[unit_codes[keep], fi[keep], gi[keep]] = y[keep]
            for k, role in enumerate(("out", "in")):
                eff, p = _permutation_pvalues(cube, n_perm, seed + k, role)
                table.loc[at, f"{role}_effect"] = eff
                table.loc[at, f"{role}_p"] = p
        if used != "none":
            mm = len(order)
            adj = holm(np.concatenate([table["out_p"].to_numpy(), table["in_p"].to_numpy()]))
            table["out_p_holm"], table["in_p_holm"] = adj[:mm], adj[mm:]
            table["out_flag"] = (table["out_p_holm"] < alpha) & (table["out_effect"] < 0)
            table["in_flag"] = (table["in_p_holm"] < alpha) & (table["in_effect"] < 0)
    table["flat_earther"] = table["out_flag"] | table["in_flag"]
    table["method"] = used
    table.attrs.update(summ.options, alpha=alpha, test=used)
    return table


# ---------------------------------------------------------------- transfer vs signal features

def feature_glm(df: pd.DataFrame, features: pd.DataFrame, predictors: Sequence[str], *, criterion: str = "class",
                delta: float = 1.0, condition: str = "all", adjust_for_models: bool = True,
                standardise: bool = True, ci: float = 0.95) -> pd.DataFrame:
    """Logistic GLM of transfer success on features of the sufficient signal, clip-clustered errors.

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
            dev = _deviation_design(codes, m)
            for j in range(m - 1):
                name = f"{role}[{order[j]}]"
                data[name] = dev[:, j]
                terms.append(name)
    res = logistic_glm(data, "transfer", terms, cluster="clip_id",
                       standardise=list(predictors) if standardise else False, ci=ci)
    res.attrs.update(criterion=criterion, delta=float(delta), condition=condition,
                     adjusted_for_models=bool(adjust_for_models))
    return res


# ---------------------------------------------------------------- accuracy and precision

def model_performance(predictions: pd.DataFrame) -> pd.DataFrame:
    """Accuracy, macro precision and macro recall of each model on the original clips.

    Macro averages run over the labels present in ``true_label`` (a label a model never predicts has
    precision 0 for that model).  Columns: model, n, accuracy, macro_precision, macro_recall.
    """
    validate_predictions(predictions)
    labels = sorted(pd.unique(predictions["true_label"]).tolist(), key=str)
    rows = []
    for model, sub in predictions.groupby("model", sort=False):
        t = sub["true_label"].to_numpy()
        p = sub["pred"].to_numpy()
        prec, rec = [], []
        for lab in labels:
            tp = float(np.sum((p == lab) & (t == lab)))
            n_pred, n_true = float(np.sum(p == lab)), float(np.sum(t == lab))
            prec.append(tp / n_pred if n_pred else 0.0)
            rec.append(tp / n_true if n_true else 0.0)
        rows.append({"model": model, "n": int(len(sub)), "accuracy": float(np.mean(p == t)),
                     "macro_precision": float(np.mean(prec)), "macro_recall": float(np.mean(rec))})
    return pd.DataFrame(rows)


def model_table(df: pd.DataFrame, predictions: pd.DataFrame, **options: object) -> pd.DataFrame:
    """Accuracy and macro precision of every model next to its out/in rates and flat-earther verdict.

    ``options`` go to :func:`flat_earthers`.  Also adds each model's count of not-found explanations
    and median ``fraction`` of bins kept when it is the source.
    """
    fe = flat_earthers(df, **options)  # type: ignore[arg-type]
    perf = model_performance(predictions)
    nf = not_found_counts(df).rename(columns={"source": "model"})
    diag = df.drop_duplicates(["source", "clip_id", "seed"])
    frac = diag[diag["found"].astype(bool)].groupby("source")["fraction"].median().rename("median_fraction")
    out = perf.merge(fe, on="model", how="outer").merge(nf, on="model", how="left")
    out = out.merge(frac, left_on="model", right_index=True, how="left")
    for col in ("out_flag", "in_flag", "flat_earther"):  # a model only in the predictions is not flagged
        out[col] = out[col].astype("boolean").fillna(False).astype(bool)
    out["method"] = out["method"].fillna(fe["method"].iloc[0] if len(fe) else "none")
    first = ["model", "accuracy", "macro_precision", "out_rate", "out_lo", "out_hi", "in_rate", "in_lo", "in_hi",
             "flat_earther"]
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs.update(fe.attrs)
    return out
