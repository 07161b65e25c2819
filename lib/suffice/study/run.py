"""The transferability grid: predictions, explanations, and every model on every sufficient signal.

For a task, models ``M`` and clips ``X``:

1. every model's probabilities on every original clip;
2. every model explains every clip (its own top-1 class);
3. every model classifies every other model's sufficient signal.

Every result is cached on disk by content (:mod:`suffice.study.cache`), so an interrupted study resumes
without recomputing finished work, and changing any input (library version, options, strategy, seed,
model weights, clip samples) recomputes exactly what it affects.  Explanations, the costly part, can
be spread over any :class:`concurrent.futures.Executor` (e.g. a Dask ``client.get_executor()``):
workers load the models by name and share the on-disk cache.
"""
from __future__ import annotations

import time
import warnings
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..constants import VERSION as __version__
from ..audio import validate_waveform
from ..classifier import Classifier, predict_in_batches
from ..errors import OptionError, SufficeError
from ..explanation import Explanation
from ..search import explain
from ..search.explain import resolve_options
from ..tasks import task_labels
from ..transfer import TABLE_COLUMNS
from .cache import DiskCache, key_digest
from .clips import Clip



def model_identity(model: Classifier) -> str:
    """What the cache keys a model on: its own content hash when it has one, else class and name."""
    ident = getattr(model, "identity", None)
    if callable(ident):
        return str(ident())
    return f"{type(model).__module__}.{type(model).__qualname__}:{model.name}"


class _Counting:
    """Counts the waveforms a model evaluates during a study run."""

    def __init__(self, model: Classifier) -> None:
        self.model = model
        self.name, self.labels, self.sample_rate = model.name, list(model.labels), int(model.sample_rate)
        self.calls = 0

    def predict_proba(self, waveforms: np.ndarray) -> np.ndarray:
        self.calls += len(waveforms)
        return self.model.predict_proba(waveforms)


@dataclass
class StudyResult:
    """Tidy tables of one study run (see :data:`TABLE_COLUMNS`)."""

    table: pd.DataFrame
    predictions: pd.DataFrame
    explanations: pd.DataFrame
    failures: pd.DataFrame
    params: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)
    _explanations: dict[tuple[str, str], Explanation] = field(default_factory=dict, repr=False)

    def explanation(self, model: str, clip_id: str) -> Explanation:
        """The full :class:`Explanation` of ``model`` on ``clip_id``."""
        try:
            return self._explanations[(model, str(clip_id))]
        except KeyError:
            raise SufficeError(f"no explanation of clip {clip_id!r} by {model!r} in this study") from None

    def save(self, folder: str | Path) -> Path:
        """Write the tables as CSV (and the parameters as YAML) to ``folder``."""
        import yaml
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("table", "predictions", "explanations", "failures"):
            getattr(self, name).to_csv(out / f"{name}.csv", index=False)
        (out / "params.yaml").write_text(yaml.safe_dump(self.params, sort_keys=True))
        return out

    def __repr__(self) -> str:
        return (f"StudyResult(task={self.params.get('task')!r}, models={self.table['source'].nunique() if len(self.table) else 0}, "
                f"clips={self.predictions['clip_id'].nunique() if len(self.predictions) else 0}, "
                f"rows={len(self.table)}, failures={len(self.failures)}, stats={self.stats})")


# ---- explanation jobs (run in this process or on an executor's workers) -------------------------
_WORKER_MODELS: dict[tuple[str, str], Classifier] = {}


def _worker_model(spec: str | Classifier, profile: str) -> Classifier:
    if not isinstance(spec, str):
        return spec
    key = (spec, profile)
    if key not in _WORKER_MODELS:
        from ..models.resolve import resolve_model
        _WORKER_MODELS[key] = resolve_model(spec, profile)
    return _WORKER_MODELS[key]


