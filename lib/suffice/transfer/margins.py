"""Transfer by the producer's margin: do sets that sit far inside the producer's decision region transfer
more than knife-edge ones?

The margin of f's sufficient set on clip x is ``p_f(s_f(x))[c] - max_{j != c} p_f(s_f(x))[j]`` (the
explanations table's ``margin``, recorded when the study checks robustness).  A set with a margin near 0
is one f itself barely accepts; if such sets transfer at the chance rate, they dilute every pooled rate.
:func:`transfer_by_margin` splits the transfer table by the producer's margin band and gives, per band,
the observed rate beside its size-matched random and |S|-loudest references (each from
:func:`~suffice.transfer.chance.chance_baselines`, with clip-bootstrap intervals).  Empty sets (silence)
are a band of their own.  The band edges are ours (0.01 and 0.2 by default).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .chance import chance_baselines
from .table import TableError, require_columns

#: default band edges of the producer's margin
MARGIN_EDGES: tuple[float, ...] = (0.01, 0.2)

__all__ = ["MARGIN_EDGES", "band_names", "margin_bands", "transfer_by_margin"]


def band_names(edges: Sequence[float] = MARGIN_EDGES) -> list[str]:
    """The band labels of ``edges``, lowest first, then ``"empty"`` and ``"unchecked"``."""
    edges = [float(v) for v in edges]
    if not edges or any(b <= a for a, b in zip(edges, edges[1:])):
        raise ValueError(f"margin band edges must be increasing, got {edges}")
    return ([f"below {edges[0]:g}"] + [f"{a:g} to {b:g}" for a, b in zip(edges, edges[1:])]
            + [f"above {edges[-1]:g}", "empty", "unchecked"])


def margin_bands(explanations: pd.DataFrame, edges: Sequence[float] = MARGIN_EDGES) -> pd.Series:
    """Band label of each found explanation, indexed by (model, clip_id): ``"empty"`` for an empty set,
    ``"below e0"``, ``"e0 to e1"``, ..., ``"above ek"`` by ``margin``; ``"unchecked"`` where no margin was
    recorded."""
    require_columns(explanations, ("model", "clip_id", "found", "set_size", "margin"), "margin bands")
    e = explanations[explanations["found"].astype(bool)]
    names = band_names(edges)
    edges = [float(v) for v in edges]
    m = pd.to_numeric(e["margin"], errors="coerce").to_numpy(dtype=np.float64)
    band = np.array(names, dtype=object)[np.searchsorted(edges, np.nan_to_num(m, nan=0.0), side="right")]
    band = np.where(np.isfinite(m), band, "unchecked")
    band = np.where(e["set_size"].to_numpy() == 0, "empty", band)
    return pd.Series(band, index=pd.MultiIndex.from_frame(e[["model", "clip_id"]].astype(str)), name="band")


def transfer_by_margin(table: pd.DataFrame, explanations: pd.DataFrame, *, edges: Sequence[float] = MARGIN_EDGES,
                       n_boot: int = 1000, seed: int = 0, models: Sequence[str] | None = None) -> pd.DataFrame:
    """Transfer per band of the producer's margin, next to its chance references.

    Null of each band's comparison: the band's sets are accepted no more often than random keep-sets of
    their size (``null``) or the clip's |S| loudest bins (``loudest``); estimand: observed minus each, over
    the band's off-diagonal rows (class criterion), with percentile clip-bootstrap intervals.  Returns one
    row per band: ``band``, ``sets`` (explanations), ``rows`` (judgements), then ``observed``,
    ``null``, ``loudest`` and ``excess`` (observed - null) with ``_lo``/``_hi``; a band too small for the
    baselines (fewer than two clips) gets NaN rates.
    """
    bands = margin_bands(explanations, edges)
    key = pd.MultiIndex.from_arrays([table["source"].astype(str), table["clip_id"].astype(str)])
    row_band = bands.reindex(key).to_numpy()
    out = []
    for b in [b for b in band_names(edges) if (bands == b).any()]:
        part = table[row_band == b]
        off = part[part["source"] != part["target"]]
        rec: dict = {"band": b, "sets": int((bands == b).sum()), "rows": len(off)}
        try:
            if part["clip_id"].nunique() < 2:
                raise TableError("fewer than two clips")
            task = chance_baselines(part, n_boot=n_boot, seed=seed, models=models).task.set_index("measure")
            for name, measure in (("observed", "observed"), ("null", "null"), ("loudest", "topmag"),
                                  ("excess", "excess")):
                rec.update({name: task.loc[measure, "rate"], f"{name}_lo": task.loc[measure, "lo"],
                            f"{name}_hi": task.loc[measure, "hi"]})
        except TableError:
            rec.update({k: np.nan for k in ("observed", "null", "loudest", "excess")})
        out.append(rec)
    return pd.DataFrame(out)

