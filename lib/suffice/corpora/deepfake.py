"""Deepfake corpus: real human speech (bona fide) against the same transcripts from every offline TTS
system and WORLD-vocoded copies of the real clips (spoof). Some systems appear only in test (unseen).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import espeak, speech, tts, world
from .jobs import ClipJob, stable_hash
from .signal import SR, band_limit, db_to_gain, fit_length, g722_roundtrip, set_level, trim_silence
from .tools import require_module, require_program

TASK = "deepfake"
DURATION = 3.0
VERSION = "5"
#: spoofing systems never seen in train or val (like ASVspoof's unseen evaluation attacks)
UNSEEN = ("piper-joe", "festival-slt-hts", "flite-rms")
#: share of transcript pairs per language (the other languages have espeak-ng and WORLD spoofs only)
LANG_SHARE = {"en": 0.5, "es": 0.125, "fr": 0.125, "it": 0.125, "ru": 0.125}


def config(profile: str) -> dict[str, Any]:
    pairs = {"default": (350, 75, 75), "smoke": (8, 4, 6)}[profile]
    return {"profile": profile, "pairs_per_split": list(pairs), "lang_share": LANG_SHARE,
            "unseen_systems": list(UNSEEN), "english_systems": sorted(tts.ENGLISH_SYSTEMS),
            "level_dbfs": -23.0, "level_spread_db": 3.0, "noise_floor_dbfs": -66.0}


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
                ps = speech.choose_prompts(pool, rng, DURATION * 1.5)
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


#: the processing chain every clip goes through, in this order (both classes; written into the README)
CHAIN = ("source: bona fide recordings are 16 kHz G.722 as distributed; every spoof is set to -23 dBFS and "
         "encoded and decoded once through G.722, so that each source has passed the codec once",
         "band-limit 120-7000 Hz", "trim leading and trailing silence (frames 40 dB below the loudest)",
         "cut to the first 3.0 s (zero-padded at the end)", "set the active-speech level",
         "add the white noise floor", "G.722 round trip", "band-limit 120-7000 Hz", "set the level again")


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
    """One clip through :data:`CHAIN`: the same steps in the same order for bona fide and spoof."""
    rng = job.rng(seed)
    n = int(round(DURATION * SR))
    x = fit_length(trim_silence(band_limit(_synthesise(job, rng))), n)
    level = cfg["level_dbfs"] + rng.uniform(-cfg["level_spread_db"], cfg["level_spread_db"])
    x = set_level(x, level)
    x = x + rng.normal(0, db_to_gain(cfg["noise_floor_dbfs"]), n).astype(np.float32)
    x = g722_roundtrip(x)
    return set_level(band_limit(x), level)


def describe(cfg: dict[str, Any]) -> str:
    steps = "; ".join(f"({i}) {step}" for i, step in enumerate(CHAIN, 1))
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
  for both classes); noise floor: white, {cfg['noise_floor_dbfs']} dBFS; band limit: 4th-order
  Butterworth, zero phase; the codec is ffmpeg's G.722 (the 50-7000 Hz wideband telephone channel of the
  real recordings); 8 kHz voices are not used.  Every clip has therefore been through G.722 exactly twice
  (once at its source, once in the chain) and had the noise floor added before the second pass.  (Corpus
  version 4 and earlier added the noise floor *before* the codec for spoofs and *after* it for bona fide
  clips, a channel difference between the classes; in the first smoke build, without the band limit,
  the share of energy below 100 Hz was about 5 dB higher in spoofs, -20.5 against -25.8 dB.)
  The checks below test that level and bandwidth alone do not reveal the label; the data-and-models
  chapter's channel audit adds the noise floor, leading and trailing silence and speech duration."""
