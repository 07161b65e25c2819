"""The flip study: every model's minimal flip of every clip, and every model on every flipped signal.

For a task, models ``M`` and clips ``X`` (the transfer study's clips: the same seeded selection, a
subset when ``clips_per_class`` is smaller):

1. every model's probabilities on every clip (the same cache entries as the transfer study's);
2. every model's flip of every clip (:func:`suffice.flip`), the costly part, optionally on an executor;
3. every model on every *removal* of the clip: each model's flip set, and the baselines,
   ``n_null`` random sets of ``k`` bins drawn uniformly without replacement from the clip's ``K`` bins
   (seeded by the seed, the clip's content and ``k``, so every model judges the same random signals) and
   the ``k`` loudest bins, for every ``k`` in ``sizes`` and every flip size found on that clip.

Everything is cached on disk by content (library version, options, model identity, clip samples, seed
and the removal sets), in the study's cache folder, so a rerun computes only what is missing.  Tables:
``flips`` (one row per model and clip) and ``evaluations`` (one row per judging model, clip and removal:
``kind`` flip / random / loudest, ``source`` the flipping model for kind flip, ``size``, ``draw``,
``pred``, ``orig_pred`` and ``changed = pred != orig_pred``).
"""
from __future__ import annotations

import warnings
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..constants import SAMPLE_RATE, VERSION as __version__
from ..classifier import Classifier, predict_in_batches
from ..errors import OptionError, SufficeError
from ..fills import ZERO, fill_spectrum
from ..masking import spectrum, synthesise
from ..search.rankings import magnitude_order
from ..study import Clip, DiskCache, load_clips, model_identity, select_clips
from ..study.cache import key_digest
from ..study.grid import JobKind, payload_check, restore, run_grid, run_job, worker_model
from ..study.predict import DEFAULT_MODEL_TIMEOUT_S, PROBABILITY_TOLERANCE, TimedModel, reason
from ..study.checks import check_timeout
from .result import Flip
from .search import flip, resolve_flip_options

DEFAULT_SIZES: tuple[int, ...] = (1, 2, 5, 10, 20)


@dataclass
class FlipStudy:
    """Tables of one flip study (see the module docstring)."""

    flips: pd.DataFrame
    evaluations: pd.DataFrame
    predictions: pd.DataFrame
    failures: pd.DataFrame
    params: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    _flips: dict[tuple[str, str], Flip] = field(default_factory=dict, repr=False)
    _clips: dict[str, Clip] = field(default_factory=dict, repr=False)

    def flip(self, model: str, clip_id: str) -> Flip:
        """The full :class:`Flip` of ``model`` on ``clip_id``."""
        try:
            return self._flips[(model, str(clip_id))]
        except KeyError:
            raise SufficeError(f"no flip of clip {clip_id!r} by {model!r} in this study") from None


def flip_check(n_bins: int, labels: Sequence[str], probs: np.ndarray | None = None,
               tol: float = PROBABILITY_TOLERANCE):
    """A payload check: it decodes, removes bins of a clip of ``n_bins`` bins, names a class of the model
    (a found flip another one), has sane counts, and (given the model's probabilities on the clip) starts
    from its top-1 class at that confidence, to ``tol`` (as :func:`~suffice.study.explain.explanation_check`)."""
    labels = list(labels)

    def sound(f: Flip) -> bool:
        removed = np.asarray(f.removed)
        return (removed.ndim == 1 and (not len(removed) or (0 <= removed.min() and removed.max() < n_bins))
                and f.label in labels and labels.index(f.label) == f.label_index and int(f.n_model_calls) >= 1
                and 0.0 <= f.confidence <= 1.0
                and (not f.found or (len(removed) > 0 and f.new_label in labels
                                     and labels.index(f.new_label) == f.new_index != f.label_index)))
    return payload_check("flip", Flip, sound, lambda f: (f.label_index, f.confidence), probs, tol)


def _flip(model: Classifier, waveform: np.ndarray, seed: int, options: dict) -> Flip:
    """The flip job's search."""
    return flip(model, waveform, seed=seed, **options)


#: the flip's kind of job on the study's grid
FLIP = JobKind(name="flip", a="a flip", noun="flips", stage="flip", search=_flip, result=Flip, check=flip_check)


