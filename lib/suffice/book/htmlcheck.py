"""What a reader would see wrong on a rendered page, found by parsing its HTML.

Fails on: a Markdown pipe table printed as text (a CommonMark renderer has no tables), a table cell cut
short with "..." (pandas truncates long cells), an image without alt text or with a file name/hash as its
alt text, an absolute path of the build machine (``/work/``, ``/home/``, ``/tmp/``, ``/root/``) and a
Python traceback.  Only the page's main article is read (the theme's navigation is not a chapter's).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from ..errors import SufficeError

# the | --- | line under a pipe table's header (a typographer may have made --- an em dash)
PIPE_RULE = re.compile(r"\|\s*:?(?:-{3,}|[\u2013\u2014]+-*):?\s*\|")
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|home|tmp|root)/[\w.~-]")
TRUNCATED = re.compile(r"(?:\.\.\.|…)$")
HASH_ALT = re.compile(  # an alt text that is only a file name (myst-nb names figures by their hash)
    r"(?:^|/)[0-9a-f]{16,}(?:\.\w+)?$|\.(?:png|svg|jpe?g|gif)$", re.I)
TRACEBACK = "Traceback (most recent call last)"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong on one page: ``kind`` (pipe-table, truncated-cell, alt-text, machine-path,
    traceback) and what was seen."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


class _Article(HTMLParser):
    """Walks the main article: paragraphs' text, table cells' text, images' alt, all visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[tuple[str, str]] = []
        self.text: list[str] = []          # all visible text of the article
        self._depth = 0                    # > 0 inside <article>/<main>
        self._skip = 0                     # inside <script>/<style>
        self._code = 0                     # inside <pre>/<code>: source shown as source
        self._para: list[str] | None = None
        self._cell: list[str] | None = None
        self._traceback_block = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if not self._depth:
            if tag in ("article", "main"):
                self._depth = 1
            return
        if tag not in VOID:
            self._depth += 1
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("pre", "code"):
            self._code += 1
        elif tag == "p":
            self._para = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "img":
            alt = (a.get("alt") or "").strip()
            src = a.get("src") or "?"
            if not alt:
                self.problems.append(("alt-text", f"image without alt text: {src}"))
            elif HASH_ALT.search(alt):
                self.problems.append(("alt-text", f"image whose alt text is its file name: {alt}"))
        if "traceback" in (a.get("class") or "").split():
            self.problems.append(("traceback", "an error output (traceback) is shown"))

    def handle_endtag(self, tag):
        if not self._depth:
            return
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        elif tag in ("pre", "code") and self._code:
            self._code -= 1
        elif tag == "p" and self._para is not None:
            text = "".join(self._para)
            if PIPE_RULE.search(text):
                self.problems.append(("pipe-table", f"a Markdown table printed as text: {_clip(text)}"))
            self._para = None
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if TRUNCATED.search(text):
                self.problems.append(("truncated-cell", f"a table cell cut short: {_clip(text)}"))
            self._cell = None
        self._depth -= 1

    def handle_data(self, data):
        if not self._depth or self._skip:
            return
        self.text.append(data)
        if self._para is not None and not self._code:
            self._para.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _clip(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def page_problems(html: str, page: str = "page") -> list[Problem]:
    """Everything wrong with one page's HTML (an empty list for a clean page)."""
    p = _Article()
    p.feed(html)
    p.close()
    found = [Problem(page, k, d) for k, d in p.problems]
    text = "".join(p.text)
    for m in MACHINE_PATH.finditer(text):
        found.append(Problem(page, "machine-path", f"an absolute path of the build machine: "
                                                   f"{_clip(text[max(0, m.start() - 20): m.end() + 40])}"))
    if TRACEBACK in text and not any(x.kind == "traceback" for x in found):
        found.append(Problem(page, "traceback", "a Python traceback is printed"))
    return found


def page_files(html_dir: Path, pages: list[str] | None = None) -> list[Path]:
    """The HTML files of ``pages`` (names relative to ``html_dir`` without suffix; default: every HTML
    file outside ``_static``, ``_sources``, ``genindex`` and ``search``)."""
    html_dir = Path(html_dir)
    if not html_dir.is_dir():
        raise SufficeError(f"no rendered book at {html_dir}")
    if pages is not None:
        return [html_dir / f"{name}.html" for name in pages]
    return [f for f in sorted(html_dir.rglob("*.html"))
            if f.relative_to(html_dir).parts[0] not in ("_static", "_sources") and f.stem not in ("genindex", "search")]


def site_problems(html_dir: Path, pages: list[str] | None = None) -> list[Problem]:
    """Problems of every page of :func:`page_files` (a page not rendered is :mod:`.site`'s to report)."""
    found: list[Problem] = []
    for f in page_files(html_dir, pages):
        if f.is_file():
            found += page_problems(f.read_text(errors="replace"), str(f.relative_to(html_dir).with_suffix("")))
    return found


def check_pages(html_dir: Path, pages: list[str] | None = None) -> int:
    """Raise listing what a reader would see wrong on the rendered pages; returns how many were read."""
    found = site_problems(html_dir, pages)
    if found:
        raise SufficeError(f"the rendered book shows {len(found)} problem(s) a reader would see:\n  "
                           + "\n  ".join(map(str, found[:60]))
                           + (f"\n  ... and {len(found) - 60} more" if len(found) > 60 else ""))
    return sum(f.is_file() for f in page_files(html_dir, pages))


def main(argv: list[str] | None = None) -> int:
    """``python -m suffice.book.htmlcheck HTML_DIR``: print the problems, exit 1 when there are any."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m suffice.book.htmlcheck", description=main.__doc__)
    ap.add_argument("html_dir", type=Path)
    args = ap.parse_args(argv)
    found = site_problems(args.html_dir)
    for p in found:
        print(p)
    kinds = sorted({p.kind for p in found})
    print(f"{len(found)} problem(s)" + (f" ({', '.join(f'{k}: {sum(p.kind == k for p in found)}' for k in kinds)})"
                                         if found else ""))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
