"""The transferability chapter's sections: the study's variants, each section's tables and sentences, and
the findings at the top of the chapter.

Each section function returns a :class:`~suffice.book.sections.Section` (what it computed, and what the
chapter shows); :func:`findings` writes the chapter's summary from the sections' values.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import transfer
from ..models.zoo import NOT_IN_DEFAULT_STUDY, names_left_out_of_study
from ..plotting.listening import PICK_RULE, listening_table, pick_listening_clips
from ..study import StudyResult, explanation_sets, run_bins_variant, run_fill_variant, run_params, run_rex_variant
from ..transfer import contrast as like_for_like
from .sections import Section, show

__all__ = ["Section", "show", "Variants", "study_section", "set_sizes", "run_variants", "Rates", "transfer_rates",
           "contrast", "contrast_strata", "chance", "set_overlap", "unit_comparison", "fill_comparison", "Strategies",
           "strategies", "search_chance", "search_glm", "relations", "FlatEarthers", "flat_earthers", "findings",
           "listening"]


def study_section(result: StudyResult, seconds: float, *, models: Sequence[str] | None) -> Section:
    """The sentences under the study (``seconds``: its run time): its size and cost, the zoo models it left
    out (when ``models`` is ``None``, the default study set) and, when any failed, the failures table."""
    p, s = result.params, result.stats
    notes = [f"**{p['task']}**: {len(p['models'])} models, {result.predictions.clip_id.nunique()} clips "
             f"({p['clips_per_class']} per class), {len(result.table)} transfer rows; {s['explained_now']} "
             f"explanations computed now, the rest from the cache; "
             f"{s['model_calls'] + s['model_calls_in_workers']:,} model calls "
             f"in {seconds:.1f} s."]
    left_out = names_left_out_of_study(p["task"], p["profile"]) if models is None else []
    if left_out:
        notes.append(f"Left out of this study: {', '.join(f'`{m}`' for m in left_out)}. {NOT_IN_DEFAULT_STUDY}.")
    if len(result.failures):
        notes += ["**Clips or explanations that failed** (recorded, the others went on):", result.failures]
    return Section(result, notes)


def set_sizes(explained: pd.DataFrame) -> Section:
    """The sufficient-set sizes per source model (:func:`suffice.transfer.set_size_table`), formatted."""
    sizes = transfer.set_size_table(explained)
    return Section(sizes, [sizes.style.format(
        {"median_fraction": "{:.4%}", "median_seconds": "{:.2f}", "median_bins": "{:.0f}", "median_calls": "{:.0f}"},
        na_rep="-")])


@dataclass
class Variants:
    """The study's variants on a subset of its clips (see :func:`run_variants`)."""

    rex: StudyResult | None  #: the paper-like rex strategy (None: ``rex_clips_per_class`` is null)
    delta: StudyResult | None  #: the default strategy with a confidence floor (None: not run for this task)
    bins: StudyResult | None  #: single bins instead of atoms (None: no such variant)
    fill: StudyResult | None  #: a non-silent fill (None: no such variant)
    tables: dict[str, pd.DataFrame]  #: search name -> transfer table, the main study's first
    notes: list[str]  #: each variant's size and time, in the order they ran (bins, fill, rex and delta)


#: what the chapter says where the rex variant did not run
NO_REX = ("No rex variant ran (`rex_clips_per_class` is null), so this run does not compare the paper-like "
          "search with ours; set it (the task's parameter files do) to make the comparison.")