def flip_job(spec: str | Classifier, profile: str, waveform: np.ndarray, seed: int, options: dict,
             cache: str | DiskCache, key: dict, timeout_s: float | None = None, lookup: bool = True) -> dict:
    """One flip, stored in the (shared) cache; returns the payload (see :func:`~suffice.study.grid.run_job`)."""
    return run_job(FLIP, spec, profile, waveform, seed, options, cache, key, timeout_s, lookup)


def random_removal(clip: Clip, size: int, draw: int, seed: int) -> tuple[int, ...]:
    """Draw ``draw`` of the random ``size``-bin removals of ``clip`` (uniform, without replacement)."""
    K = len(clip.waveform) // 2 + 1
    rng = np.random.default_rng([int(seed), int(clip.digest[:15], 16), int(size), int(draw)])
    return tuple(sorted(int(k) for k in rng.choice(K, size=min(size, K), replace=False)))


def loudest_removal(clip: Clip, size: int) -> tuple[int, ...]:
    """The ``size`` loudest bins of ``clip`` (ties by lower index)."""
    order = magnitude_order(np.abs(spectrum(clip.waveform)))
    return tuple(sorted(int(k) for k in order[:size]))


def _judge(model: Classifier, clip: Clip, removals: list[tuple[int, ...]], batch: int,
           opts: dict | None = None) -> np.ndarray:
    """(len(removals), C) probabilities of ``model`` on the clip without each removal set (the removed bins
    under the fill of the flip options ``opts``, zero when they name none)."""
    spec = spectrum(clip.waveform)
    fill = fill_spectrum(spec, (opts or {}).get("fill", ZERO), (opts or {}).get("fill_seed", 0))
    out = []
    for s in range(0, len(removals), batch):
        part = removals[s:s + batch]
        keep = np.ones((len(part), len(spec)), dtype=bool)
        for i, r in enumerate(part):
            keep[i, list(r)] = False
        out.append(predict_in_batches(model, synthesise(spec, keep, len(clip.waveform), fill), batch))
    return np.concatenate(out) if out else np.zeros((0, len(model.labels)))


