"""``build``: run every chapter of a profile, then render the book with jupyter-book, offline.

Steps: write ``book/_toc.yml`` from :data:`~suffice.book.chapters.BOOK`; execute each notebook chapter
(:func:`~suffice.book.run.run_chapter`, skipped when current) and copy it to ``book/<page>.ipynb``
(git-ignored), so that every page, narrative or notebook, is ``{doc}`/<page>``` and
``<page>.html``; stage the static files the HTML needs but Sphinx does not copy (MathJax from
``node_modules``, the chapters' audio) under ``book/_generated/site`` (the book's
``html_extra_path``, copied into the HTML root); check every page's source; run ``jupyter-book build``
with warnings as errors; check every page, figure and audio file the HTML references, and what a reader
would see wrong on each page (:mod:`~suffice.book.htmlcheck`).

Audio: a chapter's kernel runs in ``book/_generated`` and writes ``audio/<run id>/*.wav`` there; its
players reference ``audio/<run id>/...`` relatively, which resolves both next to the executed notebook
and, once staged, next to the rendered page.
"""
from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from ..errors import SufficeError
from .chapters import PROFILES, ROOT, Page, check_profile, pages
from .run import repo_root, run_chapter
from .htmlcheck import check_pages
from .site import check_html, check_source

GENERATED = "_generated"
SITE = f"{GENERATED}/site"           # html_extra_path: copied as-is into the HTML root
MATHJAX_FILES = ("tex-mml-chtml.js", "input", "output", "ui", "a11y", "adaptors", "sre")


def page_source(page: Page, root: Path) -> Path:
    """The file the book renders for ``page``."""
    return root / "book" / f"{page.name}.{'ipynb' if page.is_notebook else 'md'}"


def page_doc(page: Page) -> str:
    """The page's document name inside the book (what the TOC, ``{doc}`` links and the HTML use)."""
    return page.name


def toc_text(profile: str = "default", only: Sequence[str] | None = None) -> str:
    """``_toc.yml`` for ``profile``: the root page, then chapters grouped into parts."""
    listed = pages(profile, only)
    if not listed or listed[0].name != ROOT:
        raise SufficeError(f"the book's first page must be {ROOT!r}")
    lines = ["# Written by `python -m suffice.book toc` from lib/suffice/book/chapters.py: edit that list.",
             "format: jb-book", f"root: {page_doc(listed[0])}", "parts:"]
    for p in listed[1:]:
        if p.part or len(lines) == 4:
            lines += [f"- caption: {p.part or 'Chapters'}", "  chapters:"]
        lines.append(f"  - file: {page_doc(p)}")
        if p.title:
            lines.append(f"    title: {json.dumps(p.title)}")
    return "\n".join(lines) + "\n"


def write_toc(root: Path, profile: str = "default", only: Sequence[str] | None = None) -> Path:
    """Write the TOC: ``book/_toc.yml`` for the whole default book, ``book/_generated/_toc.<profile>.yml``
    for another profile or a partial book (so that the committed TOC always lists the whole book)."""
    whole = only is None and profile == "default"
    path = root / "book" / ("_toc.yml" if whole else f"{GENERATED}/_toc.{profile}{'' if only is None else '.partial'}.yml")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = toc_text(profile, only)
    if not path.is_file() or path.read_text() != text:
        path.write_text(text)
    return path


def ensure_mathjax(root: Path) -> Path:
    """MathJax 3 from ``node_modules`` (installed with ``npm ci`` from package-lock.json if missing)."""
    src = root / "node_modules" / "mathjax" / "es5"
    if not (src / "tex-mml-chtml.js").is_file():
        npm = shutil.which("npm")
        if npm is None:
            raise SufficeError("MathJax is missing and npm is not installed: install Node.js with npm "
                               "(Debian: apt-get install npm), then run `npm ci` in the repository")
        cmd = [npm, "ci" if (root / "package-lock.json").is_file() else "install", "--no-audit", "--no-fund"]
        subprocess.run(cmd, cwd=root, check=True)
    if not (src / "tex-mml-chtml.js").is_file():
        raise SufficeError(f"MathJax not found at {src} after npm install")
    return src


