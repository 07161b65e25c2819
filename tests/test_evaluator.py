"""The mask oracle (suffice.search.evaluator) on long clips."""
from __future__ import annotations

import numpy as np

import suffice
from suffice.search.evaluator import MaskEvaluator
from suffice.toys import BandEnergyClassifier

SR = 16000


def test_a_long_clip_is_masked_exactly_in_chunks():
    """Under the length limit, the oracle synthesises a 2-minute clip's masks chunk by chunk, exactly."""
    x = np.random.default_rng(1).normal(0, 0.1, 120 * SR).astype(np.float32)
    m = BandEnergyClassifier(300, 3000, 0.02)
    o = MaskEvaluator(m, suffice.validate_waveform(x, SR), batch_size=2)
    masks = np.random.default_rng(2).random((3, o.n_bins)) < 0.5
    got = o.probs(masks)
    want = m.predict_proba(suffice.keep_bins(x, masks))
    assert o.n_batches == 1 + 2 and np.allclose(got, want, atol=1e-6)
