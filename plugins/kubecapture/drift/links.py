"""Links from the change page to the notes' pages and snippets (where MkDocs puts them),
and the pages' titles as their readers see them."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..base.snippets import FRONT_MATTER

if TYPE_CHECKING:
    from .driftreport import DriftEntry

_SNIPPET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # snippets.py's id rule
_PAGE = re.compile(r"(?:[\w.-]+/)*[\w.-]+\.md")


class Links:
    def __init__(self, here: str, titles: dict[str, str], directory_urls: bool):
        self.here = here
        self.titles = titles
        self.directory_urls = directory_urls

    def title(self, page: str) -> str:
        return self.titles.get(page) or page

    def page(self, page: str) -> str | None:
        """The relative URL of a docs page, or None for a path that is not a plain one."""
        if not _safe_page(page) or not _safe_page(self.here):
            return None
        target, here = _url(page, self.directory_urls), _url(self.here, self.directory_urls)
        base = here.rstrip("/") if here.endswith("/") or not here else posixpath.dirname(here)
        relative = posixpath.relpath(target or ".", base or ".")
        if not target or target.endswith("/"):
            relative = relative.rstrip("/") + "/"
        return quote(relative, safe="/")

    def snippet(self, e: DriftEntry) -> str | None:
        """The snippet's anchor (render.py: `kc-<id>`); a snippet without an id has none."""
        href = self.page(e.page)
        if href is None or not isinstance(e.ref, str) or not _SNIPPET_ID.fullmatch(e.ref):
            return href
        return f"{href}#kc-{quote(e.ref, safe='')}"


def _safe_page(page: str) -> bool:
    return bool(_PAGE.fullmatch(page)) and not any(part in (".", "..") for part in page.split("/"))


def _url(page: str, directory_urls: bool) -> str:
    """Where MkDocs puts a page, relative to the site's root (`index.md` -> `` or
    `index.html`)."""
    stem = page[: -len(".md")]
    if not directory_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def titles_of(docs_dir: Path | None, pages: Iterable[str]) -> dict[str, str]:
    """Each page's title as its reader sees it: `title:` of its front matter, else its
    first `# heading`; pages that cannot be read get none."""
    titles = {}
    for page in pages:
        if docs_dir is None or not _safe_page(page):
            continue
        try:
            text = (docs_dir / page).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        title = _title(text)
        if title:
            titles[page] = title
    return titles


def _title(text: str) -> str:
    """Line by line, in time linear in the page (a page is a stranger's: the regexes this
    replaces were quadratic in a line of blanks or a page of unclosed fences)."""
    front = FRONT_MATTER.match(text)
    if front:
        for line in front.group(1).split("\n"):
            if line.startswith("title:"):
                title = line[len("title:") :].strip(" \t")
                if title:
                    return title.strip("'\"")
        text = text[front.end() :]
    for line in _outside_fences(text.split("\n")):
        if line.startswith("#") and line[1:2] in (" ", "\t"):
            heading = _closing_hashes(line[1:].strip(" \t"))
            if heading:
                return heading.replace("`", "")
    return ""


def _outside_fences(lines: list[str]):
    """The lines outside fenced code: a line that starts with ``` or ~~~ opens a block that
    the next line of just that fence closes (an opening line without one is text)."""
    closers: dict[str, list[int]] = {"```": [], "~~~": []}
    for i, line in enumerate(lines):
        if line[:3] in closers and not line[3:].strip(" \t"):
            closers[line[:3]].append(i)
    nexts = {fence: 0 for fence in closers}
    i = 0
    while i < len(lines):
        fence = lines[i][:3]
        if fence in closers:
            found, k = closers[fence], nexts[fence]
            while k < len(found) and found[k] <= i:
                k += 1
            nexts[fence] = k
            if k < len(found):
                i = found[k] + 1
                continue
        yield lines[i]
        i += 1


def _closing_hashes(heading: str) -> str:
    """`# Title ##` reads `Title`: closing hashes after a blank are not part of it."""
    bare = heading.rstrip("#")
    if bare != heading and bare[-1:] in (" ", "\t"):
        return bare.rstrip(" \t")
    return heading
