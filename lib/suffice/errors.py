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