def run_variants(params: Mapping[str, Any], table: pd.DataFrame, *, delta_variant_tasks: Sequence[str],
                 delta_min_confidence: float) -> Variants:
    """Run the variants of the study ``params`` describes (its transfer table: ``table``).

    The rex strategy on ``rex_clips_per_class`` clips per class and ``rex_models`` (none when that is
    null); with it, where the task is in ``delta_variant_tasks``, the default strategy with
    ``min_confidence = delta_min_confidence`` on the rex variant's clips and models (tables to
    ``<output_dir>-delta``); the single-bin and fill variants where their parameters ask for them.
    """
    t0 = time.perf_counter()
    rex = run_rex_variant(params)
    rex_seconds = time.perf_counter() - t0
    tables = {"suffice (ours)": table} if rex is None else {"suffice (ours)": table, "rex (paper-like)": rex.table}
    delta = None
    if rex is not None and params["task"] in delta_variant_tasks:
        t0 = time.perf_counter()
        out = f"{params['output_dir']}-delta" if params["output_dir"] else None
        delta = run_params(params, clips_per_class=params["rex_clips_per_class"], models=rex.params["models"],
                           options={**params["options"], "min_confidence": delta_min_confidence}, output_dir=out)
        tables[f"suffice, min_confidence {delta_min_confidence:g}"] = delta.table
        delta_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    bins = run_bins_variant(params)
    notes = [] if bins is None else [
        f"single-bin variant: {bins.predictions.clip_id.nunique()} clips "
        f"({params['bins_clips_per_class']} per class) in {time.perf_counter() - t0:.1f} s."]
    t0 = time.perf_counter()
    fill = run_fill_variant(params)
    if fill is not None:
        notes.append(f"{params['fill_variant']} fill variant: {fill.predictions.clip_id.nunique()} clips "
                     f"({params['fill_clips_per_class']} per class) in {time.perf_counter() - t0:.1f} s.")
    notes.append(NO_REX if rex is None else
                 f"rex variant: {len(rex.params['models'])} models on {rex.predictions.clip_id.nunique()} clips "
                 f"({params['rex_clips_per_class']} per class) in {rex_seconds:.1f} s"
                 + (f"; delta-sufficient variant in {delta_seconds:.1f} s." if delta else "."))
    return Variants(rex, delta, bins, fill, tables, notes)


@dataclass
class Rates:
    """The transfer summaries over all clips and over the clips where the judge agrees on the original."""

    all: transfer.TransferSummary
    agree: transfer.TransferSummary


def transfer_rates(table: pd.DataFrame, *, criterion: str, delta: float, n_boot: int, seed: int,
                   models: Sequence[str]) -> Section:
    """The transfer matrix and rates (:func:`suffice.transfer.summarise`) over all clips and over the agree
    clips, and the task's rate under each (value: :class:`Rates`)."""
    summary, agree = (transfer.summarise(table, criterion=criterion, delta=delta, condition=c, n_boot=n_boot,
                                         seed=seed, models=models) for c in ("all", "agree"))
    rates = pd.DataFrame([{"conditioning": "all clips", **summary.task},
                          {"conditioning": "clips where g(x) = f(x)", **agree.task}])
    return Section(Rates(summary, agree), [rates.round(3)])


def contrast(table: pd.DataFrame, *, n_boot: int, seed: int) -> Section:
    """Observed transfer against the like-for-like references (:func:`suffice.transfer.contrast.contrast_table`):
    its sentence and its all-strata table, or why the study's table has no references."""
    try:
        like = like_for_like.contrast_table(table, n_boot=n_boot, seed=seed)
    except transfer.TableError as exc:
        return Section(None, [f"No chance references: {exc}."])
    return Section(like, [like_for_like.contrast_sentence(like),
                          like[like.stratum == "all"].drop(columns="stratum").set_index("measure").round(3)])


def contrast_strata(like: pd.DataFrame | None) -> Section:
    """The contrasts of :func:`contrast` per silence stratum: their sentence and table (none without references)."""
    if like is None:
        return Section()
    return Section(like, [like_for_like.strata_sentence(like),
                          like[like.stratum != "all"].set_index(["stratum", "measure"]).round(3)])


