"""The transferability grid: predictions, explanations, and every model on every sufficient signal.

For a task, models ``M`` and clips ``X``, in stage modules:

1. :mod:`~suffice.study.predict`: every model's probabilities on every original clip;
2. :mod:`~suffice.study.explain`: every model explains every clip (its own top-1 class);
3. :mod:`~suffice.study.crosseval`: every model classifies every other model's sufficient signal;
4. :mod:`~suffice.study.nulls`: chance baselines (silence, random keep-sets of the same size, the
   top-magnitude set) judged by every model;
5. :mod:`~suffice.study.assemble`: the tidy tables.

Every result is cached on disk by content (:mod:`suffice.study.cache`), keyed on the code that
computed it (:mod:`suffice.study.keys`), so an interrupted study resumes without recomputing finished
work, and changing any input (library source, options, strategy, seed, model identity, clip samples)
recomputes exactly what it affects.  Everything is checked before the work starts.
"""
from __future__ import annotations

import math
import warnings
from concurrent.futures import Executor
from pathlib import Path
from typing import Sequence

import pandas as pd

from ..constants import VERSION as __version__
from ..audio import MAX_DURATION_S, duration_limit, validate_waveform
from ..classifier import Classifier
from ..errors import OptionError, SufficeError
from ..search.explain import check_seed, resolve_options
from ..tasks import task_labels
from ..transfer import TABLE_COLUMNS
from .assemble import assemble, flags
from .checks import MAX_NULL_DRAWS, check_clip_seconds, check_null_draws, check_task, check_timeout
from .cache import DiskCache
from .clips import Clip, duplicate_groups
from .crosseval import crosseval_stage
from .explain import explain_stage, restore, worker_model
from .keys import code_digest, model_identity
from .nulls import DEFAULT_NULL_DRAWS, nulls_stage
from .predict import DEFAULT_MODEL_TIMEOUT_S, TimedModel
from .result import StudyResult, claim_output_dir

__all__ = ["run", "StudyResult", "TABLE_COLUMNS", "model_identity", "check_strategy_options",
           "MAX_NULL_DRAWS"]



def _check_models(task: str, loaded: list[Classifier]) -> None:
    """Unique names, labels inside the task vocabulary (no duplicates), one shared sample rate."""
    canon = set(task_labels(task))
    names = [m.name for m in loaded]
    if len(set(names)) != len(names):
        raise OptionError(f"model names must be unique, got {names}")
    for m in loaded:
        labels = list(m.labels)
        if not labels:
            raise OptionError(f"model {m.name!r} has no labels")
        if len(set(labels)) != len(labels):
            raise OptionError(f"model {m.name!r} has duplicate labels {labels}")
        bad = [lab for lab in labels if lab not in canon]
        if bad:
            hint = (" (toy/... models speak their own two-class vocabulary and cannot join a task study; "
                    "explain them with suffice.explain)" if str(m.name).startswith(("toy/", "oracle/")) else "")
            raise OptionError(f"model {m.name!r} has labels {bad} outside the {task!r} vocabulary "
                              f"{sorted(canon)}; map them first{hint}")
    rates = {int(m.sample_rate) for m in loaded}
    if len(rates) != 1:
        raise OptionError(f"all models of a study must share one sample rate, got {sorted(rates)}")


def _check_clips(clips: Sequence[Clip], rate: int, fails: list[dict]) -> list[Clip]:
    """The clips that are valid waveforms at ``rate``; the others become failure records."""
    ids = [c.clip_id for c in clips]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise OptionError(f"clip ids must be unique; repeated: {dup[:10]}")
    good = []
    for c in clips:
        try:
            validate_waveform(c.waveform, rate, name=f"clip {c.clip_id}")
        except SufficeError as exc:
            fails.append({"clip_id": c.clip_id, "model": None, "stage": "load", "reason": str(exc)})
            continue
        good.append(c)
    return good


#: search options a study uses unless its ``options`` say otherwise: a set called sufficient keeps its class
#: when its signal is saved and played back (robust acceptance, repaired where needed; see
#: :mod:`suffice.search.robust`); ``robustness: off`` gives the paper's plain acceptance.  The search runs
#: over atoms of 32 Hz at one level (:mod:`suffice.search.resolution`), so every set is searched and verified
#: at that resolution; ``resolution_hz: null`` gives single bins, and a coarser start with refinement is
#: ``resolution_hz`` above ``refine_to_hz``
STUDY_SEARCH_DEFAULTS: dict = {"robustness": "repair", "resolution_hz": 32.0, "refine_to_hz": 32.0}

