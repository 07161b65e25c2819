"""Ctrl-C ends a parallel study promptly, as a terminal sends it.

A study with two worker processes runs in a child that leads its own process group; the test sends
SIGINT to the whole group, as a terminal does, once some explanations are cached.  The study must stop
within seconds with exit status 130 (the CLI) or :class:`StudyInterrupted` (the Python API), add no
more than the explanations in flight to the cache, survive a second Ctrl-C without hanging or printing
a traceback, and resume to tables identical to an uninterrupted run's.
"""
from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import BrokenExecutor, Future
from pathlib import Path

import pandas as pd
import pytest

from suffice.errors import StudyInterrupted
from suffice.parallel import LocalExecutor, local_executor
from suffice.study import clips_from_arrays, run

import _hostile_models as hm

HERE = Path(__file__).parent
N_CLIPS = 8
N_EXPL = 3 * N_CLIPS
DELAY = 0.01  # seconds per model call in the child: a whole study takes many seconds on two workers
WORKERS = 2
AT = 4  # explanations cached before the Ctrl-C
EXIT_LIMIT_S = 15.0

# the child: the study on two local workers, through the Python API or the CLI's `suffice study`
# (a parameter file cannot name these slow toy models, so run_params is replaced by a study of them)
CHILD = textwrap.dedent(f"""
    import signal
    import sys
    # Ctrl-C raises KeyboardInterrupt, as in a terminal (a shell that runs the tests in the background
    # without job control starts them with SIGINT ignored, which Python then keeps)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import _hostile_models as hm
    import suffice.study
    from suffice.errors import StudyInterrupted
    from suffice.parallel import local_executor
    from suffice.study import clips_from_arrays, run

    mode, cache = sys.argv[1], sys.argv[2]

    def study(*args, **kwargs):
        clips, _ = clips_from_arrays(hm.clip_items({N_CLIPS}), 16000)
        with local_executor({WORKERS}) as ex:
            return run("deepfake", hm.models({DELAY}), clips, cache_dir=cache, executor=ex, progress=False)

    if mode == "cli":
        from suffice.cli import main
        suffice.study.run_params = study
        sys.exit(main(["study", "--params", "toy.yaml"]))
    try:
        study()
    except StudyInterrupted as exc:
        print(f"study interrupted: {{exc}}", file=sys.stderr, flush=True)
        sys.exit(130)
""")


def _explanations(cache: Path) -> int:
    """Finished explanation entries (never the ``.tmp-*`` files)."""
    root = cache / "explanation"
    return sum(1 for p in root.rglob("*.json") if not p.name.startswith(".tmp-")) if root.is_dir() else 0


def _interrupt(mode: str, cache: Path, second_after: float | None = None) -> tuple[float, int, str, int, int]:
    """Start the child, Ctrl-C its process group once ``AT`` explanations are cached (and again
    ``second_after`` seconds later); (seconds from the first signal to its exit, exit status, stderr,
    entries at the signal, entries after the exit)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(cache)], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    pgid = proc.pid  # the child leads its own group: its workers are in it, as in a terminal's job
    try:
        t0 = time.monotonic()
        while _explanations(cache) < AT:
            if proc.poll() is not None:
                raise AssertionError(f"the study ended before it could be interrupted: {proc.stderr.read()}")
            if time.monotonic() - t0 > 120:
                raise AssertionError("the study made no progress")
            time.sleep(0.005)
        at = _explanations(cache)
        t_signal = time.monotonic()
        os.killpg(pgid, signal.SIGINT)
        ended = None
        if second_after is not None:
            while time.monotonic() < t_signal + second_after:
                if ended is None and proc.poll() is not None:
                    ended = time.monotonic()
                time.sleep(0.002)
            try:
                os.killpg(pgid, signal.SIGINT)
            except ProcessLookupError:  # every process of the group has exited already
                pass
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"still running {time.monotonic() - t_signal:.0f} s after Ctrl-C") from None
        elapsed = (ended or time.monotonic()) - t_signal
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)  # whatever is left of the group (nothing, when it works)
        except ProcessLookupError:
            pass
        proc.wait()
    print(f"{mode}: exit {elapsed:.2f} s after Ctrl-C (status {proc.returncode}); "
          f"{at} -> {_explanations(cache)} explanations cached")
    return elapsed, proc.returncode, err, at, _explanations(cache)


@pytest.fixture(scope="module")
def clips():
    return clips_from_arrays(hm.clip_items(N_CLIPS), 16000)[0]


@pytest.fixture(scope="module")
def reference(clips, tmp_path_factory):
    """The uninterrupted study's tables."""
    return run("deepfake", hm.models(), clips, cache_dir=tmp_path_factory.mktemp("ref"), progress=False)


