"""Output paths checked before any work: the folder exists and is writable, the format is supported."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import soundfile as sf

from ..errors import OptionError

#: sound file extension -> (soundfile format, subtype) used to write a sufficient signal.  wav keeps the
#: float samples exactly; flac and ogg cannot hold floats, so they get the closest subtype they can.
AUDIO_FORMATS: dict[str, tuple[str, str]] = {
    ".wav": ("WAV", "FLOAT"), ".flac": ("FLAC", "PCM_24"), ".ogg": ("OGG", "VORBIS"),
    ".aiff": ("AIFF", "FLOAT"), ".aif": ("AIFF", "FLOAT"), ".mp3": ("MP3", "MPEG_LAYER_III"),
}


def writable_folder(folder: Path, what: str) -> None:
    """Raise :class:`OptionError` unless ``folder`` is an existing, writable folder."""
    if not folder.exists():
        raise OptionError(f"{what}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise OptionError(f"{what}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OptionError(f"{what}: the folder {folder} is not writable")


def output_file(path: str | os.PathLike, what: str, *, force: bool = False,
                inputs: Sequence[str | os.PathLike] = ()) -> Path:
    """``path`` as a file to write: its folder exists and is writable, it is not a folder, it is none of
    ``inputs`` (never, even with ``force``), and it does not exist unless ``force`` (``--force``)."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise OptionError(f"{what}: {p} is a folder; give a file name")
    for given in inputs:
        if _same_file(p, Path(given).expanduser()):
            raise OptionError(f"{what}: {p} is the input file {given}; writing there would replace the recording "
                              "with its own sufficient signal: give another name")
    writable_folder(p.parent if str(p.parent) else Path("."), what)
    if p.exists() or p.is_symlink():
        if not force:
            raise OptionError(f"{what}: {p} exists; pass --force to replace it, or give another name")
        if not os.access(p, os.W_OK):
            raise OptionError(f"{what}: {p} exists and is not writable")
    return p


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file (links and hard links followed), or one path if missing."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def audio_output(path: str | os.PathLike, what: str = "--out", *, force: bool = False,
                 inputs: Sequence[str | os.PathLike] = ()) -> tuple[Path, str, str]:
    """A sound file to write: (path, soundfile format, subtype), chosen from the extension."""
    p = output_file(path, what, force=force, inputs=inputs)
    ext = p.suffix.lower()
    if ext not in AUDIO_FORMATS:
        raise OptionError(f"{what}: cannot write {ext or 'a file without extension'}; "
                          f"use one of {', '.join(AUDIO_FORMATS)}")
    fmt, subtype = AUDIO_FORMATS[ext]
    if fmt not in sf.available_formats() or not sf.check_format(fmt, subtype):
        ok = [e for e, (f, s) in AUDIO_FORMATS.items() if f in sf.available_formats() and sf.check_format(f, s)]
        raise OptionError(f"{what}: this libsndfile cannot write {ext} ({fmt}/{subtype}); use one of {', '.join(ok)}")
    return p, fmt, subtype


def json_output(path: str | os.PathLike, what: str = "--save", *, force: bool = False,
                inputs: Sequence[str | os.PathLike] = ()) -> Path:
    """A JSON file to write (the extension must be ``.json``)."""
    p = output_file(path, what, force=force, inputs=inputs)
    if p.suffix.lower() != ".json":
        raise OptionError(f"{what}: the explanation is written as JSON; name the file *.json (got {p.name})")
    return p


def output_folder(path: str | os.PathLike, what: str) -> Path:
    """A folder to write into: it exists and is writable, or its parent does (it is created later)."""
    p = Path(path).expanduser()
    if p.exists():
        writable_folder(p, what)
    else:
        parent = next((d for d in p.parents if d.exists()), Path("."))
        writable_folder(parent, what)
    return p


__all__ = ["AUDIO_FORMATS", "audio_output", "json_output", "output_file", "output_folder", "writable_folder"]
