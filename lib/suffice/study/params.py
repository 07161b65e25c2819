"""Study parameters (the papermill/YAML parameter sets): defaults, validation, and running them.

Everything is checked before any work: each parameter's type and range (with the reason for each
upper bound; a parameter that :func:`suffice.study.run.run` also takes by the same check as there), the
strategy's options (by their declarations, :func:`suffice.search.explain.resolve_options`), every path
(the manifest exists and is a readable CSV, the cache and output folders can be written).  Parameter
files are read by the bounded YAML loader of :mod:`suffice.bounded_yaml`.
"""
from __future__ import annotations

import math
import os
import reprlib
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ..bounded_yaml import MAX_PARAMS_BYTES, MAX_YAML_NODES, read_yaml
from ..constants import SAMPLE_RATE
from ..errors import OptionError, SufficeError
from ..search.explain import check_seed
from .checks import check_clip_seconds, check_null_draws, check_task, check_timeout

#: upper bounds, with their reasons (see :func:`_check_types`)
BOUNDS: dict[str, tuple[int, str]] = {
    "clips_per_class": (10_000, "a study explains every clip with every model; 10,000 per class is "
                                "weeks of model time"),
    "n_boot": (100_000, "the bootstrap's Monte Carlo error is below 0.002 at 100,000 resamples; more "
                        "costs memory and time for nothing"),
    "n_examples": (100, "each example clip is a block of audio players in the chapter per class; 100 is "
                        "already unreadable"),
}
_short = reprlib.Repr()
_short.maxstring, _short.maxother, _short.maxlist, _short.maxdict, _short.maxlevel = 80, 80, 6, 6, 3

#: parameters of the study itself
STUDY_DEFAULTS: dict[str, Any] = {
    "task": "genre",
    "models": None,           # None (or "all") = the zoo's default study set of the task, or a list of names
    "profile": "default",     # zoo and corpus profile: default or smoke
    "clips_per_class": 3,
    "split": "test",
    "seed": 0,
    "strategy": "suffice",
    "options": {},            # search options (see suffice.search.strategy_defaults)
    "manifest": None,         # a CSV manifest of your own data instead of the built corpus
    "cache_dir": None,        # default: <data root>/study-cache; a relative path is under the data root
    "output_dir": None,       # where the tables are written (None: not written); relative: under the data root
    "workers": "auto",        # local processes for the explanations: auto = the available CPUs (1 with a GPU)
    "model_timeout_s": 600,   # seconds one model call may take before it is recorded as a failure (null: no limit)
    "null_random_n": 3,       # random keep-sets of size |S| per explanation for the chance baseline (0: none)
    "max_clip_seconds": 120,  # longest clip accepted (null: any length); every model call resynthesises the whole clip
    "rex_clips_per_class": None,  # clips per class of the task's rex-strategy variant (null: no variant)
    "bins_clips_per_class": None,  # clips per class explained again at single bins (null: no such variant)
    "fill_clips_per_class": None,  # clips per class explained again under fill_variant (null: no such variant)
    "fill_variant": "level-noise",  # the non-silent fill of that variant (see suffice.fills.FILLS)
    "fill_models": None,      # models of the fill variant (null: the study's models); a subset keeps it cheap
    "rex_models": None,       # models of the rex variant (null: the study's models); a subset keeps it cheap
    "rex_options": {},        # search options of the rex variant (empty: rex's own defaults, ReX's settings)
}
#: parameters of the analysis that the transferability notebook adds
ANALYSIS_DEFAULTS: dict[str, Any] = {
    "criterion": "class",     # class | confidence
    "delta": 0.5,             # δ of the confidence-aware criterion
    "n_boot": 1000,           # bootstrap resamples for CIs
    "alpha": 0.05,            # level of the flat-earther test
    "n_examples": 1,          # clips per true class in the listening table (audio players; 0: none)
}
ALL_DEFAULTS = {**STUDY_DEFAULTS, **ANALYSIS_DEFAULTS}


