"""Emotion corpus: simulated acted prosody on real voices (WORLD) and on espeak-ng voices (SSML).

Eight RAVDESS emotions. Each emotion is a prosody profile (F0 level, range, jitter, tremor, final contour,
tempo, spectral tilt, breathiness, energy) drawn afresh, within a spread, for every clip.
Split by speaker: real speakers en/es/it train, ru val, fr test; espeak voices assigned to one split each.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from . import espeak, speech, world
from .jobs import ClipJob, stable_hash
from .signal import SR, fit_length, set_level, trim_silence
from .tools import require_module, require_program

TASK = "emotion"
DURATION = 3.0
VERSION = "2"
EMOTIONS = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")

#: centre of each emotion's prosody profile (after Banse & Scherer 1996, Juslin & Laukka 2003)
PROFILES: dict[str, world.Prosody] = {
    "neutral": world.Prosody(),
    "calm": world.Prosody(f0_st=-1.0, f0_range=0.7, tempo=0.88, tilt_db=-2.0, breath=0.1, gain_db=-4.0),
    "happy": world.Prosody(f0_st=3.0, f0_range=1.5, tempo=1.1, tilt_db=2.0, gain_db=3.0, contour_st=1.0),
    "sad": world.Prosody(f0_st=-2.0, f0_range=0.5, jitter=0.01, tempo=0.8, tilt_db=-4.0, breath=0.2,
                         gain_db=-6.0, contour_st=-1.5),
    "angry": world.Prosody(f0_st=2.0, f0_range=1.3, jitter=0.02, tempo=1.12, tilt_db=5.0, gain_db=6.0,
                           contour_st=-1.0),
    "fearful": world.Prosody(f0_st=5.0, f0_range=0.8, jitter=0.03, tremor=0.05, tempo=1.2, breath=0.25),
    "disgust": world.Prosody(f0_st=-2.0, f0_range=1.1, jitter=0.02, tempo=0.85, tilt_db=-1.0, breath=0.1,
                             contour_st=-2.5),
    "surprised": world.Prosody(f0_st=4.0, f0_range=1.8, tempo=1.0, tilt_db=1.0, gain_db=2.0, contour_st=4.0),
}
#: espeak-ng SSML (pitch %, range %, rate %, volume dB) per emotion
SSML: dict[str, tuple[float, float, float, float]] = {
    "neutral": (0, 100, 100, 0), "calm": (-8, 70, 88, -4), "happy": (20, 160, 110, 3),
    "sad": (-12, 50, 78, -6), "angry": (12, 140, 115, 6), "fearful": (35, 90, 125, 0),
    "disgust": (-12, 110, 85, 0), "surprised": (30, 190, 100, 2),
}
REAL_SPLITS = {"en": "train", "es": "train", "it": "train", "ru": "val", "fr": "test"}


def config(profile: str) -> dict[str, Any]:
    per_speaker, per_espeak = {"default": (16, (35, 8, 7)), "smoke": (1, (2, 2, 2))}[profile]
    return {"profile": profile, "emotions": list(EMOTIONS), "world_per_speaker_emotion": per_speaker,
            "espeak_per_emotion_split": list(per_espeak), "real_splits": REAL_SPLITS,
            "level_dbfs": -23.0, "profiles": {k: vars(v) for k, v in PROFILES.items()}, "ssml": SSML}


def prepare(cfg: dict[str, Any]) -> dict[str, Any]:
    require_program("espeak-ng", "espeak-ng")
    require_module("pyworld", "pyworld==0.3.5 'setuptools<81'")
    skipped: list[str] = []
    return {"prompts": {lang: speech.prompts(lang, skipped) for lang in speech.VOICES}, "source_skips": skipped}


def _espeak_speakers() -> dict[str, list[str]]:
    """Every espeak voice+variant, assigned to a split by a stable hash (70/15/15)."""
    out: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for lang, voices in espeak.LANG_VOICES.items():
        for v in voices:
            for var in espeak.VARIANTS:
                h = stable_hash(f"{v}+{var}") % 100
                out["train" if h < 70 else "val" if h < 85 else "test"].append(f"{lang}|{v}+{var}")
    return out


def plan(cfg: dict[str, Any], ctx: dict[str, Any], seed: int) -> list[ClipJob]:
    rng = np.random.default_rng([seed, 11])
    pools = ctx["prompts"]
    jobs: list[ClipJob] = []
    for emo in cfg["emotions"]:
        for lang, split in cfg["real_splits"].items():
            v = speech.VOICES[lang]
            for i in range(cfg["world_per_speaker_emotion"]):
                ps = speech.choose_prompts(pools[lang], rng, DURATION * 1.4)
                jobs.append(ClipJob(f"emo-world-{lang}-{emo}-{i:03d}", emo, split, "asterisk+world",
                                    v.speaker, "world", " ".join(p.text for p in ps),
                                    {"kind": "world", "wavs": [p.wav for p in ps]}))
        speakers = _espeak_speakers()
        for split, n in zip(("train", "val", "test"), cfg["espeak_per_emotion_split"]):
            for i in range(n):
                lang, voice = speakers[split][int(rng.integers(len(speakers[split])))].split("|")
                ps = speech.choose_prompts(pools[lang], rng, DURATION * 1.4)
                jobs.append(ClipJob(f"emo-espeak-{split}-{emo}-{i:03d}", emo, split, "espeak-ng",
                                    f"espeak-{voice}", "espeak-ng", " ".join(p.text for p in ps),
                                    {"kind": "espeak", "voice": voice}))
    return jobs


def _jitter(pr: world.Prosody, rng: np.random.Generator) -> world.Prosody:
    """The emotion's profile with per-clip variation (actors differ; so do takes)."""
    return replace(pr, f0_st=pr.f0_st + rng.uniform(-1.0, 1.0),
                   f0_range=max(0.2, pr.f0_range * rng.uniform(0.85, 1.15)),
                   jitter=pr.jitter * rng.uniform(0.7, 1.3), tremor=pr.tremor * rng.uniform(0.7, 1.3),
                   contour_st=pr.contour_st * rng.uniform(0.7, 1.3), tempo=pr.tempo * rng.uniform(0.95, 1.05),
                   tilt_db=pr.tilt_db + rng.uniform(-1.0, 1.0), breath=pr.breath * rng.uniform(0.7, 1.3),
                   gain_db=pr.gain_db + rng.uniform(-1.5, 1.5))


