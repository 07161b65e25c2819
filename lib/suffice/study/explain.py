"""Stage 2 of a study: every model explains every distinct clip it could classify.

The explanations run on the study's job grid (:mod:`suffice.study.grid`: here or on any executor, cached
by content, payloads checked, model calls bounded); a clip whose content repeats another's is explained
once.  This module is the explanation's kind of job: its cache key, its payload check and its search.
"""
from __future__ import annotations

import math
from concurrent.futures import Executor
from typing import Sequence

import numpy as np

from ..audio import duration_limit
from ..classifier import Classifier
from ..explanation import Explanation
from ..search import explain
from .cache import DiskCache
from .clips import Clip
from .grid import JobKind, load_model, payload_check, run_grid, run_job, worker_model
from .grid import restore as restore_result
from .keys import code_key
from .predict import PROBABILITY_TOLERANCE, TimedModel

__all__ = ["EXPLANATION", "explain_job", "explain_stage", "explanation_check", "explanation_key", "load_model",
           "restore", "worker_model"]


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

    def sound(e: Explanation) -> bool:
        return (e.keep.shape == (n_bins,) and e.keep.dtype == bool and e.target in labels
                and not (e.found and e.found != bool(e.keep.sum() < n_bins))
                and labels.index(e.target) == e.target_index and int(e.n_model_calls) >= 1
                and 0.0 <= e.confidence <= 1.0 and 0.0 <= e.sufficient_confidence <= 1.0)
    return payload_check("explanation", Explanation, sound, lambda e: (e.target_index, e.confidence), probs, tol)


def _explain(model: Classifier, waveform: np.ndarray, seed: int, params: dict) -> Explanation:
    """The explanation job's search (``params``: strategy and options)."""
    with duration_limit(math.inf):  # the study checked the clip against its own max_clip_seconds
        return explain(model, waveform, seed=seed, strategy=params["strategy"], **params["options"])


#: the explanation's kind of job on the grid
EXPLANATION = JobKind(name="explanation", a="an explanation", noun="explanations", stage="explain",
                      search=_explain, result=Explanation, check=explanation_check)


def explain_job(spec: str | Classifier, profile: str, waveform: np.ndarray, seed: int, strategy: str,
                options: dict, cache: str | DiskCache, key: dict, timeout_s: float | None = None,
                lookup: bool = True) -> dict:
    """Explain one clip, store the result in the (shared) cache, return the payload (see
    :func:`~suffice.study.grid.run_job`; ``cache``: the study's cache or its folder, in a worker)."""
    return run_job(EXPLANATION, spec, profile, waveform, seed, {"strategy": strategy, "options": options},
                   cache, key, timeout_s, lookup)


def restore(payload: dict, clip: Clip) -> Explanation:
    """The :class:`Explanation` of a payload, with the clip's samples put back."""
    return restore_result(EXPLANATION, payload, clip)


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
    payloads, counts = run_grid(EXPLANATION, explain_job, (strategy, opts), keys, distinct, specs, models, probs,
                                seed=seed, cache=cache, executor=executor, profile=profile, timeout_s=timeout_s,
                                fails=fails, progress=progress, desc=desc, variation=variation)
    # explained_now: distinct (model, content) searches run now, failed ones included
    return payloads, {"explained_now": len(counts.pop("todo")), **counts}
