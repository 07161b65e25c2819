"""Summaries of ``results.csv``: medians and spreads per method, per-clip ratios, targets, profile,
and how the searches ended on real clips (:func:`outcomes`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..explanation import budget_cut

METRICS = ("calls", "seconds", "size", "fraction", "ratio_to_min")


def _q(p: float):
    def f(s: pd.Series) -> float:
        s = pd.to_numeric(s, errors="coerce").dropna()
        return float(np.quantile(s, p)) if len(s) else np.nan
    f.__name__ = f"q{int(p * 100)}"
    return f


def _text(df: pd.DataFrame, col: str) -> pd.Series:
    """A text column with missing values as "" (a column read back from csv all empty is float NaN)."""
    if col not in df.columns:
        return pd.Series("", index=df.index)
    s = df[col]
    return s.where(s.notna(), "").astype(str)


def answered(df: pd.DataFrame) -> pd.DataFrame:
    """Rows that ran and gave an answer (no error, not skipped)."""
    return df[(_text(df, "error") == "") & (_text(df, "skipped") == "")]


def not_run(df: pd.DataFrame) -> pd.DataFrame:
    """The (case, method) pairs that were skipped or failed, with the reason."""
    reason = _text(df, "error") + _text(df, "skipped")
    return df.assign(reason=reason)[reason != ""][["case", "method", "reason"]]


def summarise(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group: counts, found and re-check rates, median and quartiles of each metric."""
    ok = answered(df).copy()
    if ok.empty:
        return pd.DataFrame()
    rows = []
    for key, g in ok.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        r = dict(zip(by, key))
        r.update({"n": len(g), "found_rate": g["found"].astype(float).mean(),
                  "recheck_rate": g["recheck_sufficient"].astype(float).mean()})
        for m in METRICS:
            for p, lab in ((0.5, "median"), (0.25, "q25"), (0.75, "q75")):
                r[f"{m}_{lab}"] = _q(p)(g[m])
        rows.append(r)
    return pd.DataFrame(rows)


OUTCOME_COLS = ("task", "family", "method", "n", "verified_minimal_share", "budget_cut_share",
                "not_found_share", "cut_not_found_share", "calls_median", "calls_max", "size_median",
                "size_max")


def flag_values(g: pd.DataFrame, col: str) -> np.ndarray:
    """A bool column as floats (1, 0; NaN where the method cannot say or the column is absent)."""
    if col not in g.columns:
        return np.full(len(g), np.nan)
    words = {"true": 1.0, "1": 1.0, "1.0": 1.0, "false": 0.0, "0": 0.0, "0.0": 0.0}
    bad = sorted({str(b) for b in g[col] if not pd.isna(b) and str(b).strip().lower() not in words})
    if bad:
        raise ValueError(f"results column {col!r} holds {bad[:5]}: expected booleans (True/False, 1/0) or blanks")
    return g[col].map(lambda b: np.nan if pd.isna(b) else words[str(b).strip().lower()]).to_numpy(dtype=float)


def known_share(v: np.ndarray) -> float:
    """Mean of 0/1 values; NaN when any is unknown (a share over part of the group would mislead)."""
    return float(v.mean()) if len(v) and not np.isnan(v).any() else np.nan


