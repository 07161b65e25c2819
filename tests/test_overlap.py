"""Set overlap beside acceptance: Jaccard by hand, empty sets, bands, the loudest atoms, the test's calibration."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from suffice import transfer as tr
from suffice.explanation import Explanation
from suffice.study.nulls import null_keeps
from suffice.study.sets import atom_set
from suffice.transfer.overlap import (BANDS, AtomSet, OverlapResult, acceptance_by_overlap, calibrate_overlap,
                                      expected_jaccard, loudest_overlap, overlap_glm, overlap_rows, overlap_sentence,
                                      simulate_overlap)


def _set(atoms, energy=None, loudest=(), found=True) -> AtomSet:
    energy = np.ones(10) if energy is None else np.asarray(energy, float)
    return AtomSet(np.asarray(atoms, int), np.asarray(loudest, int), energy, found=found, width=4)


def test_expected_jaccard_matches_enumeration():
    n, a, b = 6, 2, 3
    sets_a, sets_b = list(combinations(range(n), a)), list(combinations(range(n), b))
    brute = np.mean([len(set(x) & set(y)) / len(set(x) | set(y)) for x in sets_a for y in sets_b])
    assert expected_jaccard(n, a, b) == pytest.approx(brute)
    assert expected_jaccard(5, 5, 5) == pytest.approx(1.0)
    assert np.isnan(expected_jaccard(5, 0, 2))


def test_rows_by_hand_with_empty_and_missing_sets():
    table = tr.simulate(3, 2, n_classes=2, seed=0)
    energy = np.arange(1.0, 11.0)  # atom j has energy j + 1
    sets = {("m0", "x000"): _set([0, 1, 2, 3], energy, loudest=[6, 7, 8, 9]),
            ("m1", "x000"): _set([2, 3, 4], energy, loudest=[7, 8, 9]),
            ("m2", "x000"): _set([9], energy, loudest=[9]),
            ("m0", "x001"): _set([], energy),
            ("m1", "x001"): _set([5, 6], energy, loudest=[8, 9]),
            ("m2", "x001"): _set([5, 6], energy, loudest=[8, 9], found=False)}
    rows = overlap_rows(table, sets).set_index(["source", "target", "clip_id"])
    assert len(rows) == 12  # off-diagonal rows only
    r = rows.loc[("m0", "m1", "x000")]
    assert (r["shared"], r["jaccard"]) == (2, pytest.approx(2 / 5))
    assert r["energy_share"] == pytest.approx((3 + 4) / (1 + 2 + 3 + 4))  # f's energy that lies in g's set
    assert rows.loc[("m1", "m0", "x000"), "energy_share"] == pytest.approx((3 + 4) / (3 + 4 + 5))
    assert r["jaccard_random"] == pytest.approx(expected_jaccard(10, 4, 3))
    assert r["source_loudest"] == 0 and rows.loc[("m2", "m0", "x000"), "source_loudest"] == 1
    assert r["band"] == "at most half shared"
    assert rows.loc[("m0", "m2", "x000"), "band"] == "no shared atom"
    assert rows.loc[("m0", "m2", "x000"), "jaccard"] == 0
    # an empty set: NaN overlap, counted apart; a target without a found set: its own band
    assert np.isnan(rows.loc[("m0", "m1", "x001"), "jaccard"]) and rows.loc[("m0", "m1", "x001"), "band"] == "empty set"
    assert rows.loc[("m1", "m0", "x001"), "band"] == "empty set"
    assert rows.loc[("m1", "m2", "x001"), "band"] == "no set found"
    assert np.isnan(rows.loc[("m1", "m2", "x001"), "jaccard"])
    bands = acceptance_by_overlap(rows.reset_index())
    assert bands["n"].sum() == 12 and list(bands["band"]) == [b for b in BANDS if b in set(rows["band"])]
    for b in bands.itertuples():
        part = rows[rows["band"] == b.band]
        assert b.rate == pytest.approx(part["y"].mean()) and b.lo <= b.rate <= b.hi
        assert b.loudest == pytest.approx(part["loudest_y"].mean())
    with pytest.raises(Exception, match="no set for"):
        overlap_rows(table, {k: v for k, v in sets.items() if k != ("m2", "x001")})


def test_more_than_half_band_and_agree_condition():
    table = tr.simulate(2, 1, n_classes=2, seed=3)
    sets = {("m0", "x000"): _set([1, 2, 3]), ("m1", "x000"): _set([1, 2, 3, 4])}
    rows = overlap_rows(table, sets)
    assert (rows["jaccard"] == 0.75).all() and (rows["band"] == "more than half shared").all()
    assert len(overlap_rows(table, sets, condition="agree")) <= len(rows)


def test_atom_set_reuses_the_studys_loudest_atoms():
    rng = np.random.default_rng(0)
    wave = rng.standard_normal(256).astype(np.float32)
    k = 129
    keep = np.zeros(k, bool)
    keep[8:16] = True  # atoms 2 and 3 of width 4
    e = Explanation(keep=keep, found=True, target="a", target_index=0, confidence=0.9, sufficient_confidence=0.9,
                    n_model_calls=1, responsibility=np.zeros(k), waveform=wave, sample_rate=16000, model="m",
                    strategy="suffice", seed=0, resolution_bins=4)
    s = atom_set(e)
    assert list(s.atoms) == [2, 3] and s.n_atoms == 33 and s.width == 4
    top = null_keeps(e, seed=0, digest="", source="", n=0)[0]
    assert list(s.loudest) == sorted(set(np.flatnonzero(top) // 4)) and len(s.loudest) == 2
    lo = loudest_overlap({("m", "x"): s, ("m", "y"): _set([])})
    assert len(lo) == 1 and lo["jaccard_random"].iloc[0] == pytest.approx(expected_jaccard(33, 2, 2))


@pytest.mark.slow
def test_glm_recovers_an_effect_and_is_calibrated_under_the_null():
    null = calibrate_overlap(200, odds_ratio=1.0, seed=0)
    assert null["n_draws"] >= 190
    assert 0.01 <= null["rate"] <= 0.10  # the level is 0.05
    power = calibrate_overlap(100, odds_ratio=1.4, seed=1000)
    assert power["rate"] >= 0.65 and 1.2 < power["mean_or"] < 1.6


def _result(odds_ratio: float, seed: int = 0) -> OverlapResult:
    rows = simulate_overlap(odds_ratio=odds_ratio, seed=seed)
    band = np.where(rows["jaccard"] == 0, BANDS[0], np.where(rows["jaccard"] > 0.5, BANDS[2], BANDS[1]))
    rows = rows.assign(jaccard_random=0.01, energy_share=0.3, band=band)
    loud = pd.DataFrame({"jaccard_loudest": [0.5, 1.0], "is_loudest": [False, True], "jaccard_random": [0.02, 0.02]})
    return OverlapResult(rows, acceptance_by_overlap(rows), overlap_glm(rows), loud)


def test_sentence_reads_the_result_and_states_an_equivalence_bound():
    strong = _result(2.0)
    text = overlap_sentence(strong)
    r = strong.glm.set_index("term").loc["jaccard_step"]
    assert f"factor {r['odds_ratio']:.2f}" in text and "share no atom" in text and "more than half" in text
    assert "rule out" not in text and "50% of the sets are exactly those atoms" in text
    def step(res: OverlapResult) -> pd.Series:
        return res.glm.set_index("term").loc["jaccard_step"]

    weak = next(r for r in (_result(1.0, seed=s) for s in range(5, 15)) if step(r)["or_lo"] <= 1 <= step(r)["or_hi"])
    w = step(weak)
    assert f"rule out odds ratios below {w['or_lo']:.2f} and above {w['or_hi']:.2f}" in overlap_sentence(weak)
    both = overlap_sentence(weak, strong)
    assert both.startswith(overlap_sentence(weak)[:40]) and f"Where g(x) = f(x)" in both
    assert f"factor {r['odds_ratio']:.2f}" in both
