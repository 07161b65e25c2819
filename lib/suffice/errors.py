"""Exceptions with messages a user can act on."""
from __future__ import annotations


class SufficeError(Exception):
    """Base class of every error the library raises on purpose."""


class AudioError(SufficeError, ValueError):
    """Audio that cannot be explained: unreadable, empty, silent, too short, non-finite ..."""


class OptionError(SufficeError, ValueError):
    """An unknown or out-of-range option or parameter."""


class UnknownNameError(SufficeError, KeyError):
    """An unknown model, task, label or strategy name."""

    def __str__(self) -> str:  # KeyError quotes its message; we want it plain
        return str(self.args[0]) if self.args else ""


class ModelOutputError(SufficeError, RuntimeError):
    """A classifier returned something that is not a (N, C) probability matrix."""


class StudyInterrupted(KeyboardInterrupt):
    """A study (or flip study) stopped by Ctrl-C: the message says how much is finished and cached, and
    how to resume.  A :class:`KeyboardInterrupt`, so code that handles Ctrl-C handles it too."""

    def __init__(self, message: str, *, finished: int = 0, total: int = 0, cache_dir: str = "") -> None:
        super().__init__(message)
        self.finished = int(finished)
        self.total = int(total)
        self.cache_dir = str(cache_dir)


def interrupted_message(finished: int, total: int, what: str, cache_dir: str) -> str:
    """The text of a :class:`StudyInterrupted`: ``finished`` of ``total`` ``what`` done, how to resume."""
    return (f"{finished} of {total} {what} finished and cached; to resume, run the same command or call "
            f"again: finished work is read from the cache {cache_dir}")
