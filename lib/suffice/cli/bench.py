"""``suffice bench``: the performance benchmark (``python -m suffice.bench`` is the same command)."""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from ..errors import OptionError


def set_threads(n: int) -> None:
    """Limit math-library threads (torch, OpenMP) to ``n``."""
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        import torch
        torch.set_num_threads(n)
    except ImportError:
        pass


def add(sub: Any) -> None:
    p = sub.add_parser("bench", help="run the performance benchmark", description=__doc__)
    p.add_argument("--profile", default="default", help="corpus/model profile of the real clips")
    p.add_argument("--quick", action="store_true", help="fewer cases; no ReX on the 30 s clip")
    p.add_argument("--out", default=None, help="output folder (default: <data root>/bench, i.e. data/bench)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--methods", default=None,
                   help="comma-separated subset of the methods (default all; see suffice.bench.methods.ALL_METHODS)")
    p.add_argument("--clips-per-task", type=int, default=None)
    p.add_argument("--models-per-task", type=int, default=None)
    p.add_argument("--rex-budget", type=float, default=None,
                   help="seconds the ReX family may spend on real clips (default 360; quick 120)")
    p.add_argument("--report-only", action="store_true",
                   help="rebuild the summary tables from an existing results.csv, run nothing")
    p.add_argument("--threads", type=int, default=1,
                   help="torch / onnxruntime threads (default 1: comparable timings, no oversubscription)")
    p.set_defaults(func=run)


def run(a: argparse.Namespace) -> int:
    from ..bench.cases import RealPlan, quick_plan
    from ..bench.methods import ALL_METHODS
    from ..bench.report import write_reports
    from ..bench.run import claim_bench_folder, collect_cases, oracle_cases, profile_default, run_all
    from ..paths import data_root
    from .outputs import output_folder
    set_threads(a.threads)
    methods = tuple(m.strip() for m in (a.methods or ",".join(ALL_METHODS)).split(",") if m.strip())
    bad = sorted(set(methods) - set(ALL_METHODS))
    if bad:
        raise OptionError(f"unknown method(s) {bad}; choose from {', '.join(ALL_METHODS)}")
    plan = quick_plan() if a.quick else RealPlan()
    plan.rex_budget_s = a.rex_budget if a.rex_budget is not None else plan.rex_budget_s
    if a.clips_per_task is not None:
        plan.clips_per_task = a.clips_per_task
    if a.models_per_task is not None:
        plan.models_per_task = a.models_per_task
    out = claim_bench_folder(data_root() / "bench" if a.out is None else Path(a.out), "--out")
    output_folder(out, "--out")
    if a.report_only:
        import pandas as pd
        df = pd.read_csv(out / "results.csv")
        notes_path = out / "notes.txt"
        notes = [n for n in notes_path.read_text().splitlines() if n] if notes_path.exists() else []
        head = (out / "summary.md").read_text().split("## Targets")[0] if (out / "summary.md").exists() else ""
        prof = out / "profile_top.txt"
        write_reports(df, out, notes=notes, header=head, profile_text=prof.read_text() if prof.exists() else "")
        print((out / "summary.md").read_text())
        return 0
    t0 = time.perf_counter()
    cases = collect_cases(a.profile, a.quick, plan, print)
    df = run_all(out, profile=a.profile, quick=a.quick, seed=a.seed, methods=methods, plan=plan, cases=cases)
    real = [c for c in cases if c.kind == "real"]
    prof_case = real[0] if real else next(c for c in oracle_cases(True) if c.name == "tones3-decoys")
    text = profile_default(prof_case, a.seed)
    (out / "profile_top.txt").write_text(text)
    notes = list(plan.skipped) + [n for n in (out / "notes.txt").read_text().splitlines() if n]
    notes = list(dict.fromkeys(notes))
    header = (f"# Benchmark (profile {a.profile}{', quick' if a.quick else ''}, seed {a.seed})\n\n"
              f"{len(cases)} cases ({len(real)} real), methods {', '.join(methods)}; "
              f"total {time.perf_counter() - t0:.0f} s.\n")
    tables = write_reports(df, out, profile_text=text, notes=notes, header=header)
    print((out / "summary.md").read_text())
    return 0 if not tables["targets"].empty else 1
