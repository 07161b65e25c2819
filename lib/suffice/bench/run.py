"""Run every method on every case, re-check each answer independently, write data/bench/."""
from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..classifier import predict_in_batches
from ..folders import claim, mark, marked
from ..masking import keep_bins
from .cases import Case, RealPlan, quick_plan, oracle_cases, real_cases, scaling_cases
from .methods import ALL_METHODS, METHODS, RESOLUTION_METHODS, MethodResult


def recheck(case: Case, keep: np.ndarray, target_index: int) -> tuple[bool, float]:
    """Is ``keep`` sufficient when evaluated afresh (no cache, no search code)?  (ok, p_target)."""
    p = predict_in_batches(case.model, keep_bins(case.waveform, keep)[None], 1)[0]
    return bool(np.argmax(p) == target_index), float(p[target_index])


def _row(case: Case, method: str, seed: int, res: MethodResult | None, error: str = "") -> dict[str, Any]:
    """One row of ``results.csv``: the case, the method's answer and cost, how its search ended
    (``found``, ``budget_exhausted``, ``verified_minimal``: NaN where the method cannot say) and the
    afresh re-check; only the case's columns when ``res`` is None (skipped or failed)."""
    row: dict[str, Any] = {
        "kind": case.kind, "case": case.name, "task": case.task, "model": str(case.model.name),
        "family": case.family, "clip": case.clip, "seconds_audio": case.seconds, "n_bins": case.n_bins, "method": method,
        "seed": seed, "true_min": case.true_min, "expect_found": case.expect_found, "error": error,
        "skipped": "",
    }
    if res is None:
        return row
    size = int(res.keep.sum())
    ok, p = recheck(case, res.keep, res.target_index)
    row.update({
        "found": bool(res.found), "budget_exhausted": res.budget_exhausted,
        "verified_minimal": res.verified_minimal, "silence_label": res.silence_label,
        "size": size, "fraction": size / case.n_bins,
        "calls": int(res.n_model_calls), "seconds": res.seconds, "model_seconds": res.model_seconds,
        "synth_seconds": res.synth_seconds,
        "other_seconds": max(res.seconds - res.model_seconds - res.synth_seconds, 0.0),
        "recheck_sufficient": ok, "recheck_p": p,
        "ratio_to_min": (size / case.true_min) if (case.true_min and res.found) else np.nan,
    })
    return row


def _rexxai_runner(log_path: Path, log: Callable[[str], Any]):
    """A runner for real rex-xai, or (None, reason) when its environment cannot be had."""
    from .rexxai import RexXai, ensure_env
    try:
        python = ensure_env(log=log)
    except Exception as exc:
        return None, f"rex-xai skipped: {exc}"
    worker = RexXai(python, log_path=log_path)

    def run(model, x, seed) -> MethodResult:
        r = worker.explain(model, x, seed=seed)
        return MethodResult(r.keep, r.found, r.target_index, r.n_model_calls, r.seconds, r.model_seconds,
                            r.synth_seconds)
    run.close = worker.close  # type: ignore[attr-defined]
    return run, ""


def collect_cases(profile: str, quick: bool, plan: RealPlan, log: Callable[[str], Any]) -> list[Case]:
    cases = oracle_cases(quick)
    cases += scaling_cases((1.0, 4.0, 30.0))
    cases += real_cases(profile, plan, log=log)
    return cases


REX_FAMILY = ("rex-xai", "rex", "rex-linear")
#: typical calls of one explanation: ~1,300-1,800 mutants plus the extraction (linear: up to K / 10)
REX_CALLS_ESTIMATE = {"rex-xai": 2500, "rex-linear": 2500, "rex": 1500}


def latency(case: Case, n: int = 8) -> tuple[float, float]:
    """Seconds per waveform of ``case.model``: one at a time, and in a batch of ``n``."""
    x = case.waveform[None]
    predict_in_batches(case.model, x, 1)  # warm up
    t0 = time.perf_counter()
    predict_in_batches(case.model, x, 1)
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    predict_in_batches(case.model, np.repeat(x, n, axis=0), n)
    return single, (time.perf_counter() - t0) / n


class RexGate:
    """Decides whether the ReX family runs on a case: quick mode, real-clip subset, time budget."""

    def __init__(self, quick: bool, plan: RealPlan) -> None:
        self.quick, self.plan, self.spent = quick, plan, 0.0
        self._lat: dict[str, tuple[float, float]] = {}

    def why_not(self, case: Case, method: str) -> str:
        if method not in REX_FAMILY:
            return ""
        if self.quick and case.kind == "scaling" and case.seconds > 10:
            return "quick: no ReX on 30 s clips"
        if case.kind != "real":
            return ""
        if not case.rex_ok:
            return f"ReX family runs on {self.plan.rex_clips_per_model} clip(s) per model only"
        if case.name not in self._lat:
            self._lat[case.name] = latency(case)
        single, batched = self._lat[case.name]
        calls = REX_CALLS_ESTIMATE[method]
        est = calls * (single if method == "rex-xai" else batched)
        if est > self.plan.rex_case_cap_s:
            return f"estimated {est:.0f} s ({calls} calls) > cap {self.plan.rex_case_cap_s:.0f} s"
        if self.spent + est > self.plan.rex_budget_s:
            return f"ReX budget for real clips ({self.plan.rex_budget_s:.0f} s) spent"
        return ""

    def charge(self, case: Case, method: str, seconds: float) -> None:
        if case.kind == "real" and method in REX_FAMILY:
            self.spent += seconds


