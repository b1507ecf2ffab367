"""The `kubecapture.cjk` Markdown extension: a soft line break between two Japanese (or
Chinese) characters joins them instead of showing as a space.

Markdown keeps a line break inside a paragraph as a newline, and browsers show it as a
space: 「コンテナ\nオーケストレーション」 reads 「コンテナ オーケストレーション」. This
extension removes such a break where the characters on both sides are wide (East Asian
Width F, W or H, Hangul excepted: Korean separates words with spaces), the rule of CSS
Text Level 3 for segment breaks that browsers do not implement. A break next to a
narrow character (`kubectl`, `(`, a digit) stays a space.

It works on the element tree after inline parsing, so it never sees a fenced block, a
snippet's output or raw HTML (those wait in Python-Markdown's stash), and it reads the
text of `<code>` and `<pre>` but never changes it. A break is joined only within one
block's inline text, never across blocks. Works wherever Python-Markdown extensions run
(MkDocs, Zensical).
"""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as etree

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor

_KEEP = frozenset({"code", "pre", "kbd", "samp", "script", "style", "textarea"})
_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff\uffa0-\uffdc]")


def wide(char: str) -> bool:
    """A character that takes no space around it in Japanese or Chinese text."""
    return unicodedata.east_asian_width(char) in "FWH" and not _HANGUL.match(char)


def join_breaks(text: str) -> str:
    """`text` with every line break between two wide characters removed (with the
    spaces around it); other breaks as they are."""
    return _join([text], [False])[0]


def _join(texts: list[str], kept: list[bool]) -> list[str]:
    """One block's inline text in pieces (`kept`: read, never changed, e.g. code)."""
    whole = "".join(texts)
    out, start = [], 0
    for text, keep in zip(texts, kept, strict=True):
        if keep or "\n" not in text:
            out.append(text)
        else:

            def swap(m: re.Match[str], at: int = start) -> str:
                before, after = at + m.start() - 1, at + m.end()
                joins = before >= 0 and after < len(whole)
                return "" if joins and wide(whole[before]) and wide(whole[after]) else m.group()

            out.append(_BREAK.sub(swap, text))
        start += len(text)
    return out


class CjkBreaks(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        runs: list[list[tuple[etree.Element, str, bool]]] = []
        self._walk(root, self._new(runs), runs, False)
        for slots in runs:
            texts = [getattr(el, attr) for el, attr, _ in slots]
            joined = _join(texts, [keep for _, _, keep in slots])
            for (el, attr, _), old, new in zip(slots, texts, joined, strict=True):
                if new != old:
                    setattr(el, attr, new)

    @staticmethod
    def _new(runs: list) -> list:
        runs.append([])
        return runs[-1]

    def _walk(self, el: etree.Element, run: list, runs: list, keep: bool) -> None:
        """Collect `el`'s text pieces in reading order, one list per block."""
        if el.text:
            run.append((el, "text", keep))
        for child in el:
            inner = keep or (isinstance(child.tag, str) and child.tag in _KEEP)
            if isinstance(child.tag, str) and self.md.is_block_level(child.tag):
                self._walk(child, self._new(runs), runs, inner)
                run = self._new(runs)  # text after a block is another block's
            else:
                self._walk(child, run, runs, inner)
            if child.tail:
                run.append((child, "tail", keep))


class CjkExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # After inline parsing (20), before the tree is prettified (10).
        md.treeprocessors.register(CjkBreaks(md), "kubecapture_cjk", 15)


def makeExtension(**kwargs) -> CjkExtension:
    return CjkExtension(**kwargs)
