"""The side-by-side table of one task under two fills (suffice.transfer.fill_compare), on simulated tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suffice import transfer as tr
from suffice.errors import OptionError
from suffice.transfer.fill_compare import compare_fills, fill_display, fill_sentence, reading


def _table(seed: int, *, empty_every: int = 0) -> pd.DataFrame:
    """A simulated transfer table with the chance columns; every ``empty_every``-th explanation empty."""
    df = tr.simulate(4, 12, n_classes=3, seed=seed)
    df = df.assign(null_energy_accept=np.random.default_rng(seed).integers(0, 4, len(df)) / 3)
    if empty_every:
        sets = df.drop_duplicates(["source", "clip_id", "seed"])[["source", "clip_id"]].iloc[::empty_every]
        hit = df.set_index(["source", "clip_id"]).index.isin(pd.MultiIndex.from_frame(sets))
        df.loc[hit, "set_size"] = 0
    return df


def test_the_zero_fill_is_restricted_to_the_variant_clips_and_counted_per_fill():
    zero = _table(1, empty_every=3)
    fill = _table(2)
    fill = fill[fill["clip_id"].isin(sorted(fill["clip_id"].unique())[:8])]
    rows = compare_fills({"zero": zero, "level-noise": fill}, n_boot=200, seed=0)
    assert list(rows.index) == ["zero", "level-noise"] and (rows["n_clips"] == 8).all()
    assert (rows["explanations"] == 8 * 4).all()  # 4 models, one explanation per clip each
    same = zero[zero["clip_id"].isin(fill["clip_id"])].drop_duplicates(["source", "clip_id", "seed"])
    assert rows.loc["zero", "empty"] == int((same["found"] & (same["set_size"] == 0)).sum()) > 0
    assert rows.loc["level-noise", "empty"] == 0
    assert rows.loc["zero", "empty_share"] == rows.loc["zero", "empty"] / rows.loc["zero", "explanations"]
    assert rows.loc["zero", "not_found"] == int((~same["found"].astype(bool)).sum())
    head = tr.task_headline(zero[zero["clip_id"].isin(fill["clip_id"])].reset_index(drop=True), task="zero",
                            n_boot=200, seed=0)
    for k in ("rate", "rate_lo", "loudest", "loudest_hi", "random", "random_lo"):
        assert rows.loc["zero", k] == head[k]  # the existing estimates, unchanged
    flags = tr.adjusted_flat_earthers(fill.reset_index(drop=True), n_boot=200, seed=0)
    assert rows.loc["level-noise", "flagged"] == tuple(flags.loc[flags["flat_earther"], "model"])


def test_the_display_has_one_readable_row_per_fill():
    rows = compare_fills({"zero": _table(1, empty_every=4), "envelope-noise": _table(3)}, n_boot=200, seed=0)
    shown = fill_display(rows)
    assert shown.index.name == "fill" and list(shown.index) == ["zero", "envelope-noise"]
    assert shown.loc["envelope-noise", "empty sets"] == "0 (0%)"
    for col in ("explanations", "not found", "transfer rate", "minus loudest (pp)", "minus random (pp)",
                "flat-earthers", "raw-rate flags"):
        assert col in shown.columns


@pytest.mark.parametrize("est, lo, hi, said", [(0.1, 0.02, 0.2, "above 0"), (-0.1, -0.2, -0.01, "below 0"),
                                               (0.0, -0.1, 0.1, "covers 0"), (0.1, np.nan, np.nan, "no interval"),
                                               (np.nan, np.nan, np.nan, "no estimate")])
def test_reading_of_an_interval(est, lo, hi, said):
    assert reading(est, lo, hi) == said


def _rows(**fill: object) -> pd.DataFrame:
    base = {"n_clips": 10, "n_models": 4, "explanations": 40, "empty": 20, "empty_share": 0.5, "not_found": 0,
            "rate": 0.5, "rate_lo": 0.4, "rate_hi": 0.6, "loudest": 0.1, "loudest_lo": 0.05, "loudest_hi": 0.2,
            "random": 0.3, "random_lo": 0.2, "random_hi": 0.4, "flagged": (), "flagged_raw": ()}
    return pd.DataFrame([base, {**base, **fill}], index=pd.Index(["zero", "level-noise"], name="fill"))


def test_the_sentence_says_what_survives_and_what_does_not():
    same = fill_sentence(_rows(empty=1, empty_share=0.025))
    assert "from 20 of 40 (50%) under the zero fill to 1 of 40 (2%) under level-noise" in same
    assert "lies above 0 under zero and under level-noise" in same
    assert same.endswith("not surviving (or not decided on these clips): nothing.")
    changed = fill_sentence(_rows(rate=0.1, rate_lo=0.05, rate_hi=0.2, loudest=-0.1, loudest_lo=-0.2,
                                  loudest_hi=-0.05, flagged=("m1",)))
    assert "do not overlap" in changed and "lies above 0 under zero, and lies below 0 under level-noise" in changed
    assert "Surviving the change of fill: the size-matched excess;" in changed
    assert "the transfer rate, the level-matched contrast, the flat-earther flags" in changed
    undecided = fill_sentence(_rows(loudest_lo=np.nan, loudest_hi=np.nan))
    assert "not surviving (or not decided on these clips): the level-matched contrast." in undecided


def test_one_table_or_one_row_is_a_clear_error():
    with pytest.raises(OptionError, match="two tables"):
        compare_fills({"zero": _table(1)})
    with pytest.raises(OptionError, match="two rows"):
        fill_sentence(_rows().iloc[:1])


def test_the_fill_variant_parameters_are_checked_before_any_work():
    from suffice.study import load_params, run_fill_variant
    p = load_params({"task": "genre"})
    assert (p["fill_clips_per_class"], p["fill_variant"], p["fill_models"]) == (None, "level-noise", None)
    assert run_fill_variant({"task": "genre"}) is None  # no variant: nothing runs
    for key, bad in (("fill_variant", "zero"), ("fill_variant", "pink"), ("fill_variant", ["level-noise"]),
                     ("fill_clips_per_class", 0), ("fill_clips_per_class", True), ("fill_models", []),
                     ("fill_models", "genre/ast-tiny")):
        with pytest.raises(OptionError, match=key):
            load_params({"task": "genre", key: bad})
