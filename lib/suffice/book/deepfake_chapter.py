"""The deepfake information chapter's sections: its two studies, the counts and tables of each analysis
(:mod:`suffice.deepfake_info`), the non-silent fill, and the conclusion computed from them.

Each function returns a :class:`~suffice.book.sections.Section`: what it computed, and what the chapter
shows.  An *analysis* is one value of :func:`suffice.deepfake_info.analyse_studies`, keyed
``(strategy, obj)``.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import deepfake_info as di
from ..study import StudyResult, load_params, run_fill_variant, run_params, run_rex_variant
from .sections import Section, show

__all__ = ["Studies", "studies", "analyses", "empty_sets", "medians", "fill_section", "conclusion", "effects",
           "interactions", "across", "show"]

Analyses = Mapping[tuple[str, str], dict[str, Any]]


@dataclass
class Studies:
    """The deepfake study's parameters (``output_dir`` off) and its runs per strategy."""

    params: dict[str, Any]  #: the study file's parameters
    runs: dict[str, StudyResult]  #: ``"suffice"`` (the default strategy) and, where the file has it, ``"rex"``


def studies(study_params: str | os.PathLike, *, rex_clips_per_class: int | None) -> Section:
    """The deepfake chapter's study (read from its cache) and its rex variant on ``rex_clips_per_class`` clips
    per class (``None``: the study file's), with a table of each run's size (value: :class:`Studies`)."""
    base = load_params(study_params)
    base["output_dir"] = None
    runs = {"suffice": run_params(base, progress=False)}
    rex = run_rex_variant(base, progress=False, **({} if rex_clips_per_class is None
                                                    else {"rex_clips_per_class": rex_clips_per_class}))
    shown: list = []
    if rex is not None:
        runs["rex"] = rex
    else:
        shown.append("**No rex run**: the study file has no `rex_clips_per_class` and none was given, so "
                     "the strategy comparison below is missing.")
    sizes = pd.DataFrame([{"strategy": name, "detectors": len(res.params["models"]),
                           "clips": res.explanations.clip_id.nunique(), "explanations": len(res.explanations),
                           "found": int(res.explanations.found.sum()), "computed now": res.stats.get("explained_now")}
                          for name, res in runs.items()]).set_index("strategy")
    return Section(Studies(base, runs), shown + [sizes])


def analyses(runs: Mapping[str, StudyResult], **options: Any) -> Section:
    """:func:`suffice.deepfake_info.analyse_studies` of every run (``options``: its keyword arguments), and a
    sentence per set it could not analyse."""
    done, missing = di.analyse_studies(dict(runs), **options)
    return Section(done, [f"**No {obj} sets for `{name}`**: {why}." for (name, obj), why in missing.items()])


def empty_sets(analyses: Analyses) -> Section:
    """Per strategy and kind of set: explanations, empty, not found, budget-unfound and budget-cut sets per
    detector and explained class, and their totals in a sentence."""
    shown: list = []
    for (name, obj), a in analyses.items():
        counts = a["empty"]["source_pred"]
        shown += [f"**{name}, {obj} sets**, by explained class",
                  counts.pivot(index="model", columns="source_pred",
                               values=["explanations", "empty", "not_found", "cut_none", "budget_cut"])]
        t = counts.sum(numeric_only=True)
        shown.append(f"In all: {int(t['budget_cut'])} of {int(t['explanations'])} {obj} sets are budget-cut "
                     f"(found, not pruned to the end), {int(t['cut_none'])} left unfound by the budget, "
                     f"{int(t['not_found'])} not found.")
    return Section(None, shown)


def medians(analyses: Analyses) -> Section:
    """Median descriptors and set size per kind of signal and explained class, per kind of set, of the default
    strategy; raises ``RuntimeError`` when it found no sufficient set (value: the sufficient sets' analysis)."""
    main = analyses[("suffice", "sufficient")]
    if main["table"] is None:
        raise RuntimeError("no explanation of the deepfake study found a sufficient set: nothing to analyse")
    shown: list = []
    for (name, obj), a in analyses.items():
        if name == "suffice" and a["table"] is not None:
            shown += [f"**{obj} sets**",
                      a["table"].groupby(["kind", "source_pred"])[list(di.FEATURES) + ["size"]].median().round(3)]
    return Section(main, shown)


def _separation(analyses: Mapping[str, dict[str, Any]], kind: str, alpha: float, **labels: str) -> list[str]:
    """:func:`suffice.deepfake_info.separation_lines` of the first descriptor's interaction on ``kind``, one
    entry per analysis (``labels``: its ``obj`` or ``change``)."""
    key = (kind, di.FEATURES[0])
    return di.separation_lines(
        {n: di.separating(a.get("interaction", {}).get(key), alpha) for n, a in analyses.items()},
        value=di.FEATURES[0], reasons={n: a["why_not"].get(key, "") for n, a in analyses.items()},
        bounds={n: di.class_difference_bound(a.get("interaction", {}).get(key)) for n, a in analyses.items()},
        **labels)


