"""The methods compared by the benchmark, each run on one (model, clip) and timed.

* ``rex-xai``: the real ReX package (:mod:`suffice.bench.rexxai`), our models and exact masking.
* ``rex``: our re-implementation (``strategy="rex"``, its defaults: bisection extraction, all 20
  iterations); ``rex-linear``: the same with ReX's linear extraction (``extraction="linear"``), so the
  two extractions are compared on the same maps.
* ``suffice``: our default strategy (``strategy="suffice"``); ``suffice-no-bands``: the same without
  the prior's band rankings (``band_priors=False``: the magnitude prefix only), so what they change in
  calls, sizes and verified shares is read off one run; ``suffice-no-chain``: the same without the
  chained acceptance of removals (``chain=False``); ``suffice-prior-none``, ``suffice-no-verify``,
  ``suffice-no-restart``: the same with no prior (``prior="none"``), no 1-minimality pass
  (``verify=False``), no prior-free second start (``restart=False``).  Each switches one design decision
  (the decisions chapter, :mod:`suffice.bench.decisions`, reads them side by side).
* ``magnitude``: no causal reasoning (``strategy="magnitude"``): the shortest sufficient prefix of
  the magnitude ranking, galloping then bisection (about 2 log2 K calls).
* ``suffice@<w>Hz``: our default strategy over atoms of ``w`` Hz at one level
  (:mod:`suffice.search.resolution`): the studies' default resolution and one twice as coarse, beside
  ``suffice`` at single bins; they run on the real clips only (the analytic cases' minima are in bins).
* ``occlusion``: a cheap attribution (``strategy="occlusion"``): mel-spaced bands removed once each,
  bins ranked by the drop their band causes, the same prefix search.

Every method but ``rex-xai`` runs through :func:`suffice.explain`, so its result carries how the search
ended (:class:`suffice.Explanation`'s ``budget_exhausted``, ``verified_minimal`` and ``silence_label``);
``rex-xai`` cannot say, and leaves them NaN / None.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..classifier import Classifier
from ..search import explain


@dataclass
class MethodResult:
    """A method's answer on one case, and its cost.

    ``budget_exhausted`` / ``verified_minimal``: the explanation's flags (bool), NaN where the method
    cannot say (``rex-xai``); ``silence_label``: the model's top-1 label on silence, None when unknown.
    """

    keep: np.ndarray
    found: bool
    target_index: int
    n_model_calls: int
    seconds: float
    model_seconds: float
    synth_seconds: float
    budget_exhausted: bool | float = np.nan
    verified_minimal: bool | float = np.nan
    silence_label: str | None = None


def via_explain(strategy: str, **options) -> Callable[..., MethodResult]:
    """A runner ``(model, waveform, seed) -> MethodResult`` calling :func:`suffice.explain` with
    ``strategy`` and ``options`` (e.g. ``max_calls``), timed, with the explanation's flags."""
    def run(model: Classifier, x: np.ndarray, seed: int) -> MethodResult:
        t0 = time.perf_counter()
        e = explain(model, x, strategy=strategy, seed=seed, **options)
        dt = time.perf_counter() - t0
        return MethodResult(e.keep, e.found, e.target_index, e.n_model_calls, dt,
                            float(e.model_seconds), float(e.synth_seconds),
                            budget_exhausted=bool(e.budget_exhausted), verified_minimal=bool(e.verified_minimal),
                            silence_label=e.silence_label)
    return run


def resolution_methods() -> dict[str, Callable[..., MethodResult]]:
    """``suffice`` at one level over atoms of the studies' default width and of twice that width."""
    from ..study.run import STUDY_SEARCH_DEFAULTS
    hz = float(STUDY_SEARCH_DEFAULTS["resolution_hz"])
    return {f"suffice@{w:g}Hz": via_explain("suffice", resolution_hz=w, refine_to_hz=w) for w in (hz, 2 * hz)}


#: the methods over atoms (real clips only)
RESOLUTION_METHODS: dict[str, Callable[..., MethodResult]] = resolution_methods()

#: method name -> runner(model, waveform, seed) (``rex-xai`` is run by :mod:`suffice.bench.run`)
METHODS: dict[str, Callable[..., MethodResult]] = {
    "rex": via_explain("rex"),
    "suffice": via_explain("suffice"),
    "suffice-no-bands": via_explain("suffice", band_priors=False),
    "suffice-no-chain": via_explain("suffice", chain=False),
    "suffice-prior-none": via_explain("suffice", prior="none"),
    "suffice-no-verify": via_explain("suffice", verify=False),
    "suffice-no-restart": via_explain("suffice", restart=False),
    "rex-linear": via_explain("rex", extraction="linear"),
    **RESOLUTION_METHODS,
    "magnitude": via_explain("magnitude"),
    "occlusion": via_explain("occlusion"),
}
ALL_METHODS: tuple[str, ...] = ("rex-xai", "rex", "rex-linear", "suffice", "suffice-no-bands",
                                 "suffice-no-chain", "suffice-prior-none", "suffice-no-verify",
                                 "suffice-no-restart", *RESOLUTION_METHODS, "magnitude", "occlusion")
