"""Transfer figures: return Figures, annotate the computed rates, mark flat-earthers, raise no warnings."""
from __future__ import annotations


import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from suffice import transfer as tr  # noqa: E402
from suffice.errors import OptionError  # noqa: E402
from suffice.plotting import transfer as pt  # noqa: E402
from test_transfer import _planted, hand_table  # noqa: E402


pytestmark = pytest.mark.usefixtures("strict_figures")


def test_heatmap_annotates_rates_and_draws_intervals_inside_the_cells():
    s = tr.summarise(hand_table(), n_boot=100)
    fig = pt.heatmap(s)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "0.75" in texts and texts.count("1.00") == int((s.matrix.to_numpy() == 1).sum())  # rates only
    assert not any("[" in t or "n=" in t for t in texts)
    lo, hi = s.pairs.set_index(["source", "target"]).loc[("A", "B"), ["lo", "hi"]]
    # A->B is row 0, column 1: its interval bar spans lo..hi of the cell's 0..1 scale, inside the cell
    bars = [ln.get_xdata() for ln in ax.lines if len(ln.get_xdata()) == 2 and ln.get_ydata()[0] == pytest.approx(0.27)]
    assert any(x == pytest.approx([1 - 0.4 + 0.8 * lo, 1 - 0.4 + 0.8 * hi]) for x in map(list, bars))
    assert all(min(x) >= round(min(x)) - 0.4 - 1e-9 and max(x) <= round(min(x) + 0.4) + 0.4 + 1e-9 for x in bars)
    n = s.pairs["n"].astype(int)
    assert "task" in ax.get_title() and f"n = {n.min()} to {n.max()} rows per cell" in ax.get_title()
    assert fig.axes[1].get_ylabel() == pt.RATE_LABEL
    plain = pt.heatmap(s.matrix)
    assert "0.33" in [t.get_text() for t in plain.axes[0].texts]
    with pytest.raises(OptionError):
        pt.heatmap([[1.0]])
    with pytest.raises(OptionError, match="vmin < vmax"):
        pt.heatmap(s.matrix, vmin=1.0, vmax=0.0)


def test_heatmap_of_a_signed_matrix_is_diverging_and_centred_on_zero():
    m = pd.DataFrame([[float("nan"), -0.2], [0.4, float("nan")]], index=["genre/a", "genre/b"],
                     columns=["genre/a", "genre/b"])
    fig = pt.heatmap(m, vmin=-1.0, title="excess")
    im = fig.axes[0].images[0]
    assert im.norm(0.0) == pytest.approx(0.5) and im.cmap.name == "RdBu_r"
    assert fig.axes[1].get_ylabel() == pt.SIGNED_LABEL
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b"]  # the shared prefix goes
    assert "genre/" in fig.axes[0].get_xlabel()
    assert pt.heatmap(m, vmin=-1.0, label="excess over the null").axes[1].get_ylabel() == "excess over the null"


def test_short_names():
    assert pt.short_names(["genre/a", "genre/b"]) == (["a", "b"], "genre/")
    assert pt.short_names(["genre/a", "emotion/b"]) == (["genre/a", "emotion/b"], "")
    assert pt.short_names(["a", "b"]) == (["a", "b"], "")


def test_model_rates_and_accuracy_scatter_mark_the_flat_earther():
    df = _planted(40, {"E": 0.15}, 0.6, seed=5)
    preds = pd.DataFrame([dict(clip_id=f"x{c}", model=m, true_label="blues", pred="blues", conf=0.9)
                          for c in range(40) for m in "ABCDE"])
    tab = tr.model_table(df, preds, n_boot=100)
    fig = pt.model_rates(tab)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == "E  (flat-earther)" and labels[0] == "A"
    fig2 = pt.accuracy_vs_transfer(tab)
    assert isinstance(fig2, Figure) and fig2.axes[0].get_xlabel() == "accuracy"
    with pytest.raises(OptionError, match="out_rate"):
        pt.model_rates(tab.drop(columns=["out_rate"]))


def test_set_sizes_counts_found_and_not_found():
    fig = pt.set_sizes(hand_table())
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["A\n4 found, 0 not", "B\n3 found, 1 not", "C\n4 found, 0 not"]
    _, ax = plt.subplots()
    assert pt.set_sizes(hand_table(), value="set_size", ax=ax, log=False) is ax.figure


def test_set_sizes_on_a_log_axis_when_sizes_span_decades():
    t = hand_table().copy()
    t["fraction"] = t["fraction"].astype(float)
    t.loc[t.index[0], "fraction"] = 0.0                               # an empty set
    t.loc[t.found.astype(bool) & (t.fraction > 0), "fraction"] *= [10.0 ** -k for k in range(int((t.found.astype(bool) & (t.fraction > 0)).sum()))]
    fig = pt.set_sizes(t)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and "log scale" in ax.get_xlabel()
    assert any("1 empty" in x.get_text() for x in ax.get_yticklabels())
    assert pt.set_sizes(t, log=False).axes[0].get_xscale() == "linear"
