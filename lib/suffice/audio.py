"""Reading and checking audio: mono, the model's sample rate, finite, audible, not too short or long."""
from __future__ import annotations

import contextlib
import contextvars
import os
from math import gcd
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from .constants import SAMPLE_RATE
from .errors import AudioError

#: shortest clip accepted, in seconds (the rfft must have enough bins to say anything)
MIN_DURATION_S = 0.05
#: peak amplitude under which a clip counts as silent
SILENCE_PEAK = 1e-5
#: longest clip accepted, in seconds (None: no limit).  Every model call of a search resynthesises the
#: whole clip, so time and memory grow with length x batch_size.  Measured with an FFT-based analytic
#: model on a busy 2-core machine at batch_size 8: a 120 s clip took 3,606 calls, 13 min and 4.0 GB
#: for one explanation; a 10-minute clip cost 4.6 s per model call (hours per explanation).  Cut long
#: recordings into clips, or raise this (and lower ``batch_size``) knowingly.
MAX_DURATION_S: float | None = 120.0


#: the limit set by :func:`duration_limit` in this thread or task (None: :data:`MAX_DURATION_S`); a context
#: variable, so that concurrent blocks (threads of a Dask worker, say) never see or undo each other's
_BLOCK_LIMIT: contextvars.ContextVar[float | None] = contextvars.ContextVar("suffice_duration_limit", default=None)


@contextlib.contextmanager
def duration_limit(seconds: float | None) -> Iterator[None]:
    """Within the block (in this thread or task only), clips up to ``seconds`` long are accepted
    (``None``: leave the limit as it is; ``math.inf``: any length).  The CLI's ``--max-seconds`` and a
    study's ``max_clip_seconds``."""
    if seconds is None:
        yield
        return
    if not seconds > 0:
        raise AudioError(f"the clip length limit must be positive, got {seconds!r}")
    token = _BLOCK_LIMIT.set(float(seconds))
    try:
        yield
    finally:
        _BLOCK_LIMIT.reset(token)


def as_float(a: np.ndarray, name: str = "waveform") -> np.ndarray:
    """Samples as floats: integer PCM (int8/16/32/64, uint8 ...) scaled by its dtype's range to [-1, 1)
    (int16 32767 -> 0.99997; uint8 is centred on 128), floats unchanged; booleans and non-numbers refused."""
    a = np.asarray(a)
    if a.dtype == np.bool_ or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise AudioError(f"{name} must be real-valued numbers, got dtype {a.dtype}")
    if np.issubdtype(a.dtype, np.signedinteger):
        return (a.astype(np.float64) / float(2 ** (8 * a.dtype.itemsize - 1))).astype(np.float32)
    if np.issubdtype(a.dtype, np.unsignedinteger):
        half = float(2 ** (8 * a.dtype.itemsize - 1))
        return ((a.astype(np.float64) - half) / half).astype(np.float32)
    return a


def _too_long(n_samples: int, sample_rate: int, name: str, max_duration: float | None) -> AudioError | None:
    block = _BLOCK_LIMIT.get()
    limit = max_duration if max_duration is not None else block if block is not None else MAX_DURATION_S
    if limit is None or n_samples <= limit * sample_rate:
        return None
    return AudioError(f"{name} is too long: {n_samples / sample_rate:.1f} s; the limit is {limit:g} s "
                      "(a study's max_clip_seconds, the CLI's --max-seconds, suffice.audio.duration_limit) because every "
                      "model call resynthesises the whole clip. Cut it into shorter clips, or raise the limit and "
                      "lower batch_size")