def fill_section(studies: Studies, main: dict[str, Any], **options: Any) -> Section:
    """The study file's fill variant against the zero fill: per fill its size and counts, then the conclusion
    on its sufficient sets (the variant's tests a family of their own).  ``main``: the zero fill's
    sufficient-set analysis; ``options``: :func:`suffice.deepfake_info.analyse`'s keyword arguments, with
    ``alpha`` for the tests' level."""
    filled = run_fill_variant(studies.params, progress=False)
    if filled is None:
        return Section(None, ["**No fill variant**: the study file has no `fill_clips_per_class`."])
    alpha = options.pop("alpha")
    fill_name = studies.params["fill_variant"]
    runs = {"zero": studies.runs["suffice"], fill_name: filled}
    by_fill = {"zero": main, fill_name: di.analyse(filled, ci=1 - alpha, **options)}
    di.adjust_chapter({(fill_name, "sufficient"): by_fill[fill_name]})  # this section's tests: a family of their own
    shown: list = []
    for name, a in by_fill.items():
        gone = di.all_empty(a["empty"]["source_pred"])
        shown += [f"**{name} fill**: {runs[name].explanations.clip_id.nunique()} clips, "
                  f"{len(runs[name].params['models'])} detectors, {a['n_found']} non-empty sufficient sets; "
                  "classes whose every set is empty (the detector gives them the floor): "
                  + (", ".join(f"`{m}` {c}" for m, c in gone) or "none") + "; by explained class:",
                  a["empty"]["source_pred"].groupby("source_pred")[["explanations", "empty", "not_found"]].sum()]
    lines = []
    for value in di.FEATURES:
        if by_fill[fill_name]["table"] is not None:
            lines += di.conclusion(by_fill[fill_name]["effects"]["source_pred"],
                                   by_fill[fill_name]["interaction"][("sufficient - topmag", value)],
                                   value=value, alpha=alpha, label="interaction on sufficient - topmag")
    lines += [""] + _separation(by_fill, "sufficient - topmag", alpha, change="fill")
    return Section(by_fill, shown + ["\n".join(lines)])


def conclusion(analyses: Analyses, *, alpha: float) -> Section:
    """The chapter's conclusion: per strategy and kind of set, what the tests say per descriptor and what was
    left out, then per kind of set which strategies separate the detectors (one Markdown text)."""
    lines = []
    for (name, obj), a in analyses.items():
        lines.append(f"**Strategy `{name}`, {obj} sets** ({a['n_found']} non-empty sets):")
        if a["table"] is not None:
            for value in di.FEATURES:
                lines += di.conclusion(a["effects"]["source_pred"], a["interaction"][(f"{obj} - topmag", value)],
                                       value=value, alpha=alpha, label=f"interaction on {obj} - topmag", obj=obj)
        e = a["empty"]["source_pred"].groupby("source_pred")[["explanations", "empty", "not_found"]].sum()
        lines.append("- Left out (no signal to describe): " + ", ".join(
            f"{g}: {int(r['empty'])} empty and {int(r['not_found'])} not found of {int(r['explanations'])}"
            for g, r in e.iterrows()) + ".")
    for obj in di.OBJECTS:
        mine = {name: a for (name, o), a in analyses.items() if o == obj}
        if mine:
            lines += [""] + _separation(mine, f"{obj} - topmag", alpha, obj=obj)
    return Section(lines, ["\n".join(lines)])


def effects(analyses: Analyses) -> Section:
    """The spoof-minus-bona-fide effects per strategy, kind of set and grouping (explained class, true label),
    the kinds that could not be estimated named in the heading."""
    show_cols = ["kind", "value", "n", "n_clusters", "beta", "lo", "hi", "p", "p_holm", "dropped"]
    shown: list = []
    for (name, obj), a in analyses.items():
        if a["table"] is None:
            shown.append(f"**{name}, {obj} sets**: no signal to describe.")
            continue
        for group, label in (("source_pred", "explained class"), ("true_label", "true label")):
            eff = a["effects"][group]
            finite = np.isfinite(eff["beta"])
            gone = sorted(set(eff.loc[~finite, "kind"]))
            shown.append(f"**{name}, {obj} sets**, grouped by {label}"
                         + (f"; not estimable: {', '.join(f'`{k}`' for k in gone)}" if gone else ""))
            if finite.any():
                shown.append(eff[finite][show_cols].round(4))
    return Section(None, shown)


def interactions(analyses: Analyses) -> Section:
    """The class x detector interaction tests, one row per strategy, kind and descriptor (a blank beta: the
    detector was not in that run's test), and a list of those that could not be estimated, with why."""
    rows, not_estimable = [], []
    for (name, obj), a in analyses.items():
        for (kind, value), res in a.get("interaction", {}).items():
            if res is None:
                not_estimable.append(f"- `{name}`, {kind}, {value}: {a['why_not'].get((kind, value), '')}")
                continue
            rows.append({"strategy": name, "kind": kind, "value": value, "F": res.attrs["F"],
                         "df": f"({res.attrs['df_num']}, {res.attrs['df_den']})",
                         "p_interaction": res.attrs["p_interaction"], "p_F": res.attrs["p_interaction_f"],
                         "p_method": res.attrs["p_method"], "dropped": res.attrs["dropped"],
                         **{f"beta[{r.model}]": r.beta for r in res.itertuples()}})
    table = pd.DataFrame(rows).round(4).astype(object).fillna("") if rows else None
    return Section(table, ([table] if rows else [])
                   + (["Not estimable:\n" + "\n".join(not_estimable)] if not_estimable else []))


def across(analyses: Analyses) -> Section:
    """Friedman's blocked test across detectors per strategy, kind of set and descriptor: a sentence with its
    statistics and each detector's mean-rank table (or why there is none)."""
    shown: list = []
    for (name, obj), a in analyses.items():
        for value, res in a.get("across", {}).items():
            if res is None:
                shown.append(f"**{name}, {obj} sets**, {value}: fewer than 2 complete clips, no blocked test.")
                continue
            shown += [f"**{name}, {obj} sets**, {value}: Friedman chi2 = {res.attrs['chi2']:.2f} on "
                      f"{res.attrs['df']} df, p = {res.attrs['p']:.3g}, {res.attrs['n_blocks']} clips, "
                      f"Kendall's W = {res.attrs['kendall_w']:.2f}", res.round(3)]
    return Section(None, shown)
