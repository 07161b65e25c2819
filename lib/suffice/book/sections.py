"""A chapter section as a library function's result: what it computed and what the chapter shows.

A chapter's code cells call a function per section and display its :class:`Section` with :func:`show`,
so the notebook holds the narrative and the calls, and the section's tables and sentences are tested
in the library.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Section", "show"]


@dataclass
class Section:
    """A section's result (``value``; ``None`` where the study cannot give it) and what it shows, in order
    (``shown``: a ``str`` is a Markdown sentence, anything else a table)."""

    value: Any = None
    shown: list = field(default_factory=list)


def show(*sections: Section | str | Any) -> None:
    """Display sections (their ``shown`` items), Markdown strings and tables in a notebook, in order."""
    from IPython.display import Markdown, display

    for item in sections:
        for x in (item.shown if isinstance(item, Section) else [item]):
            display(Markdown(x) if isinstance(x, str) else x)