def _resumes(clips, reference, cache: Path, cached: int) -> None:
    """A rerun on the cache computes only what is missing and gives the uninterrupted run's tables."""
    again = run("deepfake", hm.models(), clips, cache_dir=cache, progress=False)
    assert again.stats["explained_now"] == N_EXPL - cached
    pd.testing.assert_frame_equal(again.table, reference.table, check_exact=True)
    pd.testing.assert_frame_equal(again.explanations.drop(columns="seconds"),
                                  reference.explanations.drop(columns="seconds"), check_exact=True)


@pytest.mark.slow
def test_ctrl_c_stops_a_parallel_study_at_once_and_it_resumes(tmp_path, clips, reference):
    """Python API: StudyInterrupted within seconds, with what is cached and how to resume."""
    cache = tmp_path / "cache"
    elapsed, status, err, at, after = _interrupt("api", cache)
    assert status == 130, err
    assert elapsed < EXIT_LIMIT_S
    assert after <= at + WORKERS, "queued explanations were computed after Ctrl-C"
    assert f"study interrupted: {after} of {N_EXPL} explanations finished and cached" in err
    assert f"finished work is read from the cache {cache}" in err and "Traceback" not in err
    _resumes(clips, reference, cache, after)


@pytest.mark.slow
@pytest.mark.parametrize("second_after", [0.5, 0.05, 0.01])
def test_second_ctrl_c_neither_hangs_nor_prints_a_traceback(tmp_path, clips, reference, second_after):
    """The CLI, with a second Ctrl-C while it cleans up or exits: status 130 and one line, promptly."""
    cache = tmp_path / "cache"
    elapsed, status, err, at, after = _interrupt("cli", cache, second_after)
    assert status == 130, err
    assert elapsed < EXIT_LIMIT_S
    assert after <= at + WORKERS
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert f"suffice: interrupted: {after} of {N_EXPL} explanations finished and cached" in err, err
    _resumes(clips, reference, cache, after)


# ---- the pieces -------------------------------------------------------------------------------------
def _sigint_self() -> str:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.2)
    return "survived"


def _ignore_sigterm_and_sleep(seconds: float) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(seconds)


@pytest.mark.slow
def test_local_pool_workers_ignore_ctrl_c_and_a_normal_exit_waits():
    with local_executor(2) as ex:
        assert isinstance(ex, LocalExecutor)
        futs = [ex.submit(_sigint_self) for _ in range(3)]
    assert [f.result() for f in futs] == ["survived"] * 3


def test_leaving_the_pool_by_an_exception_ends_its_workers_at_once():
    """Queued jobs are cancelled, running ones end with their workers, even one ignoring SIGTERM."""
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with local_executor(2) as ex:
            pids = {ex.submit(os.getpid).result() for _ in range(4)}
            busy = [ex.submit(_ignore_sigterm_and_sleep, 600) for _ in range(2)]
            queued = [ex.submit(time.sleep, 600) for _ in range(4)]
            time.sleep(0.5)
            procs = list(ex._processes.values())
            raise KeyboardInterrupt
    elapsed = time.monotonic() - t0 - 0.5
    print(f"pool ended {elapsed:.2f} s after the interrupt")
    assert elapsed < 10
    assert not any(p.is_alive() for p in procs) and pids
    # the pool's call queue holds up to workers + 1 jobs it can no longer cancel: they fail instead
    assert sum(f.cancelled() for f in queued) >= len(queued) - 3
    assert all(f.cancelled() or isinstance(f.exception(), BrokenExecutor) for f in busy + queued)
    ex.terminate()  # again: nothing left to do


def _unused_study(args):  # noqa: ARG001 - the CLI's study subcommand, interrupted
    raise StudyInterrupted("3 of 9 explanations finished and cached; to resume, ...", finished=3, total=9)


