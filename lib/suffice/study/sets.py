"""A study's sufficient sets over atoms, for :mod:`suffice.transfer.overlap` (which compares f's and g's sets
on the same clip): each set's atoms, the clip's as many loudest atoms (the top-magnitude reference of
:func:`suffice.study.nulls.null_keeps`, the same choice as the study's) and every atom's energy."""
from __future__ import annotations

import numpy as np

from ..explanation import Explanation
from ..transfer.overlap import AtomSet
from .nulls import atom_units, bin_energy, null_keeps
from .result import StudyResult

__all__ = ["atom_set", "explanation_sets"]


def atom_set(e: Explanation) -> AtomSet:
    """The :class:`~suffice.transfer.overlap.AtomSet` of ``e`` at its resolution (``resolution_bins``
    bins per atom); its ``loudest`` atoms are the top-magnitude row of :func:`null_keeps` (no random
    draw: ``n = 0``)."""
    w = max(int(e.resolution_bins), 1)
    unit, members = atom_units(e.keep, w)
    top = null_keeps(e, seed=0, digest="", source="", n=0)[0]
    return AtomSet(atoms=members, loudest=atom_units(top, w)[1],
                   energy=np.bincount(unit, weights=bin_energy(e.waveform)), found=bool(e.found), width=w)


def explanation_sets(result: StudyResult) -> dict[tuple[str, str], AtomSet]:
    """``{(model, clip_id): AtomSet}`` of every explanation the study's ``explanations`` table lists."""
    keys = result.explanations[["model", "clip_id"]].astype(str).drop_duplicates().itertuples(index=False)
    return {(m, c): atom_set(result.explanation(m, c)) for m, c in keys}
