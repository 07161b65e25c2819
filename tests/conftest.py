"""Shared fixtures: analytic oracle models and clips with known answers."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


class CountingModel:
    """Wraps a classifier and counts the waveforms it is asked to evaluate."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.labels = inner.labels
        self.sample_rate = inner.sample_rate
        self.calls = 0
        self.batch_sizes: list[int] = []

    def predict_proba(self, waveforms):
        self.calls += len(waveforms)
        self.batch_sizes.append(len(waveforms))
        return self.inner.predict_proba(waveforms)


@pytest.fixture
def counting():
    return CountingModel


@pytest.fixture
def strict_figures():
    """Warnings are errors inside a figure test, and every figure is closed after it."""
    import warnings

    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    plt.close("all")
