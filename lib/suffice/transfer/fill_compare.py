"""Does the fill change the conclusion?  One task's study under the zero fill and a non-silent fill.

Silence is a class for most models, so under the zero fill a set can be sufficient because the model
gives the class to nothing at all (an empty set).  The same clips explained again under a non-silent fill
(:mod:`suffice.fills`, the book's method chapter, eq-fill) answer "sufficient compared with what?".
This module sets the two transfer tables side by side on the clips and models they share and says which
conclusions survive the change of fill.  Every estimate is an existing one, reused unchanged:

* counts per fill: clips, explanations, empty sufficient sets (count and share of the explanations),
  explanations that found no set short of the whole spectrum (:func:`suffice.transfer.not_found_counts`);
* the transfer rate with its clip-bootstrap interval, the level-matched contrast (observed minus the
  ``|S|`` loudest bins, then minus energy-matched random bins) and the size-matched excess (observed minus
  uniform random bins of the same size), with their intervals (:func:`suffice.transfer.task_headline`,
  which reads :func:`suffice.transfer.contrast.contrast_table`);
* the flat-earther flags (:func:`suffice.transfer.adjusted_flat_earthers`, the chapter's test) and the raw-rate
  flags beside them.

A contrast's *reading* is ``above 0`` (its interval lies above 0), ``below 0``, ``covers 0``, or ``no
interval`` (too few clips, :data:`suffice.transfer.contrast.MIN_CLIPS_ANY`); a conclusion *survives* the
change of fill when its reading (or, for the flags, the set of flagged models) is the same under both.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..errors import OptionError
from .features import same_clips
from .flat_earthers import adjusted_flat_earthers
from .headline import headline_display, task_headline
from .rates import not_found_counts

__all__ = ["compare_fills", "fill_display", "reading", "fill_sentence"]

#: the contrasts compared, and how the sentence names them
CONTRASTS: dict[str, str] = {"loudest": "the level-matched contrast (observed minus the |S| loudest bins)",
                             "random": "the size-matched excess (observed minus uniform random bins of the same size)"}


def _counts(table: pd.DataFrame) -> dict[str, object]:
    """Explanations, empty sufficient sets and sets not found of one transfer table (each explanation once)."""
    per_source = not_found_counts(table)
    sets = table.drop_duplicates(["source", "clip_id", "seed"])
    n = int(per_source["attempted"].sum())
    empty = int((sets["found"].astype(bool) & (sets["set_size"] == 0)).sum())
    return {"explanations": n, "empty": empty, "empty_share": empty / n if n else float("nan"),
            "not_found": int(per_source["not_found"].sum())}


def _flags(table: pd.DataFrame, *, alpha: float, n_boot: int, seed: int) -> dict[str, object]:
    """The models flagged by the chance-adjusted flat-earther test, and those flagged on raw rates."""
    got = adjusted_flat_earthers(table, alpha=alpha, n_boot=n_boot, seed=seed)
    raw = got["out_flag_raw"] | got["in_flag_raw"]
    return {"flagged": tuple(got.loc[got["flat_earther"], "model"]), "flagged_raw": tuple(got.loc[raw, "model"])}


def compare_fills(tables: Mapping[str, pd.DataFrame], *, n_boot: int = 1000, seed: int = 0, alpha: float = 0.05,
                  ci: float = 0.95) -> pd.DataFrame:
    """One row per fill of one task's studies, on the clips and models every table holds.

    ``tables``: ``{fill name: transfer table}``, the zero fill first (the main study's table; it is
    restricted here to the variant's clips, nothing is recomputed); each table needs the chance columns.
    ``n_boot``, ``seed``, ``alpha``, ``ci``: as the chapter uses them.  Returns a frame indexed by the
    fill (``fill``) with ``n_clips``, ``n_models``, ``explanations``, ``empty``, ``empty_share``,
    ``not_found``, ``rate`` / ``rate_lo`` / ``rate_hi`` and, per reference ``loudest``, ``energy`` and
    ``random``, observed minus it with ``_lo`` / ``_hi`` (NaN where absent), ``accepted_silence``, then
    ``flagged`` and ``flagged_raw`` (tuples of model names).
    """
    if len(tables) < 2:
        raise OptionError("compare_fills needs two tables or more: the zero fill and a non-silent one")
    rows = []
    for name, t in same_clips(tables).items():
        row = task_headline(t, task=str(name), n_boot=n_boot, seed=seed, ci=ci)
        row.update(_counts(t), **_flags(t, alpha=alpha, n_boot=n_boot, seed=seed))
        rows.append(row)
    return pd.DataFrame(rows).rename(columns={"task": "fill"}).set_index("fill")


def fill_display(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (from :func:`compare_fills`) as a readable table of strings, one row per fill: clips,
    explanations, empty sets (count and share), not found, the rate and contrasts of
    :func:`suffice.transfer.headline_display`, and the flagged models (chance-adjusted, then raw)."""
    out = headline_display(rows)
    out.index.name = "fill"
    out.insert(1, "explanations", rows["explanations"].astype(int).to_numpy())
    out.insert(2, "empty sets", [f"{int(r.empty)} ({r.empty_share:.0%})" for r in rows.itertuples()])
    out.insert(3, "not found", rows["not_found"].astype(int).to_numpy())
    out["flat-earthers"] = [", ".join(f) or "none" for f in rows["flagged"]]
    out["raw-rate flags"] = [", ".join(f) or "none" for f in rows["flagged_raw"]]
    return out


def reading(est: float, lo: float, hi: float) -> str:
    """What an estimate with its interval says about 0: ``above 0``, ``below 0``, ``covers 0``, or
    ``no interval`` (no finite interval; ``no estimate`` where the estimate itself is missing)."""
    if not np.isfinite(est):
        return "no estimate"
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no interval"
    return "above 0" if lo > 0 else "below 0" if hi < 0 else "covers 0"


#: a reading of :func:`reading` as the verb phrase of a sentence
_VERB: dict[str, str] = {"above 0": "lies above 0", "below 0": "lies below 0", "covers 0": "covers 0",
                         "no interval": "has no interval", "no estimate": "has no estimate"}


def _names(models: tuple[str, ...]) -> str:
    return ", ".join(f"`{m}`" for m in models) if models else "none"


def _rate_part(base: pd.Series, r: pd.Series) -> tuple[str, bool]:
    """The two transfer rates in words, and whether their intervals overlap."""
    overlap = bool(max(base["rate_lo"], r["rate_lo"]) <= min(base["rate_hi"], r["rate_hi"]))
    return (f"The transfer rate is {base['rate']:.1%} (95% CI {base['rate_lo']:.1%} to {base['rate_hi']:.1%}) "
            f"and {r['rate']:.1%} ({r['rate_lo']:.1%} to {r['rate_hi']:.1%}): the intervals "
            f"{'overlap' if overlap else 'do not overlap'}.", overlap)


def _contrast_part(base: pd.Series, r: pd.Series, ref: str, names: tuple[str, str]) -> tuple[str, bool]:
    """One contrast of :data:`CONTRASTS` under both fills in words, and whether its reading is the same
    decided one (above, below or covering 0) under both."""
    a, b = (reading(x[ref], x[f"{ref}_lo"], x[f"{ref}_hi"]) for x in (base, r))
    said = (f"{CONTRASTS[ref]} {_VERB[a]} under {names[0]}"
            + (f" and under {names[1]}" if a == b else f", and {_VERB[b]} under {names[1]}"))
    quiet = "; neither run shows a difference on these clips" if a == b == "covers 0" else ""
    text = f"{said[0].upper()}{said[1:]} ({100 * base[ref]:+.1f} and {100 * r[ref]:+.1f} pp{quiet})."
    return text, a == b and a in ("above 0", "below 0", "covers 0")


def fill_sentence(rows: pd.DataFrame) -> str:
    """Which conclusions survive the change of fill, in plain words, from :func:`compare_fills`.

    The first row is the reference (the zero fill), every other row is compared with it: the empty sets,
    the transfer rate (do the intervals overlap?), each contrast of :data:`CONTRASTS` by its
    :func:`reading`, and the flagged models.  Returns one paragraph ending with the list of what survives
    and what does not.
    """
    if len(rows) < 2:
        raise OptionError("fill_sentence needs two rows or more (from compare_fills)")
    base, base_name = rows.iloc[0], str(rows.index[0])
    parts: list[str] = []
    verdicts: list[tuple[str, bool]] = []
    for name, r in rows.iloc[1:].iterrows():
        parts.append(f"On the same {int(r['n_clips'])} clips and {int(r['n_models'])} models, the empty "
                     f"sufficient sets go from {int(base['empty'])} of {int(base['explanations'])} "
                     f"({base['empty_share']:.0%}) under the {base_name} fill to {int(r['empty'])} of "
                     f"{int(r['explanations'])} ({r['empty_share']:.0%}) under {name}.")
        text, ok = _rate_part(base, r)
        parts.append(text)
        verdicts.append(("the transfer rate", ok))
        for ref in CONTRASTS:
            text, ok = _contrast_part(base, r, ref, (base_name, str(name)))
            parts.append(text)
            verdicts.append((CONTRASTS[ref].split(" (")[0], ok))
        parts.append(f"Flat-earthers flagged: {_names(base['flagged'])} under {base_name}, "
                     f"{_names(r['flagged'])} under {name}.")
        verdicts.append(("the flat-earther flags", set(base["flagged"]) == set(r["flagged"])))
    kept = dict.fromkeys(k for k, ok in verdicts if ok)
    lost = dict.fromkeys(k for k, ok in verdicts if not ok)
    return (" ".join(parts) + f" Surviving the change of fill: {', '.join(kept) or 'nothing'}; not surviving "
            f"(or not decided on these clips): {', '.join(lost) or 'nothing'}.")
