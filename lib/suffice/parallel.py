"""Local worker processes for the expensive loops (explanations of a study, training the zoo).

Tiny models do not keep two CPU threads busy: on the 2-core machines measured here, one training step
of a tiny Wav2Vec2 took 116 ms on one thread and 203 ms on two, so two one-thread processes do about
twice the work of one two-thread process.  Workers are started with ``spawn`` (forking a process that
has initialised OpenMP can deadlock), run one intra-op thread each, and load models by name.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from .errors import OptionError


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_workers(value: Any) -> None:
    """An :class:`OptionError` unless ``value`` is ``"auto"``, None or an integer >= 1 (cheap: no torch)."""
    if value is None or value == "auto":
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(f"workers must be 'auto' or an integer >= 1, got {value!r}")


def resolve_workers(value: Any, *, jobs: int | None = None) -> int:
    """``"auto"``/None -> the available CPUs (1 when a CUDA GPU is present: one process feeds it best);
    an integer >= 1 as given; capped at ``jobs`` when known.  Anything else is an :class:`OptionError`."""
    check_workers(value)
    if value is None or value == "auto":
        n = available_cpus()
        try:
            import torch
            if torch.cuda.is_available():
                n = 1
        except ImportError:
            pass
    else:
        n = value
    return max(1, min(n, jobs)) if jobs is not None else n


def default_threads() -> int:
    """Intra-op threads for a backbone created in this process (torch's setting: 1 inside a worker)."""
    try:
        import torch
        return max(1, torch.get_num_threads())
    except ImportError:
        return available_cpus()


def _one_thread() -> None:
    import torch
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"


def local_executor(workers: int) -> Executor:
    """A pool of ``workers`` spawned processes with one intra-op thread each."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_one_thread)
