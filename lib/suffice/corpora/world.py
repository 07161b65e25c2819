"""WORLD vocoder analysis and prosody-changing resynthesis (pyworld)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .signal import SR

FRAME_MS = 5.0


def _pw():
    from .tools import require_module
    require_module("pyworld", "pyworld==0.3.5 'setuptools<81'")
    import warnings
    with warnings.catch_warnings():  # pyworld imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import pyworld
    return pyworld


@dataclass
class WorldParams:
    """WORLD parameters of one utterance: F0 (Hz, 0 = unvoiced), spectral envelope, aperiodicity."""

    f0: np.ndarray
    sp: np.ndarray
    ap: np.ndarray


def analyse(x: np.ndarray, sr: int = SR) -> WorldParams:
    """DIO + StoneMask F0, CheapTrick envelope, D4C aperiodicity."""
    pw = _pw()
    xd = np.ascontiguousarray(x, dtype=np.float64)
    f0, t = pw.dio(xd, sr, frame_period=FRAME_MS, f0_floor=60.0, f0_ceil=600.0)
    f0 = pw.stonemask(xd, f0, t, sr)
    return WorldParams(f0, pw.cheaptrick(xd, f0, t, sr), pw.d4c(xd, f0, t, sr))


def synthesise(p: WorldParams, sr: int = SR, tempo: float = 1.0) -> np.ndarray:
    """Resynthesise; ``tempo`` > 1 speaks faster (frames are played at a shorter period)."""
    pw = _pw()
    y = pw.synthesize(np.ascontiguousarray(p.f0), np.ascontiguousarray(p.sp), np.ascontiguousarray(p.ap),
                      sr, frame_period=FRAME_MS / float(tempo))
    return y.astype(np.float32)


@dataclass(frozen=True)
class Prosody:
    """A prosody change: F0 level (semitones), F0 range (factor around the mean), jitter (std of per-frame
    log-F0 noise), tremor (depth of a 5-7 Hz F0 modulation, fraction), final contour (semitones over the
    last 40% of voiced frames), tempo, spectral tilt (dB per octave around 1 kHz), breathiness (0-1,
    extra aperiodicity), gain (dB)."""

    f0_st: float = 0.0
    f0_range: float = 1.0
    jitter: float = 0.0
    tremor: float = 0.0
    contour_st: float = 0.0
    tempo: float = 1.0
    tilt_db: float = 0.0
    breath: float = 0.0
    gain_db: float = 0.0


def apply(p: WorldParams, pr: Prosody, rng: np.random.Generator, sr: int = SR) -> WorldParams:
    """A copy of ``p`` with the prosody change applied (tempo and gain are applied at synthesis)."""
    f0 = p.f0.copy()
    voiced = f0 > 0
    if voiced.any():
        lf = np.log(f0[voiced])
        mean = lf.mean()
        lf = mean + (lf - mean) * pr.f0_range + pr.f0_st * np.log(2) / 12
        n = lf.size
        if pr.jitter > 0:
            noise = rng.normal(0, pr.jitter, n)
            lf = lf + np.convolve(noise, np.ones(3) / 3, mode="same")
        if pr.tremor > 0:
            rate = rng.uniform(5.0, 7.0)
            lf = lf + np.log1p(pr.tremor * np.sin(2 * np.pi * rate * np.arange(n) * FRAME_MS / 1000
                                                  + rng.uniform(0, 2 * np.pi)))
        if pr.contour_st != 0.0:
            ramp = np.clip((np.arange(n) - 0.6 * n) / (0.4 * n), 0, 1)
            lf = lf + ramp * pr.contour_st * np.log(2) / 12
        f0[voiced] = np.clip(np.exp(lf), 50.0, 800.0)
    sp = p.sp.copy()
    if pr.tilt_db != 0.0:
        freqs = np.linspace(0, sr / 2, sp.shape[1])
        octaves = np.log2(np.maximum(freqs, 125.0) / 1000.0)
        sp *= (10.0 ** (pr.tilt_db * octaves / 10.0))[None, :]
    ap = p.ap.copy()
    if pr.breath > 0:
        ap = 1.0 - (1.0 - ap) * (1.0 - pr.breath)
    return WorldParams(f0, sp, ap)
