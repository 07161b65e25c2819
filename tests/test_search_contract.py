"""The strategy contract: declared options (types, ranges, docs), one validation, the result fields."""
from __future__ import annotations

import dataclasses

import pytest

import suffice
from suffice import Explanation, OptionError
from suffice.search import SearchResult, describe_options, strategy_defaults, strategy_options
from suffice.toys import ToneClassifier, tone_clip


@pytest.fixture
def case():
    return ToneClassifier([30]), tone_clip([30, 70], 4000, [0.1, 0.3])


@pytest.mark.parametrize("bad,match", [
    ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"), ({"seed": True}, "seed"),
    ({"max_calls": 0}, "max_calls"), ({"max_calls": -5}, "max_calls"), ({"max_calls": "many"}, "integer"),
    ({"batch_size": 0}, "batch_size"), ({"batch_size": 10 ** 6}, "<= 65536"),
    ({"min_block": 0}, "min_block"), ({"prior": "loud"}, "one of"), ({"verify": 1}, "true or false"),
    ({"restart_share": -1.0}, "restart_share"), ({"min_confidence": 2}, "min_confidence"),
    ({"min_confidence": float("nan")}, "finite"),
    ({"auto_min_calls": 500, "auto_max_calls": 100}, "auto_min_calls"),
    ({"final_check": 64}, "unknown option"),
])
def test_bad_values_raise_one_line_option_errors(case, bad, match):
    model, x = case
    with pytest.raises(OptionError, match=match) as info:
        suffice.explain(model, x, **bad)
    assert "\n" not in str(info.value)


def test_every_option_is_declared_documented_and_listed():
    for strategy in suffice.STRATEGIES:
        opts = strategy_options(strategy)
        text = describe_options(strategy)
        assert {o.name for o in opts} == set(strategy_defaults(strategy))
        for o in opts:
            assert o.name in text
    for o in strategy_options("suffice"):
        assert o.doc and o.doc != "(undocumented)"
        assert f"{o.name}:" in suffice.explain.__doc__


def test_defaults_validate_against_their_own_declarations():
    for strategy in suffice.STRATEGIES:
        for o in strategy_options(strategy):
            assert o.convert(o.default) == o.default


def test_result_fields_reach_the_explanation(case):
    model, x = case
    e = suffice.explain(model, x, seed=0, contrastive=True, complete=True)
    assert e.found and e.verified_minimal and not e.budget_exhausted
    assert e.silence_label == "other" and e.meta["necessary_found"]
    names = {f.name for f in dataclasses.fields(SearchResult)}
    assert {"keep", "responsibility", "found", "ranking", "budget_exhausted", "verified_minimal",
            "silence_index", "necessary_keep", "necessary_found", "complete_keep",
            "complete_confidence", "search_calls", "extras_calls", "levels", "meta"} <= names


def test_old_json_without_the_new_fields_loads(case):
    model, x = case
    d = suffice.explain(model, x, seed=0).to_dict()
    for k in ("budget_exhausted", "verified_minimal", "silence_label"):
        d.pop(k)
    old = Explanation.from_dict(d)
    assert (old.budget_exhausted, old.verified_minimal, old.silence_label) == (False, False, None)


def test_old_json_with_the_data_in_meta_loads_it_into_the_fields(case):
    """A record written when the call split, the levels and the timings were keys of ``meta`` reads them into
    their declared fields, and its ``meta`` keeps the diagnostics only."""
    model, x = case
    e = suffice.explain(model, x, seed=0, resolution_hz=20.0, refine_to_hz=5.0)
    assert e.search_calls and e.levels and e.model_seconds is not None and e.extras_calls is None
    d = e.to_dict()
    moved = ("search_calls", "levels", "model_seconds", "synth_seconds")
    d["meta"] = {**d["meta"], **{k: d.pop(k) for k in moved}}
    d.pop("extras_calls")
    old = Explanation.from_dict(d)
    assert [getattr(old, k) for k in moved] == [getattr(e, k) for k in moved] and old.extras_calls is None
    assert old.meta == e.meta and not set(moved) & set(old.meta) and old.same_result(e)


def test_new_fields_round_trip_through_json(case):
    model, x = case
    e = suffice.explain(model, x, seed=0, max_calls=3)
    back = Explanation.from_json(e.to_json())
    assert back.same_result(e) and back.budget_exhausted and back.summary() == e.summary()


@pytest.mark.parametrize("thing,msg", [("genre/ast-tiny", "not the name 'genre/ast-tiny'"),
                                       (object(), "lacks name, labels, sample_rate, predict_proba")])
def test_a_name_or_a_non_classifier_is_refused_in_one_line(thing, msg):
    x = suffice.toys.tone_clip([100], 1600)
    with pytest.raises(OptionError, match=msg):
        suffice.explain(thing, x)
