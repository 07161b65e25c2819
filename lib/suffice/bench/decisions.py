"""The search's design decisions, each beside its alternatives and the benchmark methods that compare them.

:data:`DECISIONS` lists every choice of the default search that an alternative could replace: where it is
set (an option of :func:`suffice.explain` or a module constant, whose value is read from the code, never
typed here), the alternatives, and for each alternative the benchmark method (a name in ``results.csv``,
see :mod:`suffice.bench.methods`) that runs it, or None when the benchmark has no method for it.
:func:`decision_table` reads the numbers from a benchmark's ``results.csv``: per alternative, the default
and the alternative on the cases where both ran.  An alternative whose method is None, or absent from the
results, is reported as not measured, with no number.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .methods import ALL_METHODS, RESOLUTION_METHODS
from .report import answered, flag_values, known_share

#: the words for an alternative the benchmark does not compare (in place of its numbers)
NOT_MEASURED = "not measured by the benchmark"
#: the words for an alternative whose method the benchmark has but that did not run in these results
NOT_RUN = "not run in these results"


@dataclass(frozen=True)
class Alternative:
    """One alternative to a decision: what it is (``label``) and the benchmark method that runs it
    (``method``, a name in ``results.csv``: a method of :mod:`suffice.bench.methods`; None: no runner
    exists)."""

    label: str
    method: str | None = None


@dataclass(frozen=True)
class Decision:
    """A design decision of the search.

    ``name``: what is decided; ``settings``: where it is set (:func:`current_value`), whose current values
    :meth:`setting` reads; ``default_method``: the benchmark method that runs the decision as made;
    ``alternatives``: what could replace it.
    """

    name: str
    settings: tuple[str, ...]
    alternatives: tuple[Alternative, ...]
    default_method: str = "suffice"

    def setting(self) -> str:
        """``name = value`` for each setting, values read from the code now."""
        return "; ".join(f"{setting_name(s)} = {current_value(s)!r}" for s in self.settings)


def setting_name(setting: str) -> str:
    """The name a reader looks up: the constant, the key of a constant mapping, or the option."""
    return setting.rsplit(":", 1)[-1].rsplit("/", 1)[-1].split("@")[0]


def current_value(setting: str) -> Any:
    """The value of ``setting`` in the code now: ``"module:NAME"`` is the module's constant,
    ``"module:NAME/key"`` one key of a constant mapping, ``"option"`` an option's default in the default
    strategy and ``"option@strategy"`` in ``strategy`` (:func:`suffice.search.strategy_defaults`)."""
    if ":" in setting:
        module, name = setting.split(":")
        name, _, key = name.partition("/")
        value = getattr(importlib.import_module(module), name)
        return value[key] if key else value
    from ..search import DEFAULT_STRATEGY, strategy_defaults
    option, _, strategy = setting.partition("@")
    return strategy_defaults(strategy or DEFAULT_STRATEGY)[option]


_SUFFICE = "suffice.search.strategies.suffice"
_PRIOR = "suffice.search.strategies.suffice_steps.prior"
_VERIFY = "suffice.search.strategies.suffice_steps.verify"
_RES_DEFAULT, _RES_COARSE = list(RESOLUTION_METHODS)  # the studies' atom width, and twice it

#: the decisions, in the order the search meets them
DECISIONS: tuple[Decision, ...] = (
    Decision("the default strategy", ("suffice.search.explain:DEFAULT_STRATEGY",), (
        Alternative("ReX, the real package (our models, exact masking)", "rex-xai"),
        Alternative("ReX's search re-implemented (`strategy='rex'`)", "rex"),
        Alternative("loudest bins first, no causal reasoning (`strategy='magnitude'`)", "magnitude"),
        Alternative("bins ranked by band occlusion (`strategy='occlusion'`)", "occlusion"))),
    Decision("the prior: the first prefix is of the magnitude ranking", ("prior",), (
        Alternative("no prior: start from all bins (`prior='none'`)", "suffice-prior-none"),)),
    Decision("band rankings in the prior when the magnitude prefix is long",
             ("band_priors", f"{_PRIOR}:BAND_RANKINGS", f"{_PRIOR}:BAND_MIN"), (
        Alternative("the magnitude prefix only (`band_priors=False`)", "suffice-no-bands"),
        Alternative("other band rankings or another length to try them from", None))),
    Decision("the prior's bisection stops within a share of the passing length", (f"{_PRIOR}:PRIOR_TOL",), (
        Alternative("bisect to the exact passing length, or stop earlier", None),)),
    Decision("the loudest bins of the first set are tested alone first", (f"{_SUFFICE}:LOUD_FIRST",), (
        Alternative("no bin, or more bins, tested alone first", None),)),
    Decision("chained acceptance of removals", ("chain",), (
        Alternative("no chain (`chain=False`)", "suffice-no-chain"),)),
    Decision("blocks tested whole", ("min_block",), (
        Alternative("larger unsplit blocks", None),)),
    Decision("a 1-minimality pass at any set size", ("verify",), (
        Alternative("no pass (`verify=False`)", "suffice-no-verify"),)),
    Decision("a prior-free second start", ("restart", "restart_share"), (
        Alternative("no second start (`restart=False`)", "suffice-no-restart"),
        Alternative("another share of the first start's calls", None))),
    Decision("an adaptive call budget",
             ("max_calls", "auto_min_calls", "auto_max_calls", "verify_max_calls",
              f"{_VERIFY}:VERIFY_PROJECTION"), (
        Alternative("a fixed `max_calls`", None),
        Alternative("other bounds or another projection", None))),
    Decision("the studies' resolution: atoms of one width at one level",
             ("suffice.study.run:STUDY_SEARCH_DEFAULTS/resolution_hz",
              "suffice.study.run:STUDY_SEARCH_DEFAULTS/refine_to_hz"), (
        Alternative("single bins (the library's default)", "suffice"),
        Alternative("atoms twice as wide", _RES_COARSE)), default_method=_RES_DEFAULT),
    Decision("coarse to fine: each refinement divides the atom width by a factor",
             ("suffice.search.resolution:REFINE_FACTOR",), (
        Alternative("another factor", None),)),
    Decision("a removed bin is replaced by silence", ("fill",), (
        Alternative("one of the other fills (`suffice.fills.FILLS`)", None),)),
    Decision("ReX's prefix found by bisection over its ranking", ("extraction@rex",), (
        Alternative("ReX's linear scan (`extraction='linear'`)", "rex-linear"),), default_method="rex"),
)

TABLE_COLS = ("decision", "set by", "alternative", "benchmark method", "cases", "calls (default)",
              "calls (alternative)", "bins (default)", "bins (alternative)", "verified 1-minimal (default)",
              "verified 1-minimal (alternative)", "re-checked sufficient (alternative)")


def _medians(rows: pd.DataFrame) -> tuple[float, float, float, float]:
    """Median calls, median bins, the verified 1-minimal share and the re-check share of ``rows``."""
    return (float(pd.to_numeric(rows["calls"]).median()), float(pd.to_numeric(rows["size"]).median()),
            known_share(flag_values(rows, "verified_minimal")), known_share(flag_values(rows, "recheck_sufficient")))


def compare(results: pd.DataFrame, default: str, alternative: str) -> dict[str, float]:
    """``default`` against ``alternative`` on the cases where both ran (``results.csv`` rows): the number
    of cases, and each one's median calls and bins and verified 1-minimal share (NaN where a method cannot
    say), and the alternative's share re-checked sufficient.  Empty when no case ran both."""
    ok = answered(results)
    a, b = ok[ok["method"] == default].set_index("case"), ok[ok["method"] == alternative].set_index("case")
    common = a.index.intersection(b.index)
    if common.empty:
        return {}
    ca, sa, va, _ = _medians(a.loc[common])
    cb, sb, vb, rb = _medians(b.loc[common])
    return {"cases": len(common), "calls (default)": ca, "calls (alternative)": cb, "bins (default)": sa,
            "bins (alternative)": sb, "verified 1-minimal (default)": va,
            "verified 1-minimal (alternative)": vb, "re-checked sufficient (alternative)": rb}


