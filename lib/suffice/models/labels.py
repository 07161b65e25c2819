"""Label harmonisation: every model says how each of its raw labels maps onto its task's canonical labels.

A :class:`LabelMap` is built from a model's raw labels (in output order) and a mapping raw label ->
canonical label, or ``None`` for a raw label that deliberately maps to nothing.  Rules:

* every raw label must be accounted for: either in the mapping (possibly ``None``) or, for zero-shot
  taggers with hundreds of classes, by passing ``unmapped="drop"`` explicitly -- never silently;
* a mapping value must be a canonical label of the task;
* a raw label whose *name* is recognisably a canonical label (``"fake"`` is ``spoof``, ``"real"`` is
  ``bonafide``, ``"hip-hop"`` is ``hiphop`` ...) may not be mapped to a different canonical label: this
  makes a polarity mistake (bona fide vs spoof) impossible to make silently;
* labels with no meaning of their own (``LABEL_0``, ``0``, ``class_1``) are never guessed: the caller must
  give an explicit mapping.

Probabilities over raw labels become probabilities over the mapped canonical labels by summing the raw
scores that map to each canonical label and renormalising (:meth:`LabelMap.aggregate`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..errors import OptionError, UnknownNameError
from ..tasks import TASK_LABELS, task_labels

#: recognisable names of canonical labels (normalised: lower case, letters and digits only)
ALIASES: dict[str, dict[str, str]] = {
    "deepfake": {
        "bonafide": "bonafide", "bona": "bonafide", "real": "bonafide", "genuine": "bonafide",
        "human": "bonafide", "authentic": "bonafide", "original": "bonafide", "natural": "bonafide",
        "spoof": "spoof", "spoofed": "spoof", "fake": "spoof", "deepfake": "spoof", "synthetic": "spoof",
        "generated": "spoof", "aigenerated": "spoof", "tts": "spoof", "ai": "spoof", "fakeaudio": "spoof",
        "realaudio": "bonafide",
    },
    "emotion": {
        "neutral": "neutral", "neu": "neutral", "calm": "calm", "happy": "happy", "hap": "happy",
        "happiness": "happy", "joy": "happy", "sad": "sad", "sadness": "sad", "angry": "angry",
        "ang": "angry", "anger": "angry", "fearful": "fearful", "fear": "fearful", "fea": "fearful",
        "disgust": "disgust", "disgusted": "disgust", "dis": "disgust", "surprised": "surprised",
        "surprise": "surprised", "sur": "surprised", "ps": "surprised",
    },
    "genre": {
        "blues": "blues", "classical": "classical", "classic": "classical", "country": "country",
        "disco": "disco", "hiphop": "hiphop", "rap": "hiphop", "jazz": "jazz", "metal": "metal",
        "heavymetal": "metal", "pop": "pop", "reggae": "reggae", "rock": "rock",
    },
}

_GENERIC = re.compile(r"^(label|class|cls|output|logit)?_?\d+$")


def _raw_and_given(raw_labels, mapping) -> tuple[tuple[str, ...], dict]:
    """The model's raw labels (at least one, all distinct) and the label map, whose keys must be among them."""
    raw = tuple(str(r) for r in raw_labels)
    if len(raw) == 0:
        raise OptionError("a model needs at least one raw label")
    if len(set(raw)) != len(raw):
        dup = sorted({r for r in raw if raw.count(r) > 1})
        raise OptionError(f"duplicate raw labels {dup}: the label order cannot be trusted")
    given = dict(mapping or {})
    stray = sorted(set(given) - set(raw))
    if stray:
        raise UnknownNameError(f"label map names raw labels the model does not have: {stray}; "
                               f"the model's labels are {list(raw)}")
    return raw, given


def normalise_name(label: str) -> str:
    """Lower case, letters and digits only: ``"Bona-fide"`` -> ``"bonafide"``."""
    return re.sub(r"[^a-z0-9]", "", str(label).lower())


def recognise(task: str, raw_label: str) -> str | None:
    """The canonical label that ``raw_label`` names unambiguously, or ``None``."""
    task_labels(task)
    key = normalise_name(raw_label)
    return ALIASES.get(task, {}).get(key)


