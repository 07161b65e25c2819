"""Stage 2 of a study: every model explains every distinct clip it could classify.

Jobs run in this process or on any :class:`concurrent.futures.Executor` (local worker processes, a
Dask ``client.get_executor()``); workers load models given by name themselves and write into the
cache folder when they can see it; the study stores every payload they return as well, so resuming
works either way.  A clip whose content repeats another's is explained once.  Payloads read from the
cache are checked against what the study knows (the clip's bin count, the model's labels and its own
prediction, to a tolerance widened by the model's measured output variation) before they are used;
payloads computed now (here or in a worker) against the first two, and those that disagree with the
prediction are kept, counted and reported, so the number of workers never changes what is kept.
"""
from __future__ import annotations

import math
import time
import warnings
from concurrent.futures import BrokenExecutor, Executor, as_completed
from typing import Any, Sequence

import numpy as np
from tqdm.auto import tqdm

from ..audio import duration_limit
from ..classifier import Classifier
from ..errors import StudyInterrupted, interrupted_message
from ..explanation import Explanation, _encode
from ..masking import n_bins as bins_of
from ..parallel import cancel_on_interrupt
from ..search import explain
from .cache import DiskCache
from .clips import Clip
from .keys import code_key
from .predict import PROBABILITY_TOLERANCE, TimedModel, consistency_tolerance, reason

_WORKER_MODELS: dict[tuple[str, str], Classifier] = {}


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


def explanation_key(strategy: str, opts: dict, ident: str, digest: str, seed: int) -> dict:
    return {**code_key(), "strategy": strategy, "options": opts, "model": ident, "clip": digest,
            "seed": int(seed)}


def explanation_check(n_bins: int, labels: Sequence[str], probs: np.ndarray | None = None,
                      tol: float = PROBABILITY_TOLERANCE):
    """A payload check: it decodes, has ``n_bins`` bins, a label of the model, sane counts, and (given the
    model's probabilities on the clip) explains its top-1 class at that confidence, to ``tol`` (see
    :func:`~suffice.study.predict.consistency_tolerance`; another class may be the target when the top
    two are within ``tol``)."""
    labels = list(labels)
    tol = float(tol)

    def check(payload: Any) -> bool:
        try:
            d = payload["explanation"]
            if not isinstance(d, dict) or not float(payload["seconds"]) >= 0:
                return False
            probe = dict(d, waveform=None)
            e = Explanation.from_dict(probe)
            if e.keep.shape != (n_bins,) or e.keep.dtype != bool or e.target not in labels:
                return False
            if e.found != bool(e.keep.sum() < n_bins) and e.found:
                return False
            if labels.index(e.target) != e.target_index or int(e.n_model_calls) < 1:
                return False
            if not (0.0 <= e.confidence <= 1.0 and 0.0 <= e.sufficient_confidence <= 1.0):
                return False
            if probs is not None:
                top = int(np.argmax(probs))
                margin = float(np.sort(probs)[-1] - np.sort(probs)[-2]) if len(probs) > 1 else 1.0
                if margin > tol and top != e.target_index:
                    return False
                if abs(float(probs[e.target_index]) - e.confidence) > tol:
                    return False
        except Exception:  # noqa: BLE001 - anything malformed is a damaged entry
            return False
        return True
    return check


def explain_job(spec: str | Classifier, profile: str, waveform: np.ndarray, seed: int, strategy: str,
                options: dict, cache: str | DiskCache, key: dict, timeout_s: float | None = None,
                lookup: bool = True) -> dict:
    """Explain one clip, store the result in the (shared) cache, return the payload.

    ``cache``: the study's :class:`DiskCache`, or its folder (in a worker).  ``lookup``: first look
    for a finished entry (another worker may have computed it).  A cache that cannot be written here
    (a worker without the shared folder, a full disk) costs nothing but the entry: the payload still
    goes back to the study, which stores it on its side.
    """
    own = not isinstance(cache, DiskCache)
    cache = DiskCache(cache) if own else cache
    model = worker_model(spec, profile)
    if lookup:
        hit = cache.get("explanation", key, explanation_check(bins_of(len(waveform)), model.labels))
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    timed = model if isinstance(model, TimedModel) or not timeout_s else TimedModel(model, timeout_s)
    with duration_limit(math.inf):  # the study checked the clip against its own max_clip_seconds
        e = explain(timed, waveform, seed=seed, strategy=strategy, **options)
    payload = e.to_dict()
    payload.pop("waveform")  # the clip itself is known to the study; keep the cache small
    payload = {"explanation": payload, "seconds": time.perf_counter() - t0}
    if not cache.put_or_record("explanation", key, payload) and own:  # the study reports its own
        warnings.warn(f"could not store an explanation in the cache {cache.root} ({cache.first_write_error}); "
                      "it goes back to the study, which stores it", UserWarning, stacklevel=2)
    return payload


def restore(payload: dict, clip: Clip) -> Explanation:
    """The :class:`Explanation` of a payload, with the clip's samples put back."""
    d = dict(payload["explanation"])
    d["waveform"] = _encode(np.asarray(clip.waveform, np.float32))
    return Explanation.from_dict(d)


