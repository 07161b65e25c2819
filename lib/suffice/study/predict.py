"""Stage 1 of a study: every model's probabilities on every distinct clip, and the model wrappers.

``TimedModel`` bounds each ``predict_proba`` call (a hung model becomes a failure record, the study
goes on) and counts the waveforms it evaluated; ``predict_many`` batches equal-length waveforms and
isolates a bad one; ``predict_stage`` fills the predictions of the distinct clip contents from the
cache or the model, and (asked to) measures how much each model's outputs vary between calls and batch
compositions (:func:`output_variation`), which sets the tolerance of the explanations' consistency check
(:func:`consistency_tolerance`).
"""
from __future__ import annotations

import threading
import warnings
from typing import Sequence

import numpy as np

from ..classifier import Classifier, check_probabilities, predict_in_batches
from ..errors import SufficeError
from .cache import DiskCache
from .clips import Clip
from .keys import code_key

#: seconds one ``predict_proba`` call may take before it is recorded as a failure (None: no limit).
#: Generous: a batch of 64 ten-second clips through a transformer on two CPU cores takes about a minute.
DEFAULT_MODEL_TIMEOUT_S = 600.0

#: how far an explanation's confidence may be from the prediction stage's probability of its target
#: (and how close the top two classes must be for another target) for a bit-stable model
PROBABILITY_TOLERANCE = 1e-4
#: output variation above which a model is called unstable (a warning says so, once per study)
VARIATION_WARN = 1e-6
#: tolerance per unit of measured variation: the few measured calls see less than the search's many
#: calls in other batch compositions do, and a target flip needs both classes moved (twice the variation)
VARIATION_FACTOR = 10.0
#: clips of each model re-predicted to measure its output variation
VARIATION_CLIPS = 3


class ModelTimeoutError(SufficeError, TimeoutError):
    """A model call did not return within the study's ``model_timeout_s``."""


class TimedModel:
    """A classifier whose calls are counted and bounded by ``timeout_s`` seconds (None: unbounded).

    A call that overruns raises :class:`ModelTimeoutError`; the stuck call keeps its (daemon) thread
    until it returns, and later calls go to a fresh thread.
    """

    def __init__(self, model: Classifier, timeout_s: float | None = DEFAULT_MODEL_TIMEOUT_S) -> None:
        self.model = model
        self.name, self.labels, self.sample_rate = model.name, list(model.labels), int(model.sample_rate)
        self.timeout_s = None if not timeout_s else float(timeout_s)
        self.calls = 0
        if callable(getattr(model, "identity", None)):
            self.identity = model.identity

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        self.calls += len(waveforms)
        if self.timeout_s is None:
            return self.model.predict_proba(waveforms)
        box: dict = {}

        def call() -> None:
            try:
                box["out"] = self.model.predict_proba(waveforms)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                box["exc"] = exc

        t = threading.Thread(target=call, daemon=True, name=f"suffice-call-{self.name}")
        t.start()
        t.join(self.timeout_s)
        if t.is_alive():
            raise ModelTimeoutError(f"{self.name}.predict_proba did not return within {self.timeout_s:g} s "
                                    f"(model_timeout_s) on {len(waveforms)} waveform(s)")
        if "exc" in box:
            raise box["exc"]
        return box["out"]


def reason(exc: BaseException) -> str:
    """A failure record's reason: our own errors speak for themselves, others get their type."""
    return str(exc) if isinstance(exc, SufficeError) else f"{type(exc).__name__}: {exc}"


def predict_many(model: Classifier, waveforms: list[np.ndarray], batch: int
                 ) -> tuple[list[np.ndarray | None], list[str | None]]:
    """Probabilities of many waveforms, and per waveform the reason it failed (None when it did not).

    Batched when the waveforms share a length; when a batch fails (an exception, NaN, a wrong shape)
    its waveforms are retried one by one, so one bad input never costs the others their result.  A
    batch that timed out is not retried (it would hang again for each waveform).
    """
    n = len(waveforms)
    out: list[np.ndarray | None] = [None] * n
    why: list[str | None] = [None] * n
    if n > 1 and len({len(w) for w in waveforms}) == 1:
        for s in range(0, n, batch):
            try:
                p = predict_in_batches(model, np.stack(waveforms[s:s + batch]), batch)
            except ModelTimeoutError as exc:
                why[s:s + batch] = [reason(exc)] * len(waveforms[s:s + batch])
                continue
            except Exception:  # noqa: BLE001 - isolate the bad waveform below
                continue
            out[s:s + len(p)] = list(p)
    for i in range(n):
        if out[i] is None and why[i] is None:
            try:
                out[i] = predict_in_batches(model, waveforms[i][None], 1)[0]
            except Exception as exc:  # noqa: BLE001 - recorded as a failure, the study goes on
                why[i] = reason(exc)
    return out, why


def probability_check(n_classes: int):
    """A cache-entry check: a list of ``n_classes`` probabilities (finite, >= 0, summing to 1)."""
    def check(payload) -> bool:
        try:
            check_probabilities([payload], 1, n_classes)
        except SufficeError:
            return False
        return True
    return check


def prediction_key(ident: str, digest: str) -> dict:
    return {**code_key(), "model": ident, "clip": digest}


