"""The result of one explanation: what is sufficient, how it was found, and how to hear it."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .fills import ZERO
from .masking import keep_bins
from .records import from_record, to_record

_ARRAY_FIELDS = ("keep", "responsibility", "waveform", "necessary_keep", "complete_keep")
#: fields that records written before they were declared hold as keys of ``meta``
_META_FIELDS = ("search_calls", "extras_calls", "levels", "model_seconds", "synth_seconds")


def budget_cut(budget_exhausted: Any, verified_minimal: Any) -> np.ndarray:
    """Where the call budget ran out before the sufficient set was verified 1-minimal: 1.0 for
    ``budget_exhausted`` and not ``verified_minimal``, 0.0 otherwise (a set verified before the budget
    ran out later, in the contrastive or complete set, is not cut), NaN where a flag is NaN (unknown).

    Elementwise on bools, 0/1 or floats (scalars or arrays); the one definition of "budget-cut" that
    explanations, studies and the benchmark use."""
    return np.asarray(budget_exhausted, dtype=float) * (1.0 - np.asarray(verified_minimal, dtype=float))


def write_json(d: dict, path: str | Path | None = None, *, allow_nan: bool = True) -> str:
    """``d`` as sorted JSON text; also written to ``path`` when given (the result objects' ``to_json``)."""
    text = json.dumps(d, sort_keys=True, allow_nan=allow_nan)
    if path is not None:
        Path(path).write_text(text)
    return text


def read_json(text_or_path: str | Path) -> dict:
    """The object of JSON text, or of the JSON file at a path (the result objects' ``from_json``)."""
    s = str(text_or_path)
    if not s.lstrip().startswith("{"):
        s = Path(s).read_text()
    return json.loads(s)

@dataclass(frozen=True, eq=False)
class Explanation:
    """A minimal sufficient set of rfft bins for one model's decision on one clip.

    ``keep`` is a bool array of the clip's ``K = T//2+1`` bins, a set the search evaluated and saw
    pass.  ``found`` is True when that set is short of the whole spectrum; when it is False,
    ``keep`` is all True and ``budget_exhausted`` tells the two reasons apart: False, the search
    finished and nothing short of the whole spectrum passed ("not found"); True, ``max_calls`` ran
    out first ("budget-cut").  ``budget_exhausted`` with ``found`` True: the set is sufficient but
    possibly not minimal (unless ``verified_minimal``: then the budget ran out later, in the
    contrastive or complete set, or in a refinement to a finer resolution).  ``verified_minimal``: every
    kept atom of ``resolution_bins`` bins (a single bin by default) was tested for removal against the
    final set and none could go (1-minimal at that resolution; see :mod:`suffice.search.resolution`).
    ``fill``, ``fill_seed``: what the removed bins took (:mod:`suffice.fills`; ``"zero"``: silence), in
    the search and in every signal rebuilt here.  ``silence_label`` (also :attr:`floor_label`): the
    model's top-1 label on the floor, every bin removed under the fill (the all-zero spectrum under
    the zero fill).  ``n_model_calls`` counts the waveforms the model evaluated (a batch of 14
    counts 14), the original included.  ``necessary_budget_cut`` (with ``contrastive``): the budget ran
    out before the search for ``necessary_keep`` finished, so that set, when there is one, is
    sufficient and necessary but not pruned to the end, and a missing one is unknown rather than not
    found.  ``margin``: the target's probability minus the runner-up's on the sufficient signal;
    ``robust``: the class survives float64 synthesis, 24- and 16-bit PCM and a little noise
    (:mod:`suffice.renderings`); ``renderings``: the model's label under each rendering; all three None
    where not checked (no set found, the ``robustness`` option ``"off"``, the library's default, or no
    room under ``max_calls``).  ``check_calls``: the model calls of that check and of a repair, made
    after the search (counted in ``n_model_calls``).  ``repaired_bins``: bins that the ``"repair"``
    robustness added to the search's set to make it robust (:mod:`suffice.search.robust`; such a set is
    not ``verified_minimal``).  ``search_calls``: the model calls spent until the sufficient set was
    settled, the original included (the rest went to the contrastive and complete sets and the robustness
    check); ``extras_calls``: the calls of the contrastive and complete sets where the strategy counts them
    itself (rex); None: not counted.  ``levels``: one dict per level of a coarse-to-fine search (width,
    atoms, kept atoms and bins, calls, how it ended; :mod:`suffice.search.resolution`), None at single bins.
    ``model_seconds`` / ``synth_seconds``: time inside the model and in building its waveforms (None: not
    measured).  ``meta``: free-form diagnostics of the strategy, for people; nothing reads it as data.
    JSON written before the twelve fields from ``budget_exhausted`` to ``fill_seed`` existed loads with
    ``False, False, None, False, 1, None, None, None, 0, 0, "zero", 0``; JSON written before the last
    five existed, with the values its ``meta`` held under their names (None where it held none).
    """

    keep: np.ndarray
    found: bool
    target: str
    target_index: int
    confidence: float
    sufficient_confidence: float
    n_model_calls: int
    responsibility: np.ndarray
    waveform: np.ndarray
    sample_rate: int
    model: str
    strategy: str
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    necessary_keep: np.ndarray | None = None
    complete_keep: np.ndarray | None = None
    complete_confidence: float | None = None
    version: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    budget_exhausted: bool = False
    verified_minimal: bool = False
    silence_label: str | None = None
    necessary_budget_cut: bool = False
    resolution_bins: int = 1
    margin: float | None = None
    robust: bool | None = None
    renderings: dict[str, str] | None = None
    check_calls: int = 0
    repaired_bins: int = 0
    fill: str = ZERO
    fill_seed: int = 0
    search_calls: int | None = None
    extras_calls: int | None = None
    levels: list[dict[str, Any]] | None = None
    model_seconds: float | None = None
    synth_seconds: float | None = None

    @property
    def resolution_hz(self) -> float:
        """Width in Hz of the atoms over which the set was searched (and, when ``verified_minimal``,
        verified 1-minimal): ``resolution_bins`` bins of ``sample_rate / len(waveform)`` Hz each."""
        return self.resolution_bins * self.sample_rate / len(self.waveform)

    def atoms(self) -> np.ndarray:
        """Atom index of each bin at :attr:`resolution_bins` (bins ``[a w, (a + 1) w)`` form atom ``a``)."""
        return np.arange(self.n_bins) // self.resolution_bins

    # ---- derived -------------------------------------------------------------------------------
    @property
    def n_bins(self) -> int:
        return int(self.keep.shape[0])

    @property
    def budget_cut(self) -> bool:
        """The budget ran out before the set was verified 1-minimal (see :func:`budget_cut`)."""
        return bool(budget_cut(self.budget_exhausted, self.verified_minimal) == 1.0)

    @property
    def size(self) -> int:
        """Number of bins in the sufficient set."""
        return int(self.keep.sum())

    @property
    def fraction(self) -> float:
        """Fraction of the clip's bins in the sufficient set."""
        return self.size / self.n_bins

    @property
    def floor_label(self) -> str | None:
        """The model's top-1 label on the fill alone (every bin removed; silence under the zero fill)."""
        return self.silence_label

    def signal(self, keep: np.ndarray) -> np.ndarray:
        """The clip rebuilt from the bins of ``keep`` (bool (K,) or (N, K)), the others under this
        explanation's fill: the signal the model was shown."""
        return keep_bins(self.waveform, keep, fill=self.fill, fill_seed=self.fill_seed)

    @property
    def sufficient_signal(self) -> np.ndarray:
        """The waveform rebuilt from the kept bins, the removed ones under the fill."""
        return self.signal(self.keep)

    @property
    def necessary_signal(self) -> np.ndarray | None:
        return None if self.necessary_keep is None else self.signal(self.necessary_keep)

    @property
    def complete_signal(self) -> np.ndarray | None:
        return None if self.complete_keep is None else self.signal(self.complete_keep)

    def frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each kept bin."""
        return np.flatnonzero(self.keep) * self.sample_rate / len(self.waveform)

    def summary(self) -> dict[str, Any]:
        """The scalar facts, for tables and the CLI."""
        return {
            "model": self.model, "target": self.target, "confidence": round(self.confidence, 6),
            "found": self.found, "size": self.size, "n_bins": self.n_bins,
            "fraction": self.fraction, "sufficient_confidence": round(self.sufficient_confidence, 6),
            "n_model_calls": self.n_model_calls, "strategy": self.strategy, "seed": self.seed,
            "necessary_size": None if self.necessary_keep is None else int(self.necessary_keep.sum()),
            "necessary_budget_cut": self.necessary_budget_cut,
            "complete_size": None if self.complete_keep is None else int(self.complete_keep.sum()),
            "budget_exhausted": self.budget_exhausted, "verified_minimal": self.verified_minimal,
            "silence_label": self.silence_label, "resolution_bins": self.resolution_bins,
            "resolution_hz": self.resolution_hz, "margin": self.margin, "robust": self.robust,
            "repaired_bins": self.repaired_bins, "fill": self.fill, "fill_seed": self.fill_seed,
        }

    # ---- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return to_record(self, _ARRAY_FIELDS)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Explanation":
        return from_record(cls, d, _ARRAY_FIELDS, lifted=_META_FIELDS)

    def to_json(self, path: str | Path | None = None) -> str:
        """JSON text (arrays base64-encoded); also written to ``path`` when given."""
        return write_json(self.to_dict(), path)

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> "Explanation":
        """An explanation from JSON text or a JSON file's path."""
        return cls.from_dict(read_json(text_or_path))

    def same_result(self, other: "Explanation") -> bool:
        """True when two explanations found the same sets with the same counts (ignores metadata)."""
        def eq(a, b):
            if a is None or b is None:
                return a is b
            return np.array_equal(a, b)
        return (eq(self.keep, other.keep) and self.found == other.found
                and self.budget_exhausted == other.budget_exhausted
                and self.verified_minimal == other.verified_minimal
                and self.silence_label == other.silence_label
                and self.necessary_budget_cut == other.necessary_budget_cut
                and self.resolution_bins == other.resolution_bins and self.robust == other.robust
                and self.repaired_bins == other.repaired_bins
                and self.fill == other.fill and self.fill_seed == other.fill_seed
                and self.target_index == other.target_index and self.n_model_calls == other.n_model_calls
                and eq(self.necessary_keep, other.necessary_keep) and eq(self.complete_keep, other.complete_keep)
                and np.allclose(self.responsibility, other.responsibility))

    def __repr__(self) -> str:
        return (f"Explanation(model={self.model!r}, target={self.target!r}, found={self.found}, "
                f"size={self.size}/{self.n_bins}, calls={self.n_model_calls}, strategy={self.strategy!r}"
                f"{', budget-cut' if self.budget_cut else ''}"
                f"{'' if self.robust is None else (', robust' if self.robust else ', not robust')}"
                f"{', 1-minimal' if self.verified_minimal else ''})")
