"""What happens to a sufficient signal in practice, and whether the model's class survives it.

A minimal set sits at the model's decision boundary by construction, and for some models that boundary
is a knife edge: the returned set passes in the library's float32 synthesis, but the same set rebuilt
in float64 (a change of about 1e-8), written as 16-bit PCM (as a player or ``--out`` writes it) or given
a little noise may not.  :func:`check_renderings` evaluates the set under each of :data:`RENDERINGS`
and the *margin* of the target over the runner-up class, so an explanation can say whether its set is
robust.  The renderings and the noise level are our choice (the paper asks only for the same top-1
class in its own synthesis).
"""
from __future__ import annotations

import io
from typing import Any

import numpy as np
import scipy.fft as sfft
import soundfile as sf

from .classifier import Classifier, predict_in_batches
from .fills import ZERO, fill_spectrum
from .masking import keep_bins, spectrum

#: the renderings a robust set keeps its class under: float64 synthesis, a 24-bit and a 16-bit PCM WAV
#: round trip at the signal's own level (never normalised up), and white noise at NOISE_DB re its RMS
RENDERINGS: tuple[str, ...] = ("float64", "pcm24", "pcm16", "noise")
#: level of the added noise, in dB relative to the sufficient signal's RMS
NOISE_DB = -80.0


def pcm_round_trip(signal: np.ndarray, sample_rate: int, subtype: str) -> np.ndarray:
    """``signal`` written as a WAV file of ``subtype`` (``PCM_16``, ``PCM_24``, ...) and read back
    (float32), in memory, exactly as soundfile writes and reads a file on disk (values past full scale
    clip)."""
    buf = io.BytesIO()
    sf.write(buf, np.asarray(signal, dtype=np.float32), int(sample_rate), format="WAV", subtype=subtype)
    buf.seek(0)
    y, _ = sf.read(buf, dtype="float32")
    return y


def render(waveform: np.ndarray, keep: np.ndarray, kind: str, sample_rate: int, *, seed: int = 0,
           fill: str = ZERO, fill_seed: int = 0) -> np.ndarray:
    """The sufficient signal of ``keep`` on ``waveform`` (removed bins under ``fill``, drawn with
    ``fill_seed``; :mod:`suffice.fills`) as rendering ``kind`` (one of :data:`RENDERINGS`), float32 for
    the model."""
    if kind == "float64":
        x = np.asarray(waveform, dtype=np.float64)
        f = fill_spectrum(spectrum(x), fill, fill_seed)
        return sfft.irfft(np.where(keep, sfft.rfft(x), 0.0 if f is None else f.astype(np.complex128)),
                          n=len(x)).astype(np.float32)
    base = keep_bins(waveform, keep, fill=fill, fill_seed=fill_seed)
    if kind in ("pcm24", "pcm16"):
        return pcm_round_trip(base, sample_rate, {"pcm24": "PCM_24", "pcm16": "PCM_16"}[kind])
    if kind == "noise":
        rms = float(np.sqrt(np.mean(np.square(base, dtype=np.float64))))
        noise = np.random.default_rng(seed).normal(0.0, rms * 10 ** (NOISE_DB / 20), len(base))
        return (base + noise).astype(np.float32)
    raise ValueError(f"unknown rendering {kind!r}; expected one of {RENDERINGS}")


def margin(probs: np.ndarray, target: int) -> float:
    """The target's probability minus the largest other class's (negative: another class wins)."""
    p = np.asarray(probs, dtype=np.float64)
    others = np.delete(p, target)
    return float(p[target] - (others.max() if others.size else 0.0))


def check_renderings(model: Classifier, waveform: np.ndarray, keep: np.ndarray, target: int,
                     base_probs: np.ndarray, *, seed: int = 0, batch_size: int = 64, fill: str = ZERO,
                     fill_seed: int = 0) -> dict[str, Any]:
    """The set's margin (on ``base_probs``, the model's answer to the library's own synthesis) and its
    class under every rendering, in one batch of ``len(RENDERINGS)`` model calls (removed bins under
    ``fill``, as in the search).

    Returns ``{"margin": float, "robust": bool, "labels": {kind: label index}, "calls": int}``; ``robust``
    is True when every rendering keeps ``target`` as the top-1 class."""
    waves = np.stack([render(waveform, keep, k, int(model.sample_rate), seed=seed, fill=fill,
                             fill_seed=fill_seed) for k in RENDERINGS])
    probs = predict_in_batches(model, waves, batch_size)
    labels = {k: int(np.argmax(p)) for k, p in zip(RENDERINGS, probs)}
    return {"margin": margin(base_probs, target), "robust": all(v == target for v in labels.values()),
            "labels": labels, "calls": len(RENDERINGS)}


__all__ = ["NOISE_DB", "RENDERINGS", "check_renderings", "margin", "pcm_round_trip", "render"]