def is_generic(raw_label: str) -> bool:
    """True for labels that carry no meaning (``LABEL_0``, ``1``, ``class_3``)."""
    return bool(_GENERIC.match(str(raw_label).strip().lower()))


@dataclass(frozen=True)
class LabelMap:
    """How one model's raw outputs map onto its task's canonical labels."""

    task: str
    raw_labels: tuple[str, ...]
    mapping: dict[str, str | None]
    #: canonical labels this model can output, in the task's canonical order
    labels: tuple[str, ...] = field(init=False)
    matrix: np.ndarray = field(init=False, repr=False)
    #: the label vocabulary of a task the user defines (None: one of the project's tasks)
    vocabulary: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        canon = self.vocabulary if self.vocabulary is not None else task_labels(self.task)
        used = {v for v in self.mapping.values() if v is not None}
        object.__setattr__(self, "labels", tuple(c for c in canon if c in used))
        m = np.zeros((len(self.raw_labels), len(self.labels)), dtype=np.float64)
        col = {c: j for j, c in enumerate(self.labels)}
        for i, raw in enumerate(self.raw_labels):
            target = self.mapping[raw]
            if target is not None:
                m[i, col[target]] = 1.0
        object.__setattr__(self, "matrix", m)

    @property
    def unmapped(self) -> tuple[str, ...]:
        """Raw labels that map to no canonical label (their scores are dropped before renormalising)."""
        return tuple(r for r in self.raw_labels if self.mapping[r] is None)

    def aggregate(self, raw_scores: np.ndarray) -> np.ndarray:
        """(N, R) non-negative raw scores -> (N, C) probabilities over :attr:`labels`.

        Each canonical label gets the sum of the scores of the raw labels mapped to it; rows are then
        renormalised.  A row with no mass on any mapped label becomes uniform.
        """
        s = np.asarray(raw_scores, dtype=np.float64)
        if s.ndim != 2 or s.shape[1] != len(self.raw_labels):
            raise ValueError(f"expected raw scores of shape (N, {len(self.raw_labels)}), got {s.shape}")
        out = s @ self.matrix
        tot = out.sum(axis=1, keepdims=True)
        uniform = np.full_like(out, 1.0 / max(1, out.shape[1]))
        return np.where(tot > 0, out / np.where(tot > 0, tot, 1.0), uniform)

    def to_dict(self) -> dict:
        """JSON-friendly description (raw label order, mapping, canonical labels)."""
        d = {"task": self.task, "raw_labels": list(self.raw_labels), "mapping": dict(self.mapping),
             "labels": list(self.labels), "unmapped": list(self.unmapped)}
        if self.vocabulary is not None:
            d["vocabulary"] = list(self.vocabulary)
        return d


def build_label_map(task: str, raw_labels: Sequence[str], mapping: Mapping[str, str | None] | None = None,
                    *, unmapped: str = "error") -> LabelMap:
    """Check and build a :class:`LabelMap`.

    ``mapping`` (raw -> canonical or None) may be partial: raw labels absent from it are recognised by
    name (:data:`ALIASES`).  What is still unaccounted for raises :class:`OptionError`, unless
    ``unmapped="drop"`` was passed, which maps it to ``None`` on purpose.
    """
    canon = task_labels(task)
    if unmapped not in ("error", "drop"):
        raise OptionError(f"unmapped must be 'error' or 'drop', got {unmapped!r}")
    raw, given = _raw_and_given(raw_labels, mapping)
    final: dict[str, str | None] = {}
    missing: list[str] = []
    for r in raw:
        named = recognise(task, r)
        if r in given:
            target = given[r]
            if target is not None and target not in canon:
                raise UnknownNameError(f"label_map maps {r!r} to {target!r}, which is not a {task} label; "
                                       f"canonical labels: {', '.join(canon)}")
            if named is not None and target != named:
                raise OptionError(
                    f"label_map maps {r!r} to {target!r}, but the model's own label name says {named!r}: "
                    "refusing a mapping that contradicts the label name (a polarity mistake?). Rename the "
                    "raw labels if the model's config is wrong.")
            final[r] = target
        elif named is not None:
            final[r] = named
        elif unmapped == "drop":
            final[r] = None
        else:
            missing.append(r)
    if missing:
        hint = (" These names carry no meaning (e.g. LABEL_0): their order differs between models "
                "(some deepfake models use 0=fake), so give label_map explicitly."
                if any(is_generic(m) for m in missing) else "")
        raise OptionError(f"cannot map raw labels {missing} of a {task} model onto {list(canon)}.{hint} "
                          "Pass label_map={raw: canonical or None} (on the command line: --labels RAW=CANONICAL,...).")
    if all(v is None for v in final.values()):
        raise OptionError(f"no raw label maps onto a {task} label: the model cannot be compared")
    if task == "deepfake":
        targets = [v for v in final.values() if v is not None]
        if set(targets) != {"bonafide", "spoof"}:
            raise OptionError(f"a deepfake model must map onto both 'bonafide' and 'spoof'; got {final}")
    return LabelMap(task, raw, final)