def outcomes(df: pd.DataFrame) -> pd.DataFrame:
    """How each search ended on the real clips, per (task, model family, method).

    Over the rows of ``results.csv`` with ``kind == "real"`` that ran (no error, not skipped):

    * ``task``, ``family`` (:func:`suffice.bench.cases.model_family`), ``method``;
    * ``n``: explanations (one per clip and model of the family);
    * ``verified_minimal_share``: share whose set was verified 1-minimal (every kept bin tested for
      removal in the final context, none could go);
    * ``budget_cut_share``: share found (a set short of the whole spectrum), ``budget_exhausted`` and
      not verified 1-minimal: sufficient, possibly not minimal (a verified set whose budget ran out
      later, in the contrastive or complete sets, counts as verified, not cut);
    * ``not_found_share``: share not found with the budget not exhausted: the search finished and
      nothing short of the whole spectrum passed;
    * ``cut_not_found_share``: share not found because ``max_calls`` ran out first;
    * ``calls_median`` / ``calls_max``: model calls per explanation; ``size_median`` / ``size_max``:
      bins in the returned set (the whole spectrum when not found).

    The three outcome shares are disjoint; with the share of the rest (found, and verified 1-minimal
    or not ``budget_exhausted``) they sum to 1.  A share is NaN when the method cannot say for some of
    the group's rows (``rex-xai`` records no flags; results written before the flags existed).
    """
    ok = answered(df)
    if "kind" in ok.columns:
        ok = ok[ok["kind"] == "real"]
    if ok.empty:
        return pd.DataFrame(columns=list(OUTCOME_COLS))
    ok = ok.copy()
    if "family" not in ok.columns:  # results written before the column existed
        from .cases import model_family
        ok["family"] = ok["model"].astype(str).map(model_family)
    rows = []
    for (task, fam, m), g in ok.groupby(["task", "family", "method"], sort=True):
        found, cut, vmin = flag_values(g, "found"), flag_values(g, "budget_exhausted"), flag_values(g, "verified_minimal")
        calls, size = pd.to_numeric(g["calls"], errors="coerce"), pd.to_numeric(g["size"], errors="coerce")
        rows.append({"task": task, "family": fam, "method": m, "n": len(g),
                     "verified_minimal_share": known_share(vmin),
                     "budget_cut_share": known_share(found * budget_cut(cut, vmin)),
                     "not_found_share": known_share((1 - found) * (1 - cut)),
                     "cut_not_found_share": known_share((1 - found) * cut),
                     "calls_median": float(calls.median()), "calls_max": float(calls.max()),
                     "size_median": float(size.median()), "size_max": float(size.max())})
    return pd.DataFrame(rows, columns=list(OUTCOME_COLS))


RESOLUTION_COLS = ("cases", "family", "method", "n", "calls_median", "calls_max", "seconds_median",
                   "verified_minimal_share", "budget_cut_share", "size_median", "ratio_to_min_median")


def resolutions(df: pd.DataFrame, ours: str = "suffice") -> pd.DataFrame:
    """``ours`` at each resolution side by side: per model family on the real clips, ``ours`` (single bins)
    and every ``ours@<w>Hz`` method (one level over atoms of ``w`` Hz, verified at that width), then
    ``ours`` on the analytic cases (``cases == "oracle"``, single bins, with the median ratio of its set to
    the known minimum).  Calls, seconds and size (in bins) are per explanation."""
    ok = answered(df)
    ok = ok[(ok["method"] == ours) | ok["method"].astype(str).str.startswith(ours + "@")]
    parts = [("real", ok[ok["kind"] == "real"]), ("oracle", ok[(ok["kind"] == "oracle") & (ok["method"] == ours)])]
    rows = []
    for cases, part in parts:
        if part.empty:
            continue
        fam = part["family"] if cases == "real" else pd.Series("analytic", index=part.index)
        for (f, m), g in part.groupby([fam, part["method"]], sort=True):
            vmin = flag_values(g, "verified_minimal")
            rows.append({"cases": cases, "family": f, "method": m, "n": len(g),
                         "calls_median": float(g["calls"].median()), "calls_max": float(g["calls"].max()),
                         "seconds_median": float(g["seconds"].median()), "verified_minimal_share": known_share(vmin),
                         "budget_cut_share": known_share(budget_cut(flag_values(g, "budget_exhausted"), vmin)),
                         "size_median": float(g["size"].median()),
                         "ratio_to_min_median": float(pd.to_numeric(g["ratio_to_min"], errors="coerce").median())})
    return pd.DataFrame(rows, columns=list(RESOLUTION_COLS))


