"""Deepfake corpus: real human speech (bona fide) against the same transcripts from every offline TTS
system and WORLD-vocoded copies of the real clips (spoof). Some systems appear only in test (unseen).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import espeak, speech, tts, world
from .jobs import ClipJob, stable_hash
from .signal import (SR, brick_wall, cap_pauses, cut_on_speech, db_to_gain, g722_roundtrip, set_level, start_on_speech,
                     taper)
from .tools import require_module, require_program

TASK = "deepfake"
DURATION = 3.0
VERSION = "6"
#: spoofing systems never seen in train or val (like ASVspoof's unseen evaluation attacks)
UNSEEN = ("piper-joe", "festival-slt-hts", "flite-rms")
#: share of transcript pairs per language (the other languages have espeak-ng and WORLD spoofs only)
LANG_SHARE = {"en": 0.5, "es": 0.125, "fr": 0.125, "it": 0.125, "ru": 0.125}
#: bona fide speech chosen per pair (s): enough that every synthesiser's reading of it outlasts the clip
#: (at 4.5 s, 8 of 499 spoofs, lists of single words, ran out before 2.52 s)
PROMPT_SECONDS = 7.5
#: longest pause kept inside the speech (s): the shortest pause the bona fide clips are joined with
MAX_PAUSE = 0.12
#: leading and trailing noise-floor-only padding of every clip (s): 12 frames of 20 ms each, 16% of the
#: clip, so that the quietest 10% of frames hold the noise floor alone in both classes
PAD = 0.24
#: a 20 ms frame is in a pause when more than this far below the loudest frame (dB)
PAUSE_DB = 35.0
#: the clip starts and ends on two consecutive 20 ms frames within this of the loudest (dB)
SPEECH_DB = 20.0
#: raised-cosine fades at both ends of the band-limited speech (s), so that the whole clip, padding
#: included, holds next to nothing outside the band (10 ms linear fades leaked up to +16 dB over the
#: noise floor below 100 Hz)
TAPER = 0.04
#: the band every clip is limited to (Hz): inside the G.722 wideband channel (50-7000 Hz), with guard bands
#: to the channel audit's out-of-band measures (below 100 Hz, above 7 kHz), so that the leakage of the
#: speech's faded edges stays inside them (at 120-7000 Hz it read up to +5 dB over the noise floor)
BAND = (150.0, 6900.0)


def config(profile: str) -> dict[str, Any]:
    pairs = {"default": (350, 75, 75), "smoke": (8, 4, 6)}[profile]
    return {"profile": profile, "pairs_per_split": list(pairs), "lang_share": LANG_SHARE,
            "unseen_systems": list(UNSEEN), "english_systems": sorted(tts.ENGLISH_SYSTEMS),
            "level_dbfs": -23.0, "level_spread_db": 3.0, "noise_floor_dbfs": -66.0, "band_hz": list(BAND),
            "max_pause_s": MAX_PAUSE, "pause_db": PAUSE_DB, "speech_db": SPEECH_DB, "pad_s": PAD, "taper_s": TAPER,
            "prompt_seconds": PROMPT_SECONDS}


def prepare(cfg: dict[str, Any]) -> dict[str, Any]:
    tts.check_all()
    require_program("ffmpeg", "ffmpeg")
    require_module("pyworld", "pyworld==0.3.5 'setuptools<81'")
    skipped: list[str] = []
    return {"prompts": {lang: speech.prompts(lang, skipped) for lang in speech.VOICES}, "source_skips": skipped}


def _split_of(prompt: speech.Prompt) -> str:
    """Transcripts (prompts) belong to one split each (stable hash, 70/15/15)."""
    h = stable_hash(f"{prompt.lang}/{prompt.name}") % 100
    return "train" if h < 70 else "val" if h < 85 else "test"


def _systems(lang: str, split: str) -> list[str]:
    """Spoofing systems for a language and split (unseen ones only in test)."""
    names = (sorted(tts.ENGLISH_SYSTEMS) if lang == "en" else []) + ["espeak-ng", "world"]
    return [s for s in names if split == "test" or s not in UNSEEN]


def plan(cfg: dict[str, Any], ctx: dict[str, Any], seed: int) -> list[ClipJob]:
    rng = np.random.default_rng([seed, 13])
    jobs: list[ClipJob] = []
    for split, n_pairs in zip(("train", "val", "test"), cfg["pairs_per_split"]):
        for lang, share in cfg["lang_share"].items():
            pool = [p for p in ctx["prompts"][lang] if _split_of(p) == split]
            systems = _systems(lang, split)
            n = max(1, int(round(n_pairs * share)))
            start = int(rng.integers(len(systems)))
            for i in range(n):
                ps = speech.choose_prompts(pool, rng, PROMPT_SECONDS)
                text = " ".join(p.text if p.text[-1] in ".?!" else p.text + "." for p in ps)
                wavs = [p.wav for p in ps]
                v = speech.VOICES[lang]
                key = f"{split}-{lang}-{i:03d}"
                jobs.append(ClipJob(f"df-bona-{key}", "bonafide", split, "asterisk", v.speaker, "bonafide",
                                    text, {"kind": "bonafide", "wavs": wavs}))
                system = systems[(start + i) % len(systems)]
                params: dict[str, Any] = {"kind": system, "wavs": wavs, "lang": lang}
                speaker = system
                if system == "espeak-ng":
                    voices = espeak.LANG_VOICES[lang]
                    voice = f"{voices[int(rng.integers(len(voices)))]}+" \
                            f"{espeak.VARIANTS[int(rng.integers(len(espeak.VARIANTS)))]}"
                    params["voice"], speaker = voice, f"espeak-{voice}"
                elif system == "world":
                    speaker = f"{v.speaker}+world"
                jobs.append(ClipJob(f"df-spoof-{key}", "spoof", split, system, speaker, system, text, params))
    return jobs


def chain(cfg: dict[str, Any]) -> tuple[str, ...]:
    """The processing chain every clip goes through, in this order (both classes; written into the README),
    worded from the same ``cfg`` values that :func:`render` uses."""
    low, high = cfg["band_hz"]
    band = f"band-limit {low:.0f}-{high:.0f} Hz"
    sustained = f"two consecutive 20 ms frames within {cfg['speech_db']:g} dB of the loudest"
    return ("source: bona fide recordings are 16 kHz G.722 as distributed; every spoof is set to -23 dBFS and "
            "encoded and decoded once through G.722, so that each source has passed the codec once",
            f"{band} (ideal: every FFT bin outside the band set to zero)",
            f"start at the first {sustained}",
            f"shorten every pause inside the speech (20 ms frames {cfg['pause_db']:g} dB below the loudest) to "
            f"{cfg['max_pause_s']} s",
            f"cut to {DURATION - 2 * cfg['pad_s']:.2f} s, ending on {sustained} (where the cut would fall in a "
            "pause or a dip, the frames up to the next such pair are dropped)",
            "set the active-speech level", "G.722 round trip", f"{band} again",
            "set the level again", f"{cfg['taper_s'] * 1000:.0f} ms raised-cosine fades at both ends",
            f"pad with {cfg['pad_s']} s of silence at both ends ({DURATION:.1f} s in all)",
            "add the white noise floor")


def _synthesise(job: ClipJob, rng: np.random.Generator) -> np.ndarray:
    """The source signal: the real recording (already G.722) or a spoof passed once through G.722."""
    kind = job.params["kind"]
    if kind == "bonafide":
        return speech.join_prompts(job.params["wavs"], rng)
    if kind == "world":  # copy synthesis: analysis and resynthesis of the real recording
        x = set_level(speech.join_prompts(job.params["wavs"], rng), -23.0)
        x = world.synthesise(world.analyse(x))
    elif kind == "espeak-ng":
        x = espeak.speak(job.text, job.params["voice"], rate=f"{rng.uniform(90, 110):.0f}%")
    else:
        x = tts.ENGLISH_SYSTEMS[kind](job.text, rng)
    return g722_roundtrip(set_level(x, -23.0))


def render(job: ClipJob, cfg: dict[str, Any], ctx: dict[str, Any], seed: int) -> np.ndarray:
    """One clip through :func:`chain`: the same steps in the same order for bona fide and spoof."""
    rng = job.rng(seed)
    n = int(round(DURATION * SR))
    pad = int(round(cfg["pad_s"] * SR))
    low, high = cfg["band_hz"]
    x = start_on_speech(brick_wall(_synthesise(job, rng), low, high), cfg["speech_db"])
    x = cap_pauses(x, cfg["max_pause_s"], top_db=cfg["pause_db"])
    x = cut_on_speech(x, n - 2 * pad, cfg["speech_db"])
    level = cfg["level_dbfs"] + rng.uniform(-cfg["level_spread_db"], cfg["level_spread_db"])
    x = taper(set_level(brick_wall(g722_roundtrip(set_level(x, level)), low, high), level), cfg["taper_s"])
    y = np.zeros(n, dtype=np.float32)
    y[pad: n - pad] = x
    return y + rng.normal(0, db_to_gain(cfg["noise_floor_dbfs"]), n).astype(np.float32)


def describe(cfg: dict[str, Any]) -> str:
    steps = "; ".join(f"({i}) {step}" for i, step in enumerate(chain(cfg), 1))
    return f"""Bona fide against spoofed speech, in pairs that share a transcript.

