"""The data chapter's table of the model zoo: one row per model of every task, from its model card."""
from __future__ import annotations

import pandas as pd

from ..tasks import TASKS
from .loading import card
from .zoo import names


def zoo_table(profile: str) -> pd.DataFrame:
    """One row per model of each task's zoo under ``profile``: its code, kind, architecture, trained
    parameters, test accuracy, macro F1 and chance, training seconds, ms per clip and description."""
    rows = []
    for task in TASKS:
        for name in names(task, profile=profile):
            c = card(name, profile)
            test = c.get("test") or {}
            rows.append({"model": name, "code": c.get("code"), "kind": c.get("kind"),
                         "architecture": c.get("architecture"), "trained parameters": c.get("parameters_trained"),
                         "test accuracy": test.get("accuracy"), "macro F1": test.get("macro_f1"),
                         "chance": test.get("chance"), "training s": c.get("training_seconds"),
                         "ms/clip": c.get("ms_per_clip_batch32"), "description": c.get("description")})
    return pd.DataFrame(rows)


def weak_models(zoo: pd.DataFrame) -> str:
    """Markdown: the models of :func:`zoo_table` whose test accuracy is below twice chance, or none."""
    weak = zoo[zoo["test accuracy"] < 2 * zoo["chance"]]
    return ("Models not clearly better than chance (accuracy below twice chance): " +
            (", ".join(f"`{m}`" for m in weak.model) if len(weak) else "none") + ".")
