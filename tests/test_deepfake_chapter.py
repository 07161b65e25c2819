"""The deepfake information chapter's sections (suffice.book.deepfake_chapter) and the library calls its
figures use (suffice.deepfake_info.psd_bands, suffice.plotting.spectral.entropy_by_size)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from suffice import deepfake_info as di  # noqa: E402
from suffice import spectral  # noqa: E402
from suffice.book import deepfake_chapter as ch  # noqa: E402
from suffice.plotting import spectral as splot  # noqa: E402
from test_deepfake_info import _Study  # noqa: E402


@pytest.fixture(scope="module")
def analyses() -> dict:
    return ch.analyses({"suffice": _Study()}, n_boot=50).value


def test_analyses_say_which_sets_are_missing():
    sec = ch.analyses({"suffice": _Study()}, n_boot=50)
    assert set(sec.value) == {("suffice", "sufficient")}
    assert len(sec.shown) == 1 and sec.shown[0].startswith("**No necessary sets for `suffice`**: ")


def test_empty_sets_give_counts_and_their_totals(analyses):
    shown = ch.empty_sets(analyses).shown
    assert shown[0] == "**suffice, sufficient sets**, by explained class"
    assert shown[1].loc["b", ("not_found", "bonafide")] == 1
    assert shown[2] == "In all: 0 of 16 sufficient sets are budget-cut (found, not pruned to the end), 0 left unfound by the budget, 1 not found."


def test_medians_need_a_sufficient_set(analyses):
    sec = ch.medians(analyses)
    assert sec.value is analyses[("suffice", "sufficient")] and sec.shown[0] == "**sufficient sets**"
    assert "size" in sec.shown[1].columns
    with pytest.raises(RuntimeError, match="nothing to analyse"):
        ch.medians({("suffice", "sufficient"): {**analyses[("suffice", "sufficient")], "table": None}})


def test_conclusion_reads_every_analysis(analyses):
    a = analyses[("suffice", "sufficient")]
    sec = ch.conclusion(analyses, alpha=0.05)
    assert sec.value[0] == f"**Strategy `suffice`, sufficient sets** ({a['n_found']} non-empty sets):"
    assert sec.value[1:1 + 1] == di.conclusion(a["effects"]["source_pred"],
                                               a["interaction"][("sufficient - topmag", di.FEATURES[0])],
                                               value=di.FEATURES[0], alpha=0.05,
                                               label="interaction on sufficient - topmag", obj="sufficient")[:1]
    assert any(line.startswith("- Left out (no signal to describe): bonafide: 0 empty and 1 not found of 8")
               for line in sec.value)
    assert sec.shown == ["\n".join(sec.value)]


def test_appendix_tables(analyses):
    eff = ch.effects(analyses).shown
    assert eff[0].startswith("**suffice, sufficient sets**, grouped by explained class")
    assert list(eff[1].columns) == ["kind", "value", "n", "n_clusters", "beta", "lo", "hi", "p", "p_holm", "dropped"]
    inter = ch.interactions(analyses)
    rows = [r for r in analyses[("suffice", "sufficient")]["interaction"].values() if r is not None]
    assert len(inter.value) == len(rows) and {"F", "p_interaction", "p_F"} <= set(inter.value.columns)
    across = ch.across(analyses).shown
    res = analyses[("suffice", "sufficient")]["across"][di.FEATURES[0]]
    assert across[0].startswith(f"**suffice, sufficient sets**, {di.FEATURES[0]}: Friedman chi2 = {res.attrs['chi2']:.2f}")


def test_psd_bands_stack_the_three_kinds_of_signal():
    study = _Study()
    bands = di.psd_bands(study, seed=0, nperseg=256, n_boot=20)
    assert list(pd.unique(bands.model)) == ["sufficient", "topmag", "original"]
    records, _ = di.study_records(study)
    freqs, psd = spectral.psd_matrix([r["waveform"] for r in records], None, nperseg=256)
    original = spectral.log_psd_bands(freqs, psd, [r["source_pred"] for r in records], n_boot=20, seed=0)
    pd.testing.assert_frame_equal(bands[bands.model == "original"].drop(columns="model").reset_index(drop=True),
                                  original)


def test_entropy_by_size_draws_one_panel_per_kind(analyses):
    fig = splot.entropy_by_size(analyses[("suffice", "sufficient")]["table"])
    assert isinstance(fig, Figure) and [a.get_title() for a in fig.axes] == ["sufficient", "topmag", "random"]
    assert np.isfinite(fig.axes[0].collections[0].get_offsets()).all()
    matplotlib.pyplot.close(fig)
