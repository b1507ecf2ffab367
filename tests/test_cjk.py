"""kubecapture.cjk: a soft line break between Japanese characters is no space on any page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from kubecapture.cjk import join_breaks, wide

REPO = Path(__file__).resolve().parent.parent


def render(text: str, *extensions: str) -> str:
    return markdown.markdown(text, extensions=["kubecapture.cjk", *extensions])


def test_a_break_between_japanese_characters_joins_them():
    assert (
        render("管理を行うための\nオープンソースです。")
        == "<p>管理を行うためのオープンソースです。</p>"
    )
    # Full-width punctuation and brackets are wide too; the indentation goes with the break.
    assert (
        render("- 「別の\n  Worker」と、\n  「別の」")
        == "<ul>\n<li>「別の\n  Worker」と、「別の」</li>\n</ul>"
    )


def test_a_break_next_to_english_digits_or_hangul_stays_a_space():
    text = "`kubectl`\nを使う。k8s の\n1.37 です。English\nwords. 이것은\n한국어"
    assert render(text) == markdown.markdown(text)


def test_a_break_around_inline_markup_joins_across_it():
    assert render("これは\n**大事な**\nことです") == "<p>これは<strong>大事な</strong>ことです</p>"
    # Code is read for its neighbour, never changed.
    assert render("値は\n`設定\nの値`\nです") == "<p>値は<code>設定\nの値</code>です</p>"


def test_code_blocks_and_raw_html_are_left_as_written():
    text = "```\n日本\n語\n```\n\n<div>日本\n語</div>\n\n    日本\n    語\n"
    assert render(text, "fenced_code") == markdown.markdown(text, extensions=["fenced_code"])


def test_blocks_are_not_joined_with_each_other():
    html = render("- 一つ目\n- 二つ目\n\n> 引用\n\n段落")
    assert "<li>一つ目</li>\n<li>二つ目</li>" in html
    assert join_breaks("日本\n\n語") == "日本\n\n語"  # a blank line is no soft break
    assert join_breaks("日本 \n  語") == "日本語"
    assert [wide(c) for c in "あア漢「。ｱa1(한"] == [True] * 6 + [False] * 4


# ---------------------------------------------------------------------------------------
# Every built page


_SKIP = {"pre", "code", "kbd", "samp", "script", "style", "textarea", "svg"}
_INLINE = {"a", "strong", "em", "b", "i", "span", "small", "sub", "sup", "mark", "abbr", "q"}
_VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "source", "col", "area"}


class _Text(HTMLParser):
    """The article's text as a reader's browser joins it: inline markup is no boundary,
    a block (and anything skipped) is one."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0  # inside <article>
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "article":
            self.depth += 1
        if tag in _VOID:
            self.parts.append("\0")
            return
        if tag in _SKIP:
            self.skip += 1
        if tag not in _INLINE:
            self.parts.append("\0")

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        if tag in _SKIP:
            self.skip -= 1
        if tag not in _INLINE:
            self.parts.append("\0")

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def soft_breaks(html: str) -> list[str]:
    """Each place where a line break sits between two wide characters, in context."""
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    found = []
    for m in re.finditer(r"(.)([ \t]*\n\s*)(.)", text):
        if wide(m[1]) and wide(m[3]):
            found.append(text[max(0, m.start() - 12) : m.end() + 12].replace("\0", "|"))
    return found


def test_the_checker_finds_what_markdown_alone_leaves():
    html = (
        "<article>"
        + markdown.markdown("管理を行うための\nオープンソースの **強\n調**")
        + "</article>"
    )
    assert len(soft_breaks(html)) == 2
    assert (
        soft_breaks("<article>" + render("管理を行うための\nオープンソース") + "</article>") == []
    )


@pytest.fixture(scope="module")
def notes_site(tmp_path_factory) -> Path:
    import os
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("cjk") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", KUBECAPTURE_MODE="replay")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return out


def test_no_built_page_shows_a_soft_break_between_japanese_characters(notes_site):
    pages = sorted(notes_site.rglob("*.html"))
    assert len(pages) > 10
    found = {
        str(p.relative_to(notes_site)): soft_breaks(p.read_text("utf-8"))
        for p in pages
        if soft_breaks(p.read_text("utf-8"))
    }
    assert found == {}
    overview = (notes_site / "course" / "02-overview.html").read_text("utf-8")
    assert "管理を行うためのオープンソースの" in overview


def test_outputs_stay_exactly_as_captured(notes_site):
    """The notes' pages in the source have breaks between Japanese characters; their
    outputs (in <pre>) keep every newline they were captured with."""
    section4 = (notes_site / "course" / "04-kubectl.html").read_text("utf-8")
    assert section4.count("<pre") > 5
    source = (REPO / "docs" / "course" / "02-overview.md").read_text("utf-8")
    assert "ための\nオープンソース" in source  # what the page above had to join