def explain_stage(specs: dict[str, str | Classifier], models: dict[str, TimedModel], clips: Sequence[Clip],
                  probs: dict[tuple[str, str], np.ndarray], *, strategy: str, opts: dict, seed: int,
                  idents: dict[str, str], cache: DiskCache, executor: Executor | None, profile: str,
                  timeout_s: float | None, fails: list[dict], progress: bool, desc: str,
                  variation: dict[str, float] | None = None
                  ) -> tuple[dict[tuple[str, str], dict], dict[str, int]]:
    """Payloads ``{(model name, clip digest): payload}`` and counts: ``explained_now`` (distinct searches
    run now, failed ones included), ``in_workers`` (of those, finished in workers),
    ``model_calls_in_workers``, ``cache_hits`` (explanations read from the cache), ``off_prediction``
    (of those run now, kept though their target or confidence disagrees with the prediction stage's).

    ``variation``: each model's output variation (:func:`~suffice.study.predict.model_variation`), which
    widens the tolerance of the consistency check; missing: a bit-stable model.
    """
    distinct: dict[str, Clip] = {}
    for c in clips:
        distinct.setdefault(c.digest, c)
    keys = {(mn, d): explanation_key(strategy, opts, idents[mn], d, seed)
            for mn in models for d in distinct if (mn, d) in probs}
    tols = {mn: consistency_tolerance((variation or {}).get(mn, 0.0)) for mn in models}
    # a cache entry must also agree with the prediction (a stale or forged one is recomputed); a payload
    # computed now need only be sound: an unstable model's search may see other probabilities than its
    # prediction did, so whether it agrees must not decide (with the workers' count) what is kept
    strict = {(mn, d): explanation_check(bins_of(len(distinct[d].waveform)), models[mn].labels,
                                         probs[(mn, d)], tols[mn]) for (mn, d) in keys}
    checks = {(mn, d): explanation_check(bins_of(len(distinct[d].waveform)), models[mn].labels)
              for (mn, d) in keys}
    payloads: dict[tuple[str, str], dict] = {}
    todo = []
    for k, key in keys.items():
        hit = cache.get("explanation", key, strict[k])
        if hit is None:
            todo.append(k)
        else:
            payloads[k] = hit
    counts = {"explained_now": 0, "in_workers": 0, "model_calls_in_workers": 0,
              "cache_hits": len(payloads)}
    bar = tqdm(total=len(keys), initial=len(keys) - len(todo), desc=desc, disable=not progress)

    def failed(k: tuple[str, str], why: str) -> None:
        fails.append({"clip_id": distinct[k[1]].clip_id, "model": k[0], "stage": "explain", "reason": why})

    local = list(todo) if executor is None else []
    futs: dict = {}
    try:
        if executor is not None:
            for mn, d in todo:  # one by one: a Ctrl-C part-way still finds every submitted job
                futs[executor.submit(explain_job, specs[mn], profile, distinct[d].waveform, seed, strategy,
                                     opts, str(cache.root), keys[(mn, d)], timeout_s)] = (mn, d)
            for f in as_completed(futs):
                k = futs[f]
                try:
                    p = f.result()
                except BrokenExecutor as exc:  # the workers died (not the job): do it here instead
                    if not local:
                        warnings.warn(f"the study's worker processes stopped ({type(exc).__name__}: {exc}); "
                                      "explaining the remaining clips in this process.  In a Python script, "
                                      "start the study under `if __name__ == '__main__':` (worker processes "
                                      "import the script), or pass workers=1.", RuntimeWarning, stacklevel=2)
                    local.append(k)
                    continue
                except Exception as exc:  # noqa: BLE001 - a worker's error, recorded
                    failed(k, reason(exc))
                else:
                    if not checks[k](p):
                        failed(k, "the worker returned an explanation that does not fit the clip or model")
                    else:
                        payloads[k] = p
                        counts["in_workers"] += 1
                        counts["model_calls_in_workers"] += int(p["explanation"]["n_model_calls"])
                        # a worker that does not see our cache folder wrote elsewhere (or nowhere): keep it here
                        if not cache.has("explanation", keys[k], checks[k]):
                            cache.put_or_record("explanation", keys[k], p)
                bar.update(1)
        for k in local:
            mn, d = k
            try:
                payloads[k] = explain_job(models[mn], profile, distinct[d].waveform, seed, strategy, opts,
                                          cache, keys[k], None, lookup=False)
            except Exception as exc:  # noqa: BLE001 - recorded, the study goes on
                failed(k, reason(exc))
            bar.update(1)
    except KeyboardInterrupt:  # Ctrl-C (a worker that got it too returns it as its job's exception)
        cancel_on_interrupt(futs, executor)
        bar.close()
        done = sum(k in payloads or cache.has("explanation", keys[k], checks[k]) for k in keys)
        raise StudyInterrupted(interrupted_message(done, len(keys), "explanations", str(cache.root)),
                               finished=done, total=len(keys), cache_dir=str(cache.root)) from None
    bar.close()
    off = [k for k in todo if k in payloads and not strict[k](payloads[k])]
    counts["off_prediction"] = len(off)
    for mn in models:
        n = sum(1 for k in off if k[0] == mn)
        if n:
            warnings.warn(f"{n} of the {sum(1 for k in todo if k[0] == mn and k in payloads)} explanations of "
                          f"model {mn!r} computed now disagree with its prediction on the clip by more than "
                          f"{tols[mn]:.2g} (its outputs vary between calls); they are kept with the search's "
                          "own confidence, and a rerun recomputes them", UserWarning, stacklevel=2)
    counts["explained_now"] = len(todo)  # distinct (model, content) searches run now, failed ones included
    return payloads, counts
