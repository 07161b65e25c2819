"""The rendered-page checker fails on what a reader would see wrong and passes a clean page."""
from __future__ import annotations

import pytest

from suffice.book import htmlcheck
from suffice.errors import SufficeError

CLEAN = """<html><body><nav><p>/home/in/the/theme is not the chapter</p></nav>
<main><article role="main"><h1>Chapter</h1>
<p>A rate of 0.26 [0.2, 0.3]; see the table.  A pipe | in prose is fine.</p>
<table><tr><th>model</th><th>rate</th></tr><tr><td>ast-tiny</td><td>0.26</td></tr></table>
<img src="_images/abc.png" alt="transfer matrix of the genre models">
<pre>| a | b |
| --- | --- |</pre>
<p>A relative path data/results/default and a URL https://example.org/tmp/x are fine.</p>
</article></main></body></html>"""


def page(body: str) -> str:
    return f"<html><body><main><article>{body}</article></main></body></html>"


def kinds(html: str) -> list[str]:
    return [p.kind for p in htmlcheck.page_problems(html, "p")]


def test_clean_page_passes():
    assert htmlcheck.page_problems(CLEAN) == []


@pytest.mark.parametrize("body, kind", [
    ("<p>| target | value |\n|---|---|\n| calls | 47.8 |</p>", "pipe-table"),
    ("<p>| target | value |\n|\u2014|\u2014|\n| calls | 47.8 |</p>", "pipe-table"),  # smartquotes' em dash
    ("<table><tr><td>music-genre sufficiencies transfer about 26% o...</td></tr></table>", "truncated-cell"),
    ("<table><tr><td>...</td></tr></table>", "truncated-cell"),
    ('<img src="_images/x.png">', "alt-text"),
    ('<img src="_images/x.png" alt="">', "alt-text"),
    ('<img src="_images/6a02b3d4996ca0aa1ca6cc30a47ed880f5e3b3968220830cdc1546acc3141645.png" '
     'alt="_images/6a02b3d4996ca0aa1ca6cc30a47ed880f5e3b3968220830cdc1546acc3141645.png">', "alt-text"),
    ("<pre>sufficient signal written to /tmp/fresh/p/book/_generated/own-checkpoint/x.wav</pre>", "machine-path"),
    ("<p>from /work/main/data/bench</p>", "machine-path"),
    ("<p>/home/user/x and /root/y</p>", "machine-path"),
    ('<div class="output traceback"><pre>ValueError</pre></div>', "traceback"),
    ("<pre>Traceback (most recent call last):\n  File \"x.py\", line 1</pre>", "traceback"),
])
def test_each_problem_is_found(body, kind):
    assert kind in kinds(page(body))


def test_site_check_raises_with_the_page_and_passes_clean_pages(tmp_path):
    (tmp_path / "good.html").write_text(CLEAN)
    assert htmlcheck.check_pages(tmp_path, ["good"]) == 1
    (tmp_path / "bad.html").write_text(page("<p>| a | b |\n| --- | --- |</p>"))
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "theme.html").write_text(page('<img src="x.png">'))  # theme files are not pages
    assert [p.page for p in htmlcheck.site_problems(tmp_path)] == ["bad"]
    with pytest.raises(SufficeError, match="bad: pipe-table"):
        htmlcheck.check_pages(tmp_path)
    assert htmlcheck.main([str(tmp_path)]) == 1
    with pytest.raises(SufficeError, match="no rendered book"):
        htmlcheck.site_problems(tmp_path / "missing")


def test_alt_text_extension_names_the_section_and_keeps_a_given_alt():
    from docutils.core import publish_doctree

    from suffice.book import alttext

    tree = publish_doctree("""
Chapter
=======

The transfer matrix
-------------------

.. image:: _images/6a02b3d4996ca0aa1ca6cc30a47ed880f5e3b3968220830cdc1546acc3141645.png

.. image:: _images/b784aae5.png
   :alt: the genre transfer matrix

Listening
---------

.. image:: _images/0b60b99cf47a37051030ebe6ae770ba93367184e268aef440edc74e7083bf08f.png

.. image:: _images/bd58ad2f201c79389cb5a14c5d17b44a886ba01099dbea7747941fd39a2d2ef6.png
""", settings_overrides={"report_level": 5})
    assert alttext.describe(tree) == 3
    alts = [im["alt"] for im in tree.findall(alttext.nodes.image)]
    assert alts == ["Figure of section \u201cThe transfer matrix\u201d, in \u201cChapter\u201d",
                    "the genre transfer matrix",
                    "Figure 1 of 2 of section \u201cListening\u201d, in \u201cChapter\u201d",
                    "Figure 2 of 2 of section \u201cListening\u201d, in \u201cChapter\u201d"]
    assert not any(htmlcheck.HASH_ALT.search(a) for a in alts)
