"""Local worker processes for the expensive loops (explanations of a study, training the zoo).

Tiny models do not keep two CPU threads busy: on the 2-core machines measured here, one training step
of a tiny Wav2Vec2 took 116 ms on one thread and 203 ms on two, so two one-thread processes do about
twice the work of one two-thread process.  Workers are started with ``spawn`` (forking a process that
has initialised OpenMP can deadlock), run one intra-op thread each, and load models by name.

Workers end with their parent however it ends: each runs a watchdog thread that exits the worker
when its parent process is gone (``os.getppid()`` changes when the parent dies, be it by SIGKILL,
SIGTERM or a normal exit), so a killed study or notebook kernel never leaves blocked workers behind.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
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


#: seconds between two looks of a worker's watchdog at its parent
WATCHDOG_PERIOD_S = 0.5


def _watch_parent(parent: int, period: float) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)  # the parent is gone: no one will read our results
        time.sleep(period)


def start_parent_watchdog(parent: int | None = None, period: float = WATCHDOG_PERIOD_S) -> threading.Thread:
    """Exit this process (``os._exit``) soon after ``parent`` (default: the current parent) ends.

    Pass the parent's pid as the parent knew it: a worker whose parent died while it was still
    starting up has already been re-parented, and must exit at once.  Returns the daemon thread.
    """
    parent = os.getppid() if parent is None else int(parent)
    t = threading.Thread(target=_watch_parent, args=(parent, float(period)), daemon=True,
                         name="suffice-parent-watchdog")
    t.start()
    return t


def _worker_init(parent: int | None = None) -> None:
    """A worker's start: a watchdog on ``parent`` and one intra-op thread (torch reads the variable
    when it is imported)."""
    start_parent_watchdog(parent)
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules:  # already imported (by unpickling): set it directly
        sys.modules["torch"].set_num_threads(1)


_one_thread = _worker_init  # the old name


def local_executor(workers: int) -> Executor:
    """A pool of ``workers`` spawned processes with one intra-op thread each that end with this process."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init, initargs=(os.getpid(),))
