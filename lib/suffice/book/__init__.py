"""Build orchestration for the suffice book: run chapters with papermill, render with jupyter-book.

``python -m suffice.book run-chapter NAME --params FILE`` executes one notebook chapter;
``python -m suffice.book build --profile default|smoke`` runs every chapter and renders the book.
Notebooks call :func:`provenance` to show what they ran with.
"""
from __future__ import annotations

from .chapters import BOOK, PROFILES, Page, chapter, pages
from .provenance import provenance
from .run import RunResult, run_chapter


def build(profile: str = "default", **kwargs):
    """Run every chapter of ``profile`` and render the book (see :mod:`suffice.book.build`)."""
    from .build import build as _build

    return _build(profile, **kwargs)


__all__ = ["BOOK", "PROFILES", "Page", "chapter", "pages", "provenance", "RunResult", "run_chapter", "build"]
