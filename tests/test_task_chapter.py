"""The transferability chapter's sections (suffice.book.task_chapter): what each computes and shows, and
the findings written from their values."""
from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from suffice import transfer as tr  # noqa: E402
from suffice.book import task_chapter as ch  # noqa: E402
from suffice.book.sections import Section, show  # noqa: E402
from suffice.plotting import transfer as pt  # noqa: E402
from suffice.transfer import contrast as like_for_like  # noqa: E402

MODELS = ["genre/a", "genre/b", "genre/c"]


def _table(seed: int = 0) -> pd.DataFrame:
    return tr.simulate(3, 20, n_classes=5, models=MODELS, seed=seed)


def _result(table: pd.DataFrame) -> SimpleNamespace:
    """A stand-in for a StudyResult: the tables and parameters the sections read."""
    explained = table[table.source == table.target][["source", "clip_id", "set_size"]].rename(
        columns={"source": "model"}).assign(found=True, fraction=0.01)
    return SimpleNamespace(table=table, predictions=tr.simulate_predictions(table), explanations=explained,
                           params={"task": "genre", "models": MODELS, "clips_per_class": 4, "profile": "smoke"},
                           stats={"explained_now": 2, "model_calls": 10, "model_calls_in_workers": 1000,
                                  "repaired": 1}, failures=pd.DataFrame())


def test_show_displays_sentences_as_markdown_and_tables_as_they_are(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda x: shown.append(x))
    frame = pd.DataFrame({"a": [1]})
    show(Section(1, ["**x**", frame]), "y")
    assert [type(x).__name__ for x in shown] == ["Markdown", "DataFrame", "Markdown"]
    assert shown[0].data == "**x**" and shown[1] is frame and shown[2].data == "y"


def test_study_section_states_size_and_cost_and_lists_failures():
    res = _result(_table())
    notes = ch.study_section(res, 2.345, models=MODELS).shown
    assert notes == [f"**genre**: 3 models, {res.predictions.clip_id.nunique()} clips (4 per class), "
                     f"{len(res.table)} transfer rows; 2 explanations computed now, the rest from the cache; "
                     "1,010 model calls in 2.3 s."]
    res.failures = pd.DataFrame({"clip_id": ["c0"], "error": ["boom"]})
    shown = ch.study_section(res, 1.0, models=MODELS).shown
    assert shown[-2].startswith("**Clips or explanations that failed**") and shown[-1] is res.failures


def test_transfer_rates_are_the_summaries_task_rates():
    t = _table()
    sec = ch.transfer_rates(t, criterion="class", delta=0.5, n_boot=50, seed=0, models=MODELS)
    s = tr.summarise(t, criterion="class", delta=0.5, n_boot=50, seed=0, models=MODELS)
    assert sec.value.all.task == s.task
    rates = sec.shown[0].set_index("conditioning")
    assert list(rates.index) == ["all clips", "clips where g(x) = f(x)"]
    assert rates.loc["all clips", "rate"] == round(s.task["rate"], 3)


def test_contrast_shows_sentence_and_table_or_why_there_is_none():
    t = _table()
    sec = ch.contrast(t, n_boot=50, seed=0)
    like = like_for_like.contrast_table(t, n_boot=50, seed=0)
    pd.testing.assert_frame_equal(sec.value, like)
    assert sec.shown[0] == like_for_like.contrast_sentence(like) and "observed" in sec.shown[1].index
    strata = ch.contrast_strata(sec.value)
    assert strata.shown[0] == like_for_like.strata_sentence(like)
    assert ch.contrast_strata(None).shown == []
    none = ch.contrast(t.drop(columns=["target_pred_topmag"]), n_boot=50, seed=0)
    assert none.value is None and none.shown[0].startswith("No chance references: ")


def test_chance_section_and_its_figure():
    t = _table()
    sec = ch.chance(t, n_boot=50, seed=0, models=MODELS)
    assert isinstance(sec.value, tr.ChanceSummary) and len(sec.shown) == 5
    assert set(sec.shown[2].columns) == {"observed", "null", "excess"}
    fig = pt.chance_heatmaps(sec.value)
    assert isinstance(fig, Figure) and len([a for a in fig.axes if a.get_title()]) == 2
    matplotlib.pyplot.close(fig)


def test_variant_comparisons_say_when_the_variant_did_not_run():
    t = _table()
    assert ch.unit_comparison(t, None, n_boot=50, seed=0).shown == [
        "No single-bin variant in this run (`bins_clips_per_class` is None)."]
    assert ch.fill_comparison(t, None, "level-noise", n_boot=50, seed=0, alpha=0.05).value is None
    assert ch.relations(_result(t), fit=False, criterion="class", delta=0.5, seed=0).shown == [
        "The social relations fit is off in this run (parameter `fit_relations`)."]


