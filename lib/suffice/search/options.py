"""Declared search options: one :class:`Option` per name, with its type, default, range and doc.

Every strategy module declares ``OPTIONS: tuple[Option, ...]`` (its own options); :data:`COMMON`
holds the options every strategy accepts.  :func:`validate` is the one place where option values
are checked (an unknown name or a bad value raises :class:`~suffice.errors.OptionError` with a
one-line message); :func:`describe` renders the declarations as text (``help(suffice.explain)``,
:func:`suffice.search.describe_options` and the CLI's ``--help`` show it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from ..errors import OptionError
from ..fills import FILLS, ZERO

_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str"}


@dataclass(frozen=True)
class Option:
    """One option: ``name``, value ``type`` (bool, int, float or str), ``default`` and a one-line ``doc``.

    ``min``/``max``: inclusive bounds of a number; ``choices``: the allowed values of a string;
    ``none_ok``: ``None`` is a valid value (its meaning is said in ``doc``); ``check``: an extra test,
    returning an error message or None.
    """

    name: str
    type: type
    default: Any
    doc: str
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    none_ok: bool = False
    check: Callable[[Any], str | None] | None = None

    def convert(self, value: Any) -> Any:
        """``value`` as this option's type, checked; raises :class:`OptionError`."""
        if value is None and self.none_ok:
            return None
        v = _as_type(self.name, self.type, value)
        if self.choices is not None and v not in self.choices:
            raise OptionError(f"option {self.name!r} must be one of {', '.join(map(repr, self.choices))}, "
                              f"got {value!r}")
        if self.min is not None and v < self.min:
            raise OptionError(f"option {self.name!r} must be >= {_num(self.min)}, got {value!r}")
        if self.max is not None and v > self.max:
            raise OptionError(f"option {self.name!r} must be <= {_num(self.max)}, got {value!r}")
        if self.check is not None:
            msg = self.check(v)
            if msg:
                raise OptionError(f"option {self.name!r}: {msg}, got {value!r}")
        return v

    def describe(self) -> str:
        """``name: type = default  # doc [range]`` on one line."""
        kind = _TYPE_NAMES.get(self.type, getattr(self.type, "__name__", str(self.type)))
        if self.none_ok:
            kind += " | None"
        limits = []
        if self.choices is not None:
            limits.append("one of " + ", ".join(map(repr, self.choices)))
        if self.min is not None and self.max is not None:
            limits.append(f"{_num(self.min)} <= value <= {_num(self.max)}")
        elif self.min is not None:
            limits.append(f">= {_num(self.min)}")
        elif self.max is not None:
            limits.append(f"<= {_num(self.max)}")
        tail = f" ({'; '.join(limits)})" if limits else ""
        return f"{self.name}: {kind} = {self.default!r}  # {self.doc}{tail}"


def _num(v: float) -> str:
    """A bound as written: an int in full, a float in its shortest form."""
    return str(v) if isinstance(v, int) else f"{v:g}"


def _as_type(name: str, kind: type, value: Any) -> Any:
    if kind is bool:
        if not isinstance(value, (bool, np.bool_)):
            raise OptionError(f"option {name!r} must be true or false, got {value!r}")
        return bool(value)
    if kind is int:
        ok = (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))) or (
            isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer())
        if not ok:
            raise OptionError(f"option {name!r} must be an integer, got {value!r}")
        return int(value)
    if kind is float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)) \
                or not math.isfinite(float(value)):
            raise OptionError(f"option {name!r} must be a finite number, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise OptionError(f"option {name!r} must be a string, got {value!r}")
        return value
    return value


#: the seed of :func:`suffice.explain` (a keyword argument, validated like an option)
SEED = Option("seed", int, 0, "random seed of the search (the same seed gives the same result)", min=0,
              max=2**32 - 1)

#: largest ``batch_size``: one model call holds at most this many waveforms (a documented cap)
MAX_BATCH = 65536

#: options every strategy accepts
COMMON: tuple[Option, ...] = (
    Option("batch_size", int, 64, "waveforms per model call; never changes the result", min=1,
           max=MAX_BATCH),
    Option("min_confidence", float, 0.0,
           "δ: a masked signal passes only with p[c] >= δ x the original confidence", min=0.0, max=1.0),
    Option("contrastive", bool, False, "also find a sufficient-and-necessary set (necessary_keep)"),
    Option("complete", bool, False,
           "also find a complete set (its confidence matches the original to 2 d.p.)"),
    Option("resolution_hz", float, None, "search over atoms of this many Hz (contiguous runs of bins), "
           "then refine inside the kept atoms down to refine_to_hz (see suffice.search.resolution); "
           "None: single bins", min=1e-9, none_ok=True),
    Option("robustness", str, "off", "after the search, evaluate the set in float64, as 24- and 16-bit PCM and "
           "with -80 dB noise (4 model calls, counted): 'check' records its margin and whether it is robust, "
           "'repair' also grows a set that is not until it is, then prunes it to 1-minimal under robust acceptance; under a fixed "
           "max_calls only what fits; see suffice.search.robust", choices=("off", "check", "repair")),
    Option("min_margin", float, 0.0, "a masked signal passes only when the target's probability exceeds every "
           "other class's by at least this (0: the plain top-1 test)", min=0.0, max=1.0),
    Option("fill", str, ZERO, "what a removed bin is replaced by (the baseline): 'zero' (silence, the paper's), "
           "'smoothed-magnitude' (the clip's long-term magnitude spectrum, random phase), 'envelope-noise' "
           "(Gaussian noise with the clip's spectral envelope) or 'level-noise' (white noise at the clip's "
           "level); see suffice.fills", choices=FILLS),
    Option("fill_seed", int, 0, "seed of a non-silent fill's random phase and noise (the same for every model "
           "and batch size)", min=0),
    Option("refine_to_hz", float, None, "finest width the coarse-to-fine search refines to (None: single "
           "bins; equal to resolution_hz: no refinement)", min=1e-9, none_ok=True),
)


def validate(declared: Iterable[Option], given: dict[str, Any], *, owner: str) -> dict[str, Any]:
    """Defaults of ``declared`` overlaid by ``given``, each value converted and checked.

    ``owner``: who declares them, as a message names it (``"strategy 'rex'"``, ``"the flip search"``).
    Unknown names raise :class:`OptionError` listing the valid ones.
    """
    table = {o.name: o for o in declared}
    unknown = sorted(set(given) - set(table))
    if unknown:
        raise OptionError(f"unknown option(s) {unknown} for {owner}; valid options: "
                          f"{', '.join(sorted(table))}")
    out = {name: o.default for name, o in table.items()}
    for k, v in given.items():
        out[k] = table[k].convert(v)
    return out


def describe(declared: Iterable[Option], title: str = "") -> str:
    """One line per option (see :meth:`Option.describe`), under ``title`` when given."""
    lines = [title] if title else []
    lines += ["  " + o.describe() for o in declared]
    return "\n".join(lines)