def decision_table(results: pd.DataFrame, decisions: tuple[Decision, ...] = DECISIONS) -> pd.DataFrame:
    """One row per decision and alternative (:data:`TABLE_COLS`): where the decision is set, with its
    values now; the benchmark method of the alternative (:data:`NOT_MEASURED` when it is neither among the
    benchmark's methods, :data:`~suffice.bench.methods.ALL_METHODS`, nor in ``results``; :data:`NOT_RUN`
    when ``results`` has no case that ran both it and the decision's method), and the numbers of :func:`compare`
    (blank where not measured)."""
    rows, ran = [], set(results["method"]) if "method" in results.columns else set()
    for d in decisions:
        for alt in d.alternatives:
            row: dict[str, Any] = {"decision": d.name, "set by": d.setting(), "alternative": alt.label}
            measurable = alt.method is not None and (alt.method in ALL_METHODS or alt.method in ran)
            numbers = compare(results, d.default_method, alt.method) if measurable else {}
            if not measurable:
                row["benchmark method"] = NOT_MEASURED
            elif not numbers:
                row["benchmark method"] = f"{d.default_method} against {alt.method}: {NOT_RUN}"
            else:
                row["benchmark method"] = f"{d.default_method} against {alt.method}"
            rows.append({**row, **numbers})
    return pd.DataFrame(rows, columns=list(TABLE_COLS)).replace({np.nan: None})


def measured_share(table: pd.DataFrame) -> str:
    """A sentence: how many of the table's alternatives the benchmark measured in these results."""
    measured = table["cases"].notna().sum()
    unmeasured = (table["benchmark method"] == NOT_MEASURED).sum()
    return (f"{len(table)} alternatives to {table['decision'].nunique()} decisions: {measured} measured in "
            f"these results, {unmeasured} {NOT_MEASURED}, {len(table) - measured - unmeasured} with a "
            f"benchmark method that did not run here.")


def _pair(a: Any, b: Any, percent: bool = False) -> str:
    """``"a → b"``, each a median (``:g``) or a share (``percent``), ``"?"`` where a method cannot say."""
    def one(v: Any) -> str:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "?"
        return f"{v:.0%}" if percent else f"{v:g}"
    return f"{one(a)} → {one(b)}"


def decision_view(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`decision_table` for reading: a decision and its setting named once over its alternatives,
    each measured pair as ``default → alternative`` (median calls, median bins, verified 1-minimal share),
    and the method or the reason for no number."""
    rows, last = [], None
    for r in table.to_dict("records"):
        first = r["decision"] != last
        last = r["decision"]
        measured = r["cases"] is not None
        rows.append({
            "decision": r["decision"] if first else "", "set by": r["set by"] if first else "",
            "alternative": r["alternative"], "compared by": r["benchmark method"],
            "cases": f"{int(r['cases'])}" if measured else "",
            "model calls": _pair(r["calls (default)"], r["calls (alternative)"]) if measured else "",
            "bins": _pair(r["bins (default)"], r["bins (alternative)"]) if measured else "",
            "verified 1-minimal": _pair(r["verified 1-minimal (default)"], r["verified 1-minimal (alternative)"],
                                        percent=True) if measured else ""})
    return pd.DataFrame(rows)