def test_strategies_and_per_search_tables_on_the_same_clips():
    ours, rex = _table(0), tr.simulate(2, 20, n_classes=5, models=MODELS[:2], seed=1)
    variants = ch.Variants(SimpleNamespace(params={"models": MODELS[:2]}), None, None, None,
                           {"suffice (ours)": ours, "rex (paper-like)": rex}, [])
    sec = ch.strategies(variants, MODELS, n_boot=50, seed=0)
    assert sec.value.models == MODELS[:2] and set(sec.value.tables) == {"suffice (ours)", "rex (paper-like)"}
    d = sec.value.difference
    assert sec.shown[1] == (f"rex minus ours on the same {d['n_clips']} clips: **{d['difference']:+.1%}** "
                            f"(95% CI {d['lo']:+.1%} to {d['hi']:+.1%}; {d['method']}).")
    chance = ch.search_chance(sec.value, n_boot=50, seed=0)
    assert set(chance.value.search) == {"suffice (ours)", "rex (paper-like)"}
    assert set(chance.value.measure) == {"observed", "null", "excess"}
    no_refs = ch.Strategies({"x": ours.drop(columns=["null_random_accept"])}, MODELS, {})
    assert ch.search_chance(no_refs, n_boot=50, seed=0).shown == []


def test_without_a_rex_variant_the_comparison_says_so_and_the_findings_still_read():
    t = _table()
    variants = ch.Variants(None, None, None, None, {"suffice (ours)": t}, [ch.NO_REX])
    sec = ch.strategies(variants, MODELS, n_boot=50, seed=0)
    assert sec.value is None and sec.shown == [ch.NO_REX]
    assert ch.search_chance(sec.value, n_boot=50, seed=0).shown == [] and ch.search_glm(sec.value).shown == []
    rates = ch.transfer_rates(t, criterion="class", delta=0.5, n_boot=50, seed=0, models=MODELS)
    text = ch.findings(_result(t), rates=rates, like=Section(), by_unit=Section(), relations=Section(),
                       overlap=Section(), by_fill=Section(), same=sec,
                       flags=Section(ch.FlatEarthers(pd.DataFrame(), [])), alpha=0.05)
    assert "- " + ch.NO_REX in text.split("\n")


def test_flat_earthers_join_rates_and_test_and_list_the_flagged():
    res = _result(_table())
    sec = ch.flat_earthers(res, criterion="class", delta=0.5, alpha=0.05, n_boot=50, seed=0)
    adjusted = tr.adjusted_flat_earthers(res.table, alpha=0.05, n_boot=50, seed=0, models=MODELS)
    assert sec.value.flagged == adjusted.loc[adjusted.flat_earther, "model"].tolist()
    assert sec.value.models["flat_earther"].tolist() == adjusted.set_index("model").loc[MODELS, "flat_earther"].tolist()
    assert sec.shown[1] == tr.describe_flags(adjusted) and "out_or" in sec.shown[0].columns
    fig = pt.model_panels(sec.value.models)
    assert isinstance(fig, Figure)
    matplotlib.pyplot.close(fig)


def test_findings_read_the_sections_values():
    t = _table()
    res = _result(t)
    rates = ch.transfer_rates(t, criterion="class", delta=0.5, n_boot=50, seed=0, models=MODELS)
    diff = {"n_clips": 20, "difference": 0.05, "lo": -0.01, "hi": 0.11, "method": "percentile"}
    flags = Section(ch.FlatEarthers(pd.DataFrame(), ["genre/b"]))
    text = ch.findings(res, rates=rates, like=Section(), by_unit=Section(), relations=Section(), overlap=Section(),
                       by_fill=Section(), same=Section(ch.Strategies({}, MODELS, diff)), flags=flags, alpha=0.05)
    lines = text.split("\n")
    r = rates.value.all.task
    assert lines[0].startswith(f"- Over {res.predictions.clip_id.nunique()} genre clips and 3 models")
    assert f"**{r['rate']:.1%}**" in lines[0]
    assert lines[1] == "- This study's table has no chance references."
    assert lines[2] == ("- On the 20 clips both searches explained, rex's transfer rate minus ours: +5.0 percentage "
                        "points (95% CI -1.0 to +11.0; percentile).")
    assert lines[3] == f"- Explanations: 60 of 60 found a sufficient set short of the whole spectrum, keeping a median 1.000% of the bins."
    assert "Flat-earthers flagged: `genre/b`" in text and "Robustness: sets grown" in text and "1 of 60" in text
    with_like = ch.findings(res, rates=rates, like=ch.contrast(t, n_boot=50, seed=0), by_unit=Section(),
                            relations=Section(), overlap=Section(), by_fill=Section(),
                            same=Section(ch.Strategies({}, MODELS, diff)), flags=flags, alpha=0.05)
    assert "- " + like_for_like.contrast_sentence(ch.contrast(t, n_boot=50, seed=0).value) in with_like.split("\n")


def test_heatmaps_stack_one_panel_per_entry():
    t = _table()
    s = tr.summarise(t, n_boot=50, models=MODELS)
    fig = pt.heatmaps({"one": s, "two": s.matrix}, suptitle="both", options={"two": {"vmin": -1.0}})
    assert fig.get_size_inches()[1] == pytest.approx(12.0)
    assert fig._suptitle.get_text() == "both"
    matplotlib.pyplot.close(fig)
