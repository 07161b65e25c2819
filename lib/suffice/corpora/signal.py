"""Small waveform utilities shared by the corpus generators (all float32 mono)."""
from __future__ import annotations

import subprocess

import numpy as np

from ..audio import resample
from ..errors import AudioError, OptionError

from ..constants import SAMPLE_RATE as SR


def db_to_gain(db: float) -> float:
    """Amplitude factor of ``db`` decibels."""
    return float(10.0 ** (db / 20.0))


def active_rms(x: np.ndarray, frame: int = 400, top_db: float = 40.0) -> float:
    """RMS over the frames within ``top_db`` of the loudest frame (speech level, not pause level)."""
    e = frame_energy(x, frame)
    if e.size == 0:
        return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-20))
    return float(np.sqrt(e[loud(e, top_db)].mean() + 1e-20))


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


def frame_energy(x: np.ndarray, frame: int) -> np.ndarray:
    """Mean power of each whole ``frame`` of ``x`` (the tail shorter than a frame is left out)."""
    n = len(x) // frame
    return np.mean(np.square(x[: n * frame].reshape(n, frame), dtype=np.float64), axis=1)


def loud(energy: np.ndarray, top_db: float) -> np.ndarray:
    """Per frame of ``energy`` (frame powers): within ``top_db`` dB of the loudest frame."""
    if energy.size == 0:
        return np.zeros(0, dtype=bool)
    return energy >= energy.max() * 10 ** (-top_db / 10)


def trim_silence(x: np.ndarray, top_db: float = 40.0, frame: int = 320) -> np.ndarray:
    """Drop leading and trailing frames more than ``top_db`` below the loudest frame."""
    on = np.flatnonzero(loud(frame_energy(x, frame), top_db))
    if on.size == 0:
        return x
    return x[on[0] * frame: min(len(x), (on[-1] + 1) * frame)]


def _sustained(x: np.ndarray, top_db: float, frame: int) -> np.ndarray:
    """Per frame: it and the frame before it are both within ``top_db`` of the loudest frame."""
    on = loud(frame_energy(x, frame), top_db)
    both = np.zeros(len(on), dtype=bool)
    both[1:] = on[1:] & on[:-1]
    return both


def start_on_speech(x: np.ndarray, top_db: float = 20.0, frame: int = 320) -> np.ndarray:
    """``x`` from the first of two consecutive frames within ``top_db`` of the loudest one (unchanged if
    there are none): a clip that starts there has a loud first frame, however the voice sets in."""
    both = np.flatnonzero(_sustained(x, top_db, frame))
    return x[(both[0] - 1) * frame:] if both.size else x


def cut_on_speech(x: np.ndarray, n: int, top_db: float = 20.0, frame: int = 320) -> np.ndarray:
    """The first ``n`` samples of ``x`` (a multiple of ``frame``), ending on two consecutive frames within
    ``top_db`` of the loudest: where the cut would fall elsewhere (in a pause, a dip or a set-in), the frames
    from the last-but-one before the cut up to the next such pair are dropped.  Zero-padded at the end when
    ``x`` is too short; no fades.  A clip cut so ends in speech, never in a pause that a voice's rhythm put
    there."""
    if n % frame:
        raise OptionError(f"cut_on_speech: n = {n} is not a multiple of the {frame}-sample frame")
    both = _sustained(x, top_db, frame)
    last = n // frame - 1
    if 1 <= last < len(both) and not both[last]:
        later = np.flatnonzero(both[last:])
        if later.size:
            j = last + int(later[0])
            x = np.concatenate([x[: (last - 1) * frame], x[(j - 1) * frame:]])
    return fit_length(x, n, fade=0)


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


def brick_wall(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Ideal band-pass ``low``-``high`` Hz at 16 kHz: every FFT bin of the whole signal outside the band set
    to zero, so that nothing of the signal is left outside it (the 4th-order zero-phase Butterworth
    filter of corpus version 5 left -15 dB at 100 Hz, which let a low voice's energy through)."""
    spec = np.fft.rfft(np.asarray(x, dtype=np.float64))
    f = np.fft.rfftfreq(len(x), 1.0 / SR)
    spec[(f < low) | (f > high)] = 0.0
    return np.fft.irfft(spec, len(x)).astype(np.float32)


def taper(x: np.ndarray, seconds: float) -> np.ndarray:
    """``x`` with raised-cosine fades of ``seconds`` at both ends (a smooth edge leaks little energy
    outside the band of a band-limited signal, where an abrupt one spreads over the spectrum)."""
    k = min(int(round(seconds * SR)), len(x) // 2)
    y = np.array(x, dtype=np.float32)
    if k > 0:
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(k) / k)).astype(np.float32)
        y[:k] *= ramp
        y[len(y) - k:] *= ramp[::-1]
    return y


def cap_pauses(x: np.ndarray, max_pause: float, *, top_db: float = 35.0, frame: int = 320) -> np.ndarray:
    """Shorten every run of quiet frames (more than ``top_db`` below the loudest ``frame``) longer than
    ``max_pause`` seconds to that length, keeping its two ends; the tail shorter than a frame is kept."""
    quiet = ~loud(frame_energy(x, frame), top_db)
    n = len(quiet)
    if n == 0:
        return x
    framed = x[: n * frame].reshape(n, frame)
    cap = max(1, int(round(max_pause * SR / frame)))
    keep = np.ones(n, dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], quiet.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):  # each quiet run [start, stop)
        if stop - start > cap:
            keep[start + cap // 2: stop - (cap - cap // 2)] = False
    return np.concatenate([framed[keep].ravel(), x[n * frame:]])


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