def chance(table: pd.DataFrame, *, n_boot: int, seed: int, models: Sequence[str]) -> Section:
    """The size-matched chance baselines (:func:`suffice.transfer.chance_baselines`): task, per model (observed,
    null and excess of each role) and per class of the source's decision."""
    try:
        ch = transfer.chance_baselines(table, n_boot=n_boot, seed=seed, models=models)
    except transfer.TableError as exc:
        return Section(None, [f"No chance baselines: {exc}."])
    per_model = (ch.per_model[ch.per_model.measure.isin(["observed", "null", "excess"])]
                 .pivot_table(index=["model", "role"], columns="measure", values="rate", sort=False).round(3))
    return Section(ch, [ch.task.round(3), "Per model, out-rate and in-rate: observed, null and excess.", per_model,
                        "Per class of the source's decision c = f(x):", ch.per_class.round(3)])


def set_overlap(result: StudyResult) -> Section:
    """Overlap of producer and judge sets (:func:`suffice.transfer.set_overlap`) over all rows and the agree
    rows: its sentence, acceptance by overlap band, the overlap regression and each set against the loudest
    atoms, per producer."""
    try:
        sets = explanation_sets(result)
        overlap = {c: transfer.set_overlap(result.table, sets, condition=c) for c in ("all", "agree")}
    except transfer.TableError as exc:
        return Section(None, [f"No set overlap: {exc}."])
    return Section(overlap, [
        transfer.overlap_sentence(overlap["all"], overlap["agree"]),
        pd.concat({c: o.bands.set_index("band") for c, o in overlap.items()}, names=["rows"]).round(3),
        pd.concat({c: o.glm.set_index("term")[["odds_ratio", "or_lo", "or_hi", "p"]] for c, o in overlap.items()},
                  names=["rows"]).round(3),
        overlap["all"].loudest.groupby("model")[["atoms", "jaccard_loudest", "is_loudest"]].mean().round(3)])


def unit_comparison(table: pd.DataFrame, bins: StudyResult | None, *, n_boot: int, seed: int) -> Section:
    """The study's 32 Hz atoms against single bins on the single-bin variant's clips (its headlines)."""
    if bins is None:
        return Section(None, ["No single-bin variant in this run (`bins_clips_per_class` is None)."])
    by_unit = transfer.compare_headlines({"32 Hz atoms (the study)": table, "single bins": bins.table},
                                         n_boot=n_boot, seed=seed)
    return Section(by_unit, [transfer.headline_display(by_unit)])


def fill_comparison(table: pd.DataFrame, fill: StudyResult | None, fill_variant: str, *, n_boot: int, seed: int,
                    alpha: float) -> Section:
    """The zero fill against ``fill_variant`` on the fill variant's clips and models: table and sentence."""
    if fill is None:
        return Section(None, ["No fill variant in this run (`fill_clips_per_class` is None)."])
    by_fill = transfer.compare_fills({"zero": table, fill_variant: fill.table}, n_boot=n_boot, seed=seed,
                                     alpha=alpha)
    return Section(by_fill, [transfer.fill_display(by_fill), transfer.fill_sentence(by_fill)])


@dataclass
class Strategies:
    """The searches compared on the clips and models every search explained."""

    tables: dict[str, pd.DataFrame]  #: search name -> its transfer rows on the common clips and models
    models: list[str]  #: the common models, in the study's order
    difference: dict  #: rex minus ours (:func:`suffice.transfer.strategy_difference`)


def strategies(variants: Variants, models: Sequence[str], *, n_boot: int, seed: int) -> Section:
    """Every search on the same clips and models: their rates side by side, and rex minus ours with its
    paired clip-bootstrap interval (value: :class:`Strategies`; None without a rex variant)."""
    if variants.rex is None:
        return Section(None, [NO_REX])
    same = transfer.same_clips(variants.tables)
    same_models = [m for m in models if m in variants.rex.params["models"]]
    rates = transfer.compare_strategies(same, n_boot=n_boot, seed=seed, models=same_models).round(4)
    diff = transfer.strategy_difference(same["rex (paper-like)"], same["suffice (ours)"], n_boot=n_boot, seed=seed,
                                        models=same_models)
    return Section(Strategies(same, same_models, diff), [
        rates, f"rex minus ours on the same {diff['n_clips']} clips: **{diff['difference']:+.1%}** "
               f"(95% CI {diff['lo']:+.1%} to {diff['hi']:+.1%}; {diff['method']})."])