def outcome_sentence(table: pd.DataFrame, method: str = "suffice") -> str:
    """One sentence on ``method``'s rows of :func:`outcomes`, pooled over tasks per family: which
    families' searches were mostly (more than half) budget-cut, found or not, and the share verified
    1-minimal over all real clips."""
    t = table[table["method"] == method] if not table.empty else table
    if t.empty:
        return f"`{method}` has no explanations of real clips in this run."
    t = t.assign(cut=t["n"] * (t["budget_cut_share"] + t["cut_not_found_share"]),
                 vmin=t["n"] * t["verified_minimal_share"])
    if t[["cut", "vmin"]].isna().any().any():
        return f"`{method}` did not record how its searches ended (results written before the flags existed)."
    fam = t.groupby("family")[["n", "cut", "vmin"]].sum()
    n, cut, vmin = int(fam["n"].sum()), int(round(fam["cut"].sum())), int(round(fam["vmin"].sum()))
    per = ", ".join(f"{f} {int(round(r.cut))} of {int(r.n)}" for f, r in fam.iterrows())
    mostly = [f for f, r in fam.iterrows() if r.cut > r.n / 2]
    return (f"Of `{method}`'s {n} explanations of real clips, {vmin} ({vmin / n:.0%}) ended verified "
            f"1-minimal and {cut} ({cut / n:.0%}) were cut by the call budget (by family: {per}); "
            + (f"mostly (over half) budget-cut: {', '.join(mostly)}." if mostly
               else "no family was mostly (over half) budget-cut."))


def ratios(df: pd.DataFrame, against: str = "rex-xai",
           methods: tuple[str, ...] = ("suffice", "rex", "rex-linear", "magnitude", "occlusion")) -> pd.DataFrame:
    """Per case: each method's calls, time and size divided by ``against``'s (both must succeed)."""
    ok = answered(df)
    base = ok[ok["method"] == against].set_index("case")
    rows = []
    for m in methods:
        other = ok[ok["method"] == m].set_index("case")
        common = base.index.intersection(other.index)
        for c in common:
            b, o = base.loc[c], other.loc[c]
            with np.errstate(divide="ignore", invalid="ignore"):   # two empty sets: a NaN ratio, no warning
                rows.append({"case": c, "kind": o["kind"], "method": m, "against": against,
                             "both_found": bool(b["found"]) and bool(o["found"]),
                             "calls_ratio": o["calls"] / b["calls"], "seconds_ratio": o["seconds"] / b["seconds"],
                             "size_ratio": o["size"] / b["size"],
                             "speedup_calls": b["calls"] / o["calls"]})
    return pd.DataFrame(rows)


def extraction_agreement(df: pd.DataFrame, fast: str = "rex", linear: str = "rex-linear") -> pd.DataFrame:
    """Per case where both ran: the bisection extraction (``fast``) against ReX's linear scan (``linear``)
    on the same responsibility map (same seed): equal sets?, the size ratio (>= 1 by construction)
    and the calls each spent."""
    ok = answered(df)
    a, b = ok[ok["method"] == fast].set_index("case"), ok[ok["method"] == linear].set_index("case")
    rows = []
    for c in a.index.intersection(b.index):
        x, y = a.loc[c], b.loc[c]
        rows.append({"case": c, "kind": x["kind"], "size_bisect": int(x["size"]), "size_linear": int(y["size"]),
                     "same_size": int(x["size"]) == int(y["size"]), "size_ratio": x["size"] / max(y["size"], 1),
                     "calls_bisect": int(x["calls"]), "calls_linear": int(y["calls"]),
                     "calls_saved": int(y["calls"]) - int(x["calls"])})
    return pd.DataFrame(rows)


def time_profile(df: pd.DataFrame) -> pd.DataFrame:
    """Where each method's time goes: model forward, masking + resynthesis, the rest (bookkeeping)."""
    ok = answered(df)
    rows = []
    for m, g in ok.groupby("method", sort=True):
        tot = g["seconds"].sum()
        rows.append({"method": m, "explanations": len(g), "total_seconds": tot,
                     "model_share": g["model_seconds"].sum() / tot if tot else np.nan,
                     "synth_share": g["synth_seconds"].sum() / tot if tot else np.nan,
                     "other_share": g["other_seconds"].sum() / tot if tot else np.nan,
                     "median_seconds": g["seconds"].median(),
                     "median_ms_per_call": 1000 * (g["seconds"] / g["calls"]).median()})
    return pd.DataFrame(rows)


