"""Stage 1 of a study: every model's probabilities on every distinct clip, and the model wrappers.

``TimedModel`` bounds each ``predict_proba`` call (a hung model becomes a failure record, the study
goes on) and counts the waveforms it evaluated; ``predict_many`` batches equal-length waveforms and
isolates a bad one; ``predict_stage`` fills the predictions of the distinct clip contents from the
cache or the model.
"""
from __future__ import annotations

import threading
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


def predict_stage(models: Sequence[TimedModel], clips: Sequence[Clip], idents: dict[str, str],
                  cache: DiskCache, batch: int, fails: list[dict]) -> dict[tuple[str, str], np.ndarray]:
    """``{(model name, clip digest): probabilities}`` of each distinct clip content; failures recorded.

    A clip whose content repeats an earlier clip's is evaluated once; a failure is recorded for the
    first clip of that content.
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
    return probs