def search_chance(same: Strategies | None, *, n_boot: int, seed: int) -> Section:
    """Observed, null and excess transfer per search on the common clips (searches without chance references
    are left out; nothing shown when none has them, or without a comparison: ``same`` None)."""
    if same is None:
        return Section()
    rows = []
    for name, t in same.tables.items():
        try:
            ch = transfer.chance_baselines(t, n_boot=n_boot, seed=seed, models=same.models).task
        except transfer.TableError:
            continue
        rows += [{"search": name, **r} for r in ch.to_dict("records") if r["measure"] in ("observed", "null", "excess")]
    if not rows:
        return Section()
    table = pd.DataFrame(rows).round(3)
    return Section(table, ["Observed, null and excess transfer per search, on the same clips:", table])


def search_glm(same: Strategies | None) -> Section:
    """The set-size and margin terms of :func:`suffice.transfer.set_size_glm` per search (a search whose fit
    fails shows why; nothing without a comparison: ``same`` None)."""
    if same is None:
        return Section()
    shown, fits = [], []
    for name, t in same.tables.items():
        try:
            g = transfer.set_size_glm(t)
        except transfer.TableError as exc:
            shown.append(f"{name}: {exc}")
            continue
        fits.append(g[g.term.isin(["log_fraction", "own_prob"])].assign(search=name, degenerate=g.attrs["degenerate"]))
    if not fits:
        return Section(None, shown)
    table = pd.concat(fits)[["search", "term", "odds_ratio", "or_lo", "or_hi", "p", "degenerate"]].round(3)
    return Section(table, shown + [table])


def relations(result: StudyResult, *, fit: bool, criterion: str, delta: float, seed: int) -> Section:
    """The social relations model of the study's table (:func:`suffice.transfer.social_relations`, cached with
    the study) and its sentence, or a note that the fit is off (``fit`` false)."""
    if not fit:
        return Section(None, ["The social relations fit is off in this run (parameter `fit_relations`)."])
    fitted = transfer.social_relations(result.table, criterion=criterion, delta=delta, seed=seed,
                                       models=result.params["models"], cache=result.cache())
    return Section(fitted, [fitted.round(3), transfer.describe_relations(fitted)])


@dataclass
class FlatEarthers:
    """The models' rates with the chance-adjusted test's flag, and the flagged models."""

    models: pd.DataFrame  #: :func:`suffice.transfer.model_table` with the test's ``flat_earther`` column
    flagged: list[str]  #: the flagged models, in the test table's order


def flat_earthers(result: StudyResult, *, criterion: str, delta: float, alpha: float, n_boot: int,
                  seed: int) -> Section:
    """The models' raw rates (:func:`suffice.transfer.model_table`) beside the chance-adjusted flat-earther
    test (:func:`suffice.transfer.adjusted_flat_earthers`) and its sentence (value: :class:`FlatEarthers`)."""
    opts = dict(criterion=criterion, delta=delta, alpha=alpha, n_boot=n_boot, seed=seed, models=result.params["models"])
    models_table = transfer.model_table(result.table, result.predictions, **opts)
    adjusted = transfer.adjusted_flat_earthers(result.table, **opts)
    cols = ["model", "out_or", "out_or_lo", "out_or_hi", "out_p_holm", "out_flag_raw", "out_mechanism",
            "in_or", "in_or_lo", "in_or_hi", "in_p_holm", "in_flag_raw", "in_mechanism", "flat_earther"]
    joined = models_table[["model", "accuracy", "macro_precision", "out_rate", "in_rate"]].merge(
        adjusted[cols], on="model").round(3)
    flag = models_table["model"].map(adjusted.set_index("model")["flat_earther"])
    flagged = adjusted.loc[adjusted["flat_earther"], "model"].tolist()
    return Section(FlatEarthers(models_table.assign(flat_earther=flag), flagged),
                   [joined, transfer.describe_flags(adjusted)])