def render(job: ClipJob, cfg: dict[str, Any], ctx: dict[str, Any], seed: int) -> np.ndarray:
    rng = job.rng(seed)
    n = int(round(DURATION * SR))
    if job.params["kind"] == "world":
        x = set_level(speech.join_prompts(job.params["wavs"], rng), cfg["level_dbfs"])
        pr = _jitter(PROFILES[job.label], rng)
        y = world.synthesise(world.apply(world.analyse(x), pr, rng), tempo=pr.tempo)
        gain = pr.gain_db
    else:
        p, r, rate, vol = SSML[job.label]
        p += rng.uniform(-5, 5)
        r *= rng.uniform(0.85, 1.15)
        rate *= rng.uniform(0.95, 1.05)
        y = espeak.speak(job.text, job.params["voice"], pitch=f"{p:+.0f}%", rate=f"{rate:.0f}%",
                         prange=f"{r:.0f}%")
        gain = vol + rng.uniform(-1.5, 1.5)
    y = trim_silence(y)
    return set_level(fit_length(y, n), cfg["level_dbfs"] + gain)


def describe(cfg: dict[str, Any]) -> str:
    rows = "\n".join(f"| {e} | {p['f0_st']:+.1f} | {p['f0_range']:.2f} | {p['jitter']:.2f} | {p['tremor']:.2f} | "
                     f"{p['contour_st']:+.1f} | {p['tempo']:.2f} | {p['tilt_db']:+.1f} | {p['breath']:.2f} | "
                     f"{p['gain_db']:+.1f} |" for e, p in cfg["profiles"].items())
    return f"""Simulated acted emotional speech, eight RAVDESS emotions ({', '.join(cfg['emotions'])}).
No acted-emotion recordings can be had offline, so emotion is *simulated* on two kinds of voice:

1. **Real recorded voices** (Asterisk core prompts, professional speakers, 16 kHz G.722 decoded with
   ffmpeg; en, es, fr, ru female, it male). Random prompts are joined with 0.12-0.3 s pauses and
   re-synthesised with the WORLD vocoder (pyworld: DIO/StoneMask F0, CheapTrick, D4C) after changing the
   prosody with the emotion's profile below, each parameter drawn per clip around the profile centre
   (F0 +-1 semitone, range x0.85-1.15, tempo x0.95-1.05, tilt +-1 dB/oct, gain +-1.5 dB, the others
   x0.7-1.3). {cfg['world_per_speaker_emotion']} clips per speaker and emotion.
2. **espeak-ng** voices x variants (7 English accents, 2 Spanish, 3 French, Italian, 2 Russian; 36 human-like
   variants each) reading the same kind of prompts in their language, with SSML `<prosody pitch range rate
   volume>` per emotion ({cfg['ssml']}, values as pitch %, range %, rate %, volume dB, randomised per clip).
   {cfg['espeak_per_emotion_split']} clips per emotion for train/val/test.

Prosody profiles (F0 semitones, F0 range factor, jitter, tremor depth, final contour semitones, tempo,
tilt dB/octave, breathiness, gain dB):

| emotion | F0 | range | jitter | tremor | contour | tempo | tilt | breath | gain |
|---|---|---|---|---|---|---|---|---|---|
{rows}

Every clip: silence trimmed, the first {DURATION:.1f} s kept (zero-padded if shorter, 10 ms fades), active
speech level set to {cfg['level_dbfs']} dBFS plus the emotion's gain (energy is a genuine emotion cue here).
**Split by speaker**: real speakers {cfg['real_splits']}; each espeak voice+variant belongs to exactly one
split (stable hash, 70/15/15), so val and test speakers are never heard in training.
Caveat: this is a simulation of the acoustic correlates of emotion, not acted emotion; a model trained on
it learns those correlates (F0, tempo, energy, tilt, voice quality), which is what the frequency-domain
study probes."""
