"""One task's result in one row: the transfer rate, the like-for-like contrasts, and how much is silence.

The book's opening page states each task's finding from the same study its chapter runs.  This module
reduces a transfer table to :data:`HEADLINE_FIELDS` (the estimates and intervals of
:func:`suffice.transfer.summarise` and :func:`suffice.transfer.contrast.contrast_table`, whose
estimands and inference it reuses unchanged) and says it in one sentence.

* ``rate`` / ``rate_lo`` / ``rate_hi``: the task's transfer rate (mean off-diagonal cell) and its clip
  bootstrap interval;
* ``<ref>`` / ``<ref>_lo`` / ``<ref>_hi`` for ``ref`` in ``loudest``, ``energy``, ``random``: observed
  minus that chance reference over every transfer (stratum ``all``), NaN where the table lacks it;
* ``accepted_silence``: of the accepted transfers, the share that are empty sets or whose class is the
  judge's own class for silence (:func:`suffice.transfer.contrast.row_strata`);
* ``empty_sets``: the share of found sufficient sets that are empty.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import OptionError
from .contrast import REFERENCES, STRATA, contrast_table, row_strata
from .rates import summarise
from .features import same_clips
from .table import kept_rows, transfer_outcome

__all__ = ["HEADLINE_FIELDS", "task_headline", "headline_sentence", "compare_headlines",
           "headline_display"]

#: the fields of one headline row, in order (see the module docstring)
HEADLINE_FIELDS: tuple[str, ...] = (
    "task", "n_clips", "n_models", "rate", "rate_lo", "rate_hi",
    *(f"{r}{s}" for r in REFERENCES for s in ("", "_lo", "_hi")),
    "n_clips_contrast", "accepted_silence", "empty_sets",
)


def task_headline(table: pd.DataFrame, *, task: str, n_boot: int = 1000, seed: int = 0,
                  ci: float = 0.95) -> dict[str, object]:
    """The headline row of one task's transfer table (fields :data:`HEADLINE_FIELDS`).

    ``table``: a study's transfer table with its chance columns; ``n_boot`` and ``seed``: as the task's
    chapter uses them, so that the numbers are the chapter's.  Returns a dict.
    """
    if not len(table):
        raise OptionError(f"the {task} transfer table is empty: no headline")
    summary = summarise(table, n_boot=n_boot, seed=seed, ci=ci)
    row: dict[str, object] = {
        "task": task, "n_clips": int(table["clip_id"].nunique()), "n_models": len(summary.models),
        "rate": summary.task["rate"], "rate_lo": summary.task["lo"], "rate_hi": summary.task["hi"]}
    contrasts = contrast_table(table, n_boot=n_boot, seed=seed, ci=ci, strata=("all",))
    got = contrasts[contrasts["kind"] == "contrast"].set_index("measure")
    for ref in REFERENCES:
        key = f"observed - {ref}"
        est, lo, hi = (got.loc[key, ["estimate", "lo", "hi"]] if key in got.index else (np.nan,) * 3)
        row.update({ref: float(est), f"{ref}_lo": float(lo), f"{ref}_hi": float(hi)})
    row["n_clips_contrast"] = int(got["n_clips"].iloc[0]) if len(got) else 0
    y = transfer_outcome(table, criterion="class").to_numpy(dtype=float)
    accepted = kept_rows(table, y, "all") & (np.nan_to_num(y) > 0)
    strata = row_strata(table)
    row["accepted_silence"] = (float(np.isin(strata[accepted], STRATA[1:3]).mean()) if accepted.any()
                               else float("nan"))
    _, found = _sets(table)
    row["empty_sets"] = float((found["set_size"] == 0).mean()) if len(found) else float("nan")
    return row


def _sets(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per explanation (producer, clip, seed) of a transfer table, and those that found a set."""
    sets = table.drop_duplicates(["source", "clip_id", "seed"])
    return sets, sets[sets["found"].astype(bool)]


