"""Analytic deepfake models shared by the study tests, and a study driver for the fault and Dask tests.

Importable by child processes and Dask workers (put ``tests/`` on ``PYTHONPATH``), so a study can be
run, killed and resumed in another process.  Every model speaks the deepfake vocabulary unless told
other ``labels``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from suffice.toys import BandEnergyClassifier

LABELS = ("bonafide", "spoof")


class Relabelled:
    """A band-energy oracle in the deepfake vocabulary (bonafide iff the band is loud enough).

    ``delay``: seconds slept per model call (to make a study slow enough to kill part-way).
    ``log``: a file to which every call appends one line (call counts across processes).
    ``fail_after``: once more than this many waveforms were asked about, every call raises
    KeyboardInterrupt (a study interrupted part-way); settable after construction.
    ``labels``, ``sample_rate``: what the model declares (to build models a study must refuse); the
    probabilities stay the band oracle's two columns.
    """

    sample_rate = 16000
    labels = LABELS

    def __init__(self, name: str, low: float, high: float, level: float, *, delay: float = 0.0,
                 log: str | None = None, labels: tuple[str, ...] | None = None,
                 sample_rate: int | None = None, fail_after: int | None = None) -> None:
        self.inner = BandEnergyClassifier(low, high, level)
        self.name = name
        if labels is not None:
            self.labels = tuple(labels)
        if sample_rate is not None:
            self.sample_rate = sample_rate
        self.delay = float(delay)
        self.log = log
        self.calls = 0
        self.fail_after = fail_after

    def identity(self) -> str:
        return f"{self.name}:{self.inner.low}-{self.inner.high}:{self.inner.min_rms}"

    def predict_proba(self, w: np.ndarray) -> np.ndarray:
        self.calls += len(w)
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt("simulated interruption")
        if self.log:
            with open(self.log, "a") as f:
                f.write(f"{self.name} {len(w)}\n")
        if self.delay:
            time.sleep(self.delay)
        return self.inner.predict_proba(w)


class Sleepy(Relabelled):
    """Hangs (sleeps ``hang`` s) on waveforms of ``length`` samples, then answers as its oracle."""

    def __init__(self, *a, length: int = 7000, hang: float = 3.0, **kw) -> None:
        super().__init__(*a, **kw)
        self.length, self.hang = length, hang

    def predict_proba(self, w: np.ndarray) -> np.ndarray:
        if w.shape[1] == self.length:
            time.sleep(self.hang)
        return super().predict_proba(w)


class Poisoned(Relabelled):
    """Misbehaves on clips whose first sample equals ``marker``, and only on those.

    With ``length`` set it instead misbehaves on every waveform of that many samples *except* the
    marked original: the masked and sufficient signals derived from it (so prediction works and the
    search or the cross-evaluation fails).

    ``mode``: ``nan`` (NaN probabilities), ``shape`` (one column too many), ``raise`` (RuntimeError),
    ``negative`` (not probabilities), ``short`` (fewer rows than waveforms), ``logits`` (rows that sum
    to 1 with a negative entry), ``unnormalised`` (non-negative rows that do not sum to 1),
    ``strings`` (not numbers), ``none`` (returns None).
    """

    def __init__(self, name: str, mode: str, marker: float = 0.0625, length: int | None = None,
                 **kw) -> None:
        super().__init__(name, 100, 4000, 0.05, **kw)
        self.mode = mode
        self.marker = np.float32(marker)
        self.length = length

    def predict_proba(self, w: np.ndarray) -> np.ndarray:
        p = super().predict_proba(w)
        w = np.asarray(w)
        marked = w[:, 0] == self.marker
        hit = marked if self.length is None else (~marked & (w.shape[1] == self.length))
        if not hit.any():
            return p
        if self.mode == "nan":
            p[hit] = np.nan
        elif self.mode == "shape":
            return np.concatenate([p, np.zeros((len(p), 1))], axis=1)
        elif self.mode == "raise":
            raise RuntimeError("simulated model crash on a poisoned clip")
        elif self.mode == "negative":
            p[hit] = [-0.5, 1.5]
        elif self.mode == "short":
            return p[~hit]
        elif self.mode == "logits":
            p[hit] = [2.0, -1.0]
        elif self.mode == "unnormalised":
            p[hit] = [1.0, 1.0]
        elif self.mode == "strings":
            return [["bonafide", "spoof"]] * len(p)
        elif self.mode == "none":
            return None
        return p


class BatchShifted(Relabelled):
    """Deterministic, but not batch-stable: in a call of more than one waveform every probability moves
    ``shift`` towards the middle (as a batch-statistics layer or a padded batch would)."""

    def __init__(self, name: str, low: float, high: float, level: float, *, shift: float = 3e-4,
                 **kw) -> None:
        super().__init__(name, low, high, level, **kw)
        self.shift = float(shift)

    def identity(self) -> str:
        return f"{super().identity()}:batch-shift-{self.shift}"

    def predict_proba(self, w: np.ndarray) -> np.ndarray:
        p = super().predict_proba(w)
        s = self.shift if len(w) > 1 else 0.0
        return (1.0 - len(self.labels) * s) * p + s  # rows still sum to 1


class Noisy(Relabelled):
    """Not bit-stable: every probability moves towards the middle by a random amount in ``[0, noise]``,
    drawn anew for each waveform of each call (seeded), as fp16 or GPU kernels' rounding would."""

    def __init__(self, name: str, low: float, high: float, level: float, *, noise: float = 2e-4,
                 seed: int = 0, **kw) -> None:
        super().__init__(name, low, high, level, **kw)
        self.noise = float(noise)
        self.rng = np.random.default_rng(seed)

    def identity(self) -> str:
        return f"{super().identity()}:noise-{self.noise}"

    def predict_proba(self, w: np.ndarray) -> np.ndarray:
        p = super().predict_proba(w)
        a = self.rng.uniform(0.0, self.noise, (len(p), 1))
        return (1.0 - len(self.labels) * a) * p + a


def models(delay: float = 0.0, log: str | None = None) -> list[Relabelled]:
    """Three analytic deepfake models that disagree on some clips."""
    return [Relabelled("low", 100, 2000, 0.05, delay=delay, log=log),
            Relabelled("mid", 500, 4000, 0.05, delay=delay, log=log),
            Relabelled("wide", 50, 7000, 0.08, delay=delay, log=log)]


def clip_items(n: int = 4, seed: int = 0, length: int = 8000) -> list[tuple[str, np.ndarray, str]]:
    """``(clip_id, waveform, label)`` noise clips of rising loudness."""
    rng = np.random.default_rng(seed)
    return [(f"c{i}", rng.normal(0, 0.1 + 0.05 * i, length).astype(np.float32),
             "bonafide" if i % 2 == 0 else "spoof") for i in range(n)]


def child_main(cache_dir: str, out_dir: str, n_clips: int, delay: float, log: str | None) -> None:
    """Run a whole study in this process; write table.parquet and stats.json (the SIGKILL tests' child)."""
    from suffice.study import clips_from_arrays, run
    clips, _ = clips_from_arrays(clip_items(n_clips), 16000)
    res = run("deepfake", models(delay, log), clips, cache_dir=cache_dir, progress=False)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    res.table.to_parquet(out / "table.parquet")
    (out / "stats.json").write_text(json.dumps(res.stats))


if __name__ == "__main__":  # python tests/_hostile_models.py CACHE OUT_DIR N_CLIPS DELAY [LOG]
    a = sys.argv[1:]
    child_main(a[0], a[1], int(a[2]), float(a[3]), a[4] if len(a) > 4 else None)
