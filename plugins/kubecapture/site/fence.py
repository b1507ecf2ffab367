"""Replay as Markdown: the `kubectl` custom fence for pymdownx.superfences.

This is the only render path. Under MkDocs the plugin tells it which page is being
rendered and hands it that page's capture (`set_page`); anywhere else (Zensical, plain
Python-Markdown) the `kubecapture.fence` extension (extension.py; this module's
`makeExtension`, so the name stays `kubecapture.fence`) finds the capture itself, so
the same HTML comes out.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..base import config
from ..base.snippets import (
    OPTIONS,
    Snippet,
    SnippetError,
    convert_option,
    parse_commands,
    with_occurrence,
)
from ..captures import rendercache
from ..captures.store import PageCapture
from ..run.planning import stale_snippets, unexpected_exit
from . import log, render


@dataclass
class PageContext:
    page: str
    snippets: list[Snippet]
    capture: PageCapture | None
    key: str
    lang: str = "en"
    fold: int = config.default("fold")
    warn: bool = True  # log exit-code surprises (the plugin turns this off after live runs)
    tabs: bool = True  # earlier outputs as Material content tabs (False: a plain list)
    rendered: Counter = field(default_factory=Counter)
    aside: Callable[[str], str] | None = None  # see render.View.aside (MkDocs only)
    # The page's snippets as an earlier build rendered them (MkDocs only); with a `hit`
    # the capture file is read only if a fence is not among them (`load`).
    renders: rendercache.PageRenders | None = None
    load: Callable[[], PageCapture | None] | None = None
    # The page's options in its key (planning.PagePlan.page_options): with them, a snippet
    # is stale on its own (planning.stale_snippets); without (a page whose options are not
    # known here), every capture of a page whose snippets changed is.
    page_options: dict | None = None
    _stale: set | None = field(default=None, repr=False)

    def page_capture(self) -> PageCapture | None:
        if self.load is not None:
            self.capture, self.load = self.load(), None
        return self.capture

    def has_capture(self) -> bool:
        if self.renders is not None and self.renders.hit:
            return True  # kept renders were made from this very file: it parses
        return self.page_capture() is not None

    @property
    def stale(self) -> bool:
        """Some snippet of the page shows a stale capture."""
        capture = self.page_capture()
        if capture is None or capture.key == self.key:
            return False
        return self.page_options is None or bool(self.stale_snippets())

    def stale_snippets(self) -> set[tuple[str, int]]:
        if self._stale is None:
            self._stale = stale_snippets(self.page_capture(), self.snippets, self.page_options)
        return self._stale

    def is_stale(self, key: str, n: int | None) -> bool:
        """Is this snippet's capture (the n-th with its key on the page) stale?"""
        if self.page_options is None or n is None:
            return self.stale
        return self.stale and (key, n) in self.stale_snippets()


_current = threading.local()


def set_page(context: PageContext | None) -> None:
    """Called by the MkDocs plugin around each page's render."""
    _current.context = context


def current_page() -> PageContext | None:
    return getattr(_current, "context", None)


def validator(language, inputs, options, attrs, md) -> bool:
    """Accept the fence's options (`id="x" returncode="1"`), converted to their types."""
    return all(accept(key, value, options) for key, value in inputs.items())


def accept(key: str, value, options: dict) -> bool:
    """Put one of the fence's options into `options`, converted; False if it is none."""
    if key not in OPTIONS:
        return False
    try:
        options[key] = convert_option(key, value, "?", 0)
    except SnippetError:
        return False
    return True


def formatter(src, language, class_name, options, md, **kwargs) -> str:
    context = getattr(md, "kubecapture_page", None) or current_page()
    if context is None:
        warn_no_context()
    try:
        commands = parse_commands(src.split("\n"), 1, context.page if context else "?")
    except SnippetError:
        commands = ()
    snippet = Snippet(context.page if context else "?", 0, commands, dict(options))
    n = None
    if context and context.has_capture():
        n = context.rendered[snippet.key]
        context.rendered[snippet.key] += 1
    tab_set = str(sum(context.rendered.values())) if context else "1"
    renders = context.renders if context else None
    if renders is not None:
        key = rendercache.fence_key(src, options, n, tab_set)
        kept = renders.get(key, context.aside)
        if kept is not None:
            return kept
    page_capture = context.page_capture() if n is not None else None  # None: did not load
    capture = page_capture.find(snippet.key, n) if page_capture is not None else None
    warnings = unexpected_exits(context, snippet, n, capture) if capture and context.warn else []
    for message in warnings:
        log.warning(message)
    recorder = rendercache.Recorder(context.aside) if renders and context.aside else None
    view = render.View(
        commands=[c.text for c in commands] or [src.strip()],
        capture=capture,
        stale=bool(context and context.is_stale(snippet.key, n)),
        title=options.get("title"),
        fold=options.get("fold", context.fold if context else config.default("fold")),
        lang=context.lang if context else "en",
        anchor=f"kc-{options['id']}" if options.get("id") else None,
        tabs=context.tabs if context else True,
        tab_set=tab_set,
        aside=recorder or (context.aside if context else None),
    )
    html = render.render(view)
    if renders is not None:
        renders.add(key, html, recorder, warnings)
    return html


def log_replay_state(context: PageContext, mode: str) -> None:
    """Tell the author about the snippets of a page shown without a current capture."""
    renders = context.renders
    kept = renders.state() if renders is not None else None
    stale, missing = kept or replay_state(context)
    if renders is not None and kept is None:
        renders.keep_state(stale, missing)
    if stale:
        log.warning(
            "%s: captures are stale (its snippets changed since they were captured); "
            "run `kubecapture refresh %s` with a cluster",
            context.page,
            context.page,
        )
    if missing:
        # In replay mode placeholders are expected, so they are news, not a warning.
        level = logging.INFO if mode == "replay" else logging.WARNING
        log.log(
            level,
            "%s: %d of %d snippet(s) not captured yet (placeholder shown)",
            context.page,
            missing,
            len(context.snippets),
        )


def replay_state(context: PageContext) -> tuple[bool, int]:
    """Are the page's captures stale; how many of its snippets have none."""
    snippets, capture = context.snippets, context.page_capture()
    if capture is None:
        return context.stale, len(snippets)
    missing = sum(1 for s, n in with_occurrence(snippets) if capture.find(s.key, n) is None)
    return context.stale, missing


_no_context_warned = False


def warn_no_context() -> None:
    """Once per process: a fence rendered with neither the plugin nor the extension."""
    global _no_context_warned
    if not _no_context_warned:
        _no_context_warned = True
        log.warning(
            "kubecapture: a kubectl fence was rendered without captures: add the "
            "kubecapture plugin (MkDocs) or the kubecapture.fence Markdown extension "
            "(Zensical); placeholders are shown"
        )


def warn_unexpected_exit(context: PageContext, snippet: Snippet, n: int, capture) -> None:
    """Replay repeats the live run's warning, so `--strict` keeps failing until fixed."""
    for message in unexpected_exits(context, snippet, n, capture):
        log.warning(message)


def unexpected_exits(context: PageContext, snippet: Snippet, n: int, capture) -> list[str]:
    same = [s for s in context.snippets if s.key == snippet.key]
    located = same[n] if n < len(same) else snippet  # the parsed one knows its lines
    return unexpected_exit(context.page, located, capture.results)
