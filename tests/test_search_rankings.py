"""The prior's band rankings (:mod:`suffice.search.rankings`) and the search's use of them.

Estimands: the rankings are permutations with the documented order; on an analytic model whose needed
tones are each the loudest of a quiet band, below hundreds of louder tones elsewhere, the search starts
from a band ranking's prefix, far shorter than the magnitude prefix, and ends at the exact minimum
(verified) at about the calls it takes without the band rankings, whatever the batch size.  (Where the
band start pays off in calls, non-monotone real models, is measured in ``make bench``, not here.)
"""
from __future__ import annotations

import numpy as np
import pytest

import suffice
from suffice import toys
from suffice.search.rankings import BAND_KINDS, band_order, log_bands, magnitude_order
from suffice.search.strategies.suffice_steps import prior

LENGTHS = (8000, 16000)


def test_log_bands_are_contiguous_and_widen_with_frequency():
    band = log_bands(8001, 64)
    assert band[0] == 0 and np.all(np.diff(band) >= 0) and np.all(np.diff(band) <= 1)
    widths = np.bincount(band)
    assert widths[-1] > 100 * widths[1] and len(widths) <= 65
    with pytest.raises(ValueError):
        log_bands(0, 4)


@pytest.mark.parametrize("kind", BAND_KINDS)
def test_band_order_puts_every_band_peak_first(kind):
    rng = np.random.default_rng(0)
    mag = rng.random(4001) * np.geomspace(1.0, 1e-3, 4001)      # loud low bands, quiet high ones
    order = band_order(mag, 32, kind)
    assert np.array_equal(np.sort(order), np.arange(4001))
    band = log_bands(4001, 32)
    n_bands = int(band.max()) + 1
    head = order[:n_bands]
    assert len(set(band[head].tolist())) == n_bands              # one bin of each band ...
    for b in range(n_bands):                                     # ... its loudest
        assert mag[head[band[head] == b][0]] == mag[band == b].max()
    assert np.all(np.diff(mag[head]) <= 0)                       # band peaks loudest first
    assert np.array_equal(magnitude_order(mag)[:5], np.argsort(-mag, kind="stable")[:5])
    with pytest.raises(ValueError, match="kind"):
        band_order(mag, 32, "loudest")


def _quiet_band_tones(n: int):
    """Six needed tones, each the loudest of its high band, under 200 louder tones at 200-600 Hz."""
    hz_per_bin = toys.SAMPLE_RATE / n
    needed_hz = [1000, 1500, 2200, 3100, 4400, 6000]
    loud_hz = np.linspace(200, 600, 200)
    needed = [int(round(f / hz_per_bin)) for f in needed_hz]
    loud = sorted({int(round(f / hz_per_bin)) for f in loud_hz} - set(needed))
    x = toys.tone_clip(needed + loud, n, [0.02] * len(needed) + [0.1] * len(loud), noise=1e-4, seed=3)
    return toys.ToneClassifier(needed, min_amplitude=0.01), x, needed, len(loud)


@pytest.mark.parametrize("n", LENGTHS)
def test_band_prior_starts_short_and_ends_exact(n):
    model, x, needed, n_loud = _quiet_band_tones(n)
    ref = suffice.explain(model, x, seed=0, batch_size=1)
    assert sorted(np.flatnonzero(ref.keep)) == needed and ref.verified_minimal and not ref.budget_exhausted
    assert ref.meta["prior"] != "magnitude" and ref.meta["start_size"] < n_loud / 4
    plain = suffice.explain(model, x, seed=0, band_priors=False)
    assert plain.meta["prior"] == "magnitude" and plain.meta["start_size"] > n_loud
    assert sorted(np.flatnonzero(plain.keep)) == needed and plain.verified_minimal
    # a monotone model prunes a long start about as cheaply (group testing is logarithmic in the start's
    # size): the band rankings' gallops cost at most ~10 calls each here
    assert ref.n_model_calls <= plain.n_model_calls + 10 * len(prior.BAND_RANKINGS)
    for bs in (7, 64):
        assert suffice.explain(model, x, seed=0, batch_size=bs).same_result(ref)


def test_band_rankings_are_skipped_when_the_magnitude_prefix_is_short():
    n = 8000
    x = toys.tone_clip([200, 615], n, [0.1, 0.1], noise=1e-3, seed=1)
    e = suffice.explain(toys.ToneClassifier([200, 615]), x, seed=0)
    off = suffice.explain(toys.ToneClassifier([200, 615]), x, seed=0, band_priors=False)
    assert e.meta["start_size"] <= prior.BAND_MIN and e.meta["prior"] == "magnitude"
    assert e.same_result(off)
