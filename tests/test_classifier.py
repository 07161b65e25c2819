"""Model output checks (suffice.classifier): a model that misbehaves is a clear error, not a wrong answer."""
from __future__ import annotations

import numpy as np
import pytest

import suffice
from suffice.errors import ModelOutputError

import _hostile_models as hm


def _marked_tone() -> np.ndarray:
    """A 440 Hz tone whose first sample is the poisoned models' marker."""
    x = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    x[0] = 0.0625
    return x


@pytest.mark.parametrize("mode,msg", [("nan", "NaN"), ("shape", "shape"), ("short", "shape"),
                                      ("negative", "probabilities"), ("logits", "softmax"),
                                      ("unnormalised", "sum to 1"),
                                      ("strings", "not an array of numbers"), ("none", "shape")])
def test_bad_model_output_is_a_clear_error(mode, msg):
    with pytest.raises(ModelOutputError, match=msg):
        suffice.explain(hm.Poisoned("bad", mode), _marked_tone())


def test_model_crash_propagates_from_explain():
    with pytest.raises(RuntimeError, match="simulated model crash"):
        suffice.explain(hm.Poisoned("bad", "raise"), _marked_tone())
