"""One clip to generate: its metadata and the generator's parameters (picklable, JSON-able)."""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ClipJob:
    """A clip to render: manifest fields plus ``params`` the task's renderer reads."""

    clip_id: str
    label: str
    split: str
    source: str
    speaker: str = ""
    system: str = ""
    text: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def rng(self, seed: int) -> np.random.Generator:
        """A generator that depends only on the build seed and this clip's id."""
        return np.random.default_rng([int(seed), zlib.crc32(self.clip_id.encode())])


def stable_hash(text: str) -> int:
    """A hash of ``text`` that does not change between runs (unlike ``hash``)."""
    return zlib.crc32(text.encode())