def run(task: str, models: Sequence[str | Classifier], clips: Sequence[Clip], options: dict | None = None, *,
        seed: int = 0, n_null: int = 4, sizes: Sequence[int] = DEFAULT_SIZES, cache_dir=None,
        profile: str = "default", executor: Executor | None = None, progress: bool = True,
        model_timeout_s: float | None = DEFAULT_MODEL_TIMEOUT_S) -> FlipStudy:
    """Run (or resume) the flip study of ``models`` on ``clips`` (see the module docstring).

    ``options``: :func:`suffice.flip` options.  ``models``: classifiers or names
    (:func:`~suffice.models.resolve.resolve_model`: zoo, toy, folder, hub id).  ``executor``: any
    ``concurrent.futures.Executor`` for the flips, on the study's job grid (:mod:`suffice.study.grid`;
    pass model names: workers load them).  ``model_timeout_s``: seconds one model call may take (None
    or 0: no limit), as in :func:`suffice.study.run`.  A model that fails on a clip becomes a row of
    ``failures`` and the study goes on.
    """
    from ..tasks import task_labels
    task_labels(task)
    opts = resolve_flip_options(dict(options or {}))
    if isinstance(n_null, bool) or not isinstance(n_null, int) or n_null < 1:
        raise OptionError(f"n_null must be an integer >= 1, got {n_null!r}")
    sizes = sorted({int(s) for s in sizes})
    if not sizes or sizes[0] < 1:
        raise OptionError(f"sizes must be integers >= 1, got {sizes!r}")
    if not models:
        raise OptionError("a flip study needs at least one model")
    timeout_s = check_timeout(model_timeout_s)
    if cache_dir is None:
        from ..corpora import data_root
        cache_dir = data_root() / "study-cache"
    cache = DiskCache(cache_dir)
    cache.check_writable()
    specs = list(models)
    loaded = [worker_model(s, profile) for s in specs]
    names = [m.name for m in loaded]
    if len(set(names)) != len(names):
        raise OptionError(f"model names must be unique, got {names}")
    idents = {m.name: model_identity(m) for m in loaded}
    timed = {m.name: TimedModel(m, timeout_s) for m in loaded}
    clips = list(clips)
    by_id = {c.clip_id: c for c in clips}
    batch = opts["batch_size"]
    fails: list[dict] = []
    calls = 0

    # 1. predictions on the originals (the transfer study's cache entries)
    probs: dict[tuple[str, str], np.ndarray] = {}
    for m in timed.values():
        for c in clips:
            key = {"v": __version__, "model": idents[m.name], "clip": c.digest}
            hit = cache.get("prediction", key)
            if hit is None:
                try:
                    hit = predict_in_batches(m, c.waveform[None], 1)[0].tolist()
                except Exception as exc:  # noqa: BLE001 - recorded, the study goes on
                    fails.append({"clip_id": c.clip_id, "model": m.name, "stage": "predict", "reason": reason(exc)})
                    continue
                calls += 1
                cache.put("prediction", key, hit)
            probs[(m.name, c.clip_id)] = np.asarray(hit)

    # 2. flips
    fkeys = {(m.name, c.clip_id): {"v": __version__, "kind": "flip", "options": opts, "model": idents[m.name],
                                   "clip": c.digest, "seed": int(seed)}
             for m in loaded for c in clips if (m.name, c.clip_id) in probs}
    payloads, counts = run_grid(FLIP, flip_job, (opts,), fkeys, by_id, dict(zip(names, specs)), timed, probs,
                                seed=int(seed), cache=cache, executor=executor, profile=profile, timeout_s=timeout_s,
                                fails=fails, progress=progress, desc=f"{task}: flips")
    todo = counts["todo"]
    flips = {k: restore(FLIP, p, by_id[k[1]]) for k, p in payloads.items()}
    now = set(todo)
    flip_calls = int(sum(f.n_model_calls for k, f in flips.items() if k in now))

    # 3. every model on every removal of every clip
    removals: dict[str, list[tuple[str, str, int, int, tuple[int, ...]]]] = {}
    for c in clips:
        found_sizes = {f.size for (mn, cid), f in flips.items() if cid == c.clip_id and f.found}
        rows = [("flip", mn, int(f.size), 0, tuple(int(b) for b in f.removed))
                for (mn, cid), f in sorted(flips.items()) if cid == c.clip_id and f.found]
        for k in sorted(set(sizes) | found_sizes):
            rows += [("random", "", k, j, random_removal(c, k, j, seed)) for j in range(n_null)]
            rows.append(("loudest", "", k, 0, loudest_removal(c, k)))
        removals[c.clip_id] = rows
    labels = {m.name: list(m.labels) for m in loaded}
    eval_rows = []
    for g in tqdm(list(timed.values()), desc=f"{task}: flipped signals", disable=not progress):
        for c in clips:
            if (g.name, c.clip_id) not in probs:
                continue
            rows = removals[c.clip_id]
            uniq = list(dict.fromkeys(r[4] for r in rows))
            key = {"v": __version__, "model": idents[g.name], "clip": c.digest,
                   "removals": key_digest({"r": [list(u) for u in uniq]}),
                   **{k: opts[k] for k in ("fill", "fill_seed") if k in opts}}  # a non-silent fill only
            hit = cache.get("flip-eval", key)
            if hit is None:
                try:
                    p = _judge(g, c, uniq, batch, opts)
                except Exception as exc:  # noqa: BLE001
                    fails.append({"clip_id": c.clip_id, "model": g.name, "stage": "judge", "reason": reason(exc)})
                    continue
                calls += len(uniq)
                hit = p.tolist()
                cache.put("flip-eval", key, hit)
            pred_of = {u: labels[g.name][int(np.argmax(p))] for u, p in zip(uniq, hit)}
            orig = labels[g.name][int(np.argmax(probs[(g.name, c.clip_id)]))]
            for kind, src, k, j, r in rows:
                eval_rows.append({"clip_id": c.clip_id, "true_label": c.label, "model": g.name, "kind": kind,
                                  "source": src, "size": k, "draw": j, "pred": pred_of[r], "orig_pred": orig,
                                  "changed": pred_of[r] != orig})

    # 4. tables
    pred_rows = [{"clip_id": cid, "model": mn, "true_label": by_id[cid].label,
                  "pred": labels[mn][int(np.argmax(p))], "conf": float(np.max(p))} for (mn, cid), p in probs.items()]
    flip_rows = []
    for (mn, cid), f in sorted(flips.items()):
        s = f.summary()
        s.pop("seed")
        flip_rows.append({"clip_id": cid, "true_label": by_id[cid].label, **s,
                          "seconds": payloads[(mn, cid)]["seconds"], "singles_tested": f.singles_tested})
    params = {"task": task, "models": names, "seed": int(seed), "options": opts, "n_null": int(n_null),
              "sizes": sizes, "profile": profile, "n_clips": len(clips), "version": __version__,
              "model_identities": idents, "model_timeout_s": timeout_s}
    stats = {"flips_now": len(todo), "flip_model_calls_now": flip_calls, "other_model_calls_now": calls,
             "cache_hits": cache.hits, "cache_misses": cache.misses, "cache_write_failures": cache.write_failures,
             "flips_off_prediction": counts["off_prediction"]}
    report = cache.write_report()
    if report:
        warnings.warn(report, RuntimeWarning, stacklevel=2)
    return FlipStudy(flips=pd.DataFrame(flip_rows), evaluations=pd.DataFrame(eval_rows),
                     predictions=pd.DataFrame(pred_rows),
                     failures=pd.DataFrame(fails, columns=["clip_id", "model", "stage", "reason"]),
                     params=params, stats=stats, _flips=flips, _clips=by_id)


