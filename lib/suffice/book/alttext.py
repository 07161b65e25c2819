"""Sphinx extension: every image of a chapter gets alt text that says where it sits, not its file name.

A figure a notebook cell draws reaches the page as an image named by the hash of its bytes, and without
an ``alt`` the HTML writer uses that file name as the alt text.  This fills in, for each image whose alt
text is missing or a file name: "Figure k of section <section title>, in <page title>" (with the
section's own number k when it holds several figures).  An alt text set in the source
(``mystnb: image: alt:`` cell metadata, or ``:alt:`` of an image directive) is kept.

Enabled in ``book/_config.yml`` (``sphinx: extra_extensions``).
"""
from __future__ import annotations

from typing import Any

from docutils import nodes

from .htmlcheck import HASH_ALT


def needs_alt(image: nodes.image) -> bool:
    """True when the image has no alt text, or only its file name."""
    alt = (image.get("alt") or "").strip()
    return not alt or alt == image.get("uri") or bool(HASH_ALT.search(alt))


def _section_title(node: nodes.Node) -> tuple[nodes.Element | None, str]:
    """The innermost section around ``node`` and its title text."""
    parent = node.parent
    while parent is not None and not isinstance(parent, nodes.section):
        parent = parent.parent
    if parent is None:
        return None, ""
    title = next((c for c in parent.children if isinstance(c, nodes.title)), None)
    return parent, " ".join(title.astext().split()) if title is not None else ""


def describe(doctree: nodes.document) -> int:
    """Fill the alt text of every image of ``doctree`` that needs it; returns how many were filled."""
    first = next(iter(doctree.findall(nodes.title)), None)
    page = " ".join(first.astext().split()) if first is not None else ""
    images = [im for im in doctree.findall(nodes.image) if needs_alt(im)]
    per_section: dict[int, list[nodes.image]] = {}
    for im in images:
        section, _ = _section_title(im)
        per_section.setdefault(id(section), []).append(im)
    for group in per_section.values():
        for k, im in enumerate(group, 1):
            _, title = _section_title(im)
            what = f"Figure {k} of {len(group)}" if len(group) > 1 else "Figure"
            where = f" of section \u201c{title}\u201d" if title and title != page else ""
            im["alt"] = f"{what}{where}" + (f", in \u201c{page}\u201d" if page else "")
    return len(images)


def _on_doctree_read(app: Any, doctree: nodes.document) -> None:
    describe(doctree)


def setup(app: Any) -> dict[str, Any]:
    """Register with Sphinx."""
    app.connect("doctree-read", _on_doctree_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
