"""Causal search for minimal sufficient frequency sets; :func:`explain` is the entry point.

The strategy contract: :class:`SearchResult` (what a strategy returns) and :class:`Option` (how it
declares its options); :func:`describe_options` lists them.
"""
from __future__ import annotations

from .explain import (COMMON_OPTIONS, DEFAULT_STRATEGY, STRATEGIES, describe_options, explain,
                      resolve_options, strategy_defaults, strategy_options)
from .options import Option
from .result import SearchResult

__all__ = ["explain", "STRATEGIES", "DEFAULT_STRATEGY", "COMMON_OPTIONS", "strategy_defaults",
           "strategy_options", "describe_options", "resolve_options", "Option", "SearchResult"]
