"""``suffice.explain``: validate the input and options, run a strategy, build the Explanation.

Strategies live in their own modules and register in :data:`STRATEGIES`.  The contract
(:mod:`suffice.search.result`): a module provides ``NAME``, ``OPTIONS`` (its own
:class:`~suffice.search.options.Option` declarations) and
``search(oracle: MaskEvaluator, *, seed: int, contrastive: bool, complete: bool, **own) -> SearchResult``.
Every option value is validated here, in one place (:func:`resolve_options`), before ``search`` runs.
"""
from __future__ import annotations

import importlib
import reprlib
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..constants import VERSION as __version__
from ..audio import input_waveform
from ..classifier import Classifier
from ..errors import OptionError, UnknownNameError
from ..explanation import Explanation
from . import options as _opt
from .evaluator import MaskEvaluator
from .resolution import coarse_to_fine, levels, width_in_bins
from .robust import robust_set
from .result import SearchResult

#: strategy name -> module (imported lazily)
STRATEGIES: dict[str, str] = {
    "suffice": "suffice.search.strategies.suffice",
    "rex": "suffice.search.strategies.rex",
    "magnitude": "suffice.search.strategies.magnitude",
    "occlusion": "suffice.search.strategies.occlusion",
}
DEFAULT_STRATEGY = "suffice"

#: options every strategy accepts, with their defaults (declared in :data:`options.COMMON`)
COMMON_OPTIONS: dict[str, Any] = {o.name: o.default for o in _opt.COMMON}


def _strategy_module(name: str) -> ModuleType:
    if not isinstance(name, str) or name not in STRATEGIES:
        raise UnknownNameError(f"unknown strategy {name!r}; known strategies: {', '.join(STRATEGIES)}")
    return importlib.import_module(STRATEGIES[name])


def own_options(strategy: str = DEFAULT_STRATEGY) -> tuple[_opt.Option, ...]:
    """The options ``strategy`` declares itself (not the common ones)."""
    return tuple(_strategy_module(strategy).OPTIONS)


def strategy_options(strategy: str = DEFAULT_STRATEGY) -> tuple[_opt.Option, ...]:
    """Every option ``strategy`` accepts: the common ones, then its own."""
    return _opt.COMMON + own_options(strategy)


def strategy_defaults(strategy: str = DEFAULT_STRATEGY) -> dict[str, Any]:
    """All options of ``strategy`` (common and its own) with their default values."""
    return {o.name: o.default for o in strategy_options(strategy)}


def describe_options(strategy: str | None = None) -> str:
    """Text listing every option (name, type, default, range, one-line doc) of ``strategy``.

    ``None``: the common options and those of every registered strategy.  The CLI's ``--help`` and
    ``help(suffice.explain)`` show this text.
    """
    names = list(STRATEGIES) if strategy is None else [strategy]
    parts = [_opt.describe((_opt.SEED,) + _opt.COMMON, "options of every strategy:")]
    for n in names:
        parts.append(_opt.describe(own_options(n), f"strategy={n!r}:"))
    return "\n".join(parts)


