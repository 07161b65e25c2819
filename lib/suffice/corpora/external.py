"""Running an external synthesiser (espeak-ng, festival, flite, fluidsynth) that writes a wav file."""
from __future__ import annotations

import os
import subprocess
import tempfile

import numpy as np
import soundfile as sf

from ..errors import AudioError
from .signal import to_16k


def run_to_wav(args: list[str], *, stdin: str | None = None, what: str | None = None,
               timeout: float = 120, allow_empty: bool = False) -> np.ndarray:
    """Run ``args`` (``{out}`` is replaced by a temporary wav path), read that wav, resample to 16 kHz.

    A failing program or (unless ``allow_empty``) an empty output raises :class:`AudioError` naming
    ``what`` (default: the program).
    """
    name = what or args[0]
    fd, path = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        r = subprocess.run([a.replace("{out}", path) for a in args], input=stdin, capture_output=True,
                           text=True, errors="replace", timeout=timeout)
        if r.returncode != 0:
            raise AudioError(f"{name} failed: {r.stderr[-300:]}")
        x, sr = sf.read(path, dtype="float32")
    finally:
        os.unlink(path)
    if x.size == 0 and not allow_empty:
        raise AudioError(f"{name} produced no audio")
    return to_16k(x, sr)
