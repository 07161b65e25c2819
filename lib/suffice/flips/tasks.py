"""The flip chapter's studies: one flip study per task, in order, and the analyses every table reads."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

import pandas as pd

from . import analysis
from .analysis import FlipTransfer
from .study import FlipStudy, run_task


def run_tasks(tasks: Sequence[str], *, models: Mapping[str, Sequence[str]], clips_per_class: Mapping[str, int],
              max_clips: Mapping[str, int], **common: Any) -> Iterator[tuple[str, FlipStudy, float]]:
    """Yields ``(task, study, seconds)`` for each of ``tasks`` in turn, as :func:`~suffice.flips.study.run_task`
    finishes it.  ``models``, ``clips_per_class`` and ``max_clips`` are per task (a task left out: the
    zoo's study models, one clip per class, no cap); ``common`` goes to every task's run."""
    for task in tasks:
        t0 = time.perf_counter()
        study = run_task(task, models=models.get(task), clips_per_class=clips_per_class.get(task, 1),
                         max_clips=max_clips.get(task), **common)
        yield task, study, time.perf_counter() - t0


@dataclass(frozen=True)
class TaskAnalyses:
    """Per task: the flip curve (``curves``), flip transfer over all clips (``transfers``) and over the
    clips where judge and producer agree (``agreeing``)."""

    curves: dict[str, pd.DataFrame]
    transfers: dict[str, FlipTransfer]
    agreeing: dict[str, FlipTransfer]


def analyse(results: Mapping[str, FlipStudy], sizes: Sequence[int], *, n_boot: int, seed: int) -> TaskAnalyses:
    """The curves and flip transfers of every task's study (bootstrap of ``n_boot`` resamples, ``seed``)."""
    curves = {t: analysis.flip_curve(r.flips, r.evaluations, sizes, n_boot=n_boot, seed=seed)
              for t, r in results.items()}
    transfers = {t: analysis.flip_transfer(r.flips, r.evaluations, r.params["models"], n_boot=n_boot, seed=seed)
                 for t, r in results.items()}
    agreeing = {t: analysis.flip_transfer(r.flips, r.evaluations, r.params["models"], condition="agree",
                                          n_boot=n_boot, seed=seed) for t, r in results.items()}
    return TaskAnalyses(curves, transfers, agreeing)


def calibration(results: Mapping[str, FlipStudy], *, n_null: int, n_sim: int, n_boot: int,
                seed: int) -> pd.DataFrame:
    """Per task, :func:`~suffice.flips.analysis.calibrate` at the study's size (clips, models, ``n_null``
    random removals; base rate 0.1, effect 0.2, ``n_sim`` simulated studies, at most 200 resamples)."""
    return pd.DataFrame([
        {"task": t, **analysis.calibrate(r.params["n_clips"], len(r.params["models"]), n_null, base=0.1,
                                          effect=0.2, n_sim=n_sim, n_boot=min(n_boot, 200), seed=seed)}
        for t, r in results.items()])
