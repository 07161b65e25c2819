"""The model as seen by a search: keep-masks in, (passes, target probability) out.

One :class:`MaskEvaluator` serves one (model, clip, target, fill).  It synthesises every mask exactly
(:mod:`suffice.masking`; the removed bins take the fill's bins, :mod:`suffice.fills`, drawn once per
evaluator), sends them to the model in chunks of ``batch_size`` (a chunk is one model call of up to
``batch_size`` waveforms), counts every waveform the model evaluates, and remembers the answer for
each mask so that a repeated mask costs nothing.  Chunking never changes which masks are evaluated,
so results do not depend on ``batch_size``.

Its :class:`~suffice.search.budget.Budget` (``max_calls``, None: no limit) caps every waveform the
model evaluates for this evaluator, the original clip included: a request holding more new masks than
the budget's ``remaining`` raises :class:`BudgetExhausted` before anything is evaluated, so the cap is
never exceeded.  Strategies ask :meth:`n_new` first and send only what fits.
"""
from __future__ import annotations

import hashlib
import time

import numpy as np

from ..classifier import Classifier, predict_in_batches
from ..fills import ZERO, fill_spectrum
from ..masking import spectrum, synthesise
from .budget import Budget, BudgetExhausted

__all__ = ["BudgetExhausted", "MaskEvaluator"]


class MaskEvaluator:
    """Evaluate keep-masks of one clip under one model, for one target class."""

    def __init__(self, model: Classifier, waveform: np.ndarray, *, batch_size: int = 64,
                 target_index: int | None = None, min_confidence: float = 0.0,
                 max_calls: int | None = None, min_margin: float = 0.0, fill: str = ZERO,
                 fill_seed: int = 0) -> None:
        self.model = model
        self.waveform = np.ascontiguousarray(waveform, dtype=np.float32)
        self.n_samples = len(self.waveform)
        self.spec = spectrum(self.waveform)
        self.n_bins = len(self.spec)
        self.magnitude = np.abs(self.spec)
        self.fill = fill
        self.fill_seed = int(fill_seed)
        self.fill_spec = fill_spectrum(self.spec, fill, self.fill_seed)  # None: the zero fill
        self.batch_size = int(batch_size)
        self.n_batches = 0        # predict_proba invocations
        self.model_seconds = 0.0  # time inside predict_proba
        self.synth_seconds = 0.0  # time spent building waveforms
        self._cache: dict[bytes, np.ndarray] = {}
        self.budget = Budget(max_calls)
        probs = self._evaluate(self.waveform[None])[0]
        self.original_probs = probs
        self.target_index = int(np.argmax(probs)) if target_index is None else int(target_index)
        self.confidence = float(probs[self.target_index])
        self.min_confidence = float(min_confidence)
        self.threshold = self.min_confidence * self.confidence
        self.min_margin = float(min_margin)
        self._cache[self._key(np.ones(self.n_bins, bool))] = probs

    # ---- budget ---------------------------------------------------------------------------------
    @property
    def n_calls(self) -> int:
        """Waveforms evaluated by the model (the original clip included)."""
        return self.budget.spent

    @property
    def max_calls(self) -> int | None:
        """The budget's ceiling (None: none)."""
        return self.budget.cap

    def n_new(self, masks: np.ndarray) -> int:
        """How many model calls evaluating ``masks`` would cost (distinct masks not seen before)."""
        masks = np.atleast_2d(np.asarray(masks, dtype=bool))
        return len({k for k in map(self._key, masks) if k not in self._cache})

    def is_known(self, mask: np.ndarray) -> bool:
        return self._key(np.asarray(mask, dtype=bool)) in self._cache

    # ---- evaluation -----------------------------------------------------------------------------
    def _evaluate(self, waveforms: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        out = predict_in_batches(self.model, waveforms, self.batch_size)
        self.model_seconds += time.perf_counter() - t0
        self.budget.spend(len(waveforms))
        self.n_batches += -(-len(waveforms) // self.batch_size)
        return out

    @staticmethod
    def _key(mask: np.ndarray) -> bytes:
        return hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).digest()

    def probs(self, masks: np.ndarray) -> np.ndarray:
        """(N, C) probabilities of the masked signals; (K,) masks are accepted too."""
        masks = np.atleast_2d(np.asarray(masks, dtype=bool))
        keys = [self._key(m) for m in masks]
        todo: dict[bytes, int] = {}
        for i, k in enumerate(keys):
            if k not in self._cache and k not in todo:
                todo[k] = i
        if todo:
            self.budget.check(len(todo))
            idx = list(todo.values())
            # synthesise one model call (batch_size waveforms) at a time: memory stays bounded
            step = self.batch_size
            for s in range(0, len(idx), step):
                part = idx[s:s + step]
                t0 = time.perf_counter()
                wav = synthesise(self.spec, masks[part], self.n_samples, self.fill_spec)
                self.synth_seconds += time.perf_counter() - t0
                p = self._evaluate(wav)
                for j, i in enumerate(part):
                    self._cache[keys[i]] = p[j]
        return np.stack([self._cache[k] for k in keys])

    def target_prob(self, masks: np.ndarray) -> np.ndarray:
        return self.probs(masks)[:, self.target_index]

    def passes(self, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(passing, target probability) of each mask.

        A mask passes when the model's top-1 class on the masked signal is the target, (with
        ``min_confidence`` = δ > 0) the target probability is at least δ x the original confidence, and
        (with ``min_margin`` = m > 0) it exceeds every other class's probability by at least m.
        """
        p = self.probs(masks)
        tp = p[:, self.target_index]
        ok = (np.argmax(p, axis=1) == self.target_index) & (tp >= self.threshold)
        if self.min_margin > 0 and p.shape[1] > 1:
            ok &= tp - np.delete(p, self.target_index, axis=1).max(axis=1) >= self.min_margin
        return ok, tp

    def sufficient(self, mask: np.ndarray) -> bool:
        return bool(self.passes(mask[None])[0][0])

    def label_of(self, masks: np.ndarray) -> np.ndarray:
        return np.argmax(self.probs(masks), axis=1)

    def floor_index(self) -> int:
        """The model's top-1 class on the floor: every bin removed, the fill alone (silence for the zero
        fill; one model call, then cached)."""
        return int(self.label_of(np.zeros((1, self.n_bins), dtype=bool))[0])
