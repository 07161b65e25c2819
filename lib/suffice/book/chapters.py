"""The book's table of contents: one registry, one line per page.

Every page of the book is one :class:`Page` in :data:`BOOK`, in reading order.  A narrative page is
a MyST markdown file under ``book/``; a notebook chapter is ``notebooks/<name>.md``, executed with
papermill under one parameter file per build profile.  ``book/_toc.yml`` is written from this list by
``python -m suffice.book build`` (and ``toc``), so adding a chapter is one line here.  A listed page
whose source is missing or empty fails the build.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from ..constants import PROFILES  # noqa: F401  (build profiles: the full default, the small smoke)
from ..errors import OptionError, UnknownNameError

#: data folders whose state is part of a notebook chapter's cache key unless it names its own;
#: ``{profile}`` is the chapter's ``profile`` parameter (the whole folder when it has none)
DEFAULT_DEPENDS: tuple[str, ...] = ("data/corpora/{profile}", "data/models/{profile}")


@dataclass(frozen=True)
class Page:
    """One page of the book.

    ``name`` is the file stem: ``book/<name>.md`` for a narrative page, ``notebooks/<name>.md`` for a
    notebook chapter (``notebook`` names another notebook when one notebook makes several pages, e.g.
    one per task).  ``params`` maps each profile to a YAML parameter file (notebook chapters only;
    a profile left out does not list the page).  ``part`` is the caption of the part the page opens.
    ``title`` overrides the page's title in the table of contents (for pages sharing a notebook).
    ``depends`` are data paths (files or folders, relative to the repository) whose state invalidates
    the chapter's cached execution.  ``timeout`` is the per-cell limit in seconds.
    """

    name: str
    params: Mapping[str, str] | None = None
    notebook: str | None = None
    title: str | None = None
    part: str | None = None
    depends: tuple[str, ...] = DEFAULT_DEPENDS
    timeout: int = 3600
    profiles: tuple[str, ...] = field(default=PROFILES)

    @property
    def is_notebook(self) -> bool:
        return self.params is not None

    @property
    def notebook_name(self) -> str:
        """The notebook (``notebooks/<notebook_name>.md``) this page executes."""
        return self.notebook or self.name

    def params_for(self, profile: str) -> str:
        """The parameter file this chapter runs with under ``profile``."""
        if not self.is_notebook:
            raise OptionError(f"page {self.name!r} is narrative: it has no parameters")
        check_profile(profile)
        try:
            return self.params[profile]  # type: ignore[index]
        except KeyError:
            raise OptionError(f"chapter {self.name!r} has no parameter file for profile {profile!r}") from None

    def in_profile(self, profile: str) -> bool:
        if self.is_notebook:
            return profile in self.params  # type: ignore[operator]
        return profile in self.profiles


# ---- the book, in reading order: add a chapter with one line ------------------------------------
# e.g. Page("genre", notebook="transferability", params={"default": "params/genre.yaml",
#                                                        "smoke": "params/smoke-genre.yaml"}, part="Tasks")
#: the task chapters' parameter files, whose studies the opening page and the deepfake information
#: chapter reuse (a change to one re-runs them)
TASK_PARAMS: tuple[str, ...] = tuple(f"params/{p}{t}.yaml" for t in ("genre", "emotion", "deepfake")
                                     for p in ("", "smoke-"))

BOOK: tuple[Page, ...] = (
    Page("intro", params={"default": "params/intro.yaml", "smoke": "params/smoke-intro.yaml"},
         depends=(*DEFAULT_DEPENDS, *TASK_PARAMS)),
    Page("method", part="Method"),
    Page("method_toy", params={"default": "params/toy.yaml", "smoke": "params/smoke-toy.yaml"}, depends=()),
    Page("data_models", part="Data and models", params={
        "default": "params/data_models.yaml", "smoke": "params/smoke-data_models.yaml"}),
    Page("genre", notebook="transferability", title="Music genre", part="Transferability by task",
         params={"default": "params/genre.yaml", "smoke": "params/smoke-genre.yaml"}),
    Page("emotion", notebook="transferability", title="Speech emotion",
         params={"default": "params/emotion.yaml", "smoke": "params/smoke-emotion.yaml"}),
    Page("deepfake", notebook="transferability", title="Deepfake detection",
         params={"default": "params/deepfake.yaml", "smoke": "params/smoke-deepfake.yaml"}),
    Page("deepfake_information", part="Analyses", params={
        "default": "params/deepfake_information.yaml", "smoke": "params/smoke-deepfake_information.yaml"},
         depends=(*DEFAULT_DEPENDS, *TASK_PARAMS)),
    Page("paper_comparison", params={
        "default": "params/paper_comparison.yaml", "smoke": "params/smoke-paper_comparison.yaml"}),
    Page("flips", params={"default": "params/flips.yaml", "smoke": "params/smoke-flips.yaml"}),
    Page("performance", params={"default": "params/performance.yaml"}, depends=("data/bench",)),
    Page("decisions", params={"default": "params/decisions.yaml"}, depends=("data/bench",)),
    Page("statistics", params={"default": "params/statistics.yaml", "smoke": "params/smoke-statistics.yaml"}, depends=()),
    Page("teaching", part="Teaching", depends=(),
         params={"default": "params/teaching.yaml", "smoke": "params/teaching.yaml"}),
    Page("reproduce", part="Using suffice"),
    Page("own_checkpoint", params={"default": "params/own_checkpoint.yaml", "smoke": "params/own_checkpoint.yaml"}, depends=()),
    Page("references"),
)
ROOT = BOOK[0].name


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise UnknownNameError(f"unknown profile {profile!r}; known profiles: {', '.join(PROFILES)}")
    return profile


def pages(profile: str = "default", only: Sequence[str] | None = None) -> list[Page]:
    """The pages the book lists under ``profile``, in order.

    ``only`` keeps just the named notebook chapters (narrative pages and the root page always stay): a
    partial book for tests and for authors working on one chapter.
    """
    check_profile(profile)
    listed = [p for p in BOOK if p.in_profile(profile)]
    if only is None:
        return listed
    known = {p.name for p in listed if p.is_notebook}
    unknown = sorted(set(only) - known)
    if unknown:
        raise UnknownNameError(f"no notebook chapter(s) {unknown} in profile {profile!r}; "
                               f"chapters: {', '.join(sorted(known))}")
    return [p for p in listed if not p.is_notebook or p.name in only or p.name == ROOT]


def chapter(name: str) -> Page:
    """The notebook chapter called ``name`` (a page name, or the notebook of a page)."""
    for p in BOOK:
        if p.is_notebook and name in (p.name, p.notebook_name):
            return p
    raise UnknownNameError(unknown_chapter(name))


def page_of_run(notebook: str, params_file: str | os.PathLike | None, root: Path) -> Page | None:
    """The page that runs ``notebooks/<notebook>.md`` with ``params_file`` (one of its profiles' parameter
    files, relative to ``root``), or None (e.g. a parameter file of the user's own)."""
    if params_file is None:
        return None
    wanted = Path(params_file).resolve()
    return next((p for p in BOOK if p.is_notebook and p.notebook_name == notebook
                 and any((root / f).resolve() == wanted for f in p.params.values())), None)  # type: ignore[union-attr]


def task_heading(heading: str, title: str) -> str:
    """The heading of a page that shares its notebook, naming the page: ``"Do sufficiencies transfer?"``
    and ``"Music genre"`` give ``"Do sufficiencies transfer? Music genre"`` (a colon after a heading
    without final punctuation); a heading that already ends with the title is kept."""
    heading, title = heading.strip(), title.strip()
    if not title or heading.endswith(title):
        return heading
    if not heading:
        return title
    return f"{heading} {title}" if heading[-1] in "?!." else f"{heading}: {title}"


def notebook_names() -> list[str]:
    """The names ``run-chapter`` takes (``notebooks/<name>.md``), in reading order, each once."""
    return list(dict.fromkeys(p.notebook_name for p in BOOK if p.is_notebook))


def unknown_chapter(name: str) -> str:
    """What to say about a chapter name that is no notebook: the command to run when it is a page of a
    shared notebook (a task: ``genre`` is ``transferability`` with ``params/genre.yaml``), else close
    matches and every chapter name."""
    import difflib
    known = notebook_names()
    page = next((p for p in BOOK if p.is_notebook and p.name == name and p.notebook_name != name), None)
    if page is not None:
        params = page.params or {}
        smoke = f" (smoke profile: --params {params['smoke']})" if "smoke" in params else ""
        return (f"{name!r} is a page of the {page.notebook_name!r} notebook, not a notebook of its own: run "
                f"`suffice book run-chapter {page.notebook_name} --params {params.get('default')}`{smoke}")
    pages = [p.name for p in BOOK if p.is_notebook]
    close = difflib.get_close_matches(name, list(dict.fromkeys(known + pages)), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return f"unknown chapter {name!r}; {hint}chapters: {', '.join(known)}"
