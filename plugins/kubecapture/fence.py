"""Replay as Markdown: the `kubectl` custom fence for pymdownx.superfences.

This is the only render path. Under MkDocs the plugin tells it which page is being
rendered and hands it that page's capture; anywhere else (Zensical, plain
Python-Markdown) the `kubecapture.fence` extension finds the capture itself by the
page's snippet key, so the same HTML comes out of both.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor

from . import render
from .snippets import OPTIONS, Snippet, SnippetError, _convert, page_key, parse_commands, parse_page
from .store import CaptureFileError, PageCapture, all_capture_files
from .store import load as load_capture

log = logging.getLogger("mkdocs.plugins.kubecapture")


@dataclass
class PageContext:
    page: str
    snippets: list[Snippet]
    capture: PageCapture | None
    key: str
    lang: str = "en"
    fold: int = 40
    warn: bool = True  # log exit-code surprises (the plugin turns this off after live runs)
    rendered: Counter = field(default_factory=Counter)

    @property
    def stale(self) -> bool:
        return self.capture is not None and self.capture.key != self.key


_current = threading.local()


def set_page(context: PageContext | None) -> None:
    """Called by the MkDocs plugin around each page's render."""
    _current.context = context


def current_page() -> PageContext | None:
    return getattr(_current, "context", None)


def validator(language, inputs, options, attrs, md) -> bool:
    """Accept the fence's options (`id="x" returncode="1"`), converted to their types."""
    for key, value in inputs.items():
        if key not in OPTIONS:
            return False
        try:
            options[key] = _convert(key, value, "?", 0)
        except SnippetError:
            return False
    return True


def formatter(src, language, class_name, options, md, **kwargs) -> str:
    context = getattr(md, "kubecapture_page", None) or current_page()
    try:
        commands = parse_commands(src.split("\n"), 1, context.page if context else "?")
    except SnippetError:
        commands = ()
    snippet = Snippet(context.page if context else "?", 0, commands, dict(options))
    capture = None
    if context and context.capture is not None:
        n = context.rendered[snippet.key]
        context.rendered[snippet.key] += 1
        capture = context.capture.find(snippet.key, n)
        if capture and context.warn:
            _warn_unexpected_exit(context, snippet, n, capture)
    view = render.View(
        commands=[c.text for c in commands] or [src.strip()],
        capture=capture,
        stale=bool(context and context.stale),
        title=options.get("title"),
        fold=options.get("fold", context.fold if context else 40),
        lang=context.lang if context else "en",
        anchor=f"kc-{options['id']}" if options.get("id") else None,
    )
    return render.render(view)


def _warn_unexpected_exit(context: PageContext, snippet: Snippet, n: int, capture) -> None:
    """Replay repeats the live run's warning, so `--strict` keeps failing until fixed."""
    from .capture import unexpected_exit

    same = [s for s in context.snippets if s.key == snippet.key]
    located = same[n] if n < len(same) else snippet  # the parsed one knows its lines
    for message in unexpected_exit(context.page, located, capture.results):
        log.warning(message)


# --- standalone use (Zensical, plain Python-Markdown) ---------------------------------


class _CaptureIndex:
    """page key -> capture file, built once from the captures folder on first use."""

    def __init__(self, captures_dir: Path):
        self.captures_dir = captures_dir
        self._by_key: dict[str, Path] | None = None

    def find(self, key: str) -> PageCapture | None:
        if self._by_key is None:
            from .capture import stored_key

            self._by_key = {}
            for path in all_capture_files(self.captures_dir):
                k = stored_key(path)
                if k:
                    self._by_key[k] = path
        path = self._by_key.get(key)
        if path is None:
            return None
        try:
            return load_capture(path)
        except CaptureFileError as e:
            log.warning(str(e))
            return None


class _PagePreprocessor(Preprocessor):
    """Finds the page's capture before superfences renders its fences."""

    def __init__(self, md, extension: KubeCaptureExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines):
        self.md.kubecapture_page = None
        if current_page() is not None:
            return lines  # the MkDocs plugin already supplied the page
        try:
            snippets = parse_page("\n".join(lines), "(page)")
        except SnippetError as e:
            log.warning(str(e))
            return lines
        if snippets:
            key = page_key(snippets, {"sandbox": False})
            capture = self.extension.index.find(key) or self._find_sandboxed(snippets)
            self.md.kubecapture_page = PageContext(
                page=capture.page if capture else "(page)",
                snippets=snippets,
                capture=capture,
                key=capture.key if capture else key,
                lang=self.extension.getConfig("lang"),
                fold=self.extension.getConfig("fold"),
            )
        return lines

    def _find_sandboxed(self, snippets):
        return self.extension.index.find(page_key(snippets, {"sandbox": True}))


class KubeCaptureExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {
            "captures_dir": ["snippets/captures", "folder of the capture files"],
            "lang": ["en", "language of the plugin's own strings (ja, en)"],
            "fold": [40, "fold outputs longer than this many lines (0: never)"],
        }
        super().__init__(**kwargs)
        self.index = _CaptureIndex(Path(self.getConfig("captures_dir")))

    def extendMarkdown(self, md):
        md.preprocessors.register(_PagePreprocessor(md, self), "kubecapture", 40)
        md.kubecapture_page = None


def makeExtension(**kwargs):
    return KubeCaptureExtension(**kwargs)
