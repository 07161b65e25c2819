"""Genre corpus: the ten GTZAN genres rendered from generated MIDI with fluidsynth and FluidR3 GM."""
from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from ..errors import AudioError
from . import classical
from .genre_styles import STYLES
from .jobs import ClipJob
from .music import Arrangement
from .external import run_to_wav
from .signal import SR, fit_length, set_level
from .tools import require_file, require_module, require_program

TASK = "genre"
DURATION = 4.0
VERSION = "2"
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
CLASSICAL_TEMPO = (56.0, 120.0)
#: data files the clips are made from (their SHA-256 goes into build.json)
FILES = {"soundfont": SOUNDFONT}


def config(profile: str) -> dict[str, Any]:
    per = {"default": (70, 15, 15), "smoke": (5, 3, 3)}[profile]
    return {"profile": profile, "genres": list(GENRES), "per_genre_split": list(per), "soundfont": SOUNDFONT,
            "level_dbfs": -20.0, "level_spread_db": 3.0, "rap_share": 0.8, "drive": DRIVE,
            "tempo": {g: STYLES[g][1] for g in STYLES} | {"classical": CLASSICAL_TEMPO}}


def prepare(cfg: dict[str, Any]) -> dict[str, Any]:
    require_program("fluidsynth", "fluidsynth")
    require_file(cfg["soundfont"], "fluid-soundfont-gm")
    require_module("pretty_midi", "pretty-midi==0.2.11.post0")
    require_program("espeak-ng", "espeak-ng")
    from .speech import transcripts
    lines = sorted(t for t in transcripts("en").values() if len(t.split()) >= 4)
    return {"pieces": classical.pieces(), "lines": lines}


def plan(cfg: dict[str, Any], ctx: dict[str, Any], seed: int) -> list[ClipJob]:
    rng = np.random.default_rng([seed, 7])
    pieces = ctx["pieces"]
    # classical pieces are split by piece so that no score crosses splits
    order = rng.permutation(len(pieces))
    n_tr, n_va = int(0.7 * len(pieces)), int(0.85 * len(pieces))
    by_split = {"train": order[:n_tr], "val": order[n_tr:n_va], "test": order[n_va:]}
    jobs = []
    for g in cfg["genres"]:
        for split, n in zip(("train", "val", "test"), cfg["per_genre_split"]):
            for i in range(n):
                params: dict[str, Any] = {}
                source, system = "midi-generator", f"style-{g}"
                if g == "classical":
                    piece = pieces[int(by_split[split][i % len(by_split[split])])]
                    params["piece"] = piece
                    source, system = "music21-corpus", "score-" + piece.split("corpus/")[-1].split("/")[0]
                jobs.append(ClipJob(f"genre-{g}-{split}-{i:03d}", g, split, source, "", system, "", params))
    return jobs


def _render_midi(mid: str, sf2: str) -> np.ndarray:
    return run_to_wav(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", str(SR), "-F", "{out}", sf2, mid],
                      what="fluidsynth", allow_empty=True)


#: stems put through an amplifier-like distortion: name -> gain range
DRIVE = {"drive": (12.0, 30.0), "crunch": (2.5, 6.0)}


def overdrive(x: np.ndarray, gain: float) -> np.ndarray:
    """Guitar-amp-like distortion: pre-emphasis, tanh saturation, a 5 kHz cabinet low-pass."""
    from scipy.signal import butter, lfilter, sosfilt
    if not np.any(x):
        return x
    pre = lfilter([1.0, -0.5], [1.0], x / (np.abs(x).max() + 1e-9))
    y = np.tanh(gain * pre) / np.tanh(gain)
    y = sosfilt(butter(2, 5000, fs=SR, output="sos"), y)
    return (y * (np.sqrt(np.mean(x ** 2)) / (np.sqrt(np.mean(y ** 2)) + 1e-9))).astype(np.float32)


def rap(lines: list[str], rng: np.random.Generator, n: int, tempo: float) -> np.ndarray:
    """A rapped vocal: fast espeak-ng speech of random English lines, unit RMS, starting on a beat."""
    from .espeak import speak
    from .signal import trim_silence
    voice = f"en-us+{['m1', 'm2', 'm3', 'm4', 'm6', 'm7', 'david', 'john', 'max', 'paul', 'robert'][int(rng.integers(11))]}"
    text = " ".join(lines[int(i)] for i in rng.choice(len(lines), 3, replace=False))
    v = trim_silence(speak(text, voice, pitch=f"{rng.uniform(-25, 0):+.0f}%", rate=f"{rng.uniform(130, 165):.0f}%",
                           prange=f"{rng.uniform(40, 80):.0f}%"))
    start = int(60.0 / tempo * SR * int(rng.integers(0, 2)))
    y = np.zeros(n, dtype=np.float32)
    seg = v[: max(0, n - start)]
    y[start: start + len(seg)] = seg
    return y / (float(np.sqrt(np.mean(y ** 2))) + 1e-9)


