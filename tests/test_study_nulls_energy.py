"""The energy-matched random keep-sets of the study's chance references."""
from __future__ import annotations

import numpy as np
import pytest

from suffice.masking import keep_bins
from suffice.study.nulls import (ENERGY_TOLERANCE_DB, bin_energy, energy_matched_keeps, energy_rng, null_rng,
                                 random_keeps, topmag_keep)


def _noise(n: int = 4000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(n) * np.linspace(0.2, 1.0, n)).astype(np.float32)


@pytest.mark.parametrize("n_samples", [4000, 4001])
def test_bin_energy_is_the_energy_of_the_resynthesised_signal(n_samples):
    x = _noise(n_samples)
    keep = np.zeros(n_samples // 2 + 1, bool)
    keep[[0, 5, 17, n_samples // 2]] = True
    y = keep_bins(x, keep).astype(np.float64)
    assert (y ** 2).sum() == pytest.approx(bin_energy(x)[keep].sum() / n_samples, rel=1e-4)
    assert (x.astype(np.float64) ** 2).sum() == pytest.approx(bin_energy(x).sum() / n_samples, rel=1e-4)


def test_energy_matched_sets_have_the_size_and_the_energy_of_s():
    x = _noise()
    e = bin_energy(x)
    s = topmag_keep(x, 40) | random_keeps(len(e), 20, 1, np.random.default_rng(3))[0]
    d = energy_matched_keeps(x, s, 50, energy_rng(0, "d", "f"))
    assert d.shape == (50, len(e)) and (d.sum(1) == s.sum()).all()
    kept = np.broadcast_to(e, d.shape)[d].reshape(50, -1)
    ratio_db = 10 * np.log10(kept.sum(1) / e[s].sum())
    assert np.abs(ratio_db).max() <= ENERGY_TOLERANCE_DB + 1e-9
    # the level profile too: sorted bin levels of each draw within the tolerance of S's
    prof = np.sort(10 * np.log10(kept), axis=1)
    assert np.abs(prof - np.sort(10 * np.log10(e[s]))).max() <= ENERGY_TOLERANCE_DB + 1e-9
    # random, not S: the draws differ from S and from each other
    assert (d != s).any(1).mean() > 0.9 and len({r.tobytes() for r in d}) > 40
    # the uniform draws keep far less energy (what the energy-matched reference corrects)
    u = random_keeps(len(e), int(s.sum()), 50, null_rng(0, "d", "f"))
    assert np.median(10 * np.log10(np.broadcast_to(e, u.shape)[u].reshape(50, -1).sum(1) / e[s].sum())) < -5


def test_energy_matched_draws_are_seeded_and_edge_cases_hold():
    x = _noise()
    s = topmag_keep(x, 10)
    a = energy_matched_keeps(x, s, 3, energy_rng(0, "d1", "f"))
    np.testing.assert_array_equal(a, energy_matched_keeps(x, s, 3, energy_rng(0, "d1", "f")))
    assert not np.array_equal(a, energy_matched_keeps(x, s, 3, energy_rng(1, "d1", "f")))
    # the energy stream is apart from the uniform one
    assert energy_rng(0, "d1", "f").integers(1 << 30) != null_rng(0, "d1", "f").integers(1 << 30)
    # empty S: empty draws; a unique loud partial: the draw is that partial
    assert not energy_matched_keeps(x, np.zeros_like(s), 2, np.random.default_rng(0)).any()
    t = np.arange(4000) / 16000
    tone = (np.sin(2 * np.pi * 1000 * t) + 0.01 * _noise()).astype(np.float32)
    loud = topmag_keep(tone, 1)
    np.testing.assert_array_equal(energy_matched_keeps(tone, loud, 4, np.random.default_rng(0)),
                                  np.repeat(loud[None], 4, 0))
    # a window used up (S holds every bin of its level): the nearest free level stands in, size kept
    full = np.ones_like(s)
    assert (energy_matched_keeps(x, full, 1, np.random.default_rng(0)) == full).all()
    with pytest.raises(ValueError, match="bins"):
        energy_matched_keeps(x, s[:-1], 1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="tol_db"):
        energy_matched_keeps(x, s, 1, np.random.default_rng(0), tol_db=-1)


@pytest.mark.parametrize("n_samples", [4000, 4003])
@pytest.mark.parametrize("width", [1, 8])
def test_references_keep_whole_atoms_at_the_sets_resolution(n_samples, width):
    from types import SimpleNamespace

    from suffice.study.nulls import null_keeps

    x = np.sin(2 * np.pi * 0.05 * np.arange(n_samples)).astype(np.float32) + 0.3 * _noise(n_samples)
    k = n_samples // 2 + 1
    keep = np.zeros(k, bool)
    keep[40:64] = keep[200:208] = True  # whole atoms of width 8 (and runs of bins at width 1)
    e = SimpleNamespace(n_bins=k, size=int(keep.sum()), keep=keep, waveform=x, resolution_bins=width)
    keeps = null_keeps(e, seed=0, digest="d", source="f", n=3)
    assert keeps.shape == (7, k)
    if width == 1:  # single bins: exactly the bin-level references
        np.testing.assert_array_equal(keeps[:3], random_keeps(k, e.size, 3, null_rng(0, "d", "f")))
        np.testing.assert_array_equal(keeps[3], topmag_keep(x, e.size))
        np.testing.assert_array_equal(keeps[4:], energy_matched_keeps(x, keep, 3, energy_rng(0, "d", "f")))
        return
    unit = np.arange(k) // width
    n_atoms = len(np.unique(unit[keep]))
    energy = np.bincount(unit, weights=bin_energy(x))
    for m in keeps:
        atoms = np.unique(unit[m])
        assert len(atoms) == n_atoms and np.array_equal(m, np.isin(unit, atoms))  # whole atoms, as many as S
    top = np.unique(unit[keeps[3]])
    assert energy[top].min() >= np.sort(energy)[::-1][n_atoms - 1]  # the loudest atoms
    for m in keeps[4:]:  # each drawn atom within the tolerance of an atom of S: total energy within it too
        ratio = energy[np.unique(unit[m])].sum() / energy[np.unique(unit[keep])].sum()
        assert abs(10 * np.log10(ratio)) <= ENERGY_TOLERANCE_DB + 1e-9
    again = null_keeps(e, seed=0, digest="d", source="f", n=3)
    np.testing.assert_array_equal(keeps, again)
