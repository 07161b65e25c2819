"""The job grid of the studies: one search per model and clip (an explanation, a flip), run in this
process or on any :class:`concurrent.futures.Executor`, cached by content and resumable.

A :class:`JobKind` names what a job computes and how its payload is checked; :func:`run_job` is the
job (workers load models given by name with :func:`~suffice.models.resolve.resolve_model`, bound each
call by the study's model timeout, write into the cache folder when they can see it and return the
payload); :func:`run_grid` runs the missing jobs of a stage, stores every payload the workers return
(resuming works whether or not they saw the cache), runs here what a broken pool could not, checks
every payload against the clip and model, records failures, and turns Ctrl-C into
:class:`~suffice.errors.StudyInterrupted`.  Cache entries must also agree with the model's prediction
(to a tolerance widened by its measured output variation); payloads computed now need only be sound,
and those that disagree are kept, counted and reported, so the number of workers never changes what
is kept.
"""
from __future__ import annotations

import time
import warnings
from concurrent.futures import BrokenExecutor, Executor, as_completed
from dataclasses import dataclass
from typing import Any, Callable, Hashable

import numpy as np
from tqdm.auto import tqdm

from ..classifier import Classifier
from ..errors import StudyInterrupted, interrupted_message
from ..masking import n_bins as bins_of
from ..parallel import cancel_on_interrupt
from ..records import encode_array
from .cache import DiskCache
from .clips import Clip
from .predict import PROBABILITY_TOLERANCE, TimedModel, consistency_tolerance, reason

_WORKER_MODELS: dict[tuple[str, str], Classifier] = {}

#: ``check_factory(n_bins, labels, probs=None, tol=PROBABILITY_TOLERANCE)`` -> payload check
CheckFactory = Callable[..., Callable[[Any], bool]]


def load_model(name: str, profile: str = "default") -> Classifier:
    """A classifier by name (:func:`suffice.models.resolve.resolve_model`: toy, zoo, folder, hub id)."""
    from ..models.resolve import resolve_model
    return resolve_model(name, profile)


def worker_model(spec: str | Classifier, profile: str) -> Classifier:
    """``spec`` itself, or the model of that name (loaded once per process)."""
    if not isinstance(spec, str):
        return spec
    key = (spec, profile)
    if key not in _WORKER_MODELS:
        _WORKER_MODELS[key] = load_model(spec, profile)
    return _WORKER_MODELS[key]


@dataclass(frozen=True)
class JobKind:
    """What one job of a grid computes (module-level functions, so a kind pickles to any worker).

    ``name``: the cache kind and the payload's field (``{name: result dict without the waveform,
    "seconds": s}``); ``a``: the name with its article, ``noun``: the plural, ``stage``: the failures'
    stage; ``search(model, waveform, seed, params)``: the result (with ``to_dict``); ``result``: its
    class (with ``from_dict``); ``check``: a :data:`CheckFactory`."""

    name: str
    a: str
    noun: str
    stage: str
    search: Callable[[Classifier, np.ndarray, int, Any], Any]
    result: type
    check: CheckFactory


def agrees_with_prediction(probs: np.ndarray, index: int, confidence: float, tol: float) -> bool:
    """A payload's class ``index`` and its ``confidence`` agree with the model's probabilities on the clip:
    the class is the top-1 (or within ``tol`` of it) and its probability is ``confidence`` to ``tol``
    (see :func:`~suffice.study.predict.consistency_tolerance`)."""
    top = int(np.argmax(probs))
    margin = float(np.sort(probs)[-1] - np.sort(probs)[-2]) if len(probs) > 1 else 1.0
    if margin > tol and top != index:
        return False
    return abs(float(probs[index]) - confidence) <= tol