def render(job: ClipJob, cfg: dict[str, Any], ctx: dict[str, Any], seed: int) -> np.ndarray:
    rng = job.rng(seed)
    tonic = 48 + int(rng.integers(12))
    lo, hi = cfg["tempo"][job.label]
    tempo = float(rng.uniform(lo, hi))
    if job.label == "classical":
        arr = Arrangement(tempo, rng, humanise_ms=12.0)
        classical.arrange(arr, job.params["piece"], DURATION + 1.0, rng)
    else:
        gen, _, (s0, s1), unit = STYLES[job.label]
        arr = Arrangement(tempo, rng, swing=float(rng.uniform(s0, s1)), swing_unit=unit)
        gen(arr, tonic, DURATION + 1.0, rng, tempo)
    n = int(round(DURATION * SR))
    x = np.zeros(n, dtype=np.float32)
    for stem in arr.stems():
        fd, mid = tempfile.mkstemp(suffix=".mid")
        os.close(fd)
        try:
            arr.write(mid, stem=stem, until=DURATION + 0.1)
            y = fit_length(_render_midi(mid, cfg["soundfont"]), n, fade=0)
        finally:
            os.unlink(mid)
        if stem in DRIVE:
            y = overdrive(y, float(rng.uniform(*DRIVE[stem])))
        x += y
    if job.label == "hiphop" and rng.random() < cfg["rap_share"]:
        x += rap(ctx["lines"], rng, n, tempo) * float(np.sqrt(np.mean(x ** 2)) + 1e-6) * rng.uniform(0.8, 1.4)
    if len(x) < n // 2:
        raise AudioError(f"rendering gave only {len(x) / SR:.2f} s")
    level = cfg["level_dbfs"] + rng.uniform(-cfg["level_spread_db"], cfg["level_spread_db"])
    return set_level(fit_length(x, n), level)


def describe(cfg: dict[str, Any]) -> str:
    tempos = ", ".join(f"{g} {int(a)}-{int(b)}" for g, (a, b) in cfg["tempo"].items())
    return f"""The ten GTZAN genres, synthesised: no genre-labelled recordings exist offline. Each clip is a
MIDI arrangement rendered with **fluidsynth** and the **FluidR3 GM** soundfont (real sampled instruments),
at 16 kHz mono, the first {DURATION:.1f} s kept (10 ms fades), level set to {cfg['level_dbfs']} +-
{cfg['level_spread_db']} dBFS active RMS.

* Nine genres come from per-genre generators (`genre_styles.py`) with idiomatic tempo ranges (bpm:
  {tempos}), drum patterns (blues shuffle, jazz ride pattern with hi-hat on 2 and 4, country train beat,
  disco four-on-the-floor with open hats, boom-bap hip hop with swung 16ths, metal blast beats or double
  kick, pop backbeat, reggae one drop, rock backbeat with fills), harmony (12-bar blues with dominant 7ths,
  jazz ii-V-I with rootless 9th/13th voicings and walking bass, power chords and phrygian riffs for metal,
  I-V-vi-IV pop, off-beat skank and organ bubble for reggae, boom-chick country) and instrumentation drawn
  from per-genre GM program pools. Randomised per clip: key, tempo, swing amount, progression and its
  starting point, voicing inversions, programs, per-track mix levels, timing and velocity humanising.
* **classical**: excerpts of real scores from the music21 corpus (Bach chorales and other Bach, Mozart,
  Beethoven, Haydn, Handel, Monteverdi, Palestrina and others), arranged for a random GM ensemble (string
  quartet, piano, organ, winds, strings, harpsichord, choir, brass, harp), random tempo {CLASSICAL_TEMPO}
  and transposition; scores are split 70/15/15 between train/val/test so that no piece crosses splits.
* Production touches: metal guitars are rendered as a separate stem and put through an amplifier-like
  distortion (pre-emphasis, tanh saturation with gain {cfg['drive']['drive']}, 5 kHz cabinet low-pass), rock
  and blues overdriven guitars a milder one (gain {cfg['drive']['crunch']}); {cfg['rap_share']:.0%} of hip hop
  clips carry a rapped vocal (fast espeak-ng speech of random English sentences, male voices, mixed at
  about the level of the beat), as GTZAN's hip hop nearly always has rap.
* {cfg['per_genre_split']} clips per genre for train/val/test. The generated genres have no speakers;
  `system` names the generator (or the score's composer for classical)."""
