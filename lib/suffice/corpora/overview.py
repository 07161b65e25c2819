"""The data chapter's views of the built corpora: one summary row per task, each corpus's README as a
section, and the channel audit in words."""
from __future__ import annotations

import pandas as pd

from ..tasks import TASKS
from .paths import corpus_dir
from .schema import manifest


def summary(profile: str) -> pd.DataFrame:
    """One row per task (the index): clips, labels, durations and sample rates present, clips per split,
    sources."""
    rows = []
    for task in TASKS:
        m = manifest(task, profile)
        rows.append({"task": task, "clips": len(m), "labels": m.label.nunique(),
                     "duration (s)": ", ".join(f"{d:g}" for d in sorted(m.duration.unique())),
                     "sample rate": ", ".join(str(r) for r in sorted(m.sample_rate.unique())),
                     **{f"{s} clips": int((m.split == s).sum()) for s in ("train", "val", "test")},
                     "sources": m.source.nunique()})
    return pd.DataFrame(rows).set_index("task")


def readme_section(task: str, profile: str) -> str:
    """The corpus's README.md with its headings lowered to level 4 (to sit inside a chapter), or a line
    saying there is none."""
    readme = corpus_dir(task, profile) / "README.md"
    text = readme.read_text() if readme.exists() else f"(no README for {task})"
    text = text.replace("\n# ", "\n#### ").replace("\n## ", "\n#### ")
    if text.startswith("# "):
        text = "####" + text[1:]
    return text


def audit_reading(n_clips: int, audit_table: pd.DataFrame) -> str:
    """Markdown on :func:`~suffice.corpora.audit.audit_corpus`'s table over ``n_clips`` clips: which channel
    groups still tell the classes apart, the tests' power, whether each interval covers chance, and the
    voice cues that separate the classes."""
    channel = audit_table[audit_table.kind == "channel"]
    leaks = channel[channel.above_chance]
    voice = audit_table[(audit_table.kind == "voice") & audit_table.above_chance]
    return (
        f"On {n_clips} clips: " +
        ("**no channel group tells the classes apart** (permutation p >= 0.05 against the baseline "
         f"{channel.chance.iloc[0]:.0%}); " if leaks.empty else
         "**channel groups that still tell the classes apart**: " + ", ".join(
             f"{r.group} ({r.accuracy:.1%}, CI {r.lo:.1%} to {r.hi:.1%})" for r in leaks.itertuples()) + "; ") +
        f"the power of each test against a true 60% accuracy was {channel.power.min():.2f} to "
        f"{channel.power.max():.2f}; "
        + ("every channel group's interval covers chance.  " if channel.at_chance.all() else
           "channel groups whose interval excludes chance: " + ", ".join(channel.group[~channel.at_chance]) + ".  ")
        + "Voice cues "
        "that separate the classes (what the detectors may legitimately use): " +
        (", ".join(f"{r.group} ({r.accuracy:.1%}, CI {r.lo:.1%} to {r.hi:.1%})" for r in voice.itertuples())
         if len(voice) else "none") + ".")