def _sync(src: Path, dst: Path) -> None:
    """Copy ``src`` (file or tree) to ``dst``, rewriting only files whose content changed."""
    if src.is_file():
        if not dst.is_file() or not filecmp.cmp(src, dst, shallow=False):
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        return
    for f in src.rglob("*"):
        if f.is_file():
            _sync(f, dst / f.relative_to(src))


def stage_site(root: Path) -> Path:
    """Fill ``book/_generated/site`` (copied into the HTML root) with MathJax and the chapters' audio."""
    site = root / "book" / SITE
    mj = ensure_mathjax(root)
    for name in MATHJAX_FILES:
        if (mj / name).exists():
            _sync(mj / name, site / "mathjax" / name)
    audio = root / "book" / GENERATED / "audio"
    if audio.is_dir():
        _sync(audio, site / "audio")
    return site


def jupyter_book(root: Path, *, toc: Path | None = None, fresh: bool = False) -> None:
    """``jupyter-book build book/`` with warnings as errors and nitpicky references."""
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else (shutil.which("jupyter-book") or "jupyter-book"),
           "build", str(root / "book"), "--builder", "html", "-W", "-n", "--keep-going"]
    if toc is not None:
        cmd += ["--toc", str(toc)]
    if fresh:
        cmd.append("--all")
    r = subprocess.run(cmd, cwd=root)
    if r.returncode != 0:
        raise SufficeError(f"jupyter-book build failed (exit {r.returncode}); the warnings above say why")


def _clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour)."""
    m, sec = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def build(profile: str = "default", *, root: Path | None = None, fresh: bool = False,
          force_run: bool = False, only: Sequence[str] | None = None) -> Path:
    """Run every chapter listed for ``profile`` and render the book; returns the HTML folder.

    ``only``: just these notebook chapters (and every narrative page), listed in a partial TOC under
    ``book/_generated`` (the committed ``book/_toc.yml`` is left alone).
    """
    check_profile(profile)
    root = root or repo_root()
    t0 = time.perf_counter()
    listed = pages(profile, only)
    toc = write_toc(root, profile, only)
    chapters = [p for p in listed if p.is_notebook]
    done = 0
    for page in listed:
        if page.is_notebook:
            done += 1
            print(f"[{done}/{len(chapters)}] chapter {page.name} ({page.params_for(profile)}), "
                  f"{_clock(time.perf_counter() - t0)} into the build ...", flush=True)
            res = run_chapter(page.notebook_name, root / page.params_for(profile), root=root, force=force_run)
            print(f"[{done}/{len(chapters)}] chapter {page.name}: "
                  f"{'current, not re-run' if res.skipped else f'executed in {res.seconds:.0f} s'}"
                  f" ({res.notebook.relative_to(root)}); elapsed {_clock(time.perf_counter() - t0)}", flush=True)
            _sync(res.notebook, page_source(page, root))
        check_source(page_source(page, root))
    stage_site(root)
    jupyter_book(root, toc=toc, fresh=fresh)
    html = root / "book" / "_build" / "html"
    counts = check_html(html, [page_doc(p) for p in listed])
    check_pages(html, [page_doc(p) for p in listed])  # what a reader would see wrong: raw tables, paths, ...
    print(f"book ({profile}) built in {time.perf_counter() - t0:.0f} s: {counts['pages']} pages, "
          f"{counts['references']} local references checked ({counts['images']} images, "
          f"{counts['audio']} audio): {html / 'index.html'}", flush=True)
    return html


__all__ = ["build", "toc_text", "write_toc", "stage_site", "ensure_mathjax", "page_doc", "PROFILES"]
