"""Small waveform utilities shared by the corpus generators (all float32 mono)."""
from __future__ import annotations

import subprocess

import numpy as np

from ..audio import resample
from ..errors import AudioError

from ..constants import SAMPLE_RATE as SR


def db_to_gain(db: float) -> float:
    """Amplitude factor of ``db`` decibels."""
    return float(10.0 ** (db / 20.0))


def active_rms(x: np.ndarray, frame: int = 400, top_db: float = 40.0) -> float:
    """RMS over the frames within ``top_db`` of the loudest frame (speech level, not pause level)."""
    n = len(x) // frame
    if n == 0:
        return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-20))
    e = np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    keep = e >= e.max() * 10 ** (-top_db / 10)
    return float(np.sqrt(e[keep].mean() + 1e-20))


def set_level(x: np.ndarray, dbfs: float, *, peak: float = 0.98) -> np.ndarray:
    """Scale to an active RMS of ``dbfs`` dB full scale, then soft-limit so |x| stays below ``peak``."""
    y = x * (db_to_gain(dbfs) / active_rms(x))
    m = float(np.abs(y).max())
    if m > peak:  # a gentle tanh limiter above 0.7*peak keeps the level without hard clipping
        knee = 0.7 * peak
        a = np.abs(y)
        over = a > knee
        y = y.copy()
        y[over] = np.sign(y[over]) * (knee + (peak - knee) * np.tanh((a[over] - knee) / (peak - knee)))
    return y.astype(np.float32)


def trim_silence(x: np.ndarray, top_db: float = 40.0, frame: int = 320) -> np.ndarray:
    """Drop leading and trailing frames more than ``top_db`` below the loudest frame."""
    n = len(x) // frame
    if n == 0:
        return x
    e = np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)
    on = np.flatnonzero(e >= e.max() * 10 ** (-top_db / 10))
    if on.size == 0:
        return x
    return x[on[0] * frame: min(len(x), (on[-1] + 1) * frame)]


def fit_length(x: np.ndarray, n: int, *, start: int = 0, fade: int = 160) -> np.ndarray:
    """Exactly ``n`` samples from ``start`` (zero-padded at the end), with short fades at both ends."""
    y = np.zeros(n, dtype=np.float32)
    seg = x[start: start + n]
    y[: len(seg)] = seg
    if fade > 0 and n > 2 * fade:
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        y[:fade] *= ramp
        y[n - fade:] *= ramp[::-1]
    return y


def to_16k(x: np.ndarray, sr: int) -> np.ndarray:
    """Mono float32 at 16 kHz."""
    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=1)
    return resample(a, int(sr), SR)


def check_clip(x: np.ndarray, n: int) -> np.ndarray:
    """Raise :class:`AudioError` unless ``x`` is ``n`` finite, audible samples."""
    if x.shape != (n,):
        raise AudioError(f"clip has {x.shape} samples, expected ({n},)")
    if not np.isfinite(x).all():
        raise AudioError("clip contains NaN or infinite samples")
    if float(np.abs(x).max()) < 1e-4:
        raise AudioError("clip is silent")
    return x


def band_limit(x: np.ndarray, low: float = 120.0, high: float = 7000.0) -> np.ndarray:
    """Zero-phase 4th-order Butterworth band-pass ``low``-``high`` Hz at 16 kHz."""
    from scipy.signal import butter, sosfiltfilt
    sos = butter(4, [low, high], btype="bandpass", fs=SR, output="sos")
    return sosfiltfilt(sos, np.asarray(x, dtype=np.float64)).astype(np.float32)


def g722_roundtrip(x: np.ndarray) -> np.ndarray:
    """Encode and decode through the G.722 codec with ffmpeg (the channel of the real recordings)."""
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
    enc = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "s16le", "-ar", str(SR), "-ac", "1", "-i",
                          "pipe:0", "-c:a", "g722", "-f", "g722", "pipe:1"], input=pcm, capture_output=True)
    if enc.returncode != 0:
        raise AudioError(f"ffmpeg G.722 encode failed: {enc.stderr.decode(errors='replace')[-300:]}")
    dec = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "g722", "-i", "pipe:0", "-f", "s16le", "-ar",
                          str(SR), "-ac", "1", "pipe:1"], input=enc.stdout, capture_output=True)
    if dec.returncode != 0:
        raise AudioError(f"ffmpeg G.722 decode failed: {dec.stderr.decode(errors='replace')[-300:]}")
    y = np.frombuffer(dec.stdout, dtype="<i2").astype(np.float32) / 32768.0
    out = np.zeros(len(x), dtype=np.float32)  # the codec may add or drop a few samples
    out[: min(len(x), len(y))] = y[: len(x)]
    return out
