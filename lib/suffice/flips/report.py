"""Words from numbers: the flip chapter's per-task reading and its summary row (nothing typed in)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .analysis import FlipTransfer

if TYPE_CHECKING:
    from .study import FlipStudy

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


def run_line(task: str, study: "FlipStudy", seconds: float) -> str:
    """Markdown: what one task's flip study ran (models, clips, flips searched now and their calls, the
    other calls) and how long it took."""
    s = study.stats
    return (f"**{task}**: {len(study.params['models'])} models, {study.params['n_clips']} clips; "
            f"{s['flips_now']} flips searched now ({s['flip_model_calls_now']:,} model calls), "
            f"{s['other_model_calls_now']:,} other model calls, {seconds:.1f} s.")


def curve_rates(curve: pd.DataFrame) -> pd.DataFrame:
    """The flip curve's rates, one row per model and one column per size (rounded to 3 decimals)."""
    return (curve[["model", "size", "rate", "lo", "hi", "random", "loudest", "n_clips", "budget_exhausted"]]
            .round(3).pivot(index="model", columns="size", values="rate"))


#: the task-level numbers of flip transfer the chapter tabulates
TRANSFER_COLS = ("rate", "lo", "hi", "null", "loudest", "diff", "diff_lo", "diff_hi", "diff_loudest",
                 "diff_loudest_lo", "diff_loudest_hi", "n_pairs")


def transfer_table(transfers: dict[str, FlipTransfer], agreeing: dict[str, FlipTransfer]) -> pd.DataFrame:
    """Per task (in ``transfers``' order) two rows, flip transfer over all clips and over the clips where
    the judge agrees with the producer, with :data:`TRANSFER_COLS`."""
    rows = []
    for task in transfers:
        for cond, ft in (("all clips", transfers[task]), ("clips where g(x) = f(x)", agreeing[task])):
            rows.append({"task": task, "clips": cond, **{k: ft.task[k] for k in TRANSFER_COLS}})
    return pd.DataFrame(rows)


def examples(study: "FlipStudy", n: int) -> list[tuple[Any, Any, list[str]]]:
    """Up to ``n`` found flips of ``study``, smallest first (then quietest, by log-spectral distance):
    each its row of ``study.flips``, its :class:`~suffice.flips.Flip` and the other models whose class
    the flip changes too."""
    found = study.flips[study.flips["found"].astype(bool)].sort_values(["size", "lsd_db", "model", "clip_id"])
    out = []
    ev = study.evaluations
    for row in found.head(n).itertuples():
        judged = ev[(ev.kind == "flip") & (ev.source == row.model) & (ev.clip_id == row.clip_id)
                    & (ev.model != row.model)]
        out.append((row, study.flip(row.model, row.clip_id), judged.loc[judged.changed, "model"].tolist()))
    return out


def example_reading(task: str, row: Any, f: Any, changed: list[str]) -> str:
    """Markdown on one flip (``row``, the flip ``f`` and the models it also changes, from :func:`examples`):
    the class before and after, the removed bins (the first ten, in Hz), how audible the removal is."""
    hz = ", ".join(f"{v:.1f}" for v in f.frequencies()[:10]) + (" ..." if f.size > 10 else "")
    return (f"**{task}, {row.clip_id}** (true label *{row.true_label}*): `{row.model}` hears **{f.label}** "
            f"({f.confidence:.2f}); without {f.size} of {f.n_bins:,} bins ({hz} Hz) it hears "
            f"**{f.new_label}** ({f.new_confidence:.2f}).  Energy removed {f.removed_energy_db:.1f} dB "
            f"re the clip, log-spectral distance {f.lsd_db:.2f} dB, segmental SNR {f.seg_snr_db:.1f} dB.  "
            f"Other models that change their class too: {', '.join(changed) or 'none'}.")


def freqrex_reading(bins_per_task: dict[str, int], screen: int) -> str:
    """Markdown: our flip shares next to :data:`FREQREX`'s, and what differs (``bins_per_task``: each
    task's median bins per clip; ``screen``: the loudest bins screened for one-bin flips)."""
    fr = FREQREX
    return (
        f"**Next to freqrex.**  freqrex reports {fr['share_1_bin']:.0%} of clips flipped by one bin and "
        f"{fr['share_5_bins']:.0%} by five, on {fr['clip_seconds']:.0f} s clips of about "
        f"{fr['bins_in_clip']:,} bins, with its own models and data.  What differs here: our clips are "
        f"{', '.join(f'{t} {b:,}' for t, b in bins_per_task.items())} bins long (a bin of a "
        "shorter clip is wider and carries on average a larger share, 1/K, of the clip's energy, so one bin "
        "is a larger edit), our models are "
        "small models trained here or probes on pretrained embeddings, our corpora are the offline stand-ins "
        "described in the data chapter, and our shares are lower bounds from a search that screens only the "
        f"{screen} loudest bins for one-bin flips.  So the comparison is of kind, not of number.")
