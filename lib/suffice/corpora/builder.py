"""Generic corpus build: plan clips, render them in parallel, write wavs, manifest, log and README.

A task module (``genre``, ``emotion``, ``deepfake``) provides::

    TASK: str; DURATION: float; VERSION: str
    config(profile) -> dict               # everything that decides the corpus (hashed into the stamp)
    prepare(cfg) -> ctx                   # check tools, decode sources (main process); ctx is picklable
    plan(cfg, ctx, seed) -> list[ClipJob]
    render(job, cfg, ctx, seed) -> np.ndarray   # float32 mono 16 kHz, exactly DURATION seconds
    describe(cfg) -> str                  # how it was made (README section)
    FILES: dict[str, str] (optional)      # data files read (name -> path): their SHA-256 is recorded

Reproducibility: every clip's random numbers come from (seed, clip id) alone; numeric libraries run on
one thread during the build (:func:`tools.pin_threads`), so the bytes do not depend on the number of
workers or cores; the manifest holds paths relative to the corpus folder. ``build.json`` records the
corpus **fingerprint** (:func:`suffice.fingerprint.fingerprint` over ``manifest.csv`` and ``clips/``)
and the versions of every program, package and data file the clips are made with
(:func:`tools.build_environment`), which are what can still differ between machines.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm.auto import tqdm

from ..errors import AudioError, OptionError
from ..folders import claim, replace
from ..fingerprint import fingerprint
from .generators import task_module
from .jobs import ClipJob
from .paths import PROFILES, corpus_dir
from .report import write_readme
from .schema import COLUMNS, normalise
from .signal import SR, check_clip
from .tools import build_environment, pin_threads, unpin_threads

STAMP = ".config-hash"
#: files of a corpus folder that describe the build rather than hold the corpus (not fingerprinted)
BUILD_FACTS: tuple[str, ...] = ("build.json", "build.log", "README.md", "checks.json")

__all__ = ["BUILD_FACTS", "STAMP", "build", "config_hash", "corpus_fingerprint", "is_current", "task_module"]


def corpus_fingerprint(folder: Path) -> str:
    """The fingerprint of a built corpus: its manifest and clips, not its build facts."""
    return fingerprint(folder, exclude=BUILD_FACTS)


def config_hash(mod: ModuleType, cfg: dict[str, Any], seed: int) -> str:
    """Hash of everything that decides a corpus: task, generator version, configuration, seed."""
    blob = json.dumps({"task": mod.TASK, "version": mod.VERSION, "cfg": cfg, "seed": int(seed),
                       "duration": mod.DURATION, "sr": SR}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def is_current(task: str, profile: str, seed: int = 0, cfg: dict[str, Any] | None = None) -> bool:
    """Whether the corpus on disk was built from the present configuration."""
    mod = task_module(task)
    d = corpus_dir(task, profile)
    stamp = d / STAMP
    cfg = mod.config(profile) if cfg is None else cfg
    return (d / "manifest.csv").is_file() and stamp.is_file() and \
        stamp.read_text().strip() == config_hash(mod, cfg, seed)


# worker-side state (set once per process by the pool initialiser)
_W: dict[str, Any] = {}


def _init_worker(task: str, cfg: dict[str, Any], ctx: Any, seed: int, clips: str) -> None:
    pin_threads(1)
    _W.update(mod=task_module(task), cfg=cfg, ctx=ctx, seed=seed, clips=Path(clips))


def _render_one(job: ClipJob) -> tuple[ClipJob, str | None, str]:
    """Render and write one clip; return (job, error or None, relative path)."""
    mod, cfg = _W["mod"], _W["cfg"]
    n = int(round(mod.DURATION * SR))
    rel = f"clips/{job.split}/{job.label}/{job.clip_id}.wav"
    try:
        x = check_clip(np.asarray(mod.render(job, cfg, _W["ctx"], _W["seed"]), dtype=np.float32), n)
        out = _W["clips"].parent / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(out), np.clip(x, -1.0, 1.0), SR, subtype="PCM_16")
        return job, None, rel
    except (AudioError, OSError, ValueError, RuntimeError) as exc:
        return job, f"{type(exc).__name__}: {exc}", rel
    except Exception as exc:  # noqa: BLE001 - any generator failure becomes a logged skip
        return job, f"{type(exc).__name__}: {exc} | {traceback.format_exc(limit=2)!r}", rel


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (workers, ffmpeg, fluidsynth, TTS)."""
    import resource
    tot = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        tot += r.ru_utime + r.ru_stime
    return tot


def _limit(plan: list[ClipJob], limit: int | None) -> list[ClipJob]:
    """At most ``limit`` clips per label (the first planned), for tiny test builds."""
    if limit is None:
        return plan
    seen: dict[str, int] = {}
    out = []
    for job in plan:
        if seen.get(job.label, 0) < limit:
            seen[job.label] = seen.get(job.label, 0) + 1
            out.append(job)
    return out


