"""The flip chapter's library: its studies per task, analyses, tables, readings and figures, on the analytic
study of tests/test_flips_study.py (whose flips and transfers are known)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from suffice.flips import figures, report, study, tasks  # noqa: E402
from suffice.study import clips_from_arrays  # noqa: E402
from suffice.toys import ToneClassifier, tone_clip  # noqa: E402

MODELS = [ToneClassifier(freqs=[300], name="toy/a"), ToneClassifier(freqs=[1100], name="toy/b")]


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    items = [(f"clip{i}", tone_clip([300, 700, 1100, 150], 16000, [0.1, 0.1, 0.1, 0.4], noise=0.002, seed=i), "x")
             for i in range(3)]
    clips, _ = clips_from_arrays(items, 16000)
    return study.run("genre", MODELS, clips, {"max_size": 5, "screen": 64}, n_null=2, sizes=[1, 2],
                     cache_dir=tmp_path_factory.mktemp("cache"), progress=False)


def test_run_tasks_runs_each_task_in_order_with_its_own_settings(monkeypatch, toy):
    calls = []
    monkeypatch.setattr(tasks, "run_task", lambda task, **kw: calls.append((task, kw)) or toy)
    out = list(tasks.run_tasks(["genre", "emotion"], models={"genre": ["m"]}, clips_per_class={"emotion": 2},
                               max_clips={}, seed=3))
    assert [t for t, _, _ in out] == ["genre", "emotion"] and all(r is toy for _, r, _ in out)
    assert calls[0][1] == {"models": ["m"], "clips_per_class": 1, "max_clips": None, "seed": 3}
    assert calls[1][1]["models"] is None and calls[1][1]["clips_per_class"] == 2
    assert report.run_line("genre", toy, 1.25).startswith("**genre**: 2 models, 3 clips; ")


def test_analyses_tables_and_readings(toy):
    a = tasks.analyse({"toy": toy}, [1, 2], n_boot=20, seed=0)
    rates = report.curve_rates(a.curves["toy"])
    assert list(rates.columns) == [1, 2] and (rates[1] == 1.0).all()  # every clip flips by one bin
    table = report.transfer_table(a.transfers, a.agreeing)
    assert list(table["clips"]) == ["all clips", "clips where g(x) = f(x)"]
    assert table.loc[0, "rate"] == 0.0  # a's tone is not b's
    cal = tasks.calibration({"toy": toy}, n_null=2, n_sim=5, n_boot=20, seed=0)
    assert cal.loc[0, "n_clips"] == 3 and cal.loc[0, "n_models"] == 2
    found = report.examples(toy, 1)
    assert len(found) == 1
    row, f, changed = found[0]
    text = report.example_reading("toy", row, f, changed)
    assert f"without 1 of {f.n_bins:,} bins (300.0 Hz)" in text and text.endswith("too: none.")
    assert "our clips are toy 8,001 bins long" in report.freqrex_reading({"toy": 8001}, 64)
    assert figures.curves_row(a.curves) is not None and figures.matrices_row(a.transfers) is not None