#: ``labels="as-is"``: keep a checkpoint's own labels (for a task the user defines)
AS_IS = "as-is"
#: the task name of a checkpoint whose labels are kept as they are, when none is given
CUSTOM_TASK = "custom"


def own_label_map(raw_labels: Sequence[str], task: str = CUSTOM_TASK,
                  mapping: Mapping[str, str | None] | None = None) -> LabelMap:
    """A :class:`LabelMap` for a task the user defines: the labels are the checkpoint's own (renamed by
    ``mapping`` where given, ``None`` dropping one); ``task`` must not be one of the project's tasks."""
    if task in TASK_LABELS:
        raise OptionError(f"labels as they are are for a task you define, not {task!r}: map the labels "
                          f"onto the {task} labels ({', '.join(TASK_LABELS[task])}) or name another task")
    raw, given = _raw_and_given(raw_labels, mapping)
    final = {r: (given[r] if r in given else r) for r in raw}
    vocab = tuple(dict.fromkeys(v for v in final.values() if v is not None))
    if not vocab:
        raise OptionError("the label map drops every label: the model cannot be explained")
    return LabelMap(task, raw, final, vocabulary=vocab)


def matching_tasks(raw_labels: Sequence[str], mapping: Mapping[str, str | None] | None = None) -> list[str]:
    """The project's tasks onto which ``raw_labels`` (with ``mapping``) map without an explicit task."""
    out = []
    for task in TASK_LABELS:
        try:
            build_label_map(task, raw_labels, mapping)
        except (OptionError, UnknownNameError):
            continue
        out.append(task)
    return out


def make_label_map(raw_labels: Sequence[str], task: str | None = None,
                   labels: Mapping[str, str | None] | str | None = None, *, unmapped: str = "error") -> LabelMap:
    """The label map of a checkpoint with ``raw_labels``.

    ``labels``: ``None`` (labels that name a canonical label map themselves), a mapping raw -> canonical
    (or ``None`` to drop), or ``"as-is"`` (the checkpoint's labels as they are, for a task you define).
    ``task``: one of the project's tasks (the labels are mapped onto its canonical labels), a task of
    your own (the labels are kept, renamed by ``labels`` where given), or ``None``: the one project task
    the labels fit, else the labels as they are under the task ``"custom"``.
    """
    if isinstance(labels, str):
        if labels != AS_IS:
            raise OptionError(f"labels must be a mapping or {AS_IS!r}, got {labels!r}")
        return own_label_map(raw_labels, task or CUSTOM_TASK)
    if task is not None and task not in TASK_LABELS:
        return own_label_map(raw_labels, task, labels)
    if task is not None:
        return build_label_map(task, raw_labels, labels, unmapped=unmapped)
    fits = matching_tasks(raw_labels, labels)
    if len(fits) == 1:
        return build_label_map(fits[0], raw_labels, labels, unmapped=unmapped)
    if len(fits) > 1:
        raise OptionError(f"the labels {list(raw_labels)} fit the tasks {fits}: name the task")
    if labels:
        raise OptionError(f"the label map {dict(labels)} maps {list(raw_labels)} onto no task's labels "
                          f"({'; '.join(f'{t}: {list(v)}' for t, v in TASK_LABELS.items())}); name the task, "
                          f"or use labels {AS_IS!r} for a task of your own")
    return own_label_map(raw_labels, CUSTOM_TASK)
