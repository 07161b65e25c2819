"""Transferability of sufficient signals between models, one module per job.

* :mod:`~suffice.transfer.table`: the transfer table's column contract, its checks, the outcome T;
* :mod:`~suffice.transfer.rates`: the matrix, task rate, out/in rates with clip-bootstrap CIs, cell
  intervals, the between-pair variance;
* :mod:`~suffice.transfer.flat_earthers`: the leave-one-out flat-earther test, on raw and on chance-adjusted
  acceptance;
* :mod:`~suffice.transfer.relations`: the social relations model (producer, acceptor, pair, clip; family);
* :mod:`~suffice.transfer.chance`: chance baselines (random keep-sets of the same size, top-magnitude
  sets, silence) and the excess over them;
* :mod:`~suffice.transfer.features`: transfer against set size, producer margin and signal features
  (clip-clustered GLMs), the set-size and criteria tables, strategy comparisons;
* :mod:`~suffice.transfer.reported`: our numbers against a paper's reported ones (a rate, a variance
  component across tasks);
* :mod:`~suffice.transfer.headline`: one task's result in one row and one sentence (the book's opening page);
* :mod:`~suffice.transfer.fill_compare`: one task's study under the zero fill and a non-silent fill, side by
  side, and which conclusions survive;
* :mod:`~suffice.transfer.margins`: transfer by the producer's margin band, beside its chance references;
* :mod:`~suffice.transfer.overlap`: the overlap of f's and g's sufficient sets on a clip, and acceptance given
  overlap (the direct test of shared evidence);
* :mod:`~suffice.transfer.performance`: accuracy and precision beside transfer;
* :mod:`~suffice.transfer.simulate`: seeded simulated tables and the test's calibration.

Every public name is importable from ``suffice.transfer`` itself.
"""
from __future__ import annotations

from .chance import ChanceSummary, chance_baselines
from .features import (accepted_by, compare_strategies, criteria_table, deviation_design, feature_glm,
                       same_clips, set_size_glm, set_size_table, strategy_difference)
from .flat_earthers import MIN_ODDS_RATIO, adjusted_flat_earthers, describe_flags, flat_earthers, loo_contrasts
from .fill_compare import compare_fills, fill_display, fill_sentence
from .headline import HEADLINE_FIELDS, compare_headlines, headline_display, headline_sentence, task_headline
from .margins import MARGIN_EDGES, margin_bands, transfer_by_margin
from .overlap import (OVERLAP_EDGES, OverlapResult, acceptance_by_overlap, calibrate_overlap, overlap_glm,
                      overlap_rows, overlap_sentence, set_overlap)
from .performance import model_performance, model_table
from .rates import (TransferSummary, matrix, model_rates, not_found_counts, pair_rates, pair_variance, summarise,
                    task_rate)
from .relations import describe_relations, model_family, social_relations
from .reported import against_reported, components_sentence, compare_components, reported_sentence
from .simulate import (ADJUSTED_SCENARIOS, SCENARIOS, AdjustedScenario, Scenario, calibrate, calibrate_adjusted,
                       describe_adjusted_calibration, relations_coverage, simulate, simulate_predictions)
from .table import (CONDITIONS, CRITERIA, OPTIONAL_COLUMNS, PREDICTION_COLUMNS, TABLE_COLUMNS, TableError,
                    transfer_outcome, validate_predictions, validate_table)

__all__ = [
    "TABLE_COLUMNS", "OPTIONAL_COLUMNS", "PREDICTION_COLUMNS", "CRITERIA", "CONDITIONS", "TableError",
    "validate_table", "validate_predictions", "transfer_outcome", "TransferSummary", "summarise", "pair_rates",
    "matrix", "task_rate", "model_rates", "not_found_counts", "pair_variance", "flat_earthers", "loo_contrasts",
    "MIN_ODDS_RATIO", "chance_baselines", "ChanceSummary", "feature_glm", "deviation_design", "set_size_glm",
    "set_size_table", "criteria_table", "accepted_by", "compare_strategies", "same_clips", "strategy_difference", "model_performance",
    "model_table", "simulate", "simulate_predictions", "Scenario", "SCENARIOS", "calibrate",
    "adjusted_flat_earthers", "social_relations", "model_family", "AdjustedScenario", "ADJUSTED_SCENARIOS",
    "calibrate_adjusted", "relations_coverage", "describe_adjusted_calibration", "describe_relations",
    "describe_flags", "HEADLINE_FIELDS", "task_headline", "compare_headlines", "headline_display", "headline_sentence", "compare_fills", "fill_display", "fill_sentence", "MARGIN_EDGES", "margin_bands", "transfer_by_margin",
    "against_reported", "reported_sentence", "compare_components", "components_sentence",
    "OVERLAP_EDGES", "OverlapResult", "set_overlap", "overlap_rows", "acceptance_by_overlap",
    "overlap_glm", "overlap_sentence", "calibrate_overlap",
]
