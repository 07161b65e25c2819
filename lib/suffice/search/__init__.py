"""Causal search for minimal sufficient frequency sets; :func:`explain` is the entry point."""
from __future__ import annotations

from .explain import explain, STRATEGIES, COMMON_OPTIONS, strategy_defaults

__all__ = ["explain", "STRATEGIES", "COMMON_OPTIONS", "strategy_defaults"]
