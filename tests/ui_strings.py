"""Find English UI strings in a page of a Japanese site.

UI strings are what the theme, the Markdown extensions and the plugin write around the
author's content: tooltips (`title`), `aria-label`, `placeholder`, `alt`, the plugin's
`data-kc-*` labels, admonition titles, `<summary>` and `<button>` text, the footer, and
Material's script translations. Content stays as written and is never flagged: code
blocks and kubectl outputs (`pre`, `code`), and strings that repeat something the author
wrote on the page (headings, page and nav titles, code block titles).

A string is English when it has no Japanese character and has a Latin word of three or
more letters that is not a name (Kubernetes, MkDocs, ...).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-kc-show", "data-kc-hide")
# Element text that is UI (unless it repeats the author's words).
TEXT_CLASSES = ("admonition-title", "md-copyright", "md-footer__direction", "md-skip")
TEXT_TAGS = ("summary", "button")
# The author's words, collected so that UI positions repeating them are not flagged.
AUTHOR_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "title")
AUTHOR_CLASSES = ("filename", "md-ellipsis", "md-nav__link", "md-header__topic")
NAMES = {
    "kubernetes",
    "kubectl",
    "kubecapture",
    "minikube",
    "mkdocs",
    "material",
    "zensical",
    "github",
    "bizpy",
}
SKIP = ("pre", "code", "script", "style", "svg")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
WORD = re.compile(r"[A-Za-z]{3,}")


def is_english(text: str) -> bool:
    if JAPANESE.search(text):
        return False
    return any(w.lower() not in NAMES for w in WORD.findall(text))


class _Scan(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # tag, collects UI text, author text
        self.skip = 0
        self.ui: list[tuple[str, str]] = []  # (where, text)
        self.author: set[str] = set()
        self.texts: list[list[str]] = []  # open UI / author text collectors
        self.config: str | None = None
        self._in_config = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("id") == "__config":
            self._in_config = True
        classes = a.get("class", "").split()
        if not self.skip:
            for name in ATTRIBUTES:
                if a.get(name):
                    self.ui.append((f"<{tag} {name}>", a[name]))
        if tag in VOID:
            return
        ui = not self.skip and (tag in TEXT_TAGS or any(c in TEXT_CLASSES for c in classes))
        author = tag in AUTHOR_TAGS or any(c in AUTHOR_CLASSES for c in classes)
        self.stack.append((tag, ui, author))
        if ui or author:
            self.texts.append([])
        if tag in SKIP:
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_config = False
        if tag in VOID:
            return
        while self.stack:
            open_tag, ui, author = self.stack.pop()
            if open_tag in SKIP:
                self.skip -= 1
            if ui or author:
                text = " ".join("".join(self.texts.pop()).split())
                if ui and text:
                    self.ui.append((f"<{open_tag}> text", text))
                if author and text:
                    self.author.add(text)
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._in_config:
            self.config = (self.config or "") + data
        for collector in self.texts:
            collector.append(data)


def english_ui_strings(html: str) -> list[str]:
    """The English UI strings of one page, as `where: text` (empty when there are none)."""
    scan = _Scan()
    scan.feed(html)
    scan.close()
    found = [
        f"{where}: {text}"
        for where, text in scan.ui
        if is_english(text) and text not in scan.author
    ]
    if scan.config:  # Material's script strings (copy button, search results, ...)
        translations = json.loads(scan.config).get("translations") or {}
        found += [f"translation {k}: {v}" for k, v in translations.items() if is_english(v)]
    return found