def load_params(source: str | os.PathLike | dict | None = None, **overrides: Any) -> dict[str, Any]:
    """Defaults overlaid by a YAML file (or dict) and ``overrides``; unknown keys are an error."""
    given: dict[str, Any] = {}
    if isinstance(source, dict):
        given.update(source)
    elif source is not None:
        given.update(read_yaml(source))
    given.update(overrides)
    unknown = sorted((str(k) for k in set(given) - set(ALL_DEFAULTS)), key=str)
    if unknown:
        raise OptionError(f"unknown parameter(s) {_short.repr(unknown)}; valid parameters: "
                          f"{', '.join(sorted(ALL_DEFAULTS))}")
    params = {**ALL_DEFAULTS, **given}
    check_task(params["task"])
    if params["criterion"] not in ("class", "confidence"):
        raise OptionError(f"criterion must be 'class' or 'confidence', got {params['criterion']!r}")
    if not isinstance(params["options"], dict):
        raise OptionError("options must be a mapping of search option: value")
    _check_types(params)
    return params


def _check_types(params: dict[str, Any]) -> None:
    """Each parameter has the kind of value it needs (a clear error now, not a traceback mid-study)."""
    def bad(key: str, what: str) -> OptionError:
        return OptionError(f"parameter {key!r} must be {what}, got {_short.repr(params[key])}")

    check_seed(params["seed"])
    check_null_draws(params["null_random_n"])
    check_timeout(params["model_timeout_s"])
    check_clip_seconds(params["max_clip_seconds"])
    for key in ("clips_per_class", "n_boot", "n_examples"):
        v = params[key]
        if isinstance(v, bool) or not isinstance(v, int):
            raise bad(key, "an integer")
    for key in ("clips_per_class", "n_boot"):
        if params[key] < 1:
            raise bad(key, ">= 1")
    for key, (top, why) in BOUNDS.items():
        if params[key] > top:
            raise bad(key, f"at most {top} ({why})")
    if params["n_examples"] < 0:
        raise bad("n_examples", ">= 0")
    for key in ("rex_clips_per_class", "bins_clips_per_class", "fill_clips_per_class"):
        r = params[key]
        if r is not None and (isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= BOUNDS["clips_per_class"][0]):
            raise bad(key, f"null or an integer in [1, {BOUNDS['clips_per_class'][0]}]")
    from ..fills import FILLS, ZERO
    non_silent = [f for f in FILLS if f != ZERO]
    if params["fill_variant"] not in non_silent:
        raise bad("fill_variant", f"a non-silent fill, one of {', '.join(map(repr, non_silent))}")
    if not isinstance(params["rex_options"], dict):
        raise bad("rex_options", "a mapping of rex search option: value")
    for key in ("rex_models", "fill_models"):
        rm = params[key]
        if rm is not None and (not isinstance(rm, list) or not rm or not all(isinstance(m, str) for m in rm)):
            raise bad(key, "null or a non-empty list of model names")
    for key in ("delta", "alpha"):
        v = params[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise bad(key, "a number in [0, 1]")
    if not isinstance(params["profile"], str):
        raise bad("profile", "a string")
    for key in ("split", "manifest", "cache_dir", "output_dir"):
        if params[key] is not None and not isinstance(params[key], (str, os.PathLike)):
            raise bad(key, "a string (a path) or null")
        if params[key] is not None and key != "split" and not str(params[key]).strip():
            raise bad(key, "a non-empty path or null")
        if params[key] is not None and "\0" in str(params[key]):
            raise bad(key, "a path without NUL characters")
    from ..parallel import check_workers
    check_workers(params["workers"])
    m = params["models"]
    if not (m is None or isinstance(m, str) or (isinstance(m, (list, tuple)) and m
                                                and all(isinstance(x, (str, dict)) for x in m))):
        raise bad("models", "null, 'all', a model name or a non-empty list of names or {model, labels, task}")


def _existing(path: str | os.PathLike) -> Path:
    """A user's file: as given (relative to the working directory), else relative to the repository."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    from ..paths import find_repo_root
    repo = find_repo_root()
    if repo is not None and (repo / p).exists():
        return repo / p
    raise OptionError(f"no such file: {p}")


def resolve_models(params: dict[str, Any]) -> list[str]:
    models = params["models"]
    if models is None or models == "all":
        from .. import models as zoo
        return list(zoo.names(params["task"], profile=params["profile"], study=True))
    if isinstance(models, str):
        return [models]
    return [str(m) for m in models]


def run_params(source: str | os.PathLike | dict | None = None, *, executor=None, progress: bool = True,
               **overrides: Any):
    """Run the study a parameter set describes; writes the tables (atomically) when ``output_dir`` is set.

    ``overrides`` replace parameters of ``source`` (``strategy="rex"``, ``clips_per_class=R``,
    ``options={...}``, ``output_dir=...``): a task's rex-strategy variant is
    ``run_params("params/<task>.yaml", strategy="rex", clips_per_class=R, options={})`` with ``R`` its
    ``rex_clips_per_class``; clip selection is nested, so its clips are a subset of the task study's.
    """
    from ..models.resolve import model_specs
    from ..parallel import local_executor, resolve_workers
    from ..paths import resolve_param_paths
    from .clips import load_clips, select_clips
    from .cache import DiskCache
    from ..audio import duration_limit
    from ..paths import data_root
    from .result import check_output_dir, claim_output_dir
    from .run import check_strategy_options, run, save_or_explain
    params = load_params(source, **overrides)
    task = params["task"]
    params.update(resolve_param_paths(params, ("manifest", "cache_dir", "output_dir"), source))  # README: Paths
    params["models"] = model_specs(params["models"], source)
    # every check before any work: options, folders, then the manifest
    check_strategy_options(params["strategy"], params["options"])
    if params["cache_dir"]:
        DiskCache(params["cache_dir"]).check_writable()
    protect = [("cache folder", params["cache_dir"] or data_root() / "study-cache")]
    if isinstance(source, (str, os.PathLike)):
        protect.append(("parameter file", source))
    if params["manifest"]:
        protect.append(("manifest", _existing(params["manifest"])))
    if params["output_dir"]:
        check_output_dir(params["output_dir"], protect)
    if params["manifest"]:
        from ..corpora import manifest_from_csv
        path = _existing(params["manifest"])
        if not path.is_file():
            raise OptionError(f"manifest {path} is not a regular file")
        try:
            manifest = manifest_from_csv(path, task)
        except SufficeError:
            raise
        except Exception as exc:  # noqa: BLE001 - an empty, binary or mis-encoded CSV
            raise OptionError(f"cannot read the manifest {path} as a UTF-8 CSV: {type(exc).__name__}: "
                              f"{_short.repr(str(exc))}") from None
    else:
        from ..corpora import manifest as corpus_manifest
        manifest = corpus_manifest(task, params["profile"])
    chosen = select_clips(manifest, int(params["clips_per_class"]), split=params["split"], seed=int(params["seed"]))
    with duration_limit(params["max_clip_seconds"] or math.inf):
        clips, failures = load_clips(chosen, SAMPLE_RATE)
    out_state = None
    if params["output_dir"]:  # the clips are known now: the folder may not hold them either
        protect += [("clip", c.path) for c in clips if c.path]
        out_state = claim_output_dir(params["output_dir"], protect)[1]
    models = resolve_models(params)
    workers = resolve_workers(params["workers"], jobs=len(models) * len(clips))
    with ExitStack() as stack:
        if executor is None and workers > 1:
            executor = stack.enter_context(local_executor(workers))
        result = run(task, models, clips, params["options"], seed=int(params["seed"]),
                     strategy=params["strategy"], cache_dir=params["cache_dir"], executor=executor,
                     profile=params["profile"], failures=failures, progress=progress,
                     model_timeout_s=params["model_timeout_s"], null_random_n=params["null_random_n"],
                     max_clip_seconds=params["max_clip_seconds"])
    result.params.update({k: params[k] for k in ALL_DEFAULTS if k not in result.params})
    if params["output_dir"]:
        save_or_explain(result, params["output_dir"], out_state, Path(result.params.get("cache_dir") or
                                                                   data_root() / "study-cache"))
    return result


def _run_variant(params: dict[str, Any], count: str, suffix: str, *, executor=None, progress: bool = True,
                 **changes: Any):
    """The variant of a study that ``params[count]`` clips per class and ``changes`` describe, or ``None``.

    ``params``: a loaded parameter set (:func:`load_params`); ``count``: the parameter that holds the
    variant's clips per class (null: no variant, ``None`` is returned); ``suffix``: its tables go to
    ``<output_dir>-<suffix>`` when ``output_dir`` is set; ``changes``: the parameters the variant replaces
    (``strategy``, ``options``, ``models``).  Clip selection is nested, so the variant explains the first
    ``params[count]`` clips per class of the study's own selection.  Returns its :class:`StudyResult`.
    """
    n = params[count]
    if n is None:
        return None
    return run_params(params, executor=executor, progress=progress, clips_per_class=int(n),
                      output_dir=f"{params['output_dir']}-{suffix}" if params["output_dir"] else None, **changes)


def run_rex_variant(source: str | os.PathLike | dict | None = None, *, executor=None, progress: bool = True,
                    **overrides: Any):
    """The task study's rex-strategy variant (the paper-like search), or ``None`` when it has none.

    Runs ``source`` (plus ``overrides``) with ``strategy="rex"`` and ``rex_options`` (empty: rex's own
    defaults) on the first
    ``rex_clips_per_class`` clips per class of the same selection (clip selection is nested, so they are a
    subset of the task study's clips) and on ``rex_models`` (``None``: the study's models); its tables go
    to ``<output_dir>-rex`` when ``output_dir`` is set.  Returns the :class:`StudyResult`, or ``None`` when
    ``rex_clips_per_class`` is null.
    """
    params = load_params(source, **overrides)
    return _run_variant(params, "rex_clips_per_class", "rex", executor=executor, progress=progress,
                        strategy="rex", options=params["rex_options"], models=params["rex_models"] or params["models"])


def run_bins_variant(source: str | os.PathLike | dict | None = None, *, executor=None, progress: bool = True,
                     **overrides: Any):
    """The task study explained again at single bins, or ``None`` when it has no such variant.

    Runs ``source`` (plus ``overrides``) with ``options`` plus ``resolution_hz: None`` (single bins, see
    :data:`suffice.study.run.STUDY_SEARCH_DEFAULTS`) on the first ``bins_clips_per_class`` clips per class
    of the same selection (a subset of the task study's clips); its tables go to ``<output_dir>-bins``
    when ``output_dir`` is set.  Returns the :class:`StudyResult`, or ``None`` when
    ``bins_clips_per_class`` is null.
    """
    params = load_params(source, **overrides)
    return _run_variant(params, "bins_clips_per_class", "bins", executor=executor, progress=progress,
                        options={**params["options"], "resolution_hz": None})


def run_fill_variant(source: str | os.PathLike | dict | None = None, *, executor=None, progress: bool = True,
                     **overrides: Any):
    """The task study explained again under a non-silent fill, or ``None`` when it has no such variant.

    Runs ``source`` (plus ``overrides``) with ``options`` plus ``fill: fill_variant`` (what a removed bin
    becomes, :mod:`suffice.fills`; every chance reference and the floor take the same fill) on the first
    ``fill_clips_per_class`` clips per class of the same selection (a subset of the task study's clips,
    whose zero-fill rows are the other side of the comparison, :mod:`suffice.transfer.fill_compare`) and on
    ``fill_models`` (``None``: the study's models; a subset keeps it cheap, since a set must stand out
    above a fill at the clip's level, which takes more model calls than standing out above silence); its
    tables go to ``<output_dir>-fill`` when ``output_dir`` is set.  Returns the :class:`StudyResult`, or
    ``None`` when ``fill_clips_per_class`` is null.
    """
    params = load_params(source, **overrides)
    return _run_variant(params, "fill_clips_per_class", "fill", executor=executor, progress=progress,
                        options={**params["options"], "fill": params["fill_variant"]},
                        models=params["fill_models"] or params["models"])