#: the kind of folder the benchmark writes (see :mod:`suffice.folders`)
KIND = "bench"


def bench_folder(folder: Path) -> str | None:
    """None when ``folder`` holds a benchmark's outputs (the mark, or an earlier run's ``results.csv`` with
    only tables, reports and logs beside it), else why not."""
    if marked(KIND)(folder) is None:
        return None
    names = [p.name for p in folder.iterdir()]
    odd = sorted(n for n in names if Path(n).suffix not in (".csv", ".md", ".txt", ".log"))
    if "results.csv" not in names or odd:
        return f"it holds {', '.join(odd[:3]) or 'no results.csv'}"
    return None


def claim_bench_folder(folder: Path, what: str) -> Path:
    """``folder`` resolved, if the benchmark may write there (:func:`suffice.folders.claim`)."""
    return claim(folder, KIND, what=what, own=bench_folder)


def run_all(out: Path, *, profile: str = "default", quick: bool = False, seed: int = 0,
            methods: tuple[str, ...] = ALL_METHODS, plan: RealPlan | None = None,
            cases: list[Case] | None = None, log: Callable[[str], Any] = print,
            runners: dict[str, Callable[..., MethodResult]] | None = None) -> pd.DataFrame:
    """Run the benchmark (on ``cases``, default: all of them); returns the results table (also
    written to ``out/results.csv``).  ``runners``: method name -> runner (e.g.
    :func:`suffice.bench.methods.via_explain` with other options) used instead of ``methods``'
    registered ones (``rex-xai`` still joins when it is in ``methods``)."""
    out = claim_bench_folder(out, "the benchmark's folder")
    out.mkdir(parents=True, exist_ok=True)
    mark(out, KIND)
    plan = plan or (quick_plan() if quick else RealPlan())
    if cases is None:
        cases = collect_cases(profile, quick, plan, log)
    if runners is None:
        runners = {m: METHODS[m] for m in methods if m in METHODS}
    runners = dict(runners)
    notes = list(plan.skipped)
    rexxai = None
    if "rex-xai" in methods:
        rexxai, why = _rexxai_runner(out / "rexxai-worker.log", log)
        if rexxai is None:
            notes.append(why)
            log(why)
        else:
            runners = {"rex-xai": rexxai, **runners}
    rows = []
    gate = RexGate(quick, plan)
    try:
        for case in tqdm(cases, desc="bench cases", disable=None):
            for name, runner in runners.items():
                if name in RESOLUTION_METHODS and case.kind != "real":
                    continue  # the analytic cases' minima are in bins: they are benchmarked at bin resolution
                why = gate.why_not(case, name)
                if why:
                    rows.append({**_row(case, name, seed, None), "skipped": why})
                    continue
                t0 = time.perf_counter()
                try:
                    res = runner(case.model, case.waveform, seed)
                    rows.append(_row(case, name, seed, res))
                except Exception as exc:  # a method failing on a case is a result, not a crash
                    rows.append(_row(case, name, seed, None, f"{type(exc).__name__}: {exc}"[:300]))
                gate.charge(case, name, time.perf_counter() - t0)
            done = [r for r in rows if r["case"] == case.name and not r["error"] and not r.get("skipped")]
            log(f"{case.name:40s} " + "  ".join(f"{r['method']}={r['size']}b/{r['calls']}c/{r['seconds']:.1f}s"
                                                for r in done))
    finally:
        if rexxai is not None:
            rexxai.close()
    df = pd.DataFrame(rows)
    df.to_csv(out / "results.csv", index=False)
    (out / "notes.txt").write_text("\n".join(notes) + ("\n" if notes else ""))
    return df


def profile_default(case: Case, seed: int = 0, top: int = 15) -> str:
    """cProfile of one default-strategy explanation: the top functions by cumulative time."""
    from ..search import explain
    pr = cProfile.Profile()
    t0 = time.perf_counter()
    pr.enable()
    e = explain(case.model, case.waveform, seed=seed)
    pr.disable()
    dt = time.perf_counter() - t0
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(top)
    head = (f"default strategy on {case.name} ({case.model.name}, {case.n_bins} bins): {dt:.3f} s, "
            f"{e.n_model_calls} model calls, model {e.model_seconds:.3f} s, "
            f"synthesis {e.synth_seconds:.3f} s\n")
    return head + s.getvalue()
