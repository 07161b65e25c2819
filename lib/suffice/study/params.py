"""Study parameters (the papermill/YAML parameter sets): defaults, validation, and running them."""
from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

from ..constants import SAMPLE_RATE
from ..errors import OptionError
from ..tasks import task_labels

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
}
#: parameters of the analysis that the transferability notebook adds
ANALYSIS_DEFAULTS: dict[str, Any] = {
    "criterion": "class",     # class | confidence
    "delta": 0.5,             # δ of the confidence-aware criterion
    "n_boot": 1000,           # bootstrap resamples for CIs
    "alpha": 0.05,            # level of the flat-earther test
    "n_examples": 3,          # examples with audio players
}
ALL_DEFAULTS = {**STUDY_DEFAULTS, **ANALYSIS_DEFAULTS}


def load_params(source: str | os.PathLike | dict | None = None, **overrides: Any) -> dict[str, Any]:
    """Defaults overlaid by a YAML file (or dict) and ``overrides``; unknown keys are an error."""
    given: dict[str, Any] = {}
    if isinstance(source, dict):
        given.update(source)
    elif source is not None:
        p = Path(source)
        if not p.exists():
            raise OptionError(f"no such parameter file: {p}")
        try:
            loaded = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise OptionError(f"{p} is not valid YAML: {exc}") from None
        except UnicodeDecodeError:
            raise OptionError(f"{p} is not a text (YAML) file") from None
        if not isinstance(loaded, dict):
            raise OptionError(f"{p} must hold a mapping of parameter: value")
        given.update(loaded)
    given.update(overrides)
    unknown = sorted(set(given) - set(ALL_DEFAULTS))
    if unknown:
        raise OptionError(f"unknown parameter(s) {unknown}; valid parameters: {', '.join(sorted(ALL_DEFAULTS))}")
    params = {**ALL_DEFAULTS, **given}
    task_labels(params["task"])  # unknown task -> clear error
    if params["criterion"] not in ("class", "confidence"):
        raise OptionError(f"criterion must be 'class' or 'confidence', got {params['criterion']!r}")
    if not isinstance(params["options"], dict):
        raise OptionError("options must be a mapping of search option: value")
    _check_types(params)
    return params


def _check_types(params: dict[str, Any]) -> None:
    """Each parameter has the kind of value it needs (a clear error now, not a traceback mid-study)."""
    def bad(key: str, what: str) -> OptionError:
        return OptionError(f"parameter {key!r} must be {what}, got {params[key]!r}")

    for key in ("clips_per_class", "seed", "n_boot", "n_examples"):
        v = params[key]
        if isinstance(v, bool) or not isinstance(v, int):
            raise bad(key, "an integer")
    for key in ("clips_per_class", "n_boot"):
        if params[key] < 1:
            raise bad(key, ">= 1")
    for key in ("delta", "alpha"):
        v = params[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise bad(key, "a number in [0, 1]")
    for key in ("task", "profile", "strategy"):
        if not isinstance(params[key], str):
            raise bad(key, "a string")
    for key in ("split", "manifest", "cache_dir", "output_dir"):
        if params[key] is not None and not isinstance(params[key], (str, os.PathLike)):
            raise bad(key, "a string (a path) or null")
    from ..parallel import check_workers
    check_workers(params["workers"])
    m = params["models"]
    if not (m is None or isinstance(m, str) or (isinstance(m, (list, tuple)) and m
                                                and all(isinstance(x, str) for x in m))):
        raise bad("models", "null, 'all', a model name or a non-empty list of names")


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
    """Run the study a parameter set describes; writes the tables when ``output_dir`` is set."""
    from ..paths import data_root
    from ..parallel import local_executor, resolve_workers
    from .clips import load_clips, select_clips
    from .run import run
    params = load_params(source, **overrides)
    task = params["task"]
    for key in ("cache_dir", "output_dir"):
        if params[key] and not Path(params[key]).is_absolute():
            params[key] = str(data_root() / params[key])
    if params["manifest"]:
        from ..corpora import manifest_from_csv
        manifest = manifest_from_csv(_existing(params["manifest"]), task)
    else:
        from ..corpora import manifest as corpus_manifest
        manifest = corpus_manifest(task, params["profile"])
    chosen = select_clips(manifest, int(params["clips_per_class"]), split=params["split"], seed=int(params["seed"]))
    clips, failures = load_clips(chosen, SAMPLE_RATE)
    models = resolve_models(params)
    workers = resolve_workers(params["workers"], jobs=len(models) * len(clips))
    with ExitStack() as stack:
        if executor is None and workers > 1:
            executor = stack.enter_context(local_executor(workers))
        result = run(task, models, clips, params["options"], seed=int(params["seed"]),
                     strategy=params["strategy"], cache_dir=params["cache_dir"], executor=executor,
                     profile=params["profile"], failures=failures, progress=progress)
    result.params.update({k: params[k] for k in ALL_DEFAULTS if k not in result.params})
    if params["output_dir"]:
        result.save(params["output_dir"])
    return result
