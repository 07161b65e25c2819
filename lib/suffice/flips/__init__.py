"""Minimal flips: the fewest frequency bins whose removal changes a classifier's decision.

:func:`flip` finds one (``search``), :class:`Flip` holds it (``result``), ``audibility`` says how
audible the change is, ``study`` runs flips and their transfer over a zoo, ``analysis`` turns the
tables into flip curves and flip-transfer rates with chance baselines.
"""
from __future__ import annotations

from .result import Flip
from .search import OPTIONS, flip, resolve_flip_options

__all__ = ["flip", "Flip", "OPTIONS", "resolve_flip_options"]
