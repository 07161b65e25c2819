"""``suffice explain FILE --model NAME``: a minimal sufficient set of frequencies for one clip."""
from __future__ import annotations

import argparse
import json
from typing import Any, Sequence

import numpy as np
import yaml

from ..errors import OptionError
from .clip import add_clip_arguments, model_and_clip
from .outputs import audio_output, json_output

#: at most this many frequency ranges are printed (the rest are counted)
MAX_RANGES = 12


def add(sub: Any) -> None:
    e = sub.add_parser("explain", help="find a minimal sufficient set of frequencies for one clip",
                       description=__doc__)
    add_clip_arguments(e, max_seconds_help="longest clip accepted (default 120; every model call "
                                           "resynthesises the whole clip)")
    e.add_argument("--target", help="explain this label instead of the model's top-1 class")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--strategy", default="suffice", help="suffice (default) or rex")
    e.add_argument("--option", "-o", action="append", metavar="KEY=VALUE", help="search option (repeatable)")
    e.add_argument("--fill", help="what the removed bins take (the baseline): zero (default, silence), "
                                  "smoothed-magnitude, envelope-noise or level-noise (the search option fill)")
    e.add_argument("--fill-seed", type=int, help="seed of a non-silent fill (the search option fill_seed; default 0)")
    e.add_argument("--contrastive", action="store_true", help="also find a sufficient-and-necessary set")
    e.add_argument("--complete", action="store_true", help="also find a complete set")
    e.add_argument("--json", action="store_true", help="print the summary as JSON")
    e.add_argument("--out", help="write the sufficient signal to this sound file (.wav float, .flac 24-bit, "
                                 ".ogg, .aiff, .mp3; chosen from the extension)")
    e.add_argument("--save", help="write the whole explanation as JSON to this .json file")
    e.add_argument("--force", action="store_true", help="replace an existing --out or --save file "
                                                         "(the input file is never replaced)")
    e.set_defaults(func=run)


def parse_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings -> options (values read as YAML scalars)."""
    out: dict[str, Any] = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        if not sep or not key:
            raise OptionError(f"--option expects KEY=VALUE, got {p!r}")
        out[key.strip()] = yaml.safe_load(value)
    return out


def hz_ranges(keep: np.ndarray, bin_hz: float, max_ranges: int = MAX_RANGES) -> str:
    """The kept bins' frequencies in Hz, runs of adjacent bins compressed into ranges:
    ``"440, 1000-1003 (4 bins), ... and 7 more ranges"``."""
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return "none"
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]]
    parts = []
    for a, b in zip(starts[:max_ranges], ends[:max_ranges]):
        parts.append(f"{a * bin_hz:g}" if a == b else f"{a * bin_hz:g}-{b * bin_hz:g} ({b - a + 1} bins)")
    more = len(starts) - max_ranges
    return ", ".join(parts) + (f" and {more} more ranges" if more > 0 else "")


def notes(model: Any, e: Any, x: np.ndarray, target_given: bool) -> list[str]:
    """What a reader would not expect: an empty sufficient set (the model's class for the floor: silence,
    or the fill alone under a non-silent fill), a target
    that is not the model's prediction.  Costs at most two model calls."""
    out: list[str] = []
    if target_given:
        predicted = model.labels[int(np.argmax(model.predict_proba(x[None])[0]))]
        if predicted != e.target:
            out.append(f"the target {e.target!r} is not the model's prediction ({predicted!r}): this explains "
                       f"why the model could say {e.target!r}, not why it says {predicted!r}")
    if e.found and e.size == 0:
        from ..masking import floor_signal
        floor = e.floor_label
        if floor is None:
            y = floor_signal(x, fill=e.fill, fill_seed=e.fill_seed)
            floor = model.labels[int(np.argmax(model.predict_proba(y[None])[0]))]
        what = "silence" if e.fill == "zero" else f"the {e.fill} fill alone"
        out.append(f"the empty set is sufficient: the model says {floor!r} for {what}, so no frequency of "
                   f"this clip is needed for this class (the sufficient signal is {what})")
    return out