def findings(result: StudyResult, *, rates: Section, like: Section, by_unit: Section, relations: Section,
             overlap: Section, by_fill: Section, same: Section, flags: Section, alpha: float) -> str:
    """The chapter's findings, one Markdown bullet per section, from the sections' values."""
    p, explained = result.params, result.explanations
    t, agree, lf, bu = rates.value.all.task, rates.value.agree, like.value, by_unit.value
    diff = None if same.value is None else same.value.difference
    flagged = flags.value.flagged
    found = explained["found"]
    lines = [
        f"- Over {result.predictions.clip_id.nunique()} {p['task']} clips and {len(p['models'])} models, a sufficient "
        f"signal transferred to another model **{t['rate']:.1%}** of the time (95% CI {t['lo']:.1%} to "
        f"{t['hi']:.1%}); among clips where both models agreed on the original, {agree.task['rate']:.1%}.",
        *(["- " + like_for_like.contrast_sentence(lf), "- " + like_for_like.strata_sentence(lf)] if lf is not None
          else ["- This study's table has no chance references."]),
        *([f"- On the {int(bu['n_clips'].iloc[0])} clips also explained at single bins, transfer "
           f"{bu['rate'].iloc[0]:.1%} over 32 Hz atoms and {bu['rate'].iloc[1]:.1%} over bins; observed minus "
           f"the loudest reference {100 * bu['loudest'].iloc[0]:+.1f} and {100 * bu['loudest'].iloc[1]:+.1f} pp; "
           f"median calls {bu['median_calls'].iloc[0]:.0f} and {bu['median_calls'].iloc[1]:.0f}."]
          if bu is not None else []),
        *(["- Social relations model: " + transfer.describe_relations(relations.value)]
          if relations.value is not None else []),
        *(["- " + transfer.overlap_sentence(overlap.value["all"], overlap.value["agree"])]
          if overlap.value is not None else []),
        *(["- Does the fill change the conclusion? " + transfer.fill_sentence(by_fill.value)]
          if by_fill.value is not None else []),
        f"- On the {diff['n_clips']} clips both searches explained, rex's transfer rate minus ours: "
        f"{100 * diff['difference']:+.1f} percentage points (95% CI {100 * diff['lo']:+.1f} to "
        f"{100 * diff['hi']:+.1f}; {diff['method']})." if diff is not None else "- " + NO_REX,
        f"- Explanations: {int(found.sum())} of {len(explained)} found a sufficient set short of "
        f"the whole spectrum, keeping a median {explained.loc[explained.found, 'fraction'].median():.3%} of "
        f"the bins." if found.any() else "- No explanation found a set short of the whole spectrum.",
        f"- {int((explained.set_size == 0).sum())} explanations were empty sets (the model gives that class "
        "to silence).",
        "- Flat-earthers flagged: " + (", ".join(f"`{m}`" for m in flagged) if flagged else "none") +
        f" (chance-adjusted leave-one-out test, odds ratio below {transfer.MIN_ODDS_RATIO} and Holm-corrected "
        f"α = {alpha} on every view).",
        f"- Robustness: sets grown to keep their class when saved and played back: "
        f"{result.stats.get('repaired', 0)} of {int(found.sum())}; sets no repair made robust: "
        f"{result.stats.get('not_robust', 0)} (counted apart above).",
        "- The paper's findings and ours are set side by side in the paper-comparison chapter; our corpora and "
        "models are offline stand-ins for the paper's.",
    ]
    return "\n".join(lines)


def listening(result: StudyResult, *, per_class: int, seed: int) -> Section:
    """The listening examples: ``per_class`` clips per true class picked by
    :data:`suffice.plotting.listening.PICK_RULE` (the rule, then the players' table); nothing when
    ``per_class`` is 0 or no explanation kept a non-empty set."""
    explained = result.explanations
    if not (per_class > 0 and (explained["found"] & (explained["set_size"] > 0)).any()):
        return Section()
    picked = pick_listening_clips(explained, result.predictions, per_class=per_class, seed=seed)
    return Section(picked, [PICK_RULE, listening_table(result, result.table, picked, name=result.params["task"])])
