"""Words from numbers: the flip chapter's per-task reading and its summary row (nothing typed in)."""
from __future__ import annotations

import pandas as pd

from .analysis import FlipTransfer

#: freqrex (Kelly & Chockler, arXiv 2601.16675), as reported there: 30 s clips (about 240,000 rfft bins)
FREQREX = {"bins_in_clip": 240_000, "clip_seconds": 30.0, "share_1_bin": 0.58, "share_5_bins": 0.78}


def _at(curve: pd.DataFrame, size: int, col: str = "rate", model: str = "all models") -> float:
    row = curve[(curve["model"] == model) & (curve["size"] == size)]
    return float(row[col].iloc[0]) if len(row) else float("nan")


def summary_row(task: str, flips: pd.DataFrame, curve: pd.DataFrame, ft: FlipTransfer) -> dict:
    """One task's headline numbers: flip shares at 1 and 5 bins with their baselines, flip transfer."""
    t = ft.task
    return {"task": task, "models": flips["model"].nunique(), "clips": flips["clip_id"].nunique(),
            "bins per clip": int(flips["n_bins"].median()),
            "flipped by 1 bin": _at(curve, 1), "1: lo": _at(curve, 1, "lo"), "1: hi": _at(curve, 1, "hi"),
            "random 1 bin": _at(curve, 1, "random"), "flipped by <= 5 bins": _at(curve, 5),
            "5: lo": _at(curve, 5, "lo"), "5: hi": _at(curve, 5, "hi"), "random 5 bins": _at(curve, 5, "random"),
            "loudest 5 bins": _at(curve, 5, "loudest"), "flip transfer": t["rate"], "transfer lo": t["lo"],
            "transfer hi": t["hi"], "null (random, same size)": t["null"], "loudest, same size": t["loudest"],
            "transfer - null": t["diff"], "diff lo": t["diff_lo"], "diff hi": t["diff_hi"]}


#: the fewest clips, and the fewest found flips, on which the chapter compares flip transfer with its
#: references (below: a clip bootstrap over so few clusters does not cover, so the rates are shown, not judged)
MIN_CLIPS_CLAIM = 20
MIN_FLIPS_CLAIM = 20


def transfer_verdict(task: dict, *, n_found: int) -> str:
    """The reading of flip transfer against its two references (``task``: :attr:`FlipTransfer.task`).

    Below :data:`MIN_CLIPS_CLAIM` clips or :data:`MIN_FLIPS_CLAIM` found flips: no claim, and what a claim
    would need.  Otherwise the level-matched reference leads (the same number of loudest bins: is it these
    bins, or any loud ones?), then the random-removal null; a difference whose interval covers 0 is stated
    as the bound it sets, not as "no difference"."""
    n = int(task["n_clips"])
    if n < MIN_CLIPS_CLAIM or n_found < MIN_FLIPS_CLAIM:
        return (f"With {n} clips and {n_found} flips found, no claim is made on whether flip transfer exceeds "
                f"either reference (a claim needs at least {MIN_CLIPS_CLAIM} clips and {MIN_FLIPS_CLAIM} flips per "
                f"task; raise `clips_per_class` and `max_clips`): minus the loudest bins the difference is "
                f"{100 * task['diff_loudest']:+.0f} pp, minus random removals {100 * task['diff']:+.0f} pp.")

    def read(d: float, lo: float, hi: float, ref: str) -> str:
        if lo > 0:
            return f"above {ref} ({100 * d:+.1f} pp, 95% CI {100 * lo:+.1f} to {100 * hi:+.1f})"
        if hi < 0:
            return f"below {ref} ({100 * d:+.1f} pp, 95% CI {100 * lo:+.1f} to {100 * hi:+.1f})"
        return (f"not shown different from {ref} ({100 * d:+.1f} pp, 95% CI {100 * lo:+.1f} to {100 * hi:+.1f}: "
                f"an excess above {100 * hi:.1f} pp is ruled out)")
    return ("Flip transfer is " + read(task["diff_loudest"], task["diff_loudest_lo"], task["diff_loudest_hi"],
                                       "removing the same number of loudest bins")
            + "; it is " + read(task["diff"], task["diff_lo"], task["diff_hi"], "random removals of the same size") + ".")


def _pct(v: float) -> str:
    return "n/a" if v != v else f"{v:.0%}"


def task_reading(task: str, flips: pd.DataFrame, curve: pd.DataFrame, ft: FlipTransfer,
                 calibration: dict | None = None) -> str:
    """A few sentences (Markdown) on one task, every number taken from the tables (and, when given,
    from :func:`~suffice.flips.analysis.calibrate` at this task's size)."""
    row = summary_row(task, flips, curve, ft)
    n_pairs = len(flips)
    found = flips[flips["found"].astype(bool)]
    exhausted = int((~flips["found"].astype(bool) & flips["budget_exhausted"].astype(bool)).sum())
    t = ft.task
    lines = [
        f"**{task}** ({row['models']} models, {row['clips']} clips of {row['bins per clip']:,} bins): one "
        f"removed bin changed the class in **{_pct(row['flipped by 1 bin'])}** of the (model, clip) pairs "
        f"(mean over models; 95% CI {_pct(row['1: lo'])} to {_pct(row['1: hi'])}), at most five bins in "
        f"**{_pct(row['flipped by <= 5 bins'])}** ({_pct(row['5: lo'])} to {_pct(row['5: hi'])}); "
        f"removing one random bin changed it in {_pct(row['random 1 bin'])}, five random bins in "
        f"{_pct(row['random 5 bins'])}, the five loudest bins in {_pct(row['loudest 5 bins'])}.",
        f"Of {n_pairs} searches, {len(found)} found a flip of at most the searched size"
        + (f" (median size {found['size'].median():g} bin{'' if found['size'].median() == 1 else 's'}, median energy removed "
           f"{found['removed_energy_db'].median():.1f} dB relative to the clip, median log-spectral "
           f"distance {found['lsd_db'].median():.2f} dB)" if len(found) else "")
        + (f"; {exhausted} ran out of calls without one (counted as not flipped)" if exhausted else "") + ".",
    ]
    if t["n_pairs"]:
        lines.append(
            f"A flip found on one model changed another model's class in **{_pct(t['rate'])}** of the pairs "
            f"(95% CI {_pct(t['lo'])} to {_pct(t['hi'])}; {t['n_pairs']} model pairs x clips), against "
            f"{_pct(t['null'])} for random removals of the same size and {_pct(t['loudest'])} for the same "
            f"number of loudest bins.  " + transfer_verdict(t, n_found=len(found)))
        if calibration:
            lines.append(
                f"At this size ({int(calibration['n_clips'])} clips, {int(calibration['n_models'])} models) the "
                f"random-removal test's simulated false-positive rate is {calibration['fpr']:.1%} (nominal "
                f"{calibration['nominal']:.1%}) and its power against an excess of "
                f"{calibration['effect'] * 100:.0f} percentage points {calibration['power']:.0%}.")
    else:
        lines.append("No flip was found, so nothing can transfer here.")
    return "\n\n".join(lines)
