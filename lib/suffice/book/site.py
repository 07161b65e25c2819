"""Checks on the book's sources and on the rendered HTML: no missing or empty page, no dangling link."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..errors import SufficeError

MIN_TEXT = 200  # characters of visible text a page's main article needs to count as non-empty


def check_source(path: Path) -> None:
    """Fail when a page's source is missing or has no content."""
    if not path.is_file():
        raise SufficeError(f"book page missing: {path}")
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text())
        if not any("".join(c.get("source", "")).strip() for c in nb.get("cells", [])):
            raise SufficeError(f"book page empty: {path}")
        return
    text = re.sub(r"\A---\n.*?\n---\n", "", path.read_text(), flags=re.S)
    if not text.strip():
        raise SufficeError(f"book page empty: {path}")


class _Page(HTMLParser):
    """Collects the local references (href/src) and the text of the main article."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.remote_scripts: list[str] = []
        self.text: list[str] = []
        self._depth = 0  # > 0 inside <article role="main"> (or <main>)
        self._skip = 0   # inside <script>/<style>

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("href", "src"):
            if a.get(k):
                self.refs.append(a[k])
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "script" and urlsplit(a.get("src") or "").netloc:
            self.remote_scripts.append(a["src"])
        if self._depth:
            self._depth += 1
        elif tag == "article" or tag == "main":
            self._depth = 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth and not self._skip:
            self.text.append(data)


def local_target(page: Path, ref: str) -> Path | None:
    """The file a relative reference on ``page`` points at (None for external/anchor references)."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path or ref.startswith("#"):
        return None
    return (page.parent / unquote(parts.path)).resolve()


def check_html(html_dir: Path, pages: list[str]) -> dict[str, int]:
    """Every listed page exists with non-empty text, every local href/src of every HTML file exists, and
    no page loads a script from the network (the book must render offline).

    ``pages`` are paths relative to the HTML folder without suffix.  Returns counts of what was checked.
    """
    html_dir = Path(html_dir)
    problems: list[str] = []
    counts = {"pages": 0, "references": 0, "audio": 0, "images": 0}
    for name in pages:
        f = html_dir / f"{name}.html"
        if not f.is_file():
            problems.append(f"page not rendered: {f}")
            continue
        p = _Page()
        p.feed(f.read_text())
        text = " ".join(" ".join(p.text).split())
        if len(text) < MIN_TEXT:
            problems.append(f"page nearly empty ({len(text)} characters of text): {f}")
        counts["pages"] += 1
    for f in sorted(html_dir.rglob("*.html")):
        if f.relative_to(html_dir).parts[0] == "_static":
            continue  # theme templates, not pages
        p = _Page()
        p.feed(f.read_text())
        problems += [f"{f.relative_to(html_dir)} loads a script from the network: {s}" for s in p.remote_scripts]
        for ref in p.refs:
            target = local_target(f, ref)
            if target is None:
                continue
            counts["references"] += 1
            if target.suffix == ".wav":
                counts["audio"] += 1
            if target.suffix in (".png", ".svg", ".jpg"):
                counts["images"] += 1
            if not target.exists():
                problems.append(f"{f.relative_to(html_dir)} references a missing file: {ref}")
    if problems:
        raise SufficeError("the rendered book has problems:\n  " + "\n  ".join(problems[:50]))
    return counts