def saved_signal_note(model: Any, e: Any, path: Any, fmt: str, subtype: str) -> list[str]:
    """Write the sufficient signal to ``path`` and read it back: a note when the saved file (its format's
    quantisation or coding) gives the model another class than the search's.  One model call."""
    import soundfile as sf
    sf.write(path, e.sufficient_signal, e.sample_rate, format=fmt, subtype=subtype)
    back, rate = sf.read(str(path), dtype="float32", always_2d=True)
    y = back.mean(axis=1)[: len(e.waveform)]
    if rate != e.sample_rate or len(y) != len(e.waveform):  # a codec that pads or resamples: compare what it holds
        y = np.pad(y, (0, max(0, len(e.waveform) - len(y))))
    got = model.labels[int(np.argmax(model.predict_proba(y[None].astype(np.float32))[0]))]
    if got == e.target:
        return []
    return [f"the saved file ({fmt} {subtype}) changes the model's answer: {got!r}, not {e.target!r} (a set on a "
            "knife edge; .wav keeps the float samples exactly)"]


def run(args: argparse.Namespace) -> int:
    from ..audio import duration_limit
    from ..search import explain
    from ..search.explain import resolve_options
    out = audio_output(args.out, force=args.force, inputs=[args.file]) if args.out else None  # before any work
    save = json_output(args.save, force=args.force, inputs=[args.file]) if args.save else None
    opts = parse_options(args.option or [])
    for flag in ("contrastive", "complete"):
        if getattr(args, flag):
            opts[flag] = True
    for flag in ("fill", "fill_seed"):
        if getattr(args, flag) is not None:
            opts[flag] = getattr(args, flag)
    opts.setdefault("robustness", "repair")  # a set that survives saving (-o robustness=check: say only; off: neither)
    resolve_options(args.strategy, opts)  # a bad strategy or option is refused before the weights load
    with duration_limit(args.max_seconds):
        model, x, loaded = model_and_clip(args)
        e = explain(model, x, seed=args.seed, strategy=args.strategy, target=args.target, **opts)
    said = loaded + notes(model, e, x, args.target is not None)
    if out is not None:
        said += saved_signal_note(model, e, *out)
    if save is not None:
        e.to_json(save)
    s = e.summary()
    bin_hz = e.sample_rate / len(e.waveform)
    if args.json:
        print(json.dumps({**s, "kept_hz": hz_ranges(e.keep, bin_hz, max_ranges=10**9), "notes": said}))
        return 0
    print(f"model           {s['model']}")
    print(f"target          {s['target']}  (confidence {s['confidence']:.4f})")
    print(f"found           {s['found']}" + ("" if s["found"] else "  (only the whole spectrum is sufficient)"))
    print(f"set size        {s['size']} of {s['n_bins']} bins ({100 * s['fraction']:.3f} %)")
    if e.options.get("resolution_hz") is not None:
        levels = ", ".join(f"{v['width_hz']:g} Hz" for v in e.levels or [])
        state = "verified 1-minimal" if e.verified_minimal else "not verified"
        print(f"resolution      atoms of {s['resolution_hz']:g} Hz ({s['resolution_bins']} bins): {state} at that "
              f"resolution (levels searched: {levels})")
    if s["found"]:
        print(f"kept (Hz)       {hz_ranges(e.keep, bin_hz)}  (bins {bin_hz:g} Hz apart)")
    print(f"confidence kept {s['sufficient_confidence']:.4f}")
    if s["robust"] is not None:
        bad = [k for k, v in (e.renderings or {}).items() if v != e.target]
        print(f"robust          {'yes' if s['robust'] else 'no'}  (margin {s['margin']:.4f} over the next class"
              + (f"; the class changes under {', '.join(bad)}" if bad else "")
              + (f"; {e.repaired_bins} bins added to make it robust"
                 if e.repaired_bins else "") + ")")
    print(f"model calls     {s['n_model_calls']}")
    if s["necessary_size"] is not None:
        print(f"contrastive     {s['necessary_size']} bins"
              + ("  (budget-cut: sufficient and necessary, not pruned to the end)" if s["necessary_budget_cut"] else ""))
    elif e.options.get("contrastive"):
        print("contrastive     " + ("none: the budget ran out before one was found" if s["necessary_budget_cut"]
                                    else "none found (no prefix of the ranking both keeps and loses the class)"))
    if s["complete_size"] is not None:
        print(f"complete        {s['complete_size']} bins")
    for n in said:
        print(f"note            {n}")
    if out is not None:
        print(f"sufficient signal written to {out[0]} ({out[1]} {out[2]})")
    if save is not None:
        print(f"explanation written to {save}")
    return 0
