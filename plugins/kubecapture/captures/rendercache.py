"""A page's rendered snippets kept between builds (the `cache` option, as readcache.py).

Replaying a page parses its capture file and renders every snippet: with three outputs
per snippet, more than half of what kubecapture adds to a build. When nothing a page's
snippets are made from changed (the capture file's bytes, the page's snippets, the
options that shape the HTML, kubecapture's own code), the HTML is the same as last
time: it is read back instead, and the capture file is not parsed at all.

What is kept per page: each fence's HTML, keyed by what the fence says (its text, its
options, which occurrence of its snippet it is); the parts search skips, kept apart so
that they go aside (asides.py) as when rendered; and what the page's warnings are made
of, so they are said again. A fence not found renders as usual (its capture file is
read then) and the page's entry is written anew. Entries are readcache.py's: tagged
with this machine's key, so a file planted in the checkout is a miss, never HTML on a
page.
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import zlib
from pathlib import Path

from ..base import log
from ..base.markup import HTML
from . import readcache

_SCHEMA = "kubecapture-rendercache 2"


@functools.cache
def code_digest() -> bytes:
    """kubecapture's own source: another version renders other HTML."""
    h = hashlib.blake2b(digest_size=16)
    root = Path(__file__).parents[1]
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.digest()


def fence_key(src: str, options: dict, n: int | None, tab_set: str) -> str:
    """What one fence renders from besides the page: its text, its options, and which
    occurrence of its snippet it is on the page."""
    return json.dumps([src, sorted(options.items()), n, tab_set], default=str)


class PageRenders:
    """The rendered fences of one page: those of an earlier build with the same inputs
    (`get`), and the ones this build renders (`add`), written at the page's end (`save`).

    `inputs` must hold everything the page's HTML depends on besides each fence's own
    key: the capture file's bytes, the page's plan, the render options."""

    def __init__(self, cache_dir: Path, capture_file: Path, inputs: bytes):
        self._where = (cache_dir, f"rendered {capture_file.resolve()}")
        self._source = code_digest() + inputs
        self._fences: dict[str, tuple] = {}
        self._state: tuple = ()
        self._changed = False
        payload = readcache.get(*self._where, self._source, _SCHEMA)
        self.hit = False  # an earlier build's entry: its capture file parsed fine
        if payload is not None:
            try:
                self._state, self._fences = marshal.loads(zlib.decompress(payload))
                self.hit = True
            except (ValueError, EOFError, TypeError, zlib.error):
                pass

    # -- what the page as a whole said (fence.log_replay_state) ----------------------------

    def state(self) -> tuple[bool, int] | None:
        """(stale, snippets without a capture) when the page was rendered; None: unknown."""
        return (bool(self._state[0]), int(self._state[1])) if self.hit and self._state else None

    def keep_state(self, stale: bool, missing: int) -> None:
        self._state = (stale, missing)
        self._changed = True

    # -- fences ------------------------------------------------------------------------

    def get(self, key: str, aside) -> str | None:
        """The fence's HTML as rendered before, its warnings said again and its skipped
        parts handed to `aside` (asides.Asides) as rendering hands them; None: render it."""
        kept = self._fences.get(key)
        if kept is None:
            return None
        texts, kinds, parts, warnings = kept
        for warning in warnings:
            log.warning("%s", warning)
        out = [texts[0]]
        for kind, part, text in zip(kinds, parts, texts[1:], strict=True):
            out.append(aside(HTML(part), kind) if aside else part)
            out.append(text)
        return "".join(out)

    def add(self, key: str, html: str, recorder: Recorder | None, warnings: list[str]) -> None:
        """Keep a fence this build rendered (`recorder`: what it rendered with as aside)."""
        taken = recorder.parts if recorder else []
        # The parts in the order they stand in the HTML (not the order they were taken).
        placed = sorted(
            (html.find(placeholder), placeholder, kind, part) for placeholder, kind, part in taken
        )
        if any(at < 0 for at, *_ in placed):
            return  # not as rendered: keep nothing of this fence
        texts, start = [], 0
        for at, placeholder, _, _ in placed:
            texts.append(html[start:at])
            start = at + len(placeholder)
        texts.append(html[start:])
        kinds = [kind for _, _, kind, _ in placed]
        parts = [part for _, _, _, part in placed]
        self._fences[key] = (texts, kinds, parts, list(warnings))
        self._changed = True

    def save(self) -> None:
        if self._changed:
            payload = zlib.compress(marshal.dumps((self._state, self._fences)), 1)
            readcache.put(*self._where, self._source, _SCHEMA, payload)
            self._changed = False


class Recorder:
    """Stands for the page's asides (asides.Asides) while one fence renders, noting each
    part it takes, so that `PageRenders.add` can keep them apart."""

    def __init__(self, aside):
        self.aside = aside
        self.parts: list[tuple[str, str, str]] = []  # placeholder, kind, part

    def __call__(self, html: HTML, kind: str = "aside") -> HTML:
        placeholder = self.aside(html, kind)
        self.parts.append((str(placeholder), kind, str(html)))
        return placeholder

    def hold(self, html: HTML) -> HTML:
        return self(html, "held")
