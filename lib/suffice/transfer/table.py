"""The transfer table's column contract, its checks, and the transfer outcome T(f->g, x).

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

Optional extensions (:data:`OPTIONAL_COLUMNS`, written by the study when it computes them; the chance
baselines of :mod:`suffice.transfer.chance` need them and say so when they are absent):

================================ ==========================================================
``strategy``                      the search strategy that produced the set
``budget_exhausted``              bool: the search stopped because its call budget ran out
``verified_minimal``              bool: every kept bin was tested for removal and none could go
``target_pred_silence``           g's top-1 canonical label on the floor: every bin removed under the
                                  study's fill (the all-zero spectrum under the zero fill)
``null_random_accept``            share of ``null_random_n`` random keep-sets of size |S_f(x)| (uniform,
                                  without replacement, from the clip's K bins) on which g's top-1 is c;
                                  NaN when not computed
``null_random_n``                 how many random keep-sets were drawn
``fill``                          what the removed bins took in every signal of the row (search option
                                  ``fill``: ``zero`` is silence; :mod:`suffice.fills`)
``target_pred_topmag``            g's top-1 on the clip's |S_f(x)| highest-magnitude bins
================================ ==========================================================

and a predictions table (one row per model x clip, original clips) with :data:`PREDICTION_COLUMNS`.

Transfer (the method chapter): ``T(f->g, x) = 1[g(s_f(x)) = c]`` (``criterion="class"``) or, with
``criterion="confidence"``, also ``p_g(s_f(x))[c] >= delta * p_g(x)[c]``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import OptionError, SufficeError

__all__ = ["TABLE_COLUMNS", "OPTIONAL_COLUMNS", "PREDICTION_COLUMNS", "CRITERIA", "CONDITIONS", "TableError",
           "validate_table", "validate_predictions", "transfer_outcome", "require_columns", "kept_rows"]

TABLE_COLUMNS: tuple[str, ...] = (
    "task", "clip_id", "true_label", "source", "target", "seed", "source_pred", "source_conf", "found",
    "set_size", "n_bins", "fraction", "n_model_calls", "target_pred_original", "target_prob_original",
    "target_pred_sufficient", "target_prob_sufficient",
)
#: columns the study adds when it computes them (see the module docstring)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "strategy", "budget_exhausted", "verified_minimal", "target_pred_silence", "null_random_accept",
    "null_random_n", "target_pred_topmag", "fill",
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


def require_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`TableError` naming the ``columns`` that ``df`` lacks (``what`` says who needs them)."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TableError(f"{what} needs column(s) {', '.join(missing)}, which the table lacks "
                         "(a study run that computes them writes them)")


def kept_rows(df: pd.DataFrame, y: np.ndarray, condition: str, *, off_diagonal: bool = True) -> np.ndarray:
    """Rows that count in a rate: a found sufficiency (finite ``y``), off the diagonal, and under
    ``condition="agree"`` only where ``g(x) = f(x)``."""
    keep = np.isfinite(y)
    if off_diagonal:
        keep &= (df["source"] != df["target"]).to_numpy()
    if condition == "agree":
        keep &= (df["target_pred_original"] == df["source_pred"]).to_numpy()
    return keep


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