def resample(x: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Polyphase resampling (float32) of the last axis."""
    if orig_sr == target_sr:
        return np.asarray(x, dtype=np.float32)
    g = gcd(int(orig_sr), int(target_sr))
    return resample_poly(np.asarray(x, dtype=np.float64), target_sr // g, orig_sr // g, axis=-1).astype(np.float32)


def validate_waveform(x: np.ndarray, sample_rate: int, *, name: str = "waveform",
                      min_duration: float = MIN_DURATION_S, max_duration: float | None = None) -> np.ndarray:
    """Return ``x`` as contiguous float32 mono, or raise :class:`AudioError` saying what is wrong.

    ``max_duration`` (seconds): None uses :data:`MAX_DURATION_S` (see :func:`duration_limit`);
    ``math.inf`` accepts any length.  Integer samples are scaled by their dtype's range (:func:`as_float`).
    """
    a = np.asarray(x)
    if a.size == 0:
        raise AudioError(f"{name} is empty (0 samples)")
    if a.ndim != 1:
        raise AudioError(f"{name} must be mono with shape (T,), got shape {a.shape}; "
                         "use prepare_waveform() to down-mix")
    a = as_float(a, name).astype(np.float32)
    bad = ~np.isfinite(a)
    if bad.any():
        raise AudioError(f"{name} contains {int(bad.sum())} NaN or infinite samples")
    if len(a) < min_duration * sample_rate:
        raise AudioError(f"{name} is too short: {len(a)} samples ({len(a) / sample_rate:.4f} s) at "
                         f"{sample_rate} Hz; at least {min_duration} s is needed")
    long = _too_long(len(a), sample_rate, name, max_duration)
    if long:
        raise long
    if np.abs(a).max() < SILENCE_PEAK:
        raise AudioError(f"{name} is silent (peak amplitude {np.abs(a).max():.2e} < {SILENCE_PEAK:g})")
    return np.ascontiguousarray(a)


def prepare_waveform(x: np.ndarray, sample_rate: int, target_rate: int, *, name: str = "waveform",
                     channels_last: bool = True, max_duration: float | None = None) -> np.ndarray:
    """Down-mix (T, C) or (C, T) audio to mono, resample to ``target_rate`` and validate it."""
    a = np.asarray(x)
    for what, r in (("sample_rate", sample_rate), ("target_rate", target_rate)):
        whole = isinstance(r, (int, np.integer)) or (isinstance(r, (float, np.floating)) and float(r).is_integer())
        if isinstance(r, bool) or not whole or r <= 0:
            raise AudioError(f"{name}: {what} must be a positive integer (Hz), got {r!r}")
    a = as_float(a, name)
    if a.ndim == 2:
        if 0 in a.shape:
            raise AudioError(f"{name} is empty (shape {a.shape})")
        a = a.mean(axis=1 if channels_last else 0)
    elif a.ndim > 2:
        raise AudioError(f"{name} has {a.ndim} dimensions; expected mono (T,) or multichannel (T, C)")
    if a.size and not np.isfinite(a).all():
        raise AudioError(f"{name} contains NaN or infinite samples")
    if a.size == 0:
        raise AudioError(f"{name} is empty (0 samples)")
    long = _too_long(len(a), int(sample_rate), name, max_duration)
    if long:  # refuse before resampling a huge array
        raise long
    a = resample(a.astype(np.float32), int(sample_rate), int(target_rate))
    return validate_waveform(a, int(target_rate), name=name, max_duration=max_duration)


def wav_truncation(path: str | os.PathLike) -> str | None:
    """Why a RIFF/WAVE file is cut short (its ``data`` chunk claims more bytes than follow), else None.

    libsndfile reads such a file up to where it ends without complaint; we refuse it instead, since a
    clip that lost its tail is not the clip the data set describes.  Streamed WAVs that leave the size
    unset (0 or 0xFFFFFFFF) and non-WAV files are not judged here.
    """
    try:
        return _wav_truncation(path)
    except OSError:  # unreadable: the reader proper will say so
        return None


def _wav_truncation(path: str | os.PathLike) -> str | None:
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk = f.read(8)
            cid, n = chunk[:4], int.from_bytes(chunk[4:8], "little")
            if cid == b"data":
                if n in (0, 0xFFFFFFFF) or pos + 8 + n <= size:
                    return None
                return (f"{path} is truncated: its data chunk declares {n} bytes of audio but only "
                        f"{size - pos - 8} follow (an interrupted copy or download?)")
            pos += 8 + n + (n & 1)
    return None


def load_audio(path: str | os.PathLike, target_rate: int = SAMPLE_RATE, *,
               max_duration: float | None = None) -> np.ndarray:
    """Read a sound file (wav, flac, ogg, ...), down-mix to mono, resample to ``target_rate``.

    The format is read from the file's content, not its extension.  Raises :class:`AudioError` for a
    missing, unreadable, truncated, empty, non-finite, silent, too-short or too-long file
    (``max_duration``: see :func:`validate_waveform`).
    """
    p = Path(path)
    if not p.exists():
        raise AudioError(f"no such audio file: {p}")
    if p.is_dir():
        raise AudioError(f"{p} is a folder, not an audio file")
    why = wav_truncation(p)
    if why:
        raise AudioError(why)
    try:
        info = sf.info(str(p))
    except Exception:  # noqa: BLE001 - unreadable: sf.read below says why
        info = None
    if info is not None and info.samplerate > 0:
        long = _too_long(int(info.frames), int(info.samplerate), str(p), max_duration)
        if long:  # refuse before reading it all into memory
            raise long
    try:
        data, sr = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises several types for corrupt input
        raise AudioError(f"cannot read {p} as audio: {exc}") from exc
    return prepare_waveform(data, sr, target_rate, name=str(p), max_duration=max_duration)


def input_waveform(waveform: "np.ndarray | str | os.PathLike", target_rate: int, *,
                   sample_rate: int | None = None) -> np.ndarray:
    """What a search takes as a clip: a sound file's path (loaded and resampled), samples at
    ``sample_rate`` (resampled to ``target_rate``), or samples already at ``target_rate`` (checked)."""
    if isinstance(waveform, (str, os.PathLike)):
        return load_audio(waveform, target_rate)
    if sample_rate is not None and int(sample_rate) != int(target_rate):
        return prepare_waveform(np.asarray(waveform), int(sample_rate), int(target_rate))
    return validate_waveform(waveform, int(target_rate))
