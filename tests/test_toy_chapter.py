"""The toy chapter's library: scenes with known answers, the strategy comparison, its figures."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import suffice  # noqa: E402
from suffice.book import strategy_comparison, toy_scenes  # noqa: E402
from suffice.plotting.explanation_panels import plot_band_explanation, plot_responsibilities  # noqa: E402
from suffice.plotting.strategy_runs import plot_strategy_runs  # noqa: E402


def _tones():
    return toy_scenes.tone_scene([440.0, 1000.0], [220.0], 0.05, 0.2, 0.005, 0.25, 0)


def test_tone_scene_knows_its_answer_and_the_default_finds_it():
    s = _tones()
    assert s.n == 4000 and s.truth.tolist() == [110, 250]
    assert "4000 samples -> 2001 frequency bins" in s.description()
    e = suffice.explain(s.model, s.clip, seed=0)
    assert s.is_exact(e) and s.reading(e).endswith("known minimal set: True")
    assert list(s.probabilities().columns) == list(s.model.labels)


def test_band_scene_minimum_bounds_every_sufficient_set():
    b = toy_scenes.band_scene([300.0, 3000.0], 0.045, 220.0, 4000, 0.005, 0)
    e = suffice.explain(b.model, b.clip, seed=0, complete=True)
    assert e.size >= b.minimum
    assert b.reading(e).startswith(f"smallest possible sufficient set: {b.minimum} bins")


def test_strategy_runs_table_and_reading():
    s = _tones()
    variants = strategy_comparison.toy_variants(3)
    runs = strategy_comparison.strategy_runs({"tones": (s.model, s.clip, s.is_exact)}, variants, range(2))
    assert len(runs) == 2 * len(variants)
    table = strategy_comparison.strategy_table(runs)
    assert list(table.index.get_level_values("strategy")) == list(variants)
    assert (table["runs"] == 2).all()
    text = strategy_comparison.strategy_reading(runs, 2)
    assert text.startswith("In this run (medians over 2 seeds)") and "(tones)." in text
    assert plot_strategy_runs(runs) is not None


def test_resolution_labels_and_panels():
    assert toy_scenes.resolution_label(None) == "single bins" and toy_scenes.resolution_label(32.0) == "32 Hz"
    s = _tones()
    e = suffice.explain(s.model, s.clip, seed=0)
    assert plot_responsibilities([e, e], max_hz=2000) is not None
    assert plot_band_explanation(e, [300.0, 3000.0], max_hz=4000) is not None
