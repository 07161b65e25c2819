"""One explanation, heard and seen: audio players backed by .wav files, and three figures.

Players: :func:`audio_players` writes each signal as a 16-bit .wav file under ``SUFFICE_AUDIO_DIR``
(set by ``python -m suffice.book run-chapter``; relative to the notebook's working directory) and
returns HTML ``<audio>`` elements that reference those files relatively, so the book ships small
static files rather than base64 blobs.  Outside a book run (the variable unset) the audio is embedded.

Figures: :func:`plot_spectrum` (magnitude spectrum, kept bins marked), :func:`plot_responsibility`
(the responsibility map over frequency), :func:`plot_signals` (waveform and spectrogram, original vs
sufficient).
"""
from __future__ import annotations

import base64
import html
import io
import os
import re
from pathlib import Path
from typing import Mapping

import numpy as np
import soundfile as sf

from ..errors import AudioError, SufficeError
from ..explanation import Explanation

AUDIO_DIR_ENV = "SUFFICE_AUDIO_DIR"
ORIGINAL_COLOUR, KEPT_COLOUR = "0.55", "#d62728"


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", text.strip()).strip("-").lower()
    if not s:
        raise SufficeError(f"cannot make a file name from {text!r}")
    return s


def _playable(waveform: np.ndarray) -> np.ndarray:
    """The waveform (float32) to write as 16-bit PCM; scaled down only when it would clip (loudness is
    kept).  soundfile converts it to 16-bit exactly as :func:`suffice.renderings.pcm_round_trip` does, so
    a player's file holds the rendering the robustness check gave the model."""
    x = np.asarray(waveform, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise AudioError(f"expected a non-empty 1-D waveform, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise AudioError("waveform contains NaN or infinite samples")
    peak = float(np.max(np.abs(x)))
    if peak > 1.0:
        x = x / peak
    return x.astype(np.float32)


def write_wav(path: str | Path, waveform: np.ndarray, sample_rate: int) -> Path:
    """Write a mono 16-bit PCM .wav file (parent folders created)."""
    if sample_rate <= 0:
        raise AudioError(f"sample_rate must be positive, got {sample_rate}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, _playable(waveform), int(sample_rate), subtype="PCM_16")
    return path


def _level_db(x: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(np.asarray(x, dtype=np.float64)))))
    return 20 * np.log10(rms) if rms > 0 else float("-inf")


def audio_element(wave: np.ndarray, sample_rate: int, *, name: str, label: str,
                  audio_dir: str | Path | None = None, style: str = "") -> str:
    """One HTML ``<audio>`` player for ``wave``: the file ``<audio_dir>/<name>-<label>.wav`` (16-bit PCM at
    the signal's own level, :func:`write_wav`; ``audio_dir`` defaults to ``$SUFFICE_AUDIO_DIR``) referenced
    by its path as given, or, with neither set, the same bytes embedded as a data URI.  ``style``: CSS
    for the element (e.g. a width)."""
    folder = audio_dir if audio_dir is not None else os.environ.get(AUDIO_DIR_ENV)
    if folder:
        rel = Path(folder) / f"{_slug(name)}-{_slug(label)}.wav"
        write_wav(rel, wave, sample_rate)
        src = rel.as_posix()
    else:
        buf = io.BytesIO()
        sf.write(buf, _playable(wave), int(sample_rate), format="WAV", subtype="PCM_16")
        src = "data:audio/wav;base64," + base64.b64encode(buf.getvalue()).decode()
    css = f" style='{html.escape(style)}'" if style else ""
    return f"<audio controls preload='none'{css} src='{html.escape(src)}'></audio>"


def audio_players(signals: Mapping[str, np.ndarray], sample_rate: int, *, name: str,
                  audio_dir: str | Path | None = None):
    """HTML players for ``signals`` (label -> waveform), one row each with its length and level.

    Files are ``<audio_dir>/<name>-<label>.wav``; ``audio_dir`` defaults to ``$SUFFICE_AUDIO_DIR``.
    The ``src`` of each player is that path as given (relative to the notebook's working
    directory).  With neither set the audio is embedded as a data URI.  Returns an
    ``IPython.display.HTML`` object (its ``.data`` is the HTML text).
    """
    from IPython.display import HTML

    if not signals:
        raise SufficeError("audio_players needs at least one signal")
    rows = []
    for label, wave in signals.items():
        wave = np.asarray(wave)
        rows.append(
            f"<tr><td style='padding-right:1em'><b>{html.escape(label)}</b></td>"
            f"<td>{audio_element(wave, sample_rate, name=name, label=label, audio_dir=audio_dir)}</td>"
            f"<td style='padding-left:1em'>{len(wave) / sample_rate:.2f} s, {_level_db(wave):.1f} dBFS</td></tr>")
    return HTML("<table class='suffice-audio'>" + "".join(rows) + "</table>")


def level_matched(wave: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``wave`` scaled to the RMS level of ``reference`` (then down, if needed, so that it does not clip):
    a copy for listening to a quiet sufficient signal beside its clip.  Silence stays silence."""
    x = np.asarray(wave, dtype=np.float64)
    rms, ref = float(np.sqrt(np.mean(x ** 2))), float(np.sqrt(np.mean(np.square(reference, dtype=np.float64))))
    if rms == 0.0 or ref == 0.0:
        return x.astype(np.float32)
    y = x * (ref / rms)
    return (y / max(1.0, float(np.max(np.abs(y))) / 0.99)).astype(np.float32)


def explanation_players(e: Explanation, *, name: str, audio_dir: str | Path | None = None,
                        extras: bool = True, listening_copy: bool = True):
    """Players for the original clip and its sufficient signal; with ``extras``, also the necessary
    and complete signals when the explanation has them and they differ from the sufficient set.

    Every player holds 16-bit PCM at the signal's own level (never normalised up), the rendering the
    explanation's robustness check gave the model (:mod:`suffice.search.robust`): the sufficient row says
    the model's class on exactly that file when the check ran.  With ``listening_copy``, a last row plays
    the sufficient signal raised to the original's level, labelled as a level change for listening."""
    heard = (e.renderings or {}).get("pcm16")
    label = f"sufficient ({e.size} of {e.n_bins} bins)" + (f"; the model's class on this file: {heard}"
                                                           if heard is not None else "")
    signals = {"original": e.waveform, label: e.sufficient_signal}
    if extras and e.necessary_keep is not None and not np.array_equal(e.necessary_keep, e.keep):
        signals[f"sufficient and necessary ({int(e.necessary_keep.sum())} bins)"] = e.necessary_signal
    if extras and e.complete_keep is not None and not np.array_equal(e.complete_keep, e.keep):
        signals[f"complete ({int(e.complete_keep.sum())} bins)"] = e.complete_signal
    if listening_copy and e.size > 0:
        signals["sufficient, raised to the original's level for listening (a level change: not what the model "
                "heard)"] = level_matched(e.sufficient_signal, e.waveform)
    return audio_players(signals, e.sample_rate, name=name, audio_dir=audio_dir)


def _freqs(e: Explanation) -> np.ndarray:
    return np.arange(e.n_bins) * e.sample_rate / len(e.waveform)


def _ax(ax, figsize=(8, 3)):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def plot_spectrum(e: Explanation, ax=None, *, max_hz: float | None = None):
    """Magnitude spectrum (dB) of the clip with the bins of the sufficient set marked."""
    ax = _ax(ax)
    f = _freqs(e)
    mag = np.abs(np.fft.rfft(np.asarray(e.waveform, dtype=np.float64)))
    db = 20 * np.log10(mag / max(mag.max(), 1e-12) + 1e-9)
    ax.plot(f, db, color=ORIGINAL_COLOUR, lw=0.7, label="original spectrum")
    k = np.flatnonzero(e.keep)
    ax.scatter(f[k], db[k], s=12, color=KEPT_COLOUR, zorder=3, label=f"kept bins ({e.size} of {e.n_bins})")
    ax.set(xlabel="frequency (Hz)", ylabel="magnitude (dB re max)", xlim=(0, max_hz or f[-1]),
           ylim=(max(db.min(), -120) - 5, 5))
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(f"{e.model}: '{e.target}' ({e.confidence:.2f}) is kept by {e.fraction:.2%} of the bins",
                 fontsize="medium")
    return ax


def plot_responsibility(e: Explanation, ax=None, *, max_hz: float | None = None):
    """The causal responsibility of every bin, with the sufficient set shaded."""
    ax = _ax(ax)
    f = _freqs(e)
    r = np.asarray(e.responsibility, dtype=np.float64)
    ax.fill_between(f, r, step="mid", color="#1f77b4", alpha=0.6, lw=0, label="responsibility")
    k = np.flatnonzero(e.keep)
    ax.vlines(f[k], 0, r.max() if r.max() > 0 else 1, color=KEPT_COLOUR, lw=0.6, alpha=0.5,
              label="in the sufficient set")
    ax.set(xlabel="frequency (Hz)", ylabel="responsibility", xlim=(0, max_hz or f[-1]))
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(f"responsibility map ({e.strategy}, {e.n_model_calls} model calls)", fontsize="medium")
    return ax


def plot_signals(e: Explanation, *, max_hz: float | None = None, nperseg: int = 512, range_db: float = 70.0):
    """A 2 x 2 figure: waveform and spectrogram of the original clip and of its sufficient signal,
    on shared axes and a shared colour scale (``range_db`` below the original's peak)."""
    import matplotlib.pyplot as plt
    from scipy.signal import spectrogram

    x = np.asarray(e.waveform, dtype=np.float64)
    s = np.asarray(e.sufficient_signal, dtype=np.float64)
    t = np.arange(len(x)) / e.sample_rate
    fig, axes = plt.subplots(2, 2, figsize=(10, 5), sharex=True, layout="constrained")
    lim = max(np.abs(x).max(), np.abs(s).max(), 1e-9) * 1.05
    seg = min(nperseg, len(x))
    specs = [spectrogram(y, fs=e.sample_rate, nperseg=seg, noverlap=seg // 2) for y in (x, s)]
    top = 10 * np.log10(max(specs[0][2].max(), 1e-20))
    for col, (title, y, (fs, ts, sxx)) in enumerate(zip(("original", "sufficient"), (x, s), specs)):
        axw, axs = axes[0, col], axes[1, col]
        axw.plot(t, y, lw=0.5, color=ORIGINAL_COLOUR if col == 0 else KEPT_COLOUR)
        axw.set(ylim=(-lim, lim), title=title, ylabel="amplitude" if col == 0 else None)
        im = axs.pcolormesh(ts, fs, 10 * np.log10(sxx + 1e-20), vmin=top - range_db, vmax=top, shading="auto",
                            cmap="magma")
        axs.set(xlabel="time (s)", ylabel="frequency (Hz)" if col == 0 else None,
                ylim=(0, max_hz or e.sample_rate / 2))
    fig.colorbar(im, ax=axes[1, :], label="power (dB)", shrink=0.9)
    return fig
