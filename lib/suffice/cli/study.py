"""``suffice study --params FILE``: a transferability study from a YAML parameter file.

Relative paths in the file resolve against the file's folder; ``{data}`` stands for the data folder.
Every output folder is checked before any work (by :func:`suffice.study.run_params`)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add(sub: Any) -> None:
    s = sub.add_parser("study", help="run a transferability study from a YAML parameter file", description=__doc__)
    s.add_argument("--params", required=True, help="YAML parameter file")
    s.add_argument("--out", help="write the tables to this folder (instead of the file's output_dir)")
    s.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import study
    from ..paths import data_root
    overrides = {"output_dir": str(Path(args.out).expanduser().resolve())} if args.out else {}
    result = study.run_params(args.params, **overrides)
    t, p, s = result.table, result.params, result.stats
    n_models = t["source"].nunique() if len(t) else 0
    n_clips = result.predictions["clip_id"].nunique() if len(result.predictions) else 0
    print(f"study {p.get('task')}: {n_models} models, {n_clips} clips, {len(t)} transfer rows, "
          f"{len(result.failures)} failures")
    print(f"model calls     {s.get('model_calls', 0)} here, {s.get('model_calls_in_workers', 0)} in workers; "
          f"explained now {s.get('explained_now', 0)}, cache hits {s.get('cache_hits', 0)}")
    print(f"tables          {p['output_dir'] if p.get('output_dir') else 'not written (no output_dir; pass --out DIR)'}")
    print(f"cache           {p.get('cache_dir') or data_root() / 'study-cache'}")
    return 0 if len(t) or not len(result.failures) else 1
