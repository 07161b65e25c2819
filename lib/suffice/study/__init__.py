"""Transferability studies: which model accepts which model's sufficient signals.

``run`` executes (or resumes) the grid, ``run_params`` does it from a YAML/papermill parameter set.
The stages live in their own modules: ``predict``, ``explain``, ``crosseval``, ``nulls``, ``assemble``;
``keys`` (what a cached result is keyed on), ``cache``, ``clips``, ``params`` and ``result``; ``sets``
(the sufficient sets over atoms, for :mod:`suffice.transfer.overlap`).
"""
from __future__ import annotations

from .cache import DiskCache
from .clips import Clip, clips_from_arrays, load_clips, select_clips
from .keys import model_identity
from .params import ALL_DEFAULTS, ANALYSIS_DEFAULTS, STUDY_DEFAULTS, load_params, run_bins_variant, run_fill_variant, run_params, run_rex_variant
from .result import StudyResult
from .run import TABLE_COLUMNS, run
from .sets import explanation_sets

__all__ = ["run", "run_params", "run_rex_variant", "run_bins_variant", "run_fill_variant", "load_params", "StudyResult", "TABLE_COLUMNS", "Clip", "load_clips",
           "clips_from_arrays", "select_clips", "DiskCache", "model_identity", "STUDY_DEFAULTS",
           "ANALYSIS_DEFAULTS", "ALL_DEFAULTS", "explanation_sets"]
