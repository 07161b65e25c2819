"""``suffice.explain``: validate the input and options, run a strategy, extract the sets.

Strategies live in their own modules and register here.  Each module provides ``NAME``,
``DEFAULTS`` (its own options and their default values) and
``search(oracle: MaskEvaluator, *, seed: int, **options) -> SearchResult``; ``search`` also computes
the contrastive (``necessary``) and ``complete`` sets when the oracle asks for them through the
``contrastive`` / ``complete`` flags it receives.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..constants import VERSION as __version__
from ..audio import load_audio, prepare_waveform, validate_waveform
from ..classifier import Classifier
from ..errors import OptionError, UnknownNameError
from ..explanation import Explanation
from .evaluator import MaskEvaluator

#: strategy name -> module (imported lazily)
STRATEGIES: dict[str, str] = {
    "suffice": "suffice.search.strategies.suffice",
    "rex": "suffice.search.strategies.rex",
}
DEFAULT_STRATEGY = "suffice"

#: options every strategy accepts, with their defaults
COMMON_OPTIONS: dict[str, Any] = {
    "batch_size": 64,        # waveforms per model call; never changes the result
    "min_confidence": 0.0,   # δ: the masked signal needs p[c] >= δ * original confidence
    "contrastive": False,    # also find a sufficient-and-necessary set
    "complete": False,       # also find a complete set (confidence matches the original, 2 d.p.)
}


def _strategy_module(name: str) -> ModuleType:
    if name not in STRATEGIES:
        raise UnknownNameError(f"unknown strategy {name!r}; known strategies: {', '.join(STRATEGIES)}")
    return importlib.import_module(STRATEGIES[name])


def strategy_defaults(strategy: str = DEFAULT_STRATEGY) -> dict[str, Any]:
    """All options of ``strategy`` (common and its own) with their default values."""
    return {**COMMON_OPTIONS, **_strategy_module(strategy).DEFAULTS}


def resolve_options(strategy: str, options: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid by ``options``; unknown names and bad values raise :class:`OptionError`."""
    defaults = strategy_defaults(strategy)
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise OptionError(f"unknown option(s) {unknown} for strategy {strategy!r}; valid options: "
                          f"{', '.join(sorted(defaults))}")
    resolved = dict(defaults)
    for k, v in options.items():
        d = defaults[k]
        if isinstance(d, bool):
            if not isinstance(v, (bool, np.bool_)):
                raise OptionError(f"option {k!r} must be true or false, got {v!r}")
            v = bool(v)
        elif isinstance(d, int) and d is not None:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) and not (isinstance(v, float) and v.is_integer()):
                raise OptionError(f"option {k!r} must be an integer, got {v!r}")
            v = int(v)
        elif isinstance(d, float):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not np.isfinite(v):
                raise OptionError(f"option {k!r} must be a finite number, got {v!r}")
            v = float(v)
        resolved[k] = v
    if resolved["batch_size"] < 1:
        raise OptionError(f"batch_size must be >= 1, got {resolved['batch_size']}")
    if not 0.0 <= resolved["min_confidence"] <= 1.0:
        raise OptionError(f"min_confidence (δ) must lie in [0, 1], got {resolved['min_confidence']}")
    return resolved


def _target_index(model: Classifier, target: str | int | None) -> int | None:
    if target is None:
        return None
    labels = list(model.labels)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        if not 0 <= int(target) < len(labels):
            raise UnknownNameError(f"target index {target} out of range for {len(labels)} labels")
        return int(target)
    if target not in labels:
        raise UnknownNameError(f"unknown label {target!r} for model {model.name!r}; labels: {labels}")
    return labels.index(target)


def explain(model: Classifier, waveform: np.ndarray | str | Path, *, seed: int = 0,
            strategy: str = DEFAULT_STRATEGY, sample_rate: int | None = None,
            target: str | int | None = None, **options: Any) -> Explanation:
    """Find a minimal set of rfft bins sufficient for ``model``'s top-1 class on ``waveform``.

    ``waveform``: float mono samples at ``model.sample_rate`` (or at ``sample_rate``, then resampled),
    or a path to a sound file.  ``target``: explain this label instead of the top-1 class.
    ``options``: see :data:`COMMON_OPTIONS` and :func:`strategy_defaults`.  Same seed and options give
    the same explanation whatever ``batch_size``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise OptionError(f"seed must be an integer, got {seed!r}")
    module = _strategy_module(strategy)
    opts = resolve_options(strategy, options)
    rate = int(model.sample_rate)
    if isinstance(waveform, (str, Path)):
        x = load_audio(waveform, rate)
    elif sample_rate is not None and int(sample_rate) != rate:
        x = prepare_waveform(np.asarray(waveform), int(sample_rate), rate)
    else:
        x = validate_waveform(waveform, rate)
    oracle = MaskEvaluator(model, x, batch_size=opts["batch_size"], target_index=_target_index(model, target),
                        min_confidence=opts["min_confidence"])
    own = {k: opts[k] for k in module.DEFAULTS}
    res = module.search(oracle, seed=int(seed), contrastive=opts["contrastive"],
                        complete=opts["complete"], **own)
    keep = np.asarray(res.keep, dtype=bool)
    suff_conf = float(oracle.target_prob(keep[None])[0])
    return Explanation(
        keep=keep, found=bool(res.found), target=str(model.labels[oracle.target_index]),
        target_index=oracle.target_index, confidence=oracle.confidence,
        sufficient_confidence=suff_conf, n_model_calls=oracle.n_calls,
        responsibility=np.asarray(res.responsibility, dtype=np.float32), waveform=x, sample_rate=rate,
        model=str(model.name), strategy=strategy, seed=int(seed), options=opts,
        necessary_keep=res.extra.get("necessary_keep"), complete_keep=res.extra.get("complete_keep"),
        complete_confidence=res.extra.get("complete_confidence"), version=__version__,
        meta={"n_batches": oracle.n_batches, "model_seconds": round(oracle.model_seconds, 6),
              "synth_seconds": round(oracle.synth_seconds, 6),
              **{k: v for k, v in res.extra.items() if k not in ("necessary_keep", "complete_keep", "complete_confidence")}},
    )