def empty_set_notes(df: pd.DataFrame) -> list[str]:
    """Cases where a method found the *empty* set sufficient (the model gives the class to silence)."""
    ok = answered(df)
    ok = ok[(ok["found"] == True) & (ok["size"] == 0)]  # noqa: E712
    out = []
    for m, g in ok.groupby("method", sort=True):
        out.append(f"{m}: the empty set was sufficient on {len(g)} case(s) ({', '.join(sorted(g['case']))}): "
                   "these models give the explained class to silence, so size comparisons there are trivial")
    return out


def suggestions(profile: pd.DataFrame) -> list[str]:
    """What the time split suggests, per method (rules of thumb on the measured shares)."""
    out = []
    for r in profile.itertuples(index=False):
        if r.model_share >= 0.8:
            out.append(f"{r.method}: model-bound ({r.model_share:.0%} of its time in the model): only fewer "
                       "or cheaper model calls help")
        if r.synth_share >= 0.2:
            out.append(f"{r.method}: {r.synth_share:.0%} in masking and resynthesis: for small keep-sets "
                       "synthesise the kept sinusoids directly (O(|S| T)) instead of a full irfft "
                       "(O(K log K)), or run scipy.fft with workers")
        if r.other_share >= 0.2:
            out.append(f"{r.method}: {r.other_share:.0%} outside model and synthesis (search bookkeeping, "
                       "mask building; for rex-xai also ReX's per-mutant Python work and the pipe to "
                       "the host): the search's own code is worth profiling")
    return out


