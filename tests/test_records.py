"""The record codec (suffice.records): arrays, non-finite floats and unknown fields, as the result
classes (Explanation, Flip) use it."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest

from suffice.records import decode_array, encode_array, from_record, to_record


@dataclass
class Rec:
    mask: np.ndarray
    values: np.ndarray | None
    score: float
    name: str


@pytest.mark.parametrize("a", [np.array([True, False, True] * 5), np.arange(7, dtype=np.int64),
                               np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), np.zeros(0, np.float64)])
def test_arrays_round_trip_exactly(a):
    b = decode_array(json.loads(json.dumps(encode_array(a))))
    assert b.dtype == a.dtype and b.shape == a.shape and np.array_equal(a, b)
    assert encode_array(None) is None and decode_array(None) is None


def test_bool_arrays_are_bit_packed():
    assert len(encode_array(np.ones(800, bool))["b64"]) < 200


def test_a_record_round_trips_and_refuses_unknown_fields():
    r = Rec(np.array([True, False]), None, 0.5, "x")
    d = to_record(r, ("mask", "values"))
    back = from_record(Rec, json.loads(json.dumps(d)), ("mask", "values"))
    assert np.array_equal(back.mask, r.mask) and back.values is None and back.score == 0.5 and back.name == "x"
    with pytest.raises(ValueError, match="not a Rec: unknown fields \\['extra'\\]"):
        from_record(Rec, {**d, "extra": 1}, ("mask", "values"))


def test_non_finite_floats_are_tagged_only_when_asked():
    r = Rec(np.array([True]), np.array([1.0]), math.nan, "x")
    strict = to_record(r, ("mask", "values"), tag_nonfinite=True)
    assert strict["score"] == {"float": "nan"}
    json.dumps(strict, allow_nan=False)  # survives strict JSON
    assert math.isnan(from_record(Rec, strict, ("mask", "values"), tag_nonfinite=True).score)
    plain = to_record(r, ("mask", "values"))
    assert math.isnan(plain["score"])
    # without the flag a dict that merely looks like a tag stays a dict
    assert from_record(Rec, {**plain, "name": {"float": "1"}}, ("mask", "values")).name == {"float": "1"}
