"""One function from a model's name to a classifier: :func:`resolve_model`.

A name is one of

* a toy (analytic) model: ``toy/tones:440,1000``, ``toy/band:300-3000`` (see :mod:`suffice.toys`);
* a zoo model: ``genre/ast-tiny`` (built by ``make models``; see :func:`suffice.models.names`);
* a local Hugging Face folder (``./my-model``, ``/abs/path``): safetensors weights only, never remote code;
* a hub id (``owner/name``), read from the local Hugging Face cache (the project runs offline).

Checkpoints (folders and hub ids) take an optional label map (``labels``): a mapping from the
checkpoint's labels to the task's canonical labels, a YAML/JSON file holding one, inline text
(``"LABEL_0=spoof,LABEL_1=bonafide"`` or ``"{LABEL_0: spoof}"``), or ``"as-is"`` to keep the
checkpoint's labels for a task you define.  Used by the CLI, the study, the book and the tests.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Mapping

from ..bounded_yaml import parse_yaml, read_yaml

from ..errors import OptionError, UnknownNameError
from ..tasks import TASKS
from .labels import AS_IS

#: a hub id: ``owner/name`` (letters, digits, ``-``, ``_``, ``.``)
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
TOY_PREFIXES = ("toy/", "oracle/")

LabelsSpec = Mapping[str, Any] | str | os.PathLike | None


def parse_labels(labels: LabelsSpec, base_dir: str | os.PathLike | None = None) -> dict[str, str | None] | str | None:
    """A label map from its user-facing forms: ``None``, a mapping, ``"as-is"``, a ``.yaml``/``.yml``/
    ``.json`` file (relative paths against ``base_dir``, default the working directory) or inline text
    ``"raw=canonical,raw2=canonical2"`` / ``"{raw: canonical}"``.  ``null``/empty values drop a label."""
    if labels is None or isinstance(labels, Mapping):
        return _checked(labels) if labels is not None else None
    text = os.fspath(labels).strip()
    if text == AS_IS:
        return AS_IS
    if text.lower().endswith((".yaml", ".yml", ".json")):
        path = Path(text).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            raise OptionError(f"no such label-map file: {path}")
        return _checked(read_yaml(path), str(path))
    if text.startswith("{"):
        return _checked(parse_yaml(text, "the inline label map"), "the inline label map")
    out: dict[str, str | None] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        raw, sep, canon = part.partition("=")
        if not sep or not raw.strip():
            raise OptionError(f"a label map is RAW=CANONICAL,... , a .yaml/.json file or {AS_IS!r}; got {text!r}")
        out[raw.strip()] = canon.strip() or None
    return _checked(out, "the inline label map")


def _checked(data: Any, where: str = "the label map") -> dict[str, str | None]:
    if not isinstance(data, Mapping) or not data:
        raise OptionError(f"{where} must be a non-empty mapping raw label -> canonical label")
    out: dict[str, str | None] = {}
    for k, v in data.items():
        if v is not None and not isinstance(v, (str, int)):
            raise OptionError(f"{where}: {k!r} maps to {v!r}; expected a label name or null")
        out[str(k)] = None if v is None or v == "" else str(v)
    return out


def model_spec(entry: str | Mapping[str, Any], base_dir: str | os.PathLike | None = None) -> str:
    """One entry of a study's ``models:`` as the text :func:`resolve_model` takes.

    ``entry``: a name (zoo, ``toy/...``, hub id, folder), or a mapping ``{model: NAME, labels: MAP,
    task: TASK}``.  Relative folders and label files resolve against ``base_dir`` (the parameter file's
    folder); a mapping becomes JSON text with its label map inlined, so the spec stays one hashable string.
    """
    if isinstance(entry, str):
        return _rebased(entry, base_dir)
    if not isinstance(entry, Mapping):
        raise OptionError(f"a model is a name or a mapping {{model: ..., labels: ..., task: ...}}, got {entry!r}")
    stray = sorted(set(entry) - {"model", "labels", "task"})
    if stray or "model" not in entry or not isinstance(entry["model"], str):
        raise OptionError(f"a model mapping needs 'model' (a name) and may give 'labels' and 'task'; got {dict(entry)}")
    spec = {"model": _rebased(entry["model"], base_dir)}
    labels = parse_labels(entry.get("labels"), base_dir)
    if labels is not None:
        spec["labels"] = labels
    if entry.get("task") is not None:
        spec["task"] = str(entry["task"])
    return json.dumps(spec, sort_keys=True) if len(spec) > 1 else spec["model"]


def model_specs(models: Any, source: object = None) -> Any:
    """A study's ``models:`` with every entry made a :func:`model_spec` string (relative folders and label
    files against the parameter file's folder, :func:`suffice.paths.param_file_dir`); ``None``/``"all"``
    unchanged."""
    from ..paths import param_file_dir
    if models is None or models == "all":
        return models
    base = param_file_dir(source)
    entries = [models] if isinstance(models, (str, Mapping)) else list(models)
    return [model_spec(m, base) for m in entries]


def _rebased(name: str, base_dir: str | os.PathLike | None) -> str:
    """A folder given relative to ``base_dir`` as an absolute path; other names unchanged."""
    if base_dir is None or name.startswith(TOY_PREFIXES) or Path(name).expanduser().is_absolute():
        return name
    candidate = Path(base_dir) / name
    from .hf import looks_like_path
    if candidate.exists() or looks_like_path(name):
        return str(candidate.resolve())
    return name


def resolve_model(name: Any, profile: str = "default", labels: LabelsSpec = None, *, task: str | None = None,
                  device: str | None = None) -> Any:
    """The classifier ``name`` stands for (see the module docstring).

    ``profile``: the zoo profile (``default`` or ``smoke``).  ``labels``/``task``: for checkpoints only
    (see :func:`suffice.models.labels.make_label_map`).  A classifier object is returned as it is.  Raises
    :class:`~suffice.errors.UnknownNameError` / :class:`~suffice.errors.OptionError` with one line saying
    what was expected.
    """
    if hasattr(name, "predict_proba") and hasattr(name, "labels"):
        return name
    if isinstance(name, Mapping):
        spec = dict(name)
        return resolve_model(spec.get("model"), profile, spec.get("labels", labels), task=spec.get("task", task),
                             device=device)
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str) or not name.strip():
        raise OptionError(f"expected a model: a classifier, or a name (zoo name, toy/..., hub id or folder); "
                          f"got {name!r}")
    name = name.strip()
    if name.startswith("{"):
        try:
            spec = json.loads(name)
        except json.JSONDecodeError as exc:
            raise OptionError(f"cannot read the model spec {name!r}: {exc}") from None
        return resolve_model(spec, profile, labels, task=task, device=device)
    checkpoint_only = labels is not None or task is not None
    if name.startswith(TOY_PREFIXES):
        _no_labels(name, checkpoint_only)
        from ..toys import from_name
        return from_name(name)
    from .zoo import SPECS
    if name in SPECS:
        _no_labels(name, checkpoint_only)
        from .loading import load
        return load(name, profile=profile)
    from .hf import load_hf, looks_like_path
    lm = parse_labels(labels)
    if Path(name).expanduser().exists():
        return load_hf(Path(name).expanduser(), task=task, label_map=lm, device=device)
    if looks_like_path(name):
        raise OptionError(f"no such model folder: {name}")
    if name.split("/", 1)[0] in TASKS:
        raise UnknownNameError(f"unknown zoo model {name!r}; known models: {', '.join(SPECS)} "
                               "(or a folder, a hub id owner/name, toy/...)")
    if HUB_ID.match(name):
        return load_hf(name, task=task, label_map=lm, device=device)
    raise UnknownNameError(f"unknown model {name!r}: expected a zoo name ({', '.join(list(SPECS)[:3])}, ...), "
                           "toy/..., a hub id owner/name or a model folder")


def _no_labels(name: str, given: bool) -> None:
    if given:
        raise OptionError(f"{name} has its own labels and task; a label map or task is for checkpoints "
                          "(a folder or hub id)")


__all__ = ["resolve_model", "model_spec", "model_specs", "parse_labels", "HUB_ID"]