def targets(df: pd.DataFrame, ours: str = "suffice") -> pd.DataFrame:
    """The issue's targets, measured: value, threshold, met."""
    rows = []
    rr = ratios(df, "rex-xai", (ours,))
    if not rr.empty:
        sp = rr["speedup_calls"].median()
        rows.append({"target": f"median rex-xai calls / {ours} calls >= 10", "value": sp, "met": sp >= 10,
                     "n": len(rr)})
        both = rr[rr["both_found"]]
        sz = both["size_ratio"].median() if len(both) else np.nan
        rows.append({"target": f"median {ours} size / rex-xai size <= 1 (both found)", "value": sz,
                     "met": bool(sz <= 1) if len(both) else False, "n": len(both)})
    rm = ratios(df, "magnitude", (ours,))
    if not rm.empty:
        both = rm[rm["both_found"]]
        sz = both["size_ratio"].median() if len(both) else np.nan
        rows.append({"target": f"median {ours} size / magnitude size <= 1 (both found)", "value": sz,
                     "met": bool(sz <= 1) if len(both) else False, "n": len(both)})
    ok = answered(df)
    ok = ok[ok["method"] == ours]
    orc = pd.to_numeric(ok["ratio_to_min"], errors="coerce").dropna()
    if len(orc):
        v = orc.median()
        rows.append({"target": f"median {ours} oracle size / true minimum <= 1.2", "value": v,
                     "met": v <= 1.2, "n": len(orc)})
    if len(ok):
        v = ok["recheck_sufficient"].astype(float).mean()
        rows.append({"target": f"{ours} sets re-check sufficient", "value": v, "met": v == 1.0, "n": len(ok)})
    return pd.DataFrame(rows)


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-style markdown table (no extra dependency)."""
    if df.empty:
        return "(no rows)\n"

    def fmt(v) -> str:
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else "no"
        if isinstance(v, (float, np.floating)):
            if np.isnan(v):
                return ""
            if v == int(v):
                return str(int(v))
            return f"{v:.{digits}g}" if abs(v) < 10 ** digits else f"{v:.0f}"
        return str(v)
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


SUMMARY_COLS = ["kind", "method", "n", "found_rate", "recheck_rate", "calls_median", "calls_q25", "calls_q75",
                "seconds_median", "size_median", "size_q25", "size_q75", "fraction_median",
                "ratio_to_min_median"]


def write_reports(df: pd.DataFrame, out: Path, *, profile_text: str = "", notes: list[str] | None = None,
                  header: str = "") -> dict[str, pd.DataFrame]:
    """summary.csv, summary_real.csv, ratios.csv, extraction.csv, scaling.csv, profile.csv,
    targets.csv, outcomes.csv, resolutions.csv and summary.md in ``out``."""
    tables = {
        "summary": summarise(df, ["kind", "method"]),
        "summary_real": summarise(df[df["kind"] == "real"], ["task", "model", "method"]) if (df["kind"] == "real").any() else pd.DataFrame(),
        "ratios": pd.concat([ratios(df, "rex-xai"), ratios(df, "magnitude", ("suffice", "rex", "occlusion")),
                             ratios(df, "suffice-no-bands", ("suffice",)),
                             ratios(df, "suffice-no-chain", ("suffice",))], ignore_index=True),
        "extraction": extraction_agreement(df),
        "scaling": answered(df[df["kind"] == "scaling"])[
            ["n_bins", "seconds_audio", "method", "calls", "seconds", "size", "found", "recheck_sufficient"]]
        if (df["kind"] == "scaling").any() else pd.DataFrame(),
        "profile": time_profile(df),
        "targets": targets(df),
        "outcomes": outcomes(df),
        "resolutions": resolutions(df),
    }
    for name, t in tables.items():
        t.to_csv(out / f"{name}.csv", index=False)
    md = [header or "# Benchmark: ReX (rex-xai), our rex, our default, and two non-causal baselines\n"]
    md.append("## Targets\n\n" + markdown_table(tables["targets"]))
    s = tables["summary"]
    md.append("## Per method (medians; q25-q75 spreads in summary.csv)\n\n"
              + markdown_table(s[[c for c in SUMMARY_COLS if c in s.columns]] if not s.empty else s))
    oc = tables["outcomes"]
    if not oc.empty:
        md.append("## How the searches ended on real clips (per task, model family, method)\n\n"
                  + outcome_sentence(oc) + "\n\n" + markdown_table(oc))
    rs = tables["resolutions"]
    if not rs.empty:
        md.append("## The default search at each resolution (real clips per model family; analytic cases in "
                  "bins)\n\n" + markdown_table(rs))
    r = tables["ratios"]
    if not r.empty:
        agg = (r.groupby(["against", "method"])
                .agg(n=("case", "size"), median_calls_ratio=("calls_ratio", "median"),
                     median_speedup_calls=("speedup_calls", "median"),
                     median_size_ratio=("size_ratio", "median"), median_seconds_ratio=("seconds_ratio", "median"))
                .reset_index())
        md.append("## Per-clip ratios (method / reference; medians over clips)\n\n" + markdown_table(agg))
    ex = tables["extraction"]
    if not ex.empty:
        md.append("## rex: bisection against ReX's linear extraction (same maps)\n\n"
                  f"Same set on {int(ex['same_size'].sum())} of {len(ex)} cases; median calls saved "
                  f"{ex['calls_saved'].median():.0f}.\n\n" + markdown_table(ex))
    if not tables["scaling"].empty:
        md.append("## Scaling with the number of bins\n\n" + markdown_table(tables["scaling"]))
    md.append("## Where the time goes\n\n" + markdown_table(tables["profile"]))
    tips = suggestions(tables["profile"]) if not tables["profile"].empty else []
    if tips:
        md.append("What the split suggests:\n\n" + "\n".join(f"- {t}" for t in tips) + "\n")
    if profile_text:
        md.append("### cProfile of one default-strategy explanation\n\n```\n" + profile_text + "\n```\n")
    bad = not_run(df)
    if not bad.empty:
        md.append("## Not run or failed\n\n" + markdown_table(bad))
    notes = list(notes or []) + empty_set_notes(df)
    if notes:
        md.append("## Notes\n\n" + "\n".join(f"- {n}" for n in notes) + "\n")
    (out / "summary.md").write_text("\n".join(md))
    return tables


def load(out: str | Path = "data/bench") -> dict[str, pd.DataFrame]:
    """The benchmark's tables from ``out`` (for the book's performance chapter)."""
    out = Path(out)
    names = ("results", "summary", "summary_real", "ratios", "extraction", "scaling", "profile", "targets",
             "outcomes", "resolutions")
    tables = {}
    for n in names:
        p = out / f"{n}.csv"
        try:
            tables[n] = pd.read_csv(p) if p.exists() else pd.DataFrame()
        except pd.errors.EmptyDataError:
            tables[n] = pd.DataFrame()
    return tables
