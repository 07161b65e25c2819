"""The result of one flip search: which bins, what the model says then, how it was found, how audible."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..explanation import read_json, write_json
from ..masking import keep_bins
from ..records import from_record, to_record

_ARRAY_FIELDS = ("removed", "waveform")


@dataclass(frozen=True, eq=False)
class Flip:
    """The fewest rfft bins the search found whose removal changes ``model``'s top-1 class.

    ``removed``: sorted bin indices (empty when ``found`` is False).  ``found``: the model's top-1
    class on the clip without those bins is ``new_label`` != ``label`` (every reported flip was
    evaluated).  ``budget_exhausted``: the search stopped because ``max_calls`` ran out, so a missing
    flip is inconclusive and a found one may be larger than the search would otherwise have reached;
    ``found=False`` with ``budget_exhausted=False`` means the search completed its schedule up to
    ``max_size`` bins without a flip (not a proof that no such set exists).  ``verified_minimal``: each
    removed bin was tested for putting back in the final set and none could be (the set is
    irreducible).  ``minimum_verified``: the size is proven to be the minimum (one bin; or two bins
    after every single bin of the clip was tested); otherwise the size is an upper bound on the
    minimum.  ``n_model_calls`` counts every waveform the model evaluated, the original included.
    ``singles_tested``: how many single bins the search tested for removal alone (all of them makes a
    two-bin flip the minimum); a record written when ``meta`` held it loads it from there.  ``meta``:
    free-form diagnostics, for people.
    """

    model: str
    label: str
    label_index: int
    confidence: float
    found: bool
    budget_exhausted: bool
    verified_minimal: bool
    minimum_verified: bool
    removed: np.ndarray
    new_label: str | None
    new_index: int | None
    new_confidence: float | None
    label_prob_after: float | None
    n_model_calls: int
    waveform: np.ndarray
    sample_rate: int
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    removed_energy_db: float = float("nan")
    lsd_db: float = float("nan")
    seg_snr_db: float = float("nan")
    version: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    singles_tested: int | None = None

    @property
    def n_bins(self) -> int:
        return len(self.waveform) // 2 + 1

    @property
    def size(self) -> int | None:
        """Number of removed bins (None when no flip was found)."""
        return int(len(self.removed)) if self.found else None

    @property
    def keep(self) -> np.ndarray:
        """The keep-mask of the flipped signal: every bin but the removed ones."""
        k = np.ones(self.n_bins, dtype=bool)
        k[np.asarray(self.removed, dtype=np.int64)] = False
        return k

    @property
    def flipped_signal(self) -> np.ndarray | None:
        """The clip without the removed bins, which take the flip's fill (None when no flip was found)."""
        fill = {k: self.options[k] for k in ("fill", "fill_seed") if k in (self.options or {})}
        return keep_bins(self.waveform, self.keep, **fill) if self.found else None

    def frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each removed bin."""
        return np.asarray(self.removed, dtype=np.float64) * self.sample_rate / len(self.waveform)

    def summary(self) -> dict[str, Any]:
        """The scalar facts, for tables."""
        return {"model": self.model, "label": self.label, "confidence": round(self.confidence, 6),
                "found": self.found, "budget_exhausted": self.budget_exhausted, "size": self.size,
                "verified_minimal": self.verified_minimal, "minimum_verified": self.minimum_verified,
                "new_label": self.new_label, "new_confidence": self.new_confidence,
                "removed_hz": [round(float(f), 3) for f in self.frequencies()], "n_bins": self.n_bins,
                "n_model_calls": self.n_model_calls, "removed_energy_db": self.removed_energy_db,
                "lsd_db": self.lsd_db, "seg_snr_db": self.seg_snr_db, "seed": self.seed}

    # ---- serialisation ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return to_record(self, _ARRAY_FIELDS, tag_nonfinite=True)  # nan / inf survive strict JSON

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Flip":
        return from_record(cls, d, _ARRAY_FIELDS, tag_nonfinite=True, lifted=("singles_tested",))

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text (arrays base64-encoded); also written to ``path`` when given."""
        return write_json(self.to_dict(), path, allow_nan=False)

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> "Flip":
        """A flip from JSON text or a JSON file's path."""
        return cls.from_dict(read_json(text_or_path))

    def same_result(self, other: "Flip") -> bool:
        """Same bins, class, flags and call count (ignores timing metadata)."""
        return (np.array_equal(self.removed, other.removed) and self.found == other.found
                and self.budget_exhausted == other.budget_exhausted
                and self.verified_minimal == other.verified_minimal
                and self.minimum_verified == other.minimum_verified and self.new_index == other.new_index
                and self.n_model_calls == other.n_model_calls)

    def __repr__(self) -> str:
        what = f"size={self.size}, {self.label!r}->{self.new_label!r}" if self.found else "not found"
        return (f"Flip(model={self.model!r}, {what}, budget_exhausted={self.budget_exhausted}, "
                f"calls={self.n_model_calls})")
