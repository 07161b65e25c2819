"""Drive the real ``rex-xai`` package (in its own environment) with our models and exact masking.

``rex-xai`` 0.4.1 pins numpy 1.26, which clashes with the project's numpy 2, so it lives in a
separate virtual environment (``.venv-bench`` at the repository root, git-ignored), created on first
use by :func:`ensure_env`.  :class:`RexXai` starts :mod:`suffice.bench.rexxai_worker` there and
answers its model queries here: every mask ReX asks about is resynthesised with
:func:`suffice.masking.synthesise` and classified by our model, one model call per waveform, with no
cache (ReX has none), so the call count is ReX's own.
"""
from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..classifier import Classifier, predict_in_batches
from ..errors import SufficeError
from ..masking import spectrum, synthesise

REQUIREMENTS = Path(__file__).with_name("requirements-bench.txt")
WORKER = Path(__file__).with_name("rexxai_worker.py")


class BenchEnvError(SufficeError, RuntimeError):
    """The benchmark environment for rex-xai could not be made or used."""


def default_env_dir() -> Path:
    """``.venv-bench`` next to the repository's ``.venv`` (or ``$SUFFICE_BENCH_ENV``)."""
    if os.environ.get("SUFFICE_BENCH_ENV"):
        return Path(os.environ["SUFFICE_BENCH_ENV"])
    here = Path(__file__).resolve()
    for p in here.parents:
        if (p / "pyproject.toml").exists() and (p / "lib").is_dir():
            return p / ".venv-bench"
    return Path.cwd() / ".venv-bench"


def _works(python: Path) -> bool:
    if not python.exists():
        return False
    r = subprocess.run([str(python), "-c", "import rex_xai.explanation.rex, numpy, torch"],
                       capture_output=True, env={**os.environ, "MPLBACKEND": "Agg"})
    return r.returncode == 0


def ensure_env(env_dir: Path | None = None, *, log=print) -> Path:
    """The benchmark environment's Python, creating the environment if needed (about a minute)."""
    env_dir = Path(env_dir) if env_dir is not None else default_env_dir()
    python = env_dir / "bin" / "python"
    if _works(python):
        return python
    log(f"creating the rex-xai benchmark environment in {env_dir} (pip install -r {REQUIREMENTS.name})")
    base = getattr(sys, "_base_executable", None) or sys.executable
    steps = [[base, "-m", "venv", str(env_dir)],
             [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]]
    for cmd in steps:
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchEnvError(f"`{' '.join(cmd)}` failed:\n{r.stderr[-2000:]}")
    if not _works(python):
        raise BenchEnvError(f"rex-xai does not import in {env_dir}")
    return python


@dataclass
class RexXaiResult:
    """What one rex-xai explanation gave and cost."""

    keep: np.ndarray
    found: bool
    target_index: int
    n_model_calls: int
    seconds: float          # wall time of the explanation, host side (ReX + transfer + model)
    model_seconds: float
    synth_seconds: float
    stats: dict


class RexXai:
    """A running rex-xai worker; use as a context manager."""

    def __init__(self, python: Path | None = None, *, log_path: Path | None = None) -> None:
        python = Path(python) if python is not None else ensure_env()
        self._log = open(log_path, "ab") if log_path is not None else subprocess.DEVNULL
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1"}
        env.pop("PYTHONPATH", None)
        self.proc = subprocess.Popen([str(python), str(WORKER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self._log, env=env)
        self.ping()

    def ping(self) -> None:
        """Wait until the worker has imported ReX (so that start-up is not timed as explaining)."""
        self.proc.stdin.write(b'{"ping": true}\n')
        self.proc.stdin.flush()
        tag = self._read(1)
        (n,) = struct.unpack("<I", self._read(4))
        if tag != b"R" or not json.loads(self._read(n)).get("pong"):
            raise BenchEnvError("the rex-xai worker did not answer its ping")

    def __enter__(self) -> "RexXai":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b'{"quit": true}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def _read(self, n: int) -> bytes:
        buf = self.proc.stdout.read(n)
        if buf is None or len(buf) < n:
            raise BenchEnvError(f"the rex-xai worker stopped (exit code {self.proc.poll()}); see its log")
        return buf

    def explain(self, model: Classifier, waveform: np.ndarray, *, seed: int = 0, iters: int = 20,
                batch_size: int = 64, options: dict | None = None) -> RexXaiResult:
        """Run rex-xai's spectral search and global extraction on ``waveform`` under ``model``."""
        x = np.ascontiguousarray(waveform, dtype=np.float32)
        spec = spectrum(x)
        K, C = len(spec), len(model.labels)
        job = {"K": K, "n_classes": C, "seed": int(seed), "iters": int(iters), "options": options or {}}
        t0 = time.perf_counter()
        self.proc.stdin.write((json.dumps(job) + "\n").encode())
        self.proc.stdin.flush()
        calls, model_s, synth_s = 0, 0.0, 0.0
        row = (K + 7) // 8
        while True:
            tag = self._read(1)
            (n,) = struct.unpack("<I", self._read(4))
            if tag == b"R":
                res = json.loads(self._read(n))
                break
            if tag != b"Q":
                raise BenchEnvError(f"unexpected message {tag!r} from the rex-xai worker")
            packed = np.frombuffer(self._read(n * row), np.uint8).reshape(n, row)
            keep = np.unpackbits(packed, axis=1)[:, :K].astype(bool)
            t1 = time.perf_counter()
            wav = synthesise(spec, keep, len(x))
            t2 = time.perf_counter()
            probs = predict_in_batches(model, wav, batch_size)
            model_s += time.perf_counter() - t2
            synth_s += t2 - t1
            calls += n
            self.proc.stdin.write(np.ascontiguousarray(probs, np.float64).tobytes())
            self.proc.stdin.flush()
        seconds = time.perf_counter() - t0
        if res.get("error"):
            raise BenchEnvError(f"rex-xai failed: {res['error']}")
        keep = np.unpackbits(np.frombuffer(base64.b64decode(res["keep"]), np.uint8))[:K].astype(bool)
        return RexXaiResult(keep=keep, found=bool(res["found"]), target_index=int(res["target"]),
                            n_model_calls=calls, seconds=seconds, model_seconds=model_s,
                            synth_seconds=synth_s, stats=res["stats"])
