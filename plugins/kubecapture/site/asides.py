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

from ..base.markup import HTML, fmt

_LEVEL = 1  # with the dictionary about half the size of level 1 without it
_WINDOW = 32 * 1024  # zlib uses a dictionary's last 32 KiB
_PADDING = re.compile(" {2,}")  # a table's column padding, in what search indexes


class Asides:
    """The parts of the snippets that search skips (provenance, change markers, earlier
    outputs), kept out of the pages' content while it is indexed: Material's search parses
    every tag of a page, skipped ones too, and these are most of a snippet's tags. Each
    part stands as an HTML comment until the finished page (`on_post_page`) gets it back,
    so the site's HTML is the same. The comments carry a token of this build, so no text
    of a page can be taken for one.

    MkDocs renders every page's Markdown before it writes any page, so the parts of all
    pages wait at once: each page's are kept compressed (`seal`, when its content is done),
    with the first page's parts as zlib's dictionary (the pages' snippets share most of
    their markup), a few percent of their size.

    The newest outputs, which search does index, wait the same way (`hold`): each page's
    come back into its content just before search parses it (`for_search`, the plugin's
    `on_page_context`), so the site's pages never hold every output at once. What search
    gets of an output has its column padding squeezed to one space: the same words (its
    index splits them at whitespace), half the characters of a kubectl table, and the
    index is the largest thing a build holds (three copies while it is written). The
    finished page gets the output as captured (`restore`)."""

    def __init__(self):
        self.token = secrets.token_hex(6)
        self._placeholder = re.compile(rf"<!--kc-aside-{self.token}-(\d+)-(\d+)-->")
        self._held = re.compile(rf"<!--kc-held-{self.token}-(\d+)-(\d+)-->")
        # an output as search got it: its placeholder, the squeezed text, an end mark
        self._shown = re.compile(
            rf"<!--kc-shown-{self.token}-(\d+)-(\d+)-->.*?<!--kc-shown-{self.token}-->", re.S
        )
        self._sealed: list[tuple[list[int], bytes]] = []  # per page: lengths, text
        self._dictionary = b""  # the first sealed page's parts (at most zlib's 32 KiB)
        self._open: list[str] = []  # the parts of the page being rendered
        self._unpacked: tuple[int, list[str]] | None = None  # the last page restored

    def __call__(self, html: HTML, kind: str = "aside") -> HTML:
        """The placeholder that stands for `html` (escaped already: an `HTML`)."""
        self._open.append(str(HTML.escape(html)))
        return fmt(
            "<!--kc-%s-%s-%d-%d-->", kind, self.token, len(self._sealed), len(self._open) - 1
        )

    def hold(self, html: HTML) -> HTML:
        """A part search indexes (an output): back in the content before search parses it."""
        return self(html, "held")

    def for_search(self, text: str) -> str:
        """`text` with its held parts back as search is to index them, padding squeezed,
        each between marks `restore` finds (asides stay placeholders)."""
        if f"<!--kc-held-{self.token}-" not in text:
            return text
        end = f"<!--kc-shown-{self.token}-->"

        def shown(m: re.Match) -> str:
            part = _PADDING.sub(" ", self._part(m))
            return f"<!--kc-shown-{self.token}-{m[1]}-{m[2]}-->{part}{end}"

        return self._held.sub(shown, text)

    def seal(self) -> None:
        """The page's content is done: keep its parts compressed."""
        if self._open:
            lengths = [len(part) for part in self._open]
            text = "".join(self._open).encode()
            if not self._sealed:
                self._dictionary = text[-_WINDOW:]
            packer = zlib.compressobj(_LEVEL, zdict=self._dictionary)
            self._sealed.append((lengths, packer.compress(text) + packer.flush()))
            self._open = []

    def restore(self, text: str) -> str:
        """`text` with every part back as it was rendered, held ones included."""
        if f"-{self.token}-" not in text:
            return text
        for pattern in (self._shown, self._held, self._placeholder):
            text = pattern.sub(self._part, text)
        return text

    def _part(self, m: re.Match) -> str:
        return self._parts(int(m[1]))[int(m[2])]

    def _parts(self, n: int) -> list[str]:
        if n == len(self._sealed):  # not sealed yet (its content is still being made)
            return self._open
        if self._unpacked is None or self._unpacked[0] != n:
            lengths, packed = self._sealed[n]
            unpacker = zlib.decompressobj(zdict=self._dictionary)
            text, parts, start = (unpacker.decompress(packed) + unpacker.flush()).decode(), [], 0
            for length in lengths:
                parts.append(text[start : start + length])
                start += length
            self._unpacked = (n, parts)
        return self._unpacked[1]