def in_turn(chosen: pd.DataFrame, max_clips: int) -> pd.DataFrame:
    """The first ``max_clips`` rows of a clip selection taken in turn from each label (first clip of
    every label, then the second ...), sorted back by label and clip id."""
    if isinstance(max_clips, bool) or not isinstance(max_clips, int) or max_clips < 1:
        raise OptionError(f"max_clips must be an integer >= 1 or None, got {max_clips!r}")
    turn = chosen.groupby("label", sort=True).cumcount()
    out = chosen.assign(_turn=turn).sort_values(["_turn", "label"], kind="stable").head(max_clips)
    return out.drop(columns="_turn").sort_values(["label", "clip_id"]).reset_index(drop=True)


def run_task(task: str, *, models: Sequence[str] | str | None = None, profile: str = "default",
             clips_per_class: int = 1, split: str = "test", seed: int = 0, options: dict | None = None,
             n_null: int = 4, sizes: Sequence[int] = DEFAULT_SIZES, cache_dir=None, workers: Any = "auto",
             max_clips: int | None = None, progress: bool = True) -> FlipStudy:
    """The flip study of ``task`` on the built corpus: the transfer study's clip selection (the same
    seed gives the same clips; fewer per class give a subset) and the zoo's default study models.
    ``max_clips``: keep only that many of the selected clips, taken in turn from each class (still a
    subset of the transfer study's clips)."""
    from ..corpora import data_root, manifest
    from ..parallel import local_executor, resolve_workers
    if models is None or models == "all":
        from .. import models as zoo
        names = list(zoo.names(task, profile=profile, study=True))
    else:
        names = [models] if isinstance(models, str) else [str(m) for m in models]
    if cache_dir is not None and not str(cache_dir).startswith("/"):
        cache_dir = data_root() / str(cache_dir)
    chosen = select_clips(manifest(task, profile), int(clips_per_class), split=split, seed=int(seed))
    if max_clips is not None:
        chosen = in_turn(chosen, max_clips)
    clips, failures = load_clips(chosen, SAMPLE_RATE)
    n = resolve_workers(workers, jobs=len(names) * len(clips))
    with ExitStack() as stack:
        ex = stack.enter_context(local_executor(n)) if n > 1 else None
        res = run(task, names, clips, options, seed=seed, n_null=n_null, sizes=sizes, cache_dir=cache_dir,
                  profile=profile, executor=ex, progress=progress)
    if failures:
        res.failures = pd.concat([pd.DataFrame(failures), res.failures], ignore_index=True)
    res.params.update({"clips_per_class": int(clips_per_class), "split": split, "max_clips": max_clips})
    return res
