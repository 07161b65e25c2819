"""What ``suffice explain`` and ``suffice predict`` share: one sound file and one model, the arguments
that name them, and loading both (the model resolved by name, the file read at the model's rate)."""
from __future__ import annotations

import argparse
from typing import Any

import numpy as np

#: channel counts with a name of their own in the conversion note
CHANNELS = {1: "mono", 2: "stereo"}


def add_clip_arguments(p: argparse.ArgumentParser, *, max_seconds_help: str | None = None) -> None:
    """``FILE --model NAME [--labels MAP] [--task TASK] [--profile P] [--max-seconds S]`` on ``p``."""
    p.add_argument("file", help="sound file (any rate, mono or multichannel)")
    p.add_argument("--model", required=True,
                   help="zoo model (e.g. genre/ast-tiny), toy/..., a local Hugging Face folder or a hub id "
                        "(read from the local Hugging Face cache only)")
    p.add_argument("--labels", metavar="MAP",
                   help="for a folder or hub id: map its labels onto the task's, as a .yaml/.json file, "
                        "RAW=CANONICAL,... or 'as-is' (keep its labels, for a task of your own)")
    p.add_argument("--task", help="for a folder or hub id: the task (genre, emotion, deepfake, or your own name); "
                                  "default: the task its labels fit, else its labels as they are")
    p.add_argument("--profile", default="default", help="zoo profile (default or smoke)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help=max_seconds_help or "longest clip accepted (default 120)")


def conversion_note(path: str, rate: int) -> str | None:
    """What loading did to the file, when it did anything: ``"the file is 44100 Hz stereo; it was mixed
    to mono and resampled to 16000 Hz for the model"``; ``None`` for a mono file at ``rate``."""
    import soundfile as sf
    try:
        info = sf.info(str(path))
    except Exception:  # noqa: BLE001 - the file was read already; a header soundfile cannot describe says nothing
        return None
    done = []
    if info.channels != 1:
        done.append("mixed to mono")
    if int(info.samplerate) != int(rate):
        done.append(f"resampled to {int(rate)} Hz")
    if not done:
        return None
    channels = CHANNELS.get(info.channels, f"{info.channels}-channel")
    return f"the file is {int(info.samplerate)} Hz {channels}; it was {' and '.join(done)} for the model"


def model_and_clip(args: argparse.Namespace) -> tuple[Any, np.ndarray, list[str]]:
    """The model ``args.model`` names, the file at its rate (mono), and the notes a reader should see
    (what loading converted).  Call it inside ``duration_limit(args.max_seconds)``: the clip length limit
    is a process-wide setting that the search checks again on every waveform it is given."""
    from ..audio import load_audio
    from ..models.resolve import resolve_model
    model = resolve_model(args.model, args.profile, args.labels, task=args.task)
    rate = int(model.sample_rate)
    x = load_audio(args.file, rate)
    note = conversion_note(args.file, rate)
    return model, x, [note] if note else []