def _explain_job(spec: str | Classifier, profile: str, waveform: np.ndarray, seed: int, strategy: str,
                 options: dict, cache_root: str, key: dict) -> dict:
    """Explain one clip, store the result in the shared cache, return the payload.

    A cache that cannot be written here (a worker without the shared folder, a full disk) costs a
    warning, not the result: the payload still goes back to the study, which stores it on its side.
    """
    cache = DiskCache(cache_root)
    hit = cache.get("explanation", key)
    if hit is not None:
        return hit
    model = _worker_model(spec, profile)
    t0 = time.perf_counter()
    e = explain(model, waveform, seed=seed, strategy=strategy, **options)
    payload = e.to_dict()
    payload.pop("waveform")  # the clip itself is known to the study; keep the cache small
    payload = {"explanation": payload, "seconds": time.perf_counter() - t0}
    try:
        cache.put("explanation", key, payload)
    except OSError as exc:
        warnings.warn(f"could not store an explanation in the cache {cache_root}: {exc}", stacklevel=2)
    return payload


def _restore(payload: dict, clip: Clip) -> Explanation:
    from ..explanation import _encode
    d = dict(payload["explanation"])
    d["waveform"] = _encode(np.asarray(clip.waveform, np.float32))
    return Explanation.from_dict(d)


def _reason(exc: BaseException) -> str:
    """A failure record's reason: our own errors speak for themselves, others get their type."""
    return str(exc) if isinstance(exc, SufficeError) else f"{type(exc).__name__}: {exc}"


def _predict_many(model: Classifier, waveforms: list[np.ndarray], batch: int
                  ) -> tuple[list[np.ndarray | None], list[str | None]]:
    """Probabilities of many waveforms, and per waveform the reason it failed (None when it did not).

    Batched when the waveforms share a length; when a batch fails (an exception, NaN, a wrong shape)
    its waveforms are retried one by one, so one bad input never costs the others their result.
    """
    n = len(waveforms)
    out: list[np.ndarray | None] = [None] * n
    why: list[str | None] = [None] * n
    if n > 1 and len({len(w) for w in waveforms}) == 1:
        for s in range(0, n, batch):
            try:
                p = predict_in_batches(model, np.stack(waveforms[s:s + batch]), batch)
            except Exception:  # noqa: BLE001 - isolate the bad waveform below
                continue
            out[s:s + len(p)] = list(p)
    for i in range(n):
        if out[i] is None:
            try:
                out[i] = predict_in_batches(model, waveforms[i][None], 1)[0]
            except Exception as exc:  # noqa: BLE001 - recorded as a failure, the study goes on
                why[i] = _reason(exc)
    return out, why


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
            raise OptionError(f"model {m.name!r} has labels {bad} outside the {task!r} vocabulary "
                              f"{sorted(canon)}; map them first")
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


