"""Facts the whole project shares, defined once: the sample rate and the build profiles.

This module is the bottom of the package: it imports nothing from ``suffice``.
"""
from __future__ import annotations

#: the library's version (pyproject.toml says the same)
VERSION: str = "0.1.0"
#: every model, corpus and search works on mono audio at this rate (Hz)
SAMPLE_RATE: int = 16000
#: build profiles of corpora, models and the book: the full ``default`` and the small, fast ``smoke``
PROFILES: tuple[str, ...] = ("default", "smoke")

__all__ = ["VERSION", "SAMPLE_RATE", "PROFILES"]
