"""``make bench``: our search against the tool it descends from (rex-xai) and non-causal baselines.

``python -m suffice.bench --profile default [--quick]`` runs every method of
:data:`suffice.bench.methods.ALL_METHODS` on the cases of :mod:`suffice.bench.cases` (oracles with
known minimal sets, a 1 s / 4 s / 30 s scaling series, and real clips of each task under zoo models),
re-checks every answer afresh and writes ``data/bench/``: ``results.csv`` (one row per case and
method, with how each search ended: ``found``, ``budget_exhausted``, ``verified_minimal``), ``summary.csv``,
``ratios.csv``, ``scaling.csv``, ``profile.csv``, ``targets.csv``, ``outcomes.csv`` (how the searches
ended on real clips, per task, model family and method) and ``summary.md``.  :func:`suffice.bench.report.load` reads them back for the book.
"""
from __future__ import annotations

from .report import load

__all__ = ["load"]
