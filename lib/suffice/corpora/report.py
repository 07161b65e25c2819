"""The README.md written next to each corpus: how it was made, what it holds, what was checked."""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from .paths import corpus_dir


def _table(df: pd.DataFrame) -> str:
    """A small markdown table of a DataFrame with an index."""
    cols = [str(c) for c in df.columns]
    head = "| " + " | ".join([str(df.index.name or "")] + cols) + " |"
    sep = "|" + "---|" * (len(cols) + 1)
    body = ["| " + " | ".join([str(i)] + [str(v) for v in row]) + " |" for i, row in zip(df.index, df.values)]
    return "\n".join([head, sep, *body])


def _environment(env: dict[str, Any] | None) -> list[str]:
    """README lines listing the programs, packages, data files and CPU a build ran with."""
    if not env:
        return ["## Made with", "", "(not recorded: built before tool versions were recorded)", ""]
    rows = [("program", k, v) for k, v in env.get("programs", {}).items()]
    rows += [("Debian package", k, v) for k, v in env.get("debian_packages", {}).items()]
    rows += [("Python", "python", env.get("python", "?"))]
    rows += [("Python package", k, v) for k, v in env.get("python_packages", {}).items()]
    rows += [("data file SHA-256", k, v) for k, v in env.get("files_sha256", {}).items()]
    rows += [("CPU", env.get("machine", "?"), f"{env.get('cpu', '?')} ({', '.join(env.get('vector_extensions', []))})")]
    rows += [("threads", k, v) for k, v in env.get("threads", {}).items()]
    return ["## Made with", "", "What can differ between machines (the code and seed are in the "
            "configuration hash):", "", "| kind | name | version |", "|---|---|---|",
            *[f"| {a} | {b} | {c} |" for a, b, c in rows], ""]


def write_readme(task: str, profile: str) -> None:
    """(Re)write README.md of a built corpus from build.json, manifest.csv and checks.json."""
    d = corpus_dir(task, profile)
    info = json.loads((d / "build.json").read_text())
    df = pd.read_csv(d / "manifest.csv", keep_default_na=False)
    description = info.get("description")
    if description is None:  # built before descriptions were recorded: today's code describes it
        from .generators import task_module
        description = task_module(task).describe(info["config"])
    counts = pd.crosstab(df["label"], df["split"]).reindex(columns=["train", "val", "test"], fill_value=0)
    counts.index.name = "label"
    by_sys = pd.crosstab(df["system"].replace("", "-"), df["split"]).reindex(
        columns=["train", "val", "test"], fill_value=0)
    by_sys.index.name = "system"
    lines = [f"# `{task}` corpus, profile `{profile}`", "",
             f"{len(df)} clips, each mono, {info['sample_rate']} Hz, exactly {info['duration']:.1f} s "
             f"(16-bit PCM wav). Built in {info['build_seconds']} s wall-clock ({info.get('cpu_seconds', '?')} CPU-s; "
             f"load average {info.get('load_average', 0):.1f} at the end) with {info['jobs']} worker(s), seed "
             f"{info['seed']}, configuration hash `{info['hash']}`; {info['skipped']} planned clip(s) and "
             f"{info.get('source_files_skipped', 0)} source file(s) skipped (each with its reason in `build.log`). Rebuild: `python -m suffice.corpora build --profile "
             f"{profile} --task {task}` (skipped when the configuration is unchanged).", "",
             f"Fingerprint (SHA-256 over `manifest.csv` and `clips/`, `suffice.fingerprint`): "
             f"`{info.get('fingerprint', 'not recorded')}`. Two builds with the same fingerprint hold the "
             "same bytes; a build elsewhere matches when the tool versions below match.", "",
             "## How it was made", "", description.strip(), "",
             "## Clips per label and split", "", _table(counts), "",
             "## Clips per system (generator / voice family) and split", "", _table(by_sys), "",
             f"Speakers per split: " + "; ".join(
                 f"{s}: {df.loc[df.split == s, 'speaker'].nunique()}" for s in ("train", "val", "test")), ""]
    lines += _environment(info.get("environment"))
    checks = d / "checks.json"
    if checks.is_file():
        results = json.loads(checks.read_text())
        measured_on = results.get("_fingerprint")
        lines += ["## Checks (measured on this build)", "",
                  ("Measured on the corpus with fingerprint `" + str(measured_on) + "`"
                   + (" (this build)." if measured_on == info.get("fingerprint") else
                      ": NOT this build; rerun `python -m suffice.corpora check`.")) if measured_on else
                  "Measured before fingerprints were recorded.", ""]
        if results.get("_environment"):
            env = results["_environment"]
            lines += ["Check environment: " + "; ".join(f"{k} {v}" for k, v in env.items()) + ".", ""]
        for name, res in results.items():
            if name.startswith("_"):
                continue
            lines += [f"### {name}", "", str(res.get("summary", "")), ""]
            if "details" in res:
                lines += ["```", json.dumps(res["details"], indent=1), "```", ""]
    (d / "README.md").write_text("\n".join(lines), encoding="utf-8")
