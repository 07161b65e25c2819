"""Analytic classifiers with exactly known answers, for tests, teaching and benchmarks.

Each is a :class:`~suffice.Classifier` on 16 kHz mono audio whose minimal sufficient sets can be
computed by hand:

* :class:`ToneClassifier` says ``"tones"`` iff every required bin (or frequency) carries a sinusoid of at
  least ``min_amplitude``; its unique minimal sufficient set is exactly the required bins.
* :class:`BandEnergyClassifier` says ``"band"`` iff the energy inside a frequency band reaches a fixed
  level; its smallest sufficient sets are the loudest in-band bins (see :meth:`minimum_size`).
* :class:`WholeSpectrumClassifier` says ``"same"`` only when every bin of a reference clip is still there:
  nothing short of the whole spectrum is sufficient.
* :class:`ShareClassifier` (non-monotone) says ``"a"`` iff a bin ``a`` carries a tone and bin ``b``'s
  share of the energy stays below ``max_share``: keeping more bins can lose the class.  Minimum:
  ``{a}``; without ``a`` (``a=None``) silence already passes and the minimum is the empty set.
* :class:`TrapClassifier` says ``"a"`` iff all of some loud tones are kept, or one quiet tone is: the
  magnitude ranking leads to the loud tones, the minimum is the quiet one.
* :class:`SoftmaxClassifier`: three smooth classes from three tones (logit of class 0 grows with
  their summed amplitude; silence gives class 1): one tone is sufficient, all three are needed for
  the complete set (confidence to 2 d.p.) and for the sufficient-and-necessary set.
* :func:`conjunction`: a :class:`ToneClassifier` needing ``d`` random bins of a white-noise clip.
* :class:`StandOutClassifier` says ``"stands out"`` iff bin ``b``'s amplitude is at least ``ratio`` times
  the RMS amplitude of its neighbours (and, with ``silent_class``, also for silence): under the zero
  fill the empty set is sufficient (silence passes) or the minimum is ``{b}``; under a fill that keeps the
  clip's level the fill alone is not silence and ``b`` must be kept to stand out above it
  (:func:`stand_out_clip`).
* :class:`PairClassifier` says ``"a"`` iff at least one bin of every pair ``(p, p + 1)`` carries a tone:
  each bin alone can go, the two of a pair not together; every 1-minimal set holds exactly one bin
  of each pair (size: the number of pairs).

:func:`tone_clip` builds clips whose sinusoids sit exactly on rfft bin centres.  Toy models can be named
on the command line: ``toy/tones:440,1000,2500`` (Hz), ``toy/band:300-3000``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.fft as sfft

from .constants import SAMPLE_RATE
from .errors import UnknownNameError


def _two_class(score: np.ndarray, sharpness: float = 12.0) -> np.ndarray:
    """(N, 2) probabilities; class 0 wins iff ``score >= 1``."""
    p0 = 1.0 / (1.0 + np.exp(-sharpness * (np.asarray(score, dtype=np.float64) - 1.0)))
    return np.stack([p0, 1.0 - p0], axis=1)


def amplitudes(waveforms: np.ndarray) -> np.ndarray:
    """Per-bin sinusoid amplitudes |X_k| * 2 / T of real waveforms (N, T) -> (N, K)."""
    x = np.atleast_2d(np.asarray(waveforms, dtype=np.float64))
    return np.abs(sfft.rfft(x, axis=-1)) * (2.0 / x.shape[-1])


def tone_clip(bins: Sequence[int], n_samples: int = SAMPLE_RATE, amplitude: float | Sequence[float] = 0.1,
              *, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Sum of cosines exactly on rfft bin centres ``bins`` (random phases), plus optional white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples)
    amps = np.broadcast_to(np.asarray(amplitude, dtype=np.float64), (len(bins),))
    x = np.zeros(n_samples)
    for b, a in zip(bins, amps):
        x += a * np.cos(2 * np.pi * int(b) * t / n_samples + rng.uniform(0, 2 * np.pi))
    if noise:
        x += rng.normal(0.0, noise, n_samples)
    return x.astype(np.float32)


class ToneClassifier:
    """Class ``"tones"`` iff every required bin's amplitude is at least ``min_amplitude``.

    Give ``bins`` (indices, for a fixed clip length) or ``freqs`` (Hz, mapped to the nearest bin of
    whatever length is passed).
    """

    sample_rate = SAMPLE_RATE
    labels = ("tones", "other")

    def __init__(self, bins: Sequence[int] | None = None, *, freqs: Sequence[float] | None = None,
                 min_amplitude: float = 0.02, name: str | None = None) -> None:
        if (bins is None) == (freqs is None):
            raise ValueError("give exactly one of bins or freqs")
        self.bins = None if bins is None else np.asarray(bins, dtype=np.int64)
        self.freqs = None if freqs is None else np.asarray(freqs, dtype=np.float64)
        self.min_amplitude = float(min_amplitude)
        self.name = name or f"toy/tones:{','.join(str(int(b)) for b in (bins if bins is not None else freqs))}"

    def required_bins(self, n_samples: int) -> np.ndarray:
        if self.bins is not None:
            return self.bins
        return np.rint(self.freqs * n_samples / self.sample_rate).astype(np.int64)

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        amp = amplitudes(waveforms)
        req = self.required_bins(np.atleast_2d(waveforms).shape[-1])
        score = amp[:, req].min(axis=1) / self.min_amplitude
        return _two_class(score)


class BandEnergyClassifier:
    """Class ``"band"`` iff the RMS of the signal's content in ``[low, high]`` Hz is >= ``min_rms``."""

    sample_rate = SAMPLE_RATE
    labels = ("band", "other")

    def __init__(self, low: float, high: float, min_rms: float = 0.02, name: str | None = None) -> None:
        if not 0 <= low < high:
            raise ValueError(f"need 0 <= low < high, got {low}, {high}")
        self.low, self.high, self.min_rms = float(low), float(high), float(min_rms)
        self.name = name or f"toy/band:{low:g}-{high:g}"

    def band_bins(self, n_samples: int) -> np.ndarray:
        f = np.arange(n_samples // 2 + 1) * self.sample_rate / n_samples
        return np.flatnonzero((f >= self.low) & (f <= self.high))

    def bin_powers(self, waveform: np.ndarray) -> np.ndarray:
        """Each in-band bin's contribution to the mean square of the band-limited signal."""
        x = np.asarray(waveform, dtype=np.float64)
        n = x.shape[-1]
        X = sfft.rfft(x, axis=-1)
        w = np.full(n // 2 + 1, 2.0)
        w[0] = 1.0
        if n % 2 == 0:
            w[-1] = 1.0
        p = w * np.abs(X) ** 2 / n ** 2  # Parseval: mean(x**2) = sum(p)
        return p[..., self.band_bins(n)]

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        rms = np.sqrt(self.bin_powers(np.atleast_2d(waveforms)).sum(axis=-1))
        return _two_class(rms / self.min_rms, sharpness=30.0)

    def minimum_size(self, waveform: np.ndarray) -> int:
        """Fewest bins whose kept energy reaches the level (the loudest in-band bins first)."""
        p = np.sort(self.bin_powers(waveform))[::-1]
        need = self.min_rms ** 2
        hit = np.flatnonzero(np.cumsum(p) >= need)
        return int(hit[0]) + 1 if len(hit) else -1


class RegionsClassifier:
    """Class ``"regions"`` iff, in every region ``[low, high]`` Hz, the signal keeps at least ``share`` of
    the power that ``reference`` (the clip it is built for) has there: a model that needs a little energy
    in several parts of the spectrum, as a log-mel front end does.  On noise, its smallest sufficient
    set at any resolution is known (:meth:`minimum_atoms`)."""

    sample_rate = SAMPLE_RATE
    labels = ("regions", "other")

    def __init__(self, regions: Sequence[tuple[float, float]], reference: np.ndarray, share: float = 0.5,
                 name: str = "toy/regions") -> None:
        self.regions = [(float(a), float(b)) for a, b in regions]
        self.share, self.name = float(share), name
        self.n_samples = len(reference)
        self.need = self.share * np.array([p.sum() for p in self._powers(np.atleast_2d(reference))[0]])

    def region_bins(self) -> list[np.ndarray]:
        f = np.arange(self.n_samples // 2 + 1) * self.sample_rate / self.n_samples
        return [np.flatnonzero((f >= lo) & (f <= hi)) for lo, hi in self.regions]

    def bin_power(self, waveforms: np.ndarray) -> np.ndarray:
        """(N, K) power of each bin (Parseval weights; any constant factor cancels in the shares)."""
        X = sfft.rfft(np.atleast_2d(np.asarray(waveforms, dtype=np.float64)), axis=-1)
        return np.abs(X) ** 2

    def _powers(self, waveforms: np.ndarray) -> list[list[np.ndarray]]:
        p = self.bin_power(waveforms)
        return [[row[b] for b in self.region_bins()] for row in p]

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        p = self.bin_power(waveforms)
        score = np.min(np.stack([p[:, b].sum(axis=1) / n for b, n in zip(self.region_bins(), self.need)]), axis=0)
        return _two_class(score, sharpness=40.0)

    def minimum_atoms(self, waveform: np.ndarray, width: int) -> int:
        """Fewest atoms of ``width`` bins (``[a w, (a + 1) w)``) whose kept power reaches the share in
        every region: per region, its loudest atoms first (an atom straddling two regions counts in both,
        so this is a lower bound there; regions apart by more than ``width`` bins make it exact)."""
        p = self.bin_power(waveform)[0]
        total = 0
        for b, need in zip(self.region_bins(), self.need):
            atom_power = np.bincount(b // width, weights=p[b])
            cum = np.cumsum(np.sort(atom_power[atom_power > 0])[::-1])
            total += int(np.flatnonzero(cum >= need)[0]) + 1
        return total


class QuantisedClassifier:
    """A model that hears quantisation: class ``"float"`` while the signal holds detail finer than a
    16-bit PCM step (as every float synthesis does), ``"pcm16"`` once it is exactly representable in
    16-bit PCM, and ``"pcm16"`` for silence.  Its sufficient sets never survive a 16-bit round trip."""

    sample_rate = SAMPLE_RATE
    labels = ("float", "pcm16")
    name = "toy/quantised"

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(waveforms, dtype=np.float64)) * 32768.0
        detail = np.max(np.abs(x - np.round(x)), axis=1)
        return _two_class(detail / 1e-3, sharpness=5.0)


class KnifeEdgeClassifier:
    """Class ``"float"`` when the signal holds detail finer than a 16-bit PCM step (as every float
    synthesis of a non-silent set does) or its RMS is at least ``level``; ``"pcm16"`` otherwise.  Any
    one non-silent bin is sufficient in the library's synthesis, but its 16-bit copy keeps the class only
    when the set is loud enough: a knife edge that a bigger set repairs (enough bins to reach ``level``),
    unlike :class:`QuantisedClassifier`, whose every 16-bit copy loses the class."""

    sample_rate = SAMPLE_RATE
    labels = ("float", "pcm16")
    name = "toy/knife-edge"

    def __init__(self, level: float) -> None:
        self.level = float(level)

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(waveforms, dtype=np.float64))
        detail = np.max(np.abs(x * 32768.0 - np.round(x * 32768.0)), axis=1) / 1e-3
        loud = np.sqrt(np.mean(x ** 2, axis=1)) / self.level
        return _two_class(np.maximum(detail, loud), sharpness=5.0)


class FloorClassifier:
    """Class ``"clean"`` iff the band ``[low, high]`` Hz holds energy and everything outside it is below
    ``floor`` times the in-band energy: numerically exact silence outside the band passes (float32 and
    float64 synthesis, 16- and 24-bit PCM of a loud enough tone), a little added noise does not (a knife
    edge for the noise rendering)."""

    sample_rate = SAMPLE_RATE
    labels = ("clean", "other")
    name = "toy/floor"

    def __init__(self, low: float, high: float, floor: float = 2e-9) -> None:
        self.low, self.high, self.floor = float(low), float(high), float(floor)

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(waveforms, dtype=np.float64))
        p = np.abs(sfft.rfft(x, axis=-1)) ** 2
        f = np.arange(p.shape[1]) * self.sample_rate / x.shape[1]
        inside = (f >= self.low) & (f <= self.high)
        e_in, e_out = p[:, inside].sum(axis=1), p[:, ~inside].sum(axis=1)
        ok = (e_in > 0) & (e_out < self.floor * np.maximum(e_in, 1e-300))
        return np.stack([np.where(ok, 0.9, 0.1), np.where(ok, 0.1, 0.9)], axis=1)


class WholeSpectrumClassifier:
    """Class ``"same"`` only when every bin keeps at least half its amplitude in ``reference``."""

    sample_rate = SAMPLE_RATE
    labels = ("same", "other")

    def __init__(self, reference: np.ndarray, name: str = "toy/whole") -> None:
        self.reference = amplitudes(reference)[0]
        if (self.reference <= 0).any():
            raise ValueError("the reference clip must have energy in every bin (add noise)")
        self.name = name

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        amp = amplitudes(waveforms)
        if amp.shape[-1] != len(self.reference):
            raise ValueError("WholeSpectrumClassifier only accepts clips as long as its reference")
        return _two_class((amp / self.reference).min(axis=1) * 2.0)


def _power_share(waveforms: np.ndarray, b: int) -> np.ndarray:
    """Bin ``b``'s share of the total energy, per waveform (0 for silence)."""
    p = np.abs(sfft.rfft(np.atleast_2d(np.asarray(waveforms, dtype=np.float64)), axis=-1)) ** 2
    total = p.sum(axis=1)
    return np.where(total > 0, p[:, b] / np.where(total > 0, total, 1.0), 0.0)


class ShareClassifier:
    """Class ``"a"`` iff bin ``a``'s amplitude >= ``min_amplitude`` (skipped when ``a`` is None) and
    bin ``b``'s share of the clip's energy is below ``max_share`` (non-monotone in the kept set).

    For a fixed clip length.  Exact minimum: ``{a}`` (or the empty set with ``a=None``, since silence
    has no energy in ``b``), provided the original clip is class ``"a"``.
    """

    sample_rate = SAMPLE_RATE
    labels = ("a", "other")

    def __init__(self, a: int | None, b: int, *, max_share: float = 0.01, min_amplitude: float = 0.02,
                 name: str | None = None) -> None:
        self.a, self.b = (None if a is None else int(a)), int(b)
        self.max_share, self.min_amplitude = float(max_share), float(min_amplitude)
        self.name = name or f"toy/share:{a},{b}"

    def minimum_size(self) -> int:
        return 0 if self.a is None else 1

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        share_ok = _power_share(waveforms, self.b) < self.max_share
        if self.a is None:
            score = np.where(share_ok, 2.0, 0.0)
        else:
            score = np.where(share_ok, amplitudes(waveforms)[:, self.a] / self.min_amplitude, 0.0)
        return _two_class(score)


def share_clip(n_samples: int = SAMPLE_RATE, *, with_a: bool = True, seed: int = 0,
               share: float = 0.004) -> tuple[ShareClassifier, np.ndarray]:
    """A :class:`ShareClassifier` and its clip: a tone at ``b`` (the loudest bin), a quieter tone at
    ``a = b + 1`` and white noise loud enough that ``b`` holds only ``share`` of the energy."""
    rng = np.random.default_rng(seed)
    b = int(rng.integers(n_samples // 20, n_samples // 4))
    amp_b = 0.04
    sigma = amp_b / np.sqrt(2.0 * share)
    x = rng.normal(0.0, sigma, n_samples)
    t = np.arange(n_samples)
    x += amp_b * np.cos(2 * np.pi * b * t / n_samples) + 0.03 * np.cos(2 * np.pi * (b + 1) * t / n_samples)
    x = x.astype(np.float32)
    model = ShareClassifier(b + 1 if with_a else None, b,
                            min_amplitude=0.5 * float(amplitudes(x)[0, b + 1]))
    return model, x


class TrapClassifier:
    """Class ``"a"`` iff every bin of ``loud`` has amplitude >= ``min_amplitude``, or bin ``quiet`` has.

    On a clip where the ``loud`` tones are the loudest bins, the magnitude prior finds the ``loud`` set
    (all needed together); the exact minimum is ``{quiet}`` (size 1).
    """

    sample_rate = SAMPLE_RATE
    labels = ("a", "other")

    def __init__(self, loud: Sequence[int], quiet: int, *, min_amplitude: float = 0.005,
                 name: str | None = None) -> None:
        self.loud, self.quiet = np.asarray(loud, dtype=np.int64), int(quiet)
        self.min_amplitude = float(min_amplitude)
        self.name = name or f"toy/trap:{len(self.loud)}+1"

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        amp = amplitudes(waveforms)
        score = np.maximum(amp[:, self.loud].min(axis=1), amp[:, self.quiet]) / self.min_amplitude
        return _two_class(score)


def trap_clip(n_samples: int = SAMPLE_RATE, n_loud: int = 20, *, seed: int = 0) -> tuple[TrapClassifier, np.ndarray]:
    """A :class:`TrapClassifier` and its clip: ``n_loud`` tones at 0.2 over white noise, and one quiet
    tone at the noise floor (about half the bins are louder), so the magnitude ranking buries it."""
    rng = np.random.default_rng(seed)
    k = n_samples // 2 + 1
    bins = rng.choice(np.arange(5, k - 5), n_loud + 1, replace=False)
    loud, quiet = sorted(int(b) for b in bins[:-1]), int(bins[-1])
    noise = rng.normal(0.0, 0.05, n_samples)
    floor = float(np.median(amplitudes(noise)[0]))
    x = noise + tone_clip(loud + [quiet], n_samples, [0.2] * n_loud + [floor], seed=seed)
    amp = amplitudes(x)[0]
    model = TrapClassifier(loud, quiet, min_amplitude=0.5 * float(min(amp[quiet], amp[loud].min())))
    return model, x.astype(np.float32)


class StandOutClassifier:
    """Class ``"stands out"`` iff bin ``b``'s amplitude is at least ``ratio`` times the RMS amplitude of
    the ``2 half_width`` bins around it (``b`` excluded), or, with ``silent_class``, the signal is silent
    (RMS below ``silence_rms``): a model whose class for silence is the target."""

    sample_rate = SAMPLE_RATE
    labels = ("stands out", "other")

    def __init__(self, b: int, *, ratio: float = 3.0, half_width: int = 8, silent_class: bool = True,
                 silence_rms: float = 1e-6, name: str | None = None) -> None:
        self.b, self.ratio, self.half_width = int(b), float(ratio), int(half_width)
        self.silent_class, self.silence_rms = bool(silent_class), float(silence_rms)
        self.name = name or f"toy/stand-out:{self.b}{'+silence' if silent_class else ''}"

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(waveforms, dtype=np.float64))
        amp = amplitudes(x)
        lo, hi = max(0, self.b - self.half_width), self.b + self.half_width + 1
        around = np.delete(amp[:, lo:hi], self.b - lo, axis=1)
        level = np.sqrt(np.mean(around ** 2, axis=1))
        ok = amp[:, self.b] >= self.ratio * level
        ok &= amp[:, self.b] > 0
        if self.silent_class:
            ok |= np.sqrt(np.mean(x ** 2, axis=1)) < self.silence_rms
        return np.stack([np.where(ok, 0.9, 0.1), np.where(ok, 0.1, 0.9)], axis=1)


def stand_out_clip(n_samples: int = SAMPLE_RATE, *, b: int = 1000, amplitude: float = 0.1, noise: float = 0.01,
                   seed: int = 0) -> np.ndarray:
    """A tone on bin ``b`` over white noise (the clip of :class:`StandOutClassifier`: ``b`` stands out)."""
    return tone_clip([b], n_samples, amplitude, noise=noise, seed=seed)


class PairClassifier:
    """Class ``"a"`` iff, for every ``p`` in ``pairs``, bin ``p`` or bin ``p + 1`` has amplitude >=
    ``min_amplitude``.  The 1-minimal sufficient sets are exactly the sets with one bin of each pair."""

    sample_rate = SAMPLE_RATE
    labels = ("a", "other")

    def __init__(self, pairs: Sequence[int], *, min_amplitude: float = 0.005, name: str | None = None) -> None:
        self.pairs = np.asarray(pairs, dtype=np.int64)
        self.min_amplitude = float(min_amplitude)
        self.name = name or f"toy/pairs:{len(self.pairs)}"

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        amp = amplitudes(waveforms)
        score = np.maximum(amp[:, self.pairs], amp[:, self.pairs + 1]).min(axis=1) / self.min_amplitude
        return _two_class(score)

    def is_one_minimal(self, keep: np.ndarray) -> bool:
        """Whether the keep-mask ``keep`` holds exactly one bin of each pair and nothing else."""
        keep = np.asarray(keep, dtype=bool)
        per_pair = keep[self.pairs].astype(int) + keep[self.pairs + 1]
        return bool((per_pair == 1).all() and keep.sum() == len(self.pairs))


def pairs_clip(n_samples: int = SAMPLE_RATE, n_pairs: int = 40, *, seed: int = 0
               ) -> tuple[PairClassifier, np.ndarray]:
    """A :class:`PairClassifier` and its clip: ``n_pairs`` pairs of adjacent tones (amplitudes 0.05-0.2,
    random pair positions at least 4 bins apart) over white noise of s.d. 0.01."""
    rng = np.random.default_rng(seed)
    k = n_samples // 2 + 1
    pairs = np.sort(rng.choice(np.arange(10, k - 10, 4), n_pairs, replace=False))
    tones = np.concatenate([pairs, pairs + 1])
    x = rng.normal(0.0, 0.01, n_samples) + tone_clip(tones, n_samples, rng.uniform(0.05, 0.2, len(tones)),
                                                    seed=seed)
    amp = amplitudes(x)[0]
    return PairClassifier(pairs, min_amplitude=0.5 * float(amp[tones].min())), x.astype(np.float32)


class SoftmaxClassifier:
    """Three classes, smooth: logits ``(gain * sum of the amplitudes of `bins`, bias, bias - 1)``.

    With each tone's ``gain * amplitude > bias`` any one tone is sufficient; the complete set
    (confidence to 2 d.p.) and the sufficient-and-necessary set (its complement must lose class 0)
    are exactly ``bins``.  Silence gives class 1.
    """

    sample_rate = SAMPLE_RATE
    labels = ("a", "b", "c")

    def __init__(self, bins: Sequence[int], *, gain: float = 40.0, bias: float = 1.0,
                 name: str | None = None) -> None:
        self.bins = np.asarray(bins, dtype=np.int64)
        self.gain, self.bias = float(gain), float(bias)
        self.name = name or f"toy/softmax:{','.join(map(str, self.bins))}"

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        s = self.gain * amplitudes(waveforms)[:, self.bins].sum(axis=1)
        z = np.stack([s, np.full_like(s, self.bias), np.full_like(s, self.bias - 1.0)], axis=1)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def conjunction(d: int, n_samples: int = SAMPLE_RATE, *, seed: int = 0,
                noise: float = 0.05) -> tuple[ToneClassifier, np.ndarray]:
    """A :class:`ToneClassifier` needing ``d`` random bins of a white-noise clip (exact minimum ``d``).

    The threshold is half the weakest required bin's amplitude, so every required bin passes on the
    clip and no other bin matters.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, noise, n_samples).astype(np.float32)
    k = n_samples // 2 + 1
    bins = np.sort(rng.choice(np.arange(1, k - 1), d, replace=False))
    amp = amplitudes(x)[0]
    return ToneClassifier(bins, min_amplitude=0.5 * float(amp[bins].min()), name=f"toy/conjunction:{d}"), x


def from_name(name: str):
    """A toy classifier from a command-line name: ``toy/tones:F1,F2,...`` (Hz) or ``toy/band:LO-HI``."""
    kind, _, arg = name.removeprefix("toy/").removeprefix("oracle/").partition(":")  # oracle/: old name
    try:
        if kind == "tones" and arg:
            return ToneClassifier(freqs=[float(f) for f in arg.split(",")], name=name)
        if kind == "band" and arg:
            lo, hi = (float(v) for v in arg.split("-"))
            return BandEnergyClassifier(lo, hi, name=name)
    except ValueError as exc:
        raise UnknownNameError(f"cannot parse toy model name {name!r}: {exc}") from None
    raise UnknownNameError(f"unknown toy model {name!r}; use toy/tones:F1,F2,... (Hz) or toy/band:LO-HI (Hz)")
