"""The README.md written next to each corpus: how it was made, what it holds, what was checked."""
from __future__ import annotations

import json

import pandas as pd

from .paths import corpus_dir


def _table(df: pd.DataFrame) -> str:
    """A small markdown table of a DataFrame with an index."""
    cols = [str(c) for c in df.columns]
    head = "| " + " | ".join([str(df.index.name or "")] + cols) + " |"
    sep = "|" + "---|" * (len(cols) + 1)
    body = ["| " + " | ".join([str(i)] + [str(v) for v in row]) + " |" for i, row in zip(df.index, df.values)]
    return "\n".join([head, sep, *body])


def write_readme(task: str, profile: str) -> None:
    """(Re)write README.md of a built corpus from build.json, manifest.csv and checks.json."""
    from .builder import task_module
    d = corpus_dir(task, profile)
    info = json.loads((d / "build.json").read_text())
    df = pd.read_csv(d / "manifest.csv", keep_default_na=False)
    mod = task_module(task)
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
             "## How it was made", "", mod.describe(info["config"]).strip(), "",
             "## Clips per label and split", "", _table(counts), "",
             "## Clips per system (generator / voice family) and split", "", _table(by_sys), "",
             f"Speakers per split: " + "; ".join(
                 f"{s}: {df.loc[df.split == s, 'speaker'].nunique()}" for s in ("train", "val", "test")), ""]
    checks = d / "checks.json"
    if checks.is_file():
        lines += ["## Checks (measured on this build)", ""]
        for name, res in json.loads(checks.read_text()).items():
            if name.startswith("_"):
                continue
            lines += [f"### {name}", "", str(res.get("summary", "")), ""]
            if "details" in res:
                lines += ["```", json.dumps(res["details"], indent=1), "```", ""]
    (d / "README.md").write_text("\n".join(lines), encoding="utf-8")
