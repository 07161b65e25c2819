"""Folders the project writes: claimed before any work, replaced only when they are the project's own.

Every writer of a folder (a study's tables, a chapter's outputs, the benchmark, a corpus, a model)
goes through this module, by one rule:

* a folder is written or replaced only when it is missing, empty, or recognisably one that the same
  kind of writer wrote before (its own stamp file, or the mark :data:`MARK` that this module leaves in
  folders that have no stamp of their own); anything else is refused, before any work, in one line;
* the folder may never equal or contain a protected input (a study's cache, manifest, clips or
  parameter file);
* a symbolic link is followed (the folder it points to is the one written), never replaced by a folder;
* a replacement is a swap under a lock beside the folder, re-checked under the lock: a second writer
  waits for the first, and a writer that finds the folder changed since it claimed it (another run
  saved there meanwhile) is told so instead of silently overwriting that run's work.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .errors import OptionError, SufficeError

#: the mark left in a folder written by a writer without a stamp of its own (``{"kind": ...}``)
MARK = ".suffice-folder.json"
#: seconds a writer waits for another writer's lock on the same folder
LOCK_WAIT_S = 120.0

#: ``own(folder)``: None when ``folder`` (existing, non-empty) is the writer's own, else why it is not
Recognise = Callable[[Path], "str | None"]


def resolve(folder: str | os.PathLike) -> Path:
    """``folder`` with ``~`` expanded and symbolic links followed (the folder actually written)."""
    return Path(os.path.realpath(os.path.expanduser(os.fspath(folder))))


def mark(folder: Path, kind: str) -> None:
    """Leave the mark of ``kind`` in ``folder`` (for writers whose folders carry no stamp of their own)."""
    (folder / MARK).write_text(json.dumps({"kind": kind, "by": "suffice"}) + "\n")


def marked(kind: str) -> Recognise:
    """A :data:`Recognise` that accepts a folder holding the mark of ``kind``."""
    def own(folder: Path) -> str | None:
        try:
            if json.loads((folder / MARK).read_text()).get("kind") == kind:
                return None
        except (OSError, ValueError, AttributeError):
            pass
        return f"it holds no {MARK} of a {kind} folder"
    return own


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _contains(outer: Path, inner: Path) -> bool:
    return outer == inner or outer in inner.parents


def claim(folder: str | os.PathLike, kind: str, *, what: str, own: Recognise | None = None,
          protect: Iterable[tuple[str, str | os.PathLike]] = ()) -> Path:
    """The folder to write for ``kind``; :class:`OptionError` unless it may be written.

    ``folder``: as the user gave it (``~``, symbolic links: followed).  ``what``: how the user named it
    (``output_dir``, ``--out``), for the message.  ``own``: how this writer recognises its own earlier
    folder (default: the mark of ``kind``).  ``protect``: ``(description, path)`` of inputs the folder
    must neither be nor contain.  Returns the resolved path (it may not exist yet).
    """
    given = Path(os.path.expanduser(os.fspath(folder)))
    if given.is_symlink() and not given.exists():
        raise OptionError(f"{what} {given} is a broken symbolic link (to {os.readlink(given)}); give a folder")
    p = resolve(folder)
    for label, path in protect:
        q = resolve(path)
        if _contains(p, q):
            raise OptionError(f"{what} {p} {'is' if p == q else 'contains'} the {label} {q}; saving there "
                              f"would replace it: give another folder")
    if not p.exists():
        return p
    if not p.is_dir():
        raise OptionError(f"{what} {p} exists and is not a folder")
    try:
        names = _entries(p)
    except OSError as exc:
        raise OptionError(f"{what} {p} cannot be read: {exc.strerror or exc}") from None
    if not names:
        return p
    why = (own or marked(kind))(p)
    if why is not None:
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        raise OptionError(f"{what} {p} is not empty and not a {kind} folder that suffice wrote ({why}; it "
                          f"holds {shown}); suffice never replaces other files: give a new or empty folder")
    return p


def state(folder: Path) -> str | None:
    """What a writer saw of ``folder`` when it claimed it: None (missing or empty), else a digest of
    its names and stamp-like files (for :func:`replace`'s check that nobody wrote it meanwhile)."""
    try:
        names = _entries(folder)
    except OSError:
        return None
    if not names:
        return None
    h = hashlib.sha256("\0".join(names).encode())
    for name in ("stamp.json", MARK):
        f = folder / name
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()


@contextmanager
def locked(folder: Path, *, what: str, wait_s: float = LOCK_WAIT_S) -> Iterator[None]:
    """Hold the lock of ``folder`` (a file ``.<name>.lock`` beside it); waits up to ``wait_s`` for
    another writer, then raises :class:`SufficeError`."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = folder.parent / f".{folder.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        t0 = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() - t0 > wait_s:
                    raise SufficeError(f"{what} {folder}: another process has been writing it for over "
                                       f"{wait_s:g} s (lock {lock}); try again when it is done") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _umask() -> int:
    old = os.umask(0o022)
    os.umask(old)
    return old


def staging(out: Path) -> Path:
    """A fresh temporary folder beside ``out`` (same file system, so the swap is a rename), with the
    mode a folder created by ``mkdir`` would have under the process umask."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".tmp-{out.name}-"))
    os.chmod(tmp, 0o777 & ~_umask())
    return tmp


def replace(tmp: Path, out: Path, kind: str, *, what: str, own: Recognise | None = None,
            expect: tuple[str | None] | None = None, protect: Iterable[tuple[str, str | os.PathLike]] = ()) -> Path:
    """Swap the finished folder ``tmp`` in as ``out`` (a reader sees the old or the new folder, whole).

    Under the lock of ``out`` the folder is claimed again (:func:`claim`), and when ``expect`` is given
    (``(state,)``, with the :func:`state` taken when the work started) it must not have changed: another run that saved
    there meanwhile keeps its folder and this call raises :class:`SufficeError` (``tmp`` is removed;
    the caller says where its results are).  Returns ``out``.
    """
    try:
        with locked(out, what=what):
            out = claim(out, kind, what=what, own=own, protect=protect)
            if expect is not None and (state(out),) != tuple(expect):
                raise SufficeError(f"{what} {out} was saved by another run while this one worked; that run's "
                                   "folder is kept and this one's was not written")
            old = None
            if out.exists():
                old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".old-{out.name}-"))
                os.rmdir(old)
                os.replace(out, old)
            try:
                os.replace(tmp, out)
            except BaseException:
                if old is not None:
                    os.replace(old, out)  # put the previous complete folder back
                raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def remove_stale(out: Path, older_than_s: float = 3600.0) -> None:
    """Delete ``.tmp-<name>-*`` / ``.old-<name>-*`` folders that a killed :func:`replace` left beside ``out``."""
    now = time.time()
    for pattern in (f".tmp-{out.name}-*", f".old-{out.name}-*"):
        for p in out.parent.glob(pattern):
            try:
                if p.is_dir() and not p.is_symlink() and now - p.stat().st_mtime > older_than_s:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass


def write_error(exc: OSError, folder: Path, what: str) -> SufficeError:
    """A one-line error for an ``OSError`` met while writing into ``folder`` (full disk, read-only, ...)."""
    return SufficeError(f"could not write {what} to {folder}: {exc.strerror or exc}"
                        + (f" ({exc.filename})" if getattr(exc, "filename", None) else ""))


__all__ = ["MARK", "LOCK_WAIT_S", "Recognise", "claim", "locked", "mark", "marked", "remove_stale", "replace",
           "resolve", "staging", "state", "write_error"]