def output_variation(model: Classifier, waveforms: Sequence[np.ndarray], probs: Sequence[np.ndarray],
                     batch: int) -> float:
    """The largest absolute probability difference seen when ``waveforms`` (predicted as ``probs`` in stage 1)
    are predicted again: each alone, all in one batch in reverse order (another batch size, other
    neighbours; when they share a length), and the first one alone a second time (a repeated call).

    0.0 for a bit-stable model; an fp16 or GPU model, or one whose outputs depend on the batch (batch
    statistics, padding), shows how far its probabilities move.  Costs ``2 * len(waveforms) + 1`` waveforms.
    """
    ref = [np.asarray(p, dtype=np.float64) for p in probs]
    alone = [predict_in_batches(model, w[None], 1)[0] for w in waveforms]
    diffs = [float(np.max(np.abs(a - r))) for a, r in zip(alone, ref)]
    if len(waveforms) > 1 and len({len(w) for w in waveforms}) == 1:
        together = predict_in_batches(model, np.stack(waveforms[::-1]), batch)[::-1]
        diffs += [float(np.max(np.abs(a - r))) for a, r in zip(together, ref)]
    if len(waveforms):
        again = predict_in_batches(model, waveforms[0][None], 1)[0]
        diffs.append(float(np.max(np.abs(again - alone[0]))))
    return max(diffs, default=0.0)


def consistency_tolerance(variation: float) -> float:
    """How far an explanation's confidence may be from the prediction of a model whose outputs vary by
    ``variation`` (see :data:`VARIATION_FACTOR`); :data:`PROBABILITY_TOLERANCE` for a bit-stable model."""
    return max(PROBABILITY_TOLERANCE, VARIATION_FACTOR * float(variation))


def variation_key(ident: str, digests: Sequence[str], batch: int) -> dict:
    return {**code_key(), "model": ident, "variation_clips": list(digests), "batch": int(batch)}


def _variation_check(payload) -> bool:
    return isinstance(payload, (int, float)) and not isinstance(payload, bool) and 0.0 <= payload < np.inf


def model_variation(m: TimedModel, distinct: dict[str, Clip], probs: dict[tuple[str, str], np.ndarray],
                    ident: str, cache: DiskCache, batch: int) -> float:
    """:func:`output_variation` of ``m`` on its first :data:`VARIATION_CLIPS` predicted clips of one length
    (cached like a prediction); 0.0 when it has no prediction, or when re-predicting fails (the failure
    itself is the prediction stage's to record).  Warns once when it exceeds :data:`VARIATION_WARN`."""
    done = [c for d, c in distinct.items() if (m.name, d) in probs]
    if not done:
        return 0.0
    sample = [c for c in done if len(c.waveform) == len(done[0].waveform)][:VARIATION_CLIPS]
    key = variation_key(ident, [c.digest for c in sample], batch)
    v = cache.get("variation", key, _variation_check)
    if v is None:
        try:
            v = output_variation(m, [c.waveform for c in sample], [probs[(m.name, c.digest)] for c in sample],
                                 batch)
        except Exception:  # noqa: BLE001 - a model that fails here failed (or will fail) where it counts
            return 0.0
        cache.put_or_record("variation", key, v)
    v = float(v)
    if v > VARIATION_WARN:
        warnings.warn(f"model {m.name!r}: its outputs vary by up to {v:.2g} between calls or batch sizes; its "
                      "explanations keep the search's own confidence, and comparisons with its prediction "
                      f"use a tolerance of {consistency_tolerance(v):.2g}", UserWarning, stacklevel=3)
    return v


def predict_stage(models: Sequence[TimedModel], clips: Sequence[Clip], idents: dict[str, str],
                  cache: DiskCache, batch: int, fails: list[dict], variation: dict[str, float] | None = None
                  ) -> dict[tuple[str, str], np.ndarray]:
    """``{(model name, clip digest): probabilities}`` of each distinct clip content; failures recorded.

    A clip whose content repeats an earlier clip's is evaluated once; a failure is recorded for the
    first clip of that content.  ``variation``: a dict to fill with each model's
    :func:`model_variation` (a few extra calls per model, none when cached); None: not measured.
    """
    distinct: dict[str, Clip] = {}
    for c in clips:
        distinct.setdefault(c.digest, c)
    probs: dict[tuple[str, str], np.ndarray] = {}
    for m in models:
        check = probability_check(len(m.labels))
        missing = []
        for d, c in distinct.items():
            hit = cache.get("prediction", prediction_key(idents[m.name], d), check)
            if hit is None:
                missing.append(c)
            else:
                probs[(m.name, d)] = np.asarray(hit, dtype=np.float64)
        rows, why = predict_many(m, [c.waveform for c in missing], batch)
        for c, row, r in zip(missing, rows, why):
            if row is None:
                fails.append({"clip_id": c.clip_id, "model": m.name, "stage": "predict", "reason": r})
                continue
            probs[(m.name, c.digest)] = row
            cache.put_or_record("prediction", prediction_key(idents[m.name], c.digest), row.tolist())
        if variation is not None:
            variation[m.name] = model_variation(m, distinct, probs, idents[m.name], cache, batch)
    return probs