* **bonafide**: real human recordings, the Asterisk core prompts of five professional speakers (en, es,
  fr, ru female; it male), **16 kHz G.722** decoded with ffmpeg (never the 8 kHz wav set). Random prompts of
  one split are joined with 0.12-0.3 s pauses.
* **spoof**: the same transcript spoken by a spoofing system, rotating through every system available for
  the language: English {cfg['english_systems']} plus `espeak-ng` (random accent+variant of the language)
  and `world` (WORLD vocoder copy-synthesis of the very same real recording: the classic vocoded attack).
  Other languages: `espeak-ng` and `world`.
* Language shares {cfg['lang_share']}, identical for both classes. Pairs per split (train, val, test):
  {cfg['pairs_per_split']}, one bona fide and one spoof clip each: the classes are balanced exactly.
* **Unseen attacks**: {cfg['unseen_systems']} appear **only in test** (as ASVspoof 2019 LA's evaluation
  set holds attacks absent from training).
* Transcripts (prompts) are split 70/15/15 by a stable hash, so no sentence crosses splits. Bona fide
  speakers are the same five in every split (there are only five); speaker is in the manifest.
* **One processing chain for both classes**, in this order: {steps}.
  Level: active-speech RMS of {cfg['level_dbfs']} +- {cfg['level_spread_db']} dBFS (the same random spread
  for both classes); noise floor: white, {cfg['noise_floor_dbfs']} dBFS, added last, after the codec and the
  band limit, so that outside the band and in the padding there is the noise floor alone, the same in
  both classes; the codec is ffmpeg's G.722 (the 50-7000 Hz wideband telephone channel of the real
  recordings); 8 kHz voices are not used.  Every clip has therefore been through G.722 exactly twice (once
  at its source, once in the chain).  Pauses: the bona fide prompts are joined with 0.12-0.3 s of
  silence and the synthesisers pause as they do between and inside sentences; the chain shortens every
  longer pause to {cfg['max_pause_s']} s in both classes, so that pause length is not a cue the corpus adds.
  Edges and padding: the speech starts and ends on sustained speech, and {cfg['pad_s']} s of noise floor
  pad both ends of every clip, so that leading and trailing silence are the padding's, the same in both
  classes (bona fide clips with longer leading silence were the shortcut of ASVspoof 2019 LA that Müller
  et al., "Speech is Silver, Silence is Golden: What do ASVspoof-trained Models Really Learn?",
  arXiv:2106.12914, 2021, found detectors to use).
  History: corpus version 4 and earlier added the noise floor *before* the codec for spoofs and *after*
  it for bona fide clips.  Version 5 shared the order but band-limited to 120-7000 Hz with a 4th-order
  Butterworth filter (-15 dB at 100 Hz, which passed the spoofs' lower voices), added the noise before the
  codec and kept each clip's own pauses and edges: its channel audit told the classes apart at 58% from
  the noise floor (the quietest frames held speech), 63% from the bandwidth and 68% from all channel
  descriptors together.  Version 6 (this chain) adds the ideal band limit with guard bands, the noise
  floor last, the shortened pauses, the padding and the clip edges on sustained speech.
  The check below trains on the train split and scores the test split on the channel audit's
  descriptors; the data-and-models chapter's channel audit tests each group of them on every clip."""