def payload_check(name: str, result: type, sound: Callable[[Any], bool], claim: Callable[[Any], tuple[int, float]],
                  probs: np.ndarray | None, tol: float) -> Callable[[Any], bool]:
    """A payload check: ``{name: dict, "seconds": s >= 0}`` whose dict decodes as ``result`` (without
    its waveform), which is ``sound``, and (given the model's probabilities on the clip) whose ``claim``
    (class index, confidence) :func:`agrees_with_prediction` to ``tol``.  Anything malformed fails."""
    def check(payload: Any) -> bool:
        try:
            d = payload[name]
            if not isinstance(d, dict) or not float(payload["seconds"]) >= 0:
                return False
            r = result.from_dict(dict(d, waveform=None))
            if not sound(r):
                return False
            return probs is None or agrees_with_prediction(probs, *claim(r), float(tol))
        except Exception:  # noqa: BLE001 - anything malformed is a damaged entry
            return False
    return check


def run_job(kind: JobKind, spec: str | Classifier, profile: str, waveform: np.ndarray, seed: int, params: Any,
            cache: str | DiskCache, key: dict, timeout_s: float | None = None, lookup: bool = True) -> dict:
    """One search of ``kind``, stored in the (shared) cache; returns the payload.

    ``cache``: the study's :class:`DiskCache`, or its folder (in a worker).  ``lookup``: first look for
    a finished entry (another worker may have computed it).  ``timeout_s``: bound on each model call
    (a model given by name in a worker; the study passes its own models already bounded).  A cache that
    cannot be written here (a worker without the shared folder, a full disk) costs nothing but the
    entry: the payload still goes back to the study, which stores it on its side.
    """
    own = not isinstance(cache, DiskCache)
    cache = DiskCache(cache) if own else cache
    model = worker_model(spec, profile)
    if lookup:
        hit = cache.get(kind.name, key, kind.check(bins_of(len(waveform)), model.labels))
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    timed = model if isinstance(model, TimedModel) or not timeout_s else TimedModel(model, timeout_s)
    d = kind.search(timed, waveform, seed, params).to_dict()
    d.pop("waveform")  # the clip itself is known to the study; keep the cache small
    payload = {kind.name: d, "seconds": time.perf_counter() - t0}
    if not cache.put_or_record(kind.name, key, payload) and own:  # the study reports its own
        warnings.warn(f"could not store {kind.a} in the cache {cache.root} ({cache.first_write_error}); "
                      "it goes back to the study, which stores it", UserWarning, stacklevel=2)
    return payload


def restore(kind: JobKind, payload: dict, clip: Clip) -> Any:
    """The result of a payload, with the clip's samples put back."""
    d = dict(payload[kind.name])
    d["waveform"] = encode_array(np.asarray(clip.waveform, np.float32))
    return kind.result.from_dict(d)