def _pp(est: float, lo: float, hi: float) -> str:
    if not np.isfinite(lo):
        return f"{100 * est:+.1f} pp (no interval)"
    return f"{100 * est:+.1f} pp (95% CI {100 * lo:+.1f} to {100 * hi:+.1f})"


def headline_sentence(row: Mapping[str, object]) -> str:
    """``row`` (from :func:`task_headline`) in one sentence, the level-matched contrast first."""
    r = dict(row)
    s = (f"**{r['task']}** ({r['n_clips']} clips, {r['n_models']} models): a sufficient signal was accepted by "
         f"another model {100 * r['rate']:.1f}% of the time (95% CI {100 * r['rate_lo']:.1f} to "
         f"{100 * r['rate_hi']:.1f}); that is {_pp(r['loudest'], r['loudest_lo'], r['loudest_hi'])} against "
         f"the clip's equally many loudest bins (atoms at the set's resolution)")
    if np.isfinite(r["energy"]):
        s += f", {_pp(r['energy'], r['energy_lo'], r['energy_hi'])} against energy-matched random bins"
    s += f" and {_pp(r['random'], r['random_lo'], r['random_hi'])} against uniform random bins of the same size."
    if np.isfinite(r["accepted_silence"]):
        s += (f" {100 * r['accepted_silence']:.0f}% of the accepted transfers are silence (an empty set) or the "
              f"accepting model's own answer to silence; {100 * r['empty_sets']:.0f}% of the sufficient sets "
              f"are empty.")
    return s


def compare_headlines(tables: Mapping[str, pd.DataFrame], *, n_boot: int = 1000, seed: int = 0,
                      ci: float = 0.95) -> pd.DataFrame:
    """The headline of each of several studies of one task on the clips and models they share (e.g. the
    same clips explained at two resolutions): one row per study (index: the mapping's keys), the fields of
    :func:`task_headline` plus each study's ``median_calls``, ``verified`` share (of found sets) and
    ``median_set_size`` in bins, over its explanations on those clips."""
    shared = same_clips(tables)
    rows = []
    for name, t in shared.items():
        row = task_headline(t, task=str(name), n_boot=n_boot, seed=seed, ci=ci)
        sets, found = _sets(t)
        row.update(median_calls=float(sets["n_model_calls"].median()),
                   verified=(float(found["verified_minimal"].astype(bool).mean())
                             if "verified_minimal" in found and len(found) else float("nan")),
                   median_set_size=float(found["set_size"].median()) if len(found) else float("nan"))
        rows.append(row)
    return pd.DataFrame(rows).set_index("task")


def headline_display(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (from :func:`compare_headlines`) as a readable table of strings: rates and contrasts in
    percent / percentage points with their 95% intervals, then the costs."""
    def ci(r: pd.Series, k: str, scale: str) -> str:
        if not np.isfinite(r[k]):
            return "-"
        if not np.isfinite(r[f"{k}_lo"]):
            return f"{100 * r[k]:+.1f} (no interval)" if scale == "pp" else f"{100 * r[k]:.1f}%"
        if scale == "pp":
            return f"{100 * r[k]:+.1f} ({100 * r[f'{k}_lo']:+.1f} to {100 * r[f'{k}_hi']:+.1f})"
        return f"{100 * r[k]:.1f}% ({100 * r[f'{k}_lo']:.1f} to {100 * r[f'{k}_hi']:.1f})"

    out = pd.DataFrame(index=pd.Index(rows.index, name="study"))
    out["clips"] = rows["n_clips"].astype(int)
    out["transfer rate"] = [ci(r, "rate", "%") for _, r in rows.iterrows()]
    for ref, name in (("loudest", "minus loudest (pp)"), ("energy", "minus energy-matched (pp)"),
                      ("random", "minus random (pp)")):
        out[name] = [ci(r, ref, "pp") for _, r in rows.iterrows()]
    for col, fmt in (("median_calls", "{:.0f}"), ("verified", "{:.0%}"), ("median_set_size", "{:.0f}")):
        if col in rows:
            out[col.replace("_", " ")] = [fmt.format(v) if np.isfinite(v) else "-" for v in rows[col]]
    return out
