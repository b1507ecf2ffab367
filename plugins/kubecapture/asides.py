"""What search skips, kept out of a page's content while MkDocs indexes it.

Material's search parses every tag of a page, skipped ones too, and the parts of a snippet
that search skips (provenance, change markers, earlier outputs, the tabs' frame) are most
of its tags. Each such part stands as an HTML comment in the page's content and comes
back in the finished page (the plugin's `on_post_page`), so the site's HTML is the same.
"""

from __future__ import annotations

import re
import secrets
import zlib

from .markup import HTML


class Asides:
    """The parts of the snippets that search skips (provenance, change markers, earlier
    outputs), kept out of the pages' content while it is indexed: Material's search parses
    every tag of a page, skipped ones too, and these are most of a snippet's tags. Each
    part stands as an HTML comment until the finished page (`on_post_page`) gets it back,
    so the site's HTML is the same. The comments carry a token of this build, so no text
    of a page can be taken for one.

    MkDocs renders every page's Markdown before it writes any page, so the parts of all
    pages wait at once: each page's are kept compressed (`seal`, when its content is done),
    a few percent of their size."""

    def __init__(self):
        self.token = secrets.token_hex(6)
        self._placeholder = re.compile(rf"<!--kc-aside-{self.token}-(\d+)-(\d+)-->")
        self._sealed: list[tuple[list[int], bytes]] = []  # per page: lengths, text
        self._open: list[str] = []  # the parts of the page being rendered
        self._unpacked: tuple[int, list[str]] | None = None  # the last page restored

    def __call__(self, html: HTML) -> HTML:
        """The placeholder that stands for `html` (escaped already: an `HTML`)."""
        self._open.append(str(HTML.escape(html)))
        return HTML("<!--kc-aside-%s-%d-%d-->") % (
            self.token,
            len(self._sealed),
            len(self._open) - 1,
        )

    def seal(self) -> None:
        """The page's content is done: keep its parts compressed."""
        if self._open:
            lengths = [len(part) for part in self._open]
            self._sealed.append((lengths, zlib.compress("".join(self._open).encode(), 1)))
            self._open = []

    def restore(self, text: str) -> str:
        if f"<!--kc-aside-{self.token}-" not in text:
            return text
        return self._placeholder.sub(lambda m: self._parts(int(m[1]))[int(m[2])], text)

    def _parts(self, n: int) -> list[str]:
        if n == len(self._sealed):  # not sealed yet (its content is still being made)
            return self._open
        if self._unpacked is None or self._unpacked[0] != n:
            lengths, packed = self._sealed[n]
            text, parts, start = zlib.decompress(packed).decode(), [], 0
            for length in lengths:
                parts.append(text[start : start + length])
                start += length
            self._unpacked = (n, parts)
        return self._unpacked[1]
