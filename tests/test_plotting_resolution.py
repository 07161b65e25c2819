"""suffice.plotting.resolution: one clip explained at several resolutions (table, figure, players)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import suffice  # noqa: E402
from suffice.errors import SufficeError  # noqa: E402
from suffice.plotting import resolution as pr  # noqa: E402
from suffice.toys import RegionsClassifier  # noqa: E402

REGIONS = [(300.0, 700.0), (1500.0, 2300.0)]


@pytest.fixture(scope="module")
def explanations():
    x = np.random.default_rng(0).normal(0, 0.1, 8000).astype(np.float32)
    model = RegionsClassifier(REGIONS, x, share=0.3)
    return {label: suffice.explain(model, x, seed=0, **opts) for label, opts in
            {"single bins": {}, "32 Hz": {"resolution_hz": 32.0, "refine_to_hz": 32.0},
             "128 Hz": {"resolution_hz": 128.0, "refine_to_hz": 128.0}}.items()}


def test_the_table_states_each_resolution_and_its_cost(explanations):
    t = pr.resolution_table(explanations).set_index("resolution")
    assert list(t.index) == list(explanations)
    for label, e in explanations.items():
        row = t.loc[label]
        assert row["atom width (bins)"] == e.resolution_bins and row["model calls"] == e.n_model_calls
        assert row["bins kept"] == e.size and row["verified 1-minimal at it"] == e.verified_minimal
        assert row["atoms kept"] == len(np.unique(np.flatnonzero(e.keep) // e.resolution_bins))
    assert list(t["atom width (Hz)"]) == [2.0, 32.0, 128.0]  # 8,000 samples at 16 kHz: 2 Hz bins


def test_the_figure_and_players_show_every_resolution(explanations, tmp_path):
    fig = pr.plot_resolutions(explanations, max_hz=3000, regions=REGIONS)
    assert len(fig.axes) == 3 and "32 Hz" in fig.axes[1].get_title()
    html = pr.resolution_players(explanations, name="toy", audio_dir=tmp_path).data
    assert html.count("<audio") == 4 and len(list(tmp_path.glob("toy-*.wav"))) == 4


def test_explanations_of_other_clips_are_refused(explanations):
    other = dict(explanations)
    e = next(iter(other.values()))
    y = np.random.default_rng(1).normal(0, 0.1, 8000).astype(np.float32)
    other["other"] = suffice.explain(RegionsClassifier(REGIONS, y, share=0.3), y, seed=0)
    with pytest.raises(SufficeError, match="same clip"):
        pr.resolution_table(other)
    assert e.model == other["other"].model  # same model name, another clip