def run_grid(kind: JobKind, job: Callable[..., dict], params: tuple, keys: dict[tuple[str, Hashable], dict],
             clips: dict[Hashable, Clip], specs: dict[str, str | Classifier], models: dict[str, Classifier],
             probs: dict[tuple[str, Hashable], np.ndarray], *, seed: int, cache: DiskCache,
             executor: Executor | None, profile: str, timeout_s: float | None, fails: list[dict],
             progress: bool, desc: str, variation: dict[str, float] | None = None
             ) -> tuple[dict[tuple[str, Hashable], dict], dict[str, Any]]:
    """Payloads ``{(model name, clip key): payload}`` of every job in ``keys`` (their cache keys) and
    counts: ``todo`` (the jobs run now, failed ones included), ``in_workers`` (of those, finished in
    workers), ``model_calls_in_workers``, ``cache_hits``, ``off_prediction`` (of those run now, kept
    though their class or confidence disagrees with ``probs``).

    ``job(spec, profile, waveform, seed, *params, cache, key, timeout_s, lookup=...)`` runs one (a
    :func:`run_job` of ``kind``): in a worker with the model's name from ``specs`` and the cache folder,
    here with the model from ``models`` (already bounded by the timeout) and the cache itself.
    ``clips``: the clip of each clip key; ``variation``: each model's output variation
    (:func:`~suffice.study.predict.model_variation`), which widens the consistency tolerance; missing: a
    bit-stable model.
    """
    tols = {mn: consistency_tolerance((variation or {}).get(mn, 0.0)) for mn in models}
    # a cache entry must also agree with the prediction (a stale or forged one is recomputed); a payload
    # computed now need only be sound: an unstable model's search may see other probabilities than its
    # prediction did, so whether it agrees must not decide (with the workers' count) what is kept
    strict = {(mn, c): kind.check(bins_of(len(clips[c].waveform)), models[mn].labels, probs[(mn, c)], tols[mn])
              for (mn, c) in keys}
    checks = {(mn, c): kind.check(bins_of(len(clips[c].waveform)), models[mn].labels) for (mn, c) in keys}
    payloads: dict[tuple[str, Hashable], dict] = {}
    todo = []
    for k, key in keys.items():
        hit = cache.get(kind.name, key, strict[k])
        if hit is None:
            todo.append(k)
        else:
            payloads[k] = hit
    counts: dict[str, Any] = {"todo": list(todo), "in_workers": 0, "model_calls_in_workers": 0,
                              "cache_hits": len(payloads)}
    bar = tqdm(total=len(keys), initial=len(keys) - len(todo), desc=desc, disable=not progress)

    def failed(k: tuple[str, Hashable], why: str) -> None:
        fails.append({"clip_id": clips[k[1]].clip_id, "model": k[0], "stage": kind.stage, "reason": why})

    local = list(todo) if executor is None else []
    futs: dict = {}
    try:
        if executor is not None:
            for mn, c in todo:  # one by one: a Ctrl-C part-way still finds every submitted job
                futs[executor.submit(job, specs[mn], profile, clips[c].waveform, seed, *params, str(cache.root),
                                     keys[(mn, c)], timeout_s)] = (mn, c)
            for f in as_completed(futs):
                k = futs[f]
                try:
                    p = f.result()
                except BrokenExecutor as exc:  # the workers died (not the job): do it here instead
                    if not local:
                        warnings.warn(f"the study's worker processes stopped ({type(exc).__name__}: {exc}); "
                                      f"running the remaining {kind.noun} in this process.  In a Python script, "
                                      "start the study under `if __name__ == '__main__':` (worker processes "
                                      "import the script), or pass workers=1.", RuntimeWarning, stacklevel=3)
                    local.append(k)
                    continue
                except Exception as exc:  # noqa: BLE001 - a worker's error, recorded
                    failed(k, reason(exc))
                else:
                    if not checks[k](p):
                        failed(k, f"the worker returned {kind.a} that does not fit the clip or model")
                    else:
                        payloads[k] = p
                        counts["in_workers"] += 1
                        counts["model_calls_in_workers"] += int(p[kind.name]["n_model_calls"])
                        # a worker that does not see our cache folder wrote elsewhere (or nowhere): keep it here
                        if not cache.has(kind.name, keys[k], checks[k]):
                            cache.put_or_record(kind.name, keys[k], p)
                bar.update(1)
        for k in local:
            mn, c = k
            try:
                payloads[k] = job(models[mn], profile, clips[c].waveform, seed, *params, cache, keys[k], None,
                                  lookup=False)
            except Exception as exc:  # noqa: BLE001 - recorded, the study goes on
                failed(k, reason(exc))
            bar.update(1)
    except KeyboardInterrupt:  # Ctrl-C (a worker that got it too returns it as its job's exception)
        cancel_on_interrupt(futs, executor)
        bar.close()
        done = sum(k in payloads or cache.has(kind.name, keys[k], checks[k]) for k in keys)
        raise StudyInterrupted(interrupted_message(done, len(keys), kind.noun, str(cache.root)),
                               finished=done, total=len(keys), cache_dir=str(cache.root)) from None
    bar.close()
    off = [k for k in todo if k in payloads and not strict[k](payloads[k])]
    counts["off_prediction"] = len(off)
    for mn in models:
        n = sum(1 for k in off if k[0] == mn)
        if n:
            warnings.warn(f"{n} of the {sum(1 for k in todo if k[0] == mn and k in payloads)} {kind.noun} of "
                          f"model {mn!r} computed now disagree with its prediction on the clip by more than "
                          f"{tols[mn]:.2g} (its outputs vary between calls); they are kept with the search's "
                          "own confidence, and a rerun recomputes them", UserWarning, stacklevel=3)
    return payloads, counts

