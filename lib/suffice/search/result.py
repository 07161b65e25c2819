"""What a search strategy hands back to :func:`suffice.explain`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SearchResult:
    """Sufficient keep-mask, responsibility map and the ranking the extraction used."""

    keep: np.ndarray            # bool (K,)
    responsibility: np.ndarray  # float (K,), higher = more responsible
    found: bool                 # False when only the whole spectrum was sufficient
    ranking: np.ndarray         # int (K,): bins, most responsible first
    extra: dict[str, Any] = field(default_factory=dict)


def rank_bins(responsibility: np.ndarray, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Bins sorted by responsibility (descending), ties by ``tiebreak`` (descending), then index."""
    n = len(responsibility)
    tb = np.zeros(n) if tiebreak is None else np.asarray(tiebreak, dtype=np.float64)
    return np.lexsort((np.arange(n), -tb, -np.asarray(responsibility, dtype=np.float64)))
