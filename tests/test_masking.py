"""Property tests of exact frequency masking."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from suffice import keep_bins, n_bins
from suffice.masking import spectrum

lengths = st.integers(min_value=8, max_value=601)


def _clip(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.3, n).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(n=lengths, seed=st.integers(0, 10_000))
def test_keep_all_returns_input(n, seed):
    x = _clip(n, seed)
    y = keep_bins(x, np.ones(n_bins(n), bool))
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, x, atol=1e-5)


@settings(max_examples=40, deadline=None)
@given(n=lengths, seed=st.integers(0, 10_000))
def test_keep_none_is_silence(n, seed):
    assert not keep_bins(_clip(n, seed), np.zeros(n_bins(n), bool)).any()


@settings(max_examples=40, deadline=None)
@given(n=lengths, seed=st.integers(0, 10_000))
def test_masked_bins_do_not_leak(n, seed):
    """Changing the masked bins' values (magnitude and phase) changes nothing in the output."""
    rng = np.random.default_rng(seed)
    x = _clip(n, seed)
    keep = rng.random(n_bins(n)) < 0.3
    X = np.fft.rfft(x.astype(np.float64))
    noise = rng.normal(size=X.shape) + 1j * rng.normal(size=X.shape)
    X2 = np.where(keep, X, X * 50 + noise * 7)
    if n % 2 == 0:
        X2[-1] = X2[-1].real
    X2[0] = X2[0].real
    x2 = np.fft.irfft(X2, n=n).astype(np.float32)
    np.testing.assert_allclose(keep_bins(x, keep), keep_bins(x2, keep), atol=2e-4)
    # and the kept spectrum is exactly zero outside keep
    Y = spectrum(keep_bins(x, keep))
    assert np.abs(Y[~keep]).max(initial=0) < 1e-4


@settings(max_examples=40, deadline=None)
@given(n=lengths, seed=st.integers(0, 10_000))
def test_idempotent(n, seed):
    rng = np.random.default_rng(seed)
    x = _clip(n, seed)
    keep = rng.random(n_bins(n)) < 0.5
    once = keep_bins(x, keep)
    np.testing.assert_allclose(keep_bins(once, keep), once, atol=1e-5)


@pytest.mark.parametrize("n", [1000, 1001])
def test_batched_matches_single(n):
    rng = np.random.default_rng(0)
    x = _clip(n, 1)
    keeps = rng.random((5, n_bins(n))) < 0.4
    batch = keep_bins(x, keeps)
    assert batch.shape == (5, n) and batch.dtype == np.float32
    for i in range(5):
        np.testing.assert_allclose(batch[i], keep_bins(x, keeps[i]), atol=1e-6)


def test_union_of_disjoint_masks_adds_up():
    x = _clip(999, 3)
    rng = np.random.default_rng(3)
    a = rng.random(n_bins(999)) < 0.5
    np.testing.assert_allclose(keep_bins(x, a) + keep_bins(x, ~a), x, atol=1e-5)


def test_wrong_mask_length_is_an_error():
    with pytest.raises(ValueError, match="bins"):
        keep_bins(np.zeros(100, np.float32), np.ones(50, bool))
    with pytest.raises(ValueError, match="boolean"):
        keep_bins(np.zeros(100, np.float32), np.full(51, 0.5))
