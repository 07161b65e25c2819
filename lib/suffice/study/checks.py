"""The checks of a study's scalar parameters that :func:`suffice.study.run.run` and the parameter sets
(:mod:`suffice.study.params`) share: one rule per parameter, each raising a one-line error."""
from __future__ import annotations

import math

import numpy as np

from ..errors import OptionError
from ..tasks import TASKS, task_labels

#: upper bound of ``null_random_n``: beyond this the draws cost more model calls than the search saves
#: in precision (the share's standard error is already below 0.05 at 100 draws)
MAX_NULL_DRAWS = 100


def check_task(task) -> str:
    """``task`` when it names a task; :class:`OptionError` (not a string) or UnknownNameError (unknown)."""
    if not isinstance(task, str):
        raise OptionError(f"task must be a task name, one of {', '.join(TASKS)}, got {short(repr(task))}")
    task_labels(task)
    return task


def check_clip_seconds(value) -> float | None:
    """``max_clip_seconds``: None (any length) or a positive number of seconds."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                              or not math.isfinite(value) or value <= 0):
        raise OptionError(f"max_clip_seconds must be a positive number of seconds or null (any length), "
                          f"got {short(repr(value))}")
    return value


def short(x: object, n: int = 300) -> str:
    """``str(x)``, cut to ``n`` characters with the length said."""
    s = str(x)
    return s if len(s) <= n else s[:n] + f"... ({len(s)} characters)"


def check_timeout(value) -> float | None:
    """``model_timeout_s``: None or 0 (no limit) or a positive number of seconds."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value < 0:
        raise OptionError(f"model_timeout_s must be a number of seconds >= 0 (0 or null: no limit), got {value!r}")
    return float(value) or None


def check_null_draws(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value <= MAX_NULL_DRAWS:
        raise OptionError(f"null_random_n must be an integer in [0, {MAX_NULL_DRAWS}] (random keep-sets per "
                          f"explanation; beyond {MAX_NULL_DRAWS} the extra model calls buy no precision that "
                          f"matters), got {value!r}")
    return int(value)