def resolve_options(strategy: str, options: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid by ``options``; unknown names and bad values raise :class:`OptionError`.

    Each value is checked against its declaration; then the strategy module's ``check_options(own)``
    (when it has one) checks combinations of its own options, and :func:`_check_common` those of the
    common options with the strategy.  Nothing here needs a model or a clip: this is the whole check.
    """
    module = _strategy_module(strategy)
    resolved = _opt.validate(strategy_options(strategy), dict(options), owner=f"strategy {strategy!r}")
    check = getattr(module, "check_options", None)
    if check is not None:
        check({o.name: resolved[o.name] for o in own_options(strategy)})
    _check_common(strategy, module, resolved)
    return resolved


def _check_common(strategy: str, module: ModuleType, opts: dict[str, Any]) -> None:
    """The common options' combinations with each other and with what ``strategy`` can do."""
    if opts["min_margin"] > 0 and not getattr(module, "MARGIN_AWARE", True):
        raise OptionError(f"strategy {strategy!r} tests its sets with its own rule, not min_margin; use "
                          "min_margin with suffice, magnitude or occlusion")
    coarse, finest = opts["resolution_hz"], opts["refine_to_hz"]
    if finest is not None and coarse is None:
        raise OptionError("refine_to_hz needs resolution_hz (the coarse width it refines from)")
    if finest is not None and finest > coarse:
        raise OptionError(f"refine_to_hz ({finest:g} Hz) must not exceed resolution_hz ({coarse:g} Hz)")
    if coarse is not None and not getattr(module, "SEARCHES_ATOMS", False):
        raise OptionError(f"strategy {strategy!r} searches single bins only; resolution_hz and "
                          "refine_to_hz need a strategy that searches atoms (suffice, rex, magnitude)")


def check_seed(seed: Any) -> int:
    """``seed`` as an int in [0, 2**32) (:data:`options.SEED`; numpy seeds are unsigned 32-bit): the one seed
    rule of explanations, flip searches and studies; raises :class:`OptionError`."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) \
            or not _opt.SEED.min <= seed <= _opt.SEED.max:
        raise OptionError(f"seed must be an integer in [0, 2**32) (numpy seeds are unsigned 32-bit), "
                          f"got {reprlib.repr(seed)}")
    return int(seed)


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


def check_classifier(model: object) -> None:
    """Refuse, in one line, something that is not a :class:`~suffice.Classifier` (a model name, say)."""
    if isinstance(model, (str, Path)):
        raise OptionError(f"explain() takes a classifier object, not the name {str(model)!r}: load it first "
                          f"with suffice.models.resolve.resolve_model({str(model)!r}) (zoo names, toy/..., "
                          "hub ids and local folders)")
    missing = [a for a in ("name", "labels", "sample_rate") if not hasattr(model, a)]
    if not callable(getattr(model, "predict_proba", None)):
        missing.append("predict_proba()")
    if missing:
        raise OptionError(f"{type(model).__name__} is not a classifier: it lacks {', '.join(missing)} (a "
                          "classifier has name, labels, sample_rate and predict_proba(waveforms))")


def explain(model: Classifier, waveform: np.ndarray | str | Path, *, seed: int = 0,
            strategy: str = DEFAULT_STRATEGY, sample_rate: int | None = None,
            target: str | int | None = None, **options: Any) -> Explanation:
    """Find a minimal set of rfft bins sufficient for ``model``'s top-1 class on ``waveform``.

    ``waveform``: float mono samples at ``model.sample_rate`` (or at ``sample_rate``, then resampled),
    or a path to a sound file.  ``target``: explain this label instead of the top-1 class.
    ``options``: the common ones and the strategy's own, each declared with its type, range and
    doc; :func:`describe_options` lists them (``describe_options("suffice")``).  Same seed and
    options give the same explanation whatever ``batch_size``.  Bad values raise
    :class:`~suffice.errors.OptionError`.
    """
    seed = check_seed(seed)
    check_classifier(model)
    module = _strategy_module(strategy)
    opts = resolve_options(strategy, options)
    rate = int(model.sample_rate)
    x = input_waveform(waveform, rate, sample_rate=sample_rate)
    oracle = MaskEvaluator(model, x, batch_size=opts["batch_size"], target_index=_target_index(model, target),
                           min_confidence=opts["min_confidence"], min_margin=opts["min_margin"],
                           fill=opts["fill"], fill_seed=opts["fill_seed"])
    own = {o.name: opts[o.name] for o in own_options(strategy)}
    widths = resolution_widths(opts, rate, len(x))
    if widths == [1]:  # single bins: the strategy searches the evaluator itself
        res: SearchResult = module.search(oracle, seed=seed, contrastive=opts["contrastive"],
                                          complete=opts["complete"], **own)
        width = 1
    else:
        res, width = coarse_to_fine(module, oracle, widths, seed=seed, contrastive=opts["contrastive"],
                                    complete=opts["complete"], own=own)
    oracle.budget.fix(None)  # the strategy's budget is over; what follows reads cached masks
    keep = np.asarray(res.keep, dtype=bool)
    suff_conf = float(oracle.target_prob(keep[None])[0])
    floor = res.silence_index  # the class of the fill alone (silence under the zero fill)
    if floor is None and not res.budget_exhausted:  # a strategy that did not test the empty set
        floor = oracle.floor_index()
    checked = None
    if opts["robustness"] != "off" and res.found:  # a fixed max_calls covers the check and the repair too
        n_before = oracle.n_calls
        checked = robust_set(oracle, keep, responsibility=np.asarray(res.responsibility), width=int(width),
                             repair=opts["robustness"] == "repair", seed=seed, cap=own.get("max_calls"))
        oracle_calls = oracle.n_calls - n_before  # the repair's own tests, already in oracle.n_calls
        keep = checked.keep
        suff_conf = float(oracle.target_prob(keep[None])[0])
    meta = {"n_batches": oracle.n_batches + (0 if checked is None else checked.batches), **res.meta}
    if res.necessary_found is not None:
        meta["necessary_found"] = bool(res.necessary_found)
    return Explanation(
        keep=keep, found=bool(res.found), target=str(model.labels[oracle.target_index]),
        target_index=oracle.target_index, confidence=oracle.confidence,
        sufficient_confidence=suff_conf,
        n_model_calls=oracle.n_calls + (0 if checked is None else checked.calls - oracle_calls),
        responsibility=np.clip(np.asarray(res.responsibility, dtype=np.float32), 0.0, 1.0),
        waveform=x, sample_rate=rate, model=str(model.name), strategy=strategy, seed=seed,
        options=opts, necessary_keep=res.necessary_keep, complete_keep=res.complete_keep,
        necessary_budget_cut=bool(opts["contrastive"] and res.necessary_budget_cut),
        complete_confidence=res.complete_confidence, version=__version__, meta=meta,
        budget_exhausted=bool(res.budget_exhausted or (checked is not None and checked.budget_cut)),
        verified_minimal=(bool(res.verified_minimal) if checked is None or checked.minimal is None
                          else checked.minimal),
        silence_label=None if floor is None else str(model.labels[floor]),
        fill=opts["fill"], fill_seed=int(opts["fill_seed"]),
        resolution_bins=int(width),
        margin=None if checked is None else checked.margin,
        robust=None if checked is None else checked.robust,
        renderings=None if checked is None or checked.labels is None else {
            k: str(model.labels[v]) for k, v in checked.labels.items()},
        check_calls=0 if checked is None else int(checked.calls),
        repaired_bins=0 if checked is None else int(checked.added_bins),
        search_calls=None if res.search_calls is None else int(res.search_calls),
        extras_calls=None if res.extras_calls is None else int(res.extras_calls),
        levels=res.levels, model_seconds=round(oracle.model_seconds, 6),
        synth_seconds=round(oracle.synth_seconds, 6),
    )


def resolution_widths(opts: dict[str, Any], sample_rate: int, n_samples: int) -> list[int]:
    """The atom widths in bins, coarse to fine, that ``resolution_hz`` and ``refine_to_hz`` (resolved
    options, see :func:`resolve_options`) ask for on a clip of ``n_samples`` samples (``[1]``: single
    bins, no atoms)."""
    coarse = width_in_bins(opts["resolution_hz"], sample_rate, n_samples)
    return levels(coarse, width_in_bins(opts["refine_to_hz"], sample_rate, n_samples))


explain.__doc__ = (explain.__doc__ or "") + "\n    Options (from :func:`describe_options`):\n\n" + "\n".join(
    "    " + line for line in describe_options(DEFAULT_STRATEGY).splitlines()) + (
    "\n\n    Other strategies: ``describe_options(name)``.\n")
