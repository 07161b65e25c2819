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


def test_heatmap_annotates_rates_and_cis():
    s = tr.summarise(hand_table(), n_boot=100)
    fig = pt.heatmap(s)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    lo, hi = s.pairs.set_index(["source", "target"]).loc[("A", "B"), ["lo", "hi"]]
    assert f"0.75\n[{lo:.2f}, {hi:.2f}]\nn=4" in texts and texts.count("1.00") == 3  # A->B: 3 of 4
    assert "task" in fig.axes[0].get_title()
    plain = pt.heatmap(s.matrix)
    assert "0.33" in [t.get_text() for t in plain.axes[0].texts]
    with pytest.raises(OptionError):
        pt.heatmap([[1.0]])


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
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["A\n4 found, 0 not", "B\n3 found, 1 not", "C\n4 found, 0 not"]
    _, ax = plt.subplots()
    assert pt.set_sizes(hand_table(), value="set_size", ax=ax, log=False) is ax.figure