#: options that describe one resolution together: a study that sets either replaces the defaults of both
RESOLUTION_OPTIONS = ("resolution_hz", "refine_to_hz")


def study_options(options: dict | None) -> dict:
    """:data:`STUDY_SEARCH_DEFAULTS` overlaid by a study's ``options``; the resolution options count as one
    (``{resolution_hz: null}`` asks for single bins, ``{resolution_hz: 64}`` for 64 Hz refined to bins)."""
    given = dict(options or {})
    defaults = dict(STUDY_SEARCH_DEFAULTS)
    if any(k in given for k in RESOLUTION_OPTIONS):
        for k in RESOLUTION_OPTIONS:
            defaults.pop(k, None)
    return {**defaults, **given}


def check_strategy_options(strategy: str, options: dict | None) -> dict:
    """The resolved options of ``strategy`` for a study: :func:`study_options` of ``options``, each name, value
    and combination checked by :func:`suffice.search.explain.resolve_options` (no model runs)."""
    return resolve_options(strategy, study_options(options))


def run(task: str, models: Sequence[str | Classifier], clips: Sequence[Clip], options: dict | None = None,
        *, seed: int = 0, strategy: str = "suffice", cache_dir: str | Path | None = None,
        executor: Executor | None = None, profile: str = "default", failures: Sequence[dict] = (),
        progress: bool = True, model_timeout_s: float | None = DEFAULT_MODEL_TIMEOUT_S,
        null_random_n: int = DEFAULT_NULL_DRAWS, output_dir: str | Path | None = None,
        max_clip_seconds: float | None = MAX_DURATION_S) -> StudyResult:
    """Run (or resume) the transfer grid of ``models`` on ``clips``.

    ``models``: zoo names (``genre/ast-tiny``) or Classifier objects whose labels are the task's
    canonical labels (``toy/...`` models have their own two-class labels and are refused here: explain
    them with :func:`suffice.explain`).  ``clips``: :class:`Clip` objects (see
    :func:`suffice.study.clips.load_clips`).  ``options``: search options of ``strategy``.
    ``executor``: any ``concurrent.futures.Executor`` for the explanations (e.g. a Dask
    ``client.get_executor()``); workers load models given by name themselves (pass names: objects
    are pickled into every job) and write to the cache folder at the same path when they can see it;
    the study also stores every result they return, so resuming works either way.
    ``model_timeout_s``: seconds one model call may take (None or 0: no limit); a call that overruns
    is recorded as a failure.  ``null_random_n``: random keep-sets per explanation for the chance
    baseline (0: none; see :mod:`suffice.study.nulls`).  ``output_dir``: checked now (missing, empty or
    a previous study's folder, holding neither the cache nor a clip), written (atomically) at the end.
    ``max_clip_seconds``: longest clip accepted (None: any length).  Returns a :class:`StudyResult`.

    Faults: a clip that is not a valid waveform, or on which a model raises, hangs or returns something
    that is not a probability vector, becomes a row of ``failures`` (clip, model, stage, reason) and the
    study goes on without that result; failures are never cached, so a rerun retries them.  A cache
    entry that cannot be written costs one warning at the end, not the result.  Configuration mistakes
    (unknown task, option or label, mixed sample rates, an unwritable folder) raise at once.
    """
    check_task(task)
    seed = check_seed(seed)
    opts = check_strategy_options(strategy, options)
    timeout_s = check_timeout(model_timeout_s)
    n_null = check_null_draws(null_random_n)
    check_clip_seconds(max_clip_seconds)
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise OptionError(f"executor must be a concurrent.futures.Executor (with .submit), got {executor!r}")
    if not models:
        raise OptionError("a study needs at least one model")
    if cache_dir is None:
        from ..paths import data_root
        cache_dir = data_root() / "study-cache"
    if not str(cache_dir).strip():
        raise OptionError("cache_dir is empty; give a folder (or null for the default)")
    cache = DiskCache(cache_dir)
    cache.check_writable()
    out_state = None
    if output_dir is not None:
        if not str(output_dir).strip():
            raise OptionError("output_dir is empty; give a folder (or null to write nothing)")
        protect = [("cache folder", cache_dir)] + [("clip", c.path) for c in clips if getattr(c, "path", None)]
        out_state = claim_output_dir(output_dir, protect)[1]
    cache.remove_stale_temporaries()
    specs = list(models)
    loaded = [worker_model(s, profile) for s in specs]
    _check_models(task, loaded)
    names = [m.name for m in loaded]
    timed = {m.name: TimedModel(m, timeout_s) for m in loaded}
    idents = {m.name: model_identity(m) for m in loaded}
    fails = list(failures)
    with duration_limit(max_clip_seconds or math.inf):
        clips = _check_clips(list(clips), int(loaded[0].sample_rate), fails)
    dups = duplicate_groups(clips)
    n_dup = sum(len(v) - 1 for v in dups.values())
    if n_dup:
        ex = next(iter(dups.values()))
        warnings.warn(f"{n_dup} of {len(clips)} clips repeat the content of another clip (e.g. {ex[:3]}); each "
                      "content is explained once and its rows repeat for every clip id (they are not "
                      "independent clips for the bootstrap)", UserWarning, stacklevel=2)
    clip_of = {}
    for c in clips:
        clip_of.setdefault(c.digest, c.clip_id)
    batch = int(opts["batch_size"])
    calls0 = {n: m.calls for n, m in timed.items()}

    from .predict import predict_stage
    variation: dict[str, float] = {}  # each model's output variation: the explanations' check tolerance
    probs = predict_stage(list(timed.values()), clips, idents, cache, batch, fails, variation)
    payloads, counts = explain_stage(
        dict(zip(names, specs)), timed, clips, probs, strategy=strategy, opts=opts, seed=int(seed),
        idents=idents, cache=cache, executor=executor, profile=profile, timeout_s=timeout_s, fails=fails,
        progress=progress, desc=f"{task}: explanations", variation=variation)
    by_digest = {c.digest: c for c in clips}
    expls = {k: restore(p, by_digest[k[1]]) for k, p in payloads.items()}
    from .explain import explanation_key
    ekeys = {k: explanation_key(strategy, opts, idents[k[0]], k[1], int(seed)) for k in expls}
    cross = crosseval_stage(list(timed.values()), expls, ekeys, idents, cache, batch, fails, clip_of)
    floors, nulls = nulls_stage(list(timed.values()), expls, ekeys, idents, cache, batch, fails, clip_of,
                                 seed=int(seed), n=n_null)
    labels = {m.name: list(m.labels) for m in loaded}
    seconds = {k: float(p["seconds"]) for k, p in payloads.items()}
    table, predictions, explanations = assemble(task, strategy, int(seed), names, labels, clips, probs,
                                                expls, seconds, cross, floors, nulls, n_null)
    params = {"task": task, "models": names, "seed": int(seed), "strategy": strategy, "options": opts,
              "profile": profile, "n_clips": len(clips), "version": __version__, "code": code_digest(),
              "model_identities": idents, "null_random_n": n_null, "model_timeout_s": timeout_s}
    found = [e.found for e in expls.values()]
    cut = [flags(e)[0] for e in expls.values()]
    stats = {"model_calls": int(sum(m.calls - calls0[n] for n, m in timed.items())),  # in this process
             "model_calls_in_workers": counts["model_calls_in_workers"],
             "explained_now": counts["explained_now"], "explained_in_workers": counts["in_workers"],
             "explanations_from_cache": counts["cache_hits"], "cache_hits": cache.hits,
             "cache_misses": cache.misses, "cache_write_failures": cache.write_failures,
             "duplicate_clips": n_dup,
             "not_found": int(sum(1 for f, c in zip(found, cut) if not f and not c)),
             "budget_exhausted": int(sum(cut)), "explanations_off_prediction": counts["off_prediction"],
             # robust acceptance (the robustness option): sets that no repair made robust, and repaired ones
             "not_robust": int(sum(1 for e in expls.values() if e.found and e.robust is False)),
             "repaired": int(sum(1 for e in expls.values() if e.repaired_bins))}
    report = cache.write_report()
    if report:
        warnings.warn(report, RuntimeWarning, stacklevel=2)
    per_clip = {(m, c.clip_id): expls[(m, c.digest)] for m in names for c in clips if (m, c.digest) in expls}
    result = StudyResult(
        table=table, predictions=predictions, explanations=explanations,
        failures=pd.DataFrame(fails, columns=["clip_id", "model", "stage", "reason"]),
        params=params, stats=stats, _explanations=per_clip)
    if output_dir is not None:
        save_or_explain(result, output_dir, out_state, cache.root)
    return result


def save_or_explain(result: StudyResult, output_dir: str | Path, expect: tuple[str | None] | None,
                    cache_root: Path) -> Path:
    """``result.save(output_dir, expect=expect)``; when it cannot be saved (another run saved there
    meanwhile, a full disk), the error says that every result is in the cache and a rerun saves it."""
    try:
        return result.save(output_dir, expect=expect)
    except SufficeError as exc:
        raise SufficeError(f"{exc}.  Every result of this study is in the cache {cache_root}: run it again "
                           "(with another output_dir if the folder is another run's) to save the tables "
                           "without recomputing anything") from None