# ---- the study --------------------------------------------------------------------------------
def run(task: str, models: Sequence[str | Classifier], clips: Sequence[Clip], options: dict | None = None,
        *, seed: int = 0, strategy: str = "suffice", cache_dir: str | Path | None = None,
        executor: Executor | None = None, profile: str = "default", failures: Sequence[dict] = (),
        progress: bool = True) -> StudyResult:
    """Run (or resume) the transfer grid of ``models`` on ``clips``.

    ``models``: zoo names (``genre/ast-tiny``), ``toy/...`` names or Classifier objects; their labels
    must be the task's canonical labels.  ``clips``: :class:`Clip` objects (see
    :func:`suffice.study.clips.load_clips`).  ``options``: search options of ``strategy``.
    ``executor``: any ``concurrent.futures.Executor`` for the explanations (e.g. a Dask
    ``client.get_executor()``); workers load models given by name themselves (pass names: objects
    are pickled into every job) and write to the cache folder at the same path when they can see it;
    the study also stores every result they return, so resuming works either way.  Returns a
    :class:`StudyResult`.

    Faults: a clip that is not a valid waveform, or on which a model raises or returns something that
    is not a probability vector, becomes a row of ``failures`` (clip, model, stage, reason) and the
    study goes on without that (model, clip) result; failures are never cached, so a rerun retries
    them.  Configuration mistakes (unknown task, option or label, mixed sample rates) raise at once.
    """
    task_labels(task)
    opts = resolve_options(strategy, dict(options or {}))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise OptionError(f"seed must be an integer, got {seed!r}")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise OptionError(f"executor must be a concurrent.futures.Executor (with .submit), got {executor!r}")
    if not models:
        raise OptionError("a study needs at least one model")
    if cache_dir is None:
        from ..paths import data_root
        cache_dir = data_root() / "study-cache"
    cache = DiskCache(cache_dir)
    cache.check_writable()
    specs = list(models)
    loaded = [_worker_model(s, profile) for s in specs]
    _check_models(task, loaded)
    names = [m.name for m in loaded]
    counting = [_Counting(m) for m in loaded]
    idents = {m.name: model_identity(m) for m in loaded}
    fails = list(failures)
    clips = _check_clips(list(clips), int(loaded[0].sample_rate), fails)
    batch = int(opts["batch_size"])

    # 1. predictions on the originals
    probs: dict[tuple[str, str], np.ndarray] = {}
    for m in counting:
        keys = {c.clip_id: {"v": __version__, "model": idents[m.name], "clip": c.digest} for c in clips}
        missing = []
        for c in clips:
            hit = cache.get("prediction", keys[c.clip_id])
            if hit is None:
                missing.append(c)
            else:
                probs[(m.name, c.clip_id)] = np.asarray(hit)
        rows, why = _predict_many(m, [c.waveform for c in missing], batch)
        for c, row, reason in zip(missing, rows, why):
            if row is None:
                fails.append({"clip_id": c.clip_id, "model": m.name, "stage": "predict", "reason": reason})
                continue
            probs[(m.name, c.clip_id)] = row
            cache.put("prediction", keys[c.clip_id], row.tolist())

    # 2. explanations (not of a clip its model could not even classify)
    ekeys = {(m.name, c.clip_id): {"v": __version__, "strategy": strategy, "options": opts,
                                   "model": idents[m.name], "clip": c.digest, "seed": int(seed)}
             for m in loaded for c in clips if (m.name, c.clip_id) in probs}
    payloads: dict[tuple[str, str], dict] = {}
    todo = []
    for (mn, cid), key in ekeys.items():
        hit = cache.get("explanation", key)
        if hit is None:
            todo.append((mn, cid))
        else:
            payloads[(mn, cid)] = hit
    by_name = {cm.name: (s, cm) for s, cm in zip(specs, counting)}
    clip_by_id = {c.clip_id: c for c in clips}
    bar = tqdm(total=len(ekeys), initial=len(ekeys) - len(todo), desc=f"{task}: explanations",
               disable=not progress)
    local = list(todo) if executor is None else []
    if executor is not None:
        futs = {}
        for mn, cid in todo:
            spec = by_name[mn][0]
            futs[executor.submit(_explain_job, spec, profile, clip_by_id[cid].waveform, seed, strategy,
                                 opts, str(cache.root), ekeys[(mn, cid)])] = (mn, cid)
        from concurrent.futures import as_completed
        for f in as_completed(futs):
            mn, cid = futs[f]
            try:
                payloads[(mn, cid)] = f.result()
            except BrokenExecutor as exc:  # the workers died (not the job): do it here instead
                if not local:
                    warnings.warn(f"the study's worker processes stopped ({type(exc).__name__}: {exc}); "
                                  "explaining the remaining clips in this process.  In a Python script, "
                                  "start the study under `if __name__ == '__main__':` (worker processes "
                                  "import the script), or pass workers=1.", RuntimeWarning, stacklevel=2)
                local.append((mn, cid))
                continue
            except Exception as exc:  # noqa: BLE001 - a worker's error, recorded
                fails.append({"clip_id": cid, "model": mn, "stage": "explain", "reason": _reason(exc)})
            else:  # a worker that does not see our cache folder wrote elsewhere (or nowhere): keep it here
                if not cache.has("explanation", ekeys[(mn, cid)]):
                    cache.put("explanation", ekeys[(mn, cid)], payloads[(mn, cid)])
            bar.update(1)
    for mn, cid in local:
        try:
            payloads[(mn, cid)] = _explain_job(by_name[mn][1], profile, clip_by_id[cid].waveform, seed,
                                               strategy, opts, str(cache.root), ekeys[(mn, cid)])
        except Exception as exc:  # noqa: BLE001 - recorded, the study goes on
            fails.append({"clip_id": cid, "model": mn, "stage": "explain", "reason": _reason(exc)})
        bar.update(1)
    bar.close()
    expls = {k: _restore(p, clip_by_id[k[1]]) for k, p in payloads.items()}

    # 3. every model on every sufficient signal
    cross: dict[tuple[str, str, str], np.ndarray] = {}
    for g in tqdm(counting, desc=f"{task}: cross-evaluation", disable=not progress):
        missing, mkeys = [], []
        for (src, cid), e in sorted(expls.items()):
            key = {"v": __version__, "explanation": key_digest(ekeys[(src, cid)]), "target": idents[g.name]}
            hit = cache.get("transfer", key)
            if hit is None:
                missing.append((src, cid, e))
                mkeys.append(key)
            else:
                cross[(src, g.name, cid)] = np.asarray(hit)
        for s in range(0, len(missing), batch):
            part = missing[s:s + batch]
            rows, why = _predict_many(g, [e.sufficient_signal for _, _, e in part], batch)
            for (src, cid, _), key, row, reason in zip(part, mkeys[s:s + batch], rows, why):
                if row is None:
                    fails.append({"clip_id": cid, "model": g.name, "stage": "transfer",
                                  "reason": f"on the sufficient signal of {src!r}: {reason}"})
                    continue
                cross[(src, g.name, cid)] = row
                cache.put("transfer", key, row.tolist())

    # 4. tidy tables
    labels = {m.name: list(m.labels) for m in loaded}
    pred_rows = []
    for m in loaded:
        for c in clips:
            if (m.name, c.clip_id) not in probs:
                continue
            p = probs[(m.name, c.clip_id)]
            pred_rows.append({"clip_id": c.clip_id, "model": m.name, "true_label": c.label,
                              "pred": labels[m.name][int(np.argmax(p))], "conf": float(np.max(p))})
    rows, erows = [], []
    for (src, cid), e in sorted(expls.items()):
        c = clip_by_id[cid]
        cls = e.target
        seconds = payloads[(src, cid)]["seconds"]
        erows.append({"model": src, "clip_id": cid, "true_label": c.label, "target": cls,
                      "confidence": e.confidence, "found": e.found, "set_size": e.size, "n_bins": e.n_bins,
                      "fraction": e.fraction, "sufficient_confidence": e.sufficient_confidence,
                      "n_model_calls": e.n_model_calls, "seconds": seconds})
        for g in loaded:
            if (g.name, cid) not in probs or (src, g.name, cid) not in cross:
                continue  # that model failed on this clip or signal: see failures
            gl = labels[g.name]
            po, ps = probs[(g.name, cid)], cross[(src, g.name, cid)]
            j = gl.index(cls) if cls in gl else None
            rows.append({
                "task": task, "clip_id": cid, "true_label": c.label, "source": src, "target": g.name,
                "seed": int(seed), "source_pred": cls, "source_conf": e.confidence, "found": e.found,
                "set_size": e.size, "n_bins": e.n_bins, "fraction": e.fraction,
                "n_model_calls": e.n_model_calls, "target_pred_original": gl[int(np.argmax(po))],
                "target_prob_original": float(po[j]) if j is not None else float("nan"),
                "target_pred_sufficient": gl[int(np.argmax(ps))],
                "target_prob_sufficient": float(ps[j]) if j is not None else float("nan"),
            })
    params = {"task": task, "models": names, "seed": int(seed), "strategy": strategy, "options": opts,
              "profile": profile, "n_clips": len(clips), "version": __version__,
              "model_identities": idents}
    here = set(local)
    in_workers = [k for k in todo if k not in here and k in payloads]
    stats = {"model_calls": int(sum(m.calls for m in counting)),  # in this process
             "model_calls_in_workers": int(sum(payloads[k]["explanation"]["n_model_calls"] for k in in_workers)),
             "explained_now": len(todo), "cache_hits": cache.hits, "cache_misses": cache.misses}
    return StudyResult(
        table=pd.DataFrame(rows, columns=list(TABLE_COLUMNS)), predictions=pd.DataFrame(pred_rows),
        explanations=pd.DataFrame(erows),
        failures=pd.DataFrame(fails, columns=["clip_id", "model", "stage", "reason"]),
        params=params, stats=stats, _explanations=expls)