def build(task: str, profile: str = "default", jobs: int | None = None, seed: int = 0,
          force: bool = False, limit: int | None = None) -> Path:
    """Build (or reuse) one corpus; returns the manifest path.

    ``limit`` keeps only the first ``limit`` planned clips of each label (tiny builds for tests); it is
    part of the configuration hash.
    """
    if profile not in PROFILES:
        raise OptionError(f"unknown profile {profile!r}; choose one of {PROFILES}")
    if jobs is not None and jobs < 1:
        raise OptionError(f"jobs must be >= 1, got {jobs}")
    if limit is not None and limit < 1:
        raise OptionError(f"limit must be >= 1, got {limit}")
    mod = task_module(task)
    cfg = mod.config(profile)
    if limit is not None:
        cfg = {**cfg, "limit_per_label": int(limit)}
    digest = config_hash(mod, cfg, seed)
    d = corpus_dir(task, profile)
    if not force and is_current(task, profile, seed, cfg):
        print(f"[corpora] {task}/{profile} is up to date ({d / 'manifest.csv'})")
        return d / "manifest.csv"
    t0 = time.time()
    cpu0 = _cpu_seconds()
    pinned = pin_threads(1)
    try:
        return _build(mod, task, profile, cfg, seed, digest, d, jobs, limit, t0, cpu0)
    finally:
        unpin_threads(pinned)


#: what a corpus build writes into its folder
CORPUS_ENTRIES = frozenset({"clips", "manifest.csv", "build.log", "build.json", STAMP})


def corpus_folder(folder: Path) -> str | None:
    """None when ``folder`` is a corpus this builder wrote (finished or interrupted: only its own
    entries), else why not (see :func:`suffice.folders.claim`)."""
    odd = sorted(p.name for p in folder.iterdir() if p.name not in CORPUS_ENTRIES)
    return f"it holds {', '.join(odd[:3])}, which a corpus build does not write" if odd else None


def _build(mod: ModuleType, task: str, profile: str, cfg: dict[str, Any], seed: int, digest: str, d: Path,
           jobs: int | None, limit: int | None, t0: float, cpu0: float) -> Path:
    """The body of :func:`build`, run with pinned threads."""
    final, d = d, d.with_name(d.name + ".building")  # built aside, swapped in when complete
    what = f"the corpus folder of {task}/{profile}"
    claim(final, "corpus", what=what, own=corpus_folder)  # before any work: replaced only if it is a corpus
    claim(d, "corpus", what=what, own=corpus_folder)
    ctx = mod.prepare(cfg)
    plan = _limit(mod.plan(cfg, ctx, seed), limit)
    if d.exists():
        shutil.rmtree(d)
    (d / "clips").mkdir(parents=True)
    n_jobs = jobs or os.cpu_count() or 1
    rows, skips = [], []
    args = (task, cfg, ctx, seed, str(d / "clips"))
    def collect(it) -> None:
        for job, err, rel in tqdm(it, total=len(plan), desc=f"{task}/{profile}", unit="clip"):
            if err is not None:
                skips.append((job.clip_id, err))
                continue
            rows.append({"clip_id": job.clip_id, "path": rel, "label": job.label,
                         "split": job.split, "source": job.source, "speaker": job.speaker,
                         "system": job.system, "text": job.text, "duration": mod.DURATION, "sample_rate": SR})

    if n_jobs == 1:  # in this process: no pool to start (tiny builds, debugging)
        _init_worker(*args)
        collect(map(_render_one, plan))
    else:
        with ProcessPoolExecutor(max_workers=n_jobs, initializer=_init_worker, initargs=args) as ex:
            collect(ex.map(_render_one, plan, chunksize=max(1, min(8, len(plan) // (4 * n_jobs) or 1))))
    elapsed = time.time() - t0
    cpu = _cpu_seconds() - cpu0
    df = normalise(pd.DataFrame(rows, columns=list(COLUMNS)))
    df.to_csv(d / "manifest.csv", index=False)
    with open(d / "build.log", "w", encoding="utf-8") as log:
        log.write(f"# {task}/{profile} seed={seed} hash={digest} planned={len(plan)} built={len(df)} "
                  f"skipped={len(skips)} seconds={elapsed:.1f} jobs={n_jobs}\n")
        for cid, err in skips:
            log.write(f"SKIP {cid}: {err}\n")
        source_skips = ctx.get("source_skips", []) if isinstance(ctx, dict) else []
        for line in source_skips:
            log.write(f"SOURCE-SKIP {line}\n")
    info = {"task": task, "profile": profile, "seed": seed, "hash": digest, "planned": len(plan),
            "built": len(df), "skipped": len(skips),
            "source_files_skipped": len(ctx.get("source_skips", [])) if isinstance(ctx, dict) else 0, "build_seconds": round(elapsed, 1),
            "cpu_seconds": round(cpu, 1), "jobs": n_jobs, "load_average": os.getloadavg()[0],
            "duration": mod.DURATION, "sample_rate": SR, "config": cfg,
            "fingerprint": corpus_fingerprint(d),
            "environment": build_environment(getattr(mod, "FILES", None)),
            "description": mod.describe(cfg).strip()}
    (d / "build.json").write_text(json.dumps(info, indent=1, default=str), encoding="utf-8")
    if skips:
        print(f"[corpora] {task}/{profile}: {len(skips)} clip(s) skipped, reasons in {d / 'build.log'}")
    if len(df) == 0:
        raise AudioError(f"no clip of {task}/{profile} could be built; see {d / 'build.log'}")
    (d / STAMP).write_text(digest + "\n")
    replace(d, final, "corpus", what=what, own=corpus_folder)
    write_readme(task, profile)
    print(f"[corpora] {task}/{profile}: {len(df)} clips in {elapsed:.0f} s, fingerprint {info['fingerprint']} "
          f"-> {final / 'manifest.csv'}")
    return final / "manifest.csv"
