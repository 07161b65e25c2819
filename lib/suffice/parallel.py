"""Local worker processes for the expensive loops (explanations of a study, training the zoo).

Tiny models do not keep two CPU threads busy: on the 2-core machines measured here, one training step
of a tiny Wav2Vec2 took 116 ms on one thread and 203 ms on two, so two one-thread processes do about
twice the work of one two-thread process.  Workers are started with ``spawn`` (forking a process that
has initialised OpenMP can deadlock), run one intra-op thread each, and load models by name.

Workers end with their parent however it ends: each runs a watchdog thread that exits the worker
when its parent process is gone (``os.getppid()`` changes when the parent dies, be it by SIGKILL,
SIGTERM or a normal exit), so a killed study or notebook kernel never leaves blocked workers behind.

Ctrl-C is the parent's alone: a terminal sends SIGINT to its whole foreground process group, and a
worker that took it would fail its job and go on with the next queued one.  Workers ignore SIGINT (from
their first instruction on: they are spawned with it blocked), and the pool that
:func:`local_executor` returns ends them (:meth:`LocalExecutor.terminate`) when its ``with`` block is
left by an exception, instead of waiting for the queued jobs.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any, Iterable, Iterator

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
    """A worker's start: SIGINT ignored (Ctrl-C is for the parent), a watchdog on ``parent`` and one
    intra-op thread (torch reads the variable when it is imported)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # also discards a SIGINT pending while it was blocked
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # programs it starts inherit SIG_IGN
    start_parent_watchdog(parent)
    os.environ["OMP_NUM_THREADS"] = "1"
    if "torch" in sys.modules:  # already imported (by unpickling): set it directly
        sys.modules["torch"].set_num_threads(1)


_one_thread = _worker_init  # the old name


#: seconds a worker gets to exit after SIGTERM before it is killed (SIGKILL)
TERMINATE_GRACE_S = 1.0


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C (SIGINT) in this block, then restore the handler (in the main thread only: a
    signal handler cannot be set elsewhere, and elsewhere no KeyboardInterrupt is raised anyway)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        if old is not None:  # None: a handler not set from Python, which cannot be put back
            signal.signal(signal.SIGINT, old)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread: a process it starts inherits the mask through fork and exec, so a
    spawned worker cannot be interrupted while it starts up.  This process loses nothing: the signal
    stays pending here, or another thread takes it (Python then raises KeyboardInterrupt as usual)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class LocalExecutor(ProcessPoolExecutor):
    """A :class:`ProcessPoolExecutor` whose workers ignore Ctrl-C and that stops at once when its
    ``with`` block is left by an exception (KeyboardInterrupt above all): :meth:`terminate` instead of
    waiting for every queued job.  A normal exit shuts down cleanly, as a ProcessPoolExecutor does."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with _sigint_blocked():  # the pool may spawn its workers here
            return super().submit(fn, *args, **kwargs)

    def terminate(self, grace_s: float = TERMINATE_GRACE_S) -> None:
        """Stop now: cancel the jobs not started, end the worker processes (SIGTERM, at most ``grace_s``
        seconds to exit, then SIGKILL) and return without their running jobs, whose futures fail with
        BrokenProcessPool.  Bounded in time (a few seconds at worst); Ctrl-C is ignored while it runs
        (in the main thread); calling it again does nothing more."""
        with sigint_ignored():
            procs = list((self._processes or {}).values())
            manager = self._executor_manager_thread
            for item in list(self._pending_work_items.values()):
                item.future.cancel()  # fails, harmlessly, for a job already handed to a worker
            self.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                _signal_process(p, kill=False)
            deadline = time.monotonic() + max(0.0, float(grace_s))
            for p in procs:
                p.join(max(0.0, deadline - time.monotonic()))
            for p in procs:
                if p.is_alive():
                    _signal_process(p, kill=True)
                    p.join(1.0)
            # the pool's own thread notices the dead workers, fails their futures and ends; bounded,
            # as everything here
            if manager is not None and manager is not threading.current_thread():
                manager.join(max(1.0, float(grace_s)))

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            self.terminate()
            return False
        try:
            return super().__exit__(exc_type, exc, tb)  # shutdown(wait=True): the jobs finish
        except KeyboardInterrupt:
            self.terminate()
            raise


def _signal_process(p: multiprocessing.process.BaseProcess, *, kill: bool) -> None:
    try:
        (p.kill if kill else p.terminate)()
    except (OSError, ValueError, AttributeError):  # already reaped (by the pool's thread) or closed
        pass


def local_executor(workers: int) -> LocalExecutor:
    """A pool of ``workers`` spawned processes with one intra-op thread each that end with this process
    and ignore Ctrl-C (see :class:`LocalExecutor`)."""
    return LocalExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                         initializer=_worker_init, initargs=(os.getpid(),))


def cancel_on_interrupt(futures: Iterable[Future], executor: Executor | None) -> None:
    """After Ctrl-C: cancel every future not started and end a local pool's workers
    (:meth:`LocalExecutor.terminate`); other executors (Dask, a user's) only get their futures
    cancelled.  Ctrl-C is ignored meanwhile, so a second one cannot break the cleanup."""
    with sigint_ignored():
        for f in list(futures):
            f.cancel()
        if isinstance(executor, LocalExecutor):
            executor.terminate()
