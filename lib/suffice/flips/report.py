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
        verdict = ("above" if t["above_null"] else "not distinguishable from")
        lines.append(
            f"A flip found on one model changed another model's class in **{_pct(t['rate'])}** of the pairs "
            f"(95% CI {_pct(t['lo'])} to {_pct(t['hi'])}; {t['n_pairs']} model pairs x clips), against "
            f"{_pct(t['null'])} for random removals of the same size and {_pct(t['loudest'])} for the same "
            f"number of loudest bins: flip transfer is {verdict} the random-removal null (difference "
            f"{t['diff']:+.0%}, CI {t['diff_lo']:+.0%} to {t['diff_hi']:+.0%}).")
        if calibration:
            lines.append(
                f"At this size ({int(calibration['n_clips'])} clips, {int(calibration['n_models'])} models) the test's "
                f"simulated false-positive rate is {calibration['fpr']:.1%} (nominal "
                f"{calibration['nominal']:.1%}) and its power against an excess of "
                f"{calibration['effect'] * 100:.0f} percentage points {calibration['power']:.0%}.")
    else:
        lines.append("No flip was found, so nothing can transfer here.")
    return "\n\n".join(lines)
