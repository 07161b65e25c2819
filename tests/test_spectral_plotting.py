"""Spectral figures: return Figures, one panel per facet, effect sizes in tick labels, no warnings."""
from __future__ import annotations


import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from suffice import spectral as sp, stats as st  # noqa: E402
from suffice.errors import OptionError  # noqa: E402
from suffice.plotting import spectral as ps  # noqa: E402


pytestmark = pytest.mark.usefixtures("strict_figures")


def test_distributions_with_effect_sizes():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"model": np.repeat(["m0", "m1"], 40), "true_label": np.tile(np.repeat(["bonafide", "spoof"], 20), 2),
                       "psd_entropy_norm": rng.normal(0.7, 0.05, 80)})
    res = st.compare_groups(df, "psd_entropy_norm", n_boot=100)
    fig = ps.distributions(df, stats=res)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[0].startswith("m0\nr_rb=") and "p_Holm=" in ticks[1]
    with pytest.raises(OptionError, match="entropy"):
        ps.distributions(df, "entropy")


def test_log_psd_panels_per_facet():
    rng = np.random.default_rng(1)
    freqs, psd = sp.psd_matrix(rng.standard_normal((8, 4000)))
    bands = sp.log_psd_bands(freqs, psd, ["bonafide", "spoof"] * 4, n_boot=50)
    both = pd.concat([bands.assign(model=m) for m in ("a", "b", "c", "d")])
    fig = ps.log_psd(both, facet="model", max_hz=4000)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 4 and visible[1].get_title() == "b"
    assert len(visible[0].lines) == 2 and max(visible[0].lines[0].get_xdata()) <= 4000
    assert len(ps.log_psd(bands).axes) == 1
