"""Loaders for the real datasets' standard layouts (being written; see issue #3)."""
from __future__ import annotations

import pandas as pd

from ..errors import SufficeError


def _todo(name: str) -> pd.DataFrame:
    raise SufficeError(f"{name} is not implemented yet")


def from_gtzan(root) -> pd.DataFrame:
    return _todo("from_gtzan")


def from_ravdess(root) -> pd.DataFrame:
    return _todo("from_ravdess")


def from_asvspoof2019_la(root) -> pd.DataFrame:
    return _todo("from_asvspoof2019_la")


def from_in_the_wild(root) -> pd.DataFrame:
    return _todo("from_in_the_wild")