class _SigintOnWrite(io.StringIO):
    """A stderr that receives a second Ctrl-C while the message is written."""

    def write(self, s: str) -> int:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # the signal's handler runs before the write returns
        return super().write(s)


def test_cli_main_reports_an_interrupt_in_one_line(monkeypatch):
    from suffice import cli
    old = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(cli.study, "run", _unused_study)
    err = _SigintOnWrite()
    monkeypatch.setattr(sys, "stderr", err)
    try:
        assert cli.main(["study", "--params", "unused.yaml"]) == 130
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # until the process exits
    except KeyboardInterrupt:  # not to pytest, which would take it for the user's and stop the session
        pytest.fail("the second Ctrl-C escaped from main")
    finally:
        signal.signal(signal.SIGINT, old)
    assert err.getvalue() == "suffice: interrupted: 3 of 9 explanations finished and cached; to resume, ...\n"


class _Recorder:
    """An executor whose first job runs here and whose others never start; ``terminate`` is recorded."""

    def __init__(self) -> None:
        self.futures: list[Future] = []
        self.terminated = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        f: Future = Future()
        if not self.futures:
            f.set_result(fn(*args, **kwargs))
        self.futures.append(f)
        return f

    def terminate(self) -> None:  # a method of this name on another executor is not called
        self.terminated += 1


class _LocalRecorder(_Recorder, LocalExecutor):
    """A local pool (as far as the study can tell) that starts no process."""

    def __init__(self) -> None:
        _Recorder.__init__(self)


def _ctrl_c_after_first(futures):
    """``as_completed``, pressed Ctrl-C after the first result."""
    yield next(f for f in futures if f.done())
    raise KeyboardInterrupt


@pytest.mark.parametrize("executor_type", [_Recorder, _LocalRecorder])
def test_flips_study_cancels_its_jobs_on_ctrl_c(tmp_path, monkeypatch, executor_type):
    from suffice.flips import study
    from suffice.toys import ToneClassifier, tone_clip
    models = [ToneClassifier(freqs=[300], name="toy/a"), ToneClassifier(freqs=[1100], name="toy/b")]
    items = [(f"clip{i}", tone_clip([300, 1100, 150], 16000, [0.1, 0.1, 0.4], noise=0.002, seed=i), "x")
             for i in range(3)]
    clips, _ = clips_from_arrays(items, 16000)
    ex = executor_type()
    from suffice.study import grid
    monkeypatch.setattr(grid, "as_completed", _ctrl_c_after_first)
    with pytest.raises(StudyInterrupted, match=r"^1 of 6 flips finished and cached; to resume, run the same "
                                               r"command or call again: finished work is read from the cache") as e:
        study.run("genre", models, clips, {"max_size": 5, "screen": 64}, sizes=[1], n_null=1,
                  cache_dir=tmp_path, executor=ex, progress=False)
    assert (e.value.finished, e.value.total, e.value.cache_dir) == (1, 6, str(tmp_path))
    assert len(ex.futures) == 6 and all(f.cancelled() for f in ex.futures[1:])
    assert ex.terminated == (1 if executor_type is _LocalRecorder else 0)
    # the in-process path stops at once too, with the same message
    monkeypatch.setattr(study, "flip_job", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(StudyInterrupted, match=r"^1 of 6 flips finished"):
        study.run("genre", models, clips, {"max_size": 5, "screen": 64}, sizes=[1], n_null=1,
                  cache_dir=tmp_path, progress=False)


def test_study_in_one_process_reports_its_interrupt(tmp_path, clips, monkeypatch):
    """executor None: Ctrl-C in the second explanation; the message counts the first."""
    from suffice.study import explain as explain_mod
    real = explain_mod.explain_job
    calls = []

    def once_then_ctrl_c(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    monkeypatch.setattr(explain_mod, "explain_job", once_then_ctrl_c)
    with pytest.raises(StudyInterrupted, match=rf"^1 of {N_EXPL} explanations finished and cached; .* cache "
                                               rf"{re.escape(str(tmp_path))}$"):
        run("deepfake", hm.models(), clips, cache_dir=tmp_path, progress=False)
