"""Corpus checks written into each README (being written)."""
from __future__ import annotations


def run_checks(task: str, profile: str, only_missing: bool = False) -> None:
    """Run the checks that apply to ``task`` (none yet)."""
