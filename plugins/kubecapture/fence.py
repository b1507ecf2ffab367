"""Replay as Markdown: the `kubectl` custom fence for pymdownx.superfences.

This is the only render path. Under MkDocs the plugin tells it which page is being
rendered and hands it that page's capture; anywhere else (Zensical, plain
Python-Markdown) the `kubecapture.fence` extension finds the capture itself (by the
page's path under Zensical, by its snippets elsewhere), so the same HTML comes out.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import yaml
from markdown import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from . import ASSETS, allowlist, config, log, pageoptions, planning, render
from .planning import unexpected_exit
from .report import log_replay_state, page_markdown
from .snippets import (
    OPTIONS,
    Snippet,
    SnippetError,
    convert_option,
    find_fences,
    page_key,
    parse_commands,
    parse_page,
    with_occurrence,
)
from .store import CaptureFileError, PageCapture, all_capture_files
from .store import load as load_capture


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
            options[key] = convert_option(key, value, "?", 0)
        except SnippetError:
            return False
    return True


def formatter(src, language, class_name, options, md, **kwargs) -> str:
    context = getattr(md, "kubecapture_page", None) or current_page()
    if context is None:
        _warn_no_context()
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
        fold=options.get("fold", context.fold if context else config.default("fold")),
        lang=context.lang if context else "en",
        anchor=f"kc-{options['id']}" if options.get("id") else None,
        tabs=context.tabs if context else True,
        tab_set=str(sum(context.rendered.values())) if context else "1",
        aside=context.aside if context else None,
    )
    return render.render(view)


_no_context_warned = False


def _warn_no_context() -> None:
    global _no_context_warned
    if not _no_context_warned:
        _no_context_warned = True
        log.warning(
            "kubecapture: a kubectl fence was rendered without captures: add the "
            "kubecapture plugin (MkDocs) or the kubecapture.fence Markdown extension "
            "(Zensical); placeholders are shown"
        )


def _warn_unexpected_exit(context: PageContext, snippet: Snippet, n: int, capture) -> None:
    """Replay repeats the live run's warning, so `--strict` keeps failing until fixed."""
    same = [s for s in context.snippets if s.key == snippet.key]
    located = same[n] if n < len(same) else snippet  # the parsed one knows its lines
    for message in unexpected_exit(context.page, located, capture.results):
        log.warning(message)


# --- standalone use (Zensical, plain Python-Markdown) ---------------------------------
#
# Without the MkDocs plugin nobody tells the fence which page it renders, so the
# `kubecapture.fence` extension finds out itself, in a preprocessor that runs before
# superfences (and before pymdownx.snippets, so it sees the page as the plugin does):
#
# - under Zensical, from Zensical's rendering context: the page's path (relative to
#   docs_dir) and its front matter. The capture is then the page's own file, exactly
#   as under the plugin: stale when its page key differs, placeholders when missing.
# - elsewhere (MkDocs without the plugin) the path is unknown: the capture made for
#   exactly these snippets (by page key), or else the one sharing most of them (shown
#   as stale, like the plugin shows a stale page).


_cache_lock = threading.Lock()
_file_cache: dict[Path, tuple[tuple[int, int], PageCapture | CaptureFileError | None]] = {}


def _load_cached(
    path: Path, cache_dir: Path | None = None, strict: bool = False
) -> PageCapture | None:
    """`store.load`, remembered while the file is unchanged: Zensical builds a new
    Markdown instance (and so a new extension) for every page. A malformed file raises
    CaptureFileError when `strict` (the page's own capture: the plugin stops the build
    too), else it is skipped with a warning."""
    try:
        st = path.stat()
    except OSError:
        return None
    signature = (st.st_mtime_ns, st.st_size)
    with _cache_lock:
        hit = _file_cache.get(path)
    if hit is not None and hit[0] == signature:
        value = hit[1]
    else:
        try:
            value = load_capture(path, cache_dir)
        except CaptureFileError as e:
            value = e
        with _cache_lock:
            _file_cache[path] = (signature, value)
    if isinstance(value, CaptureFileError):
        if strict:
            raise value
        log.warning(str(value))
        return None
    return value


@dataclass
class _Host:
    """What Zensical tells a Markdown extension about the page it renders."""

    path: str  # relative to docs_dir, forward slashes
    meta: dict  # the page's front matter (Zensical strips it from the Markdown)
    root: Path  # the folder of the config file (Zensical does not chdir there)
    docs_dir: Path
    lang: str  # theme.language
    directory_urls: bool = True  # use_directory_urls

    def source(self) -> str | None:
        """The page file as the plugin plans it (front matter included, so line numbers
        in messages are the file's)."""
        try:
            return (self.docs_dir / self.path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None


def _zensical_page(md) -> _Host | None:
    try:
        from zensical.extensions.context import ContextPreprocessor
    except ImportError:
        return None
    try:
        processor = ContextPreprocessor.from_markdown(md)
        if processor is None:
            return None
        page, config = processor.page, processor.config
        meta = page.meta if isinstance(page.meta, dict) else {}
        theme = config.get("theme") or {}
        root = Path(config.get("root_dir") or ".")
        return _Host(
            path=str(page.path).replace("\\", "/"),
            meta=meta,
            root=root,
            docs_dir=root / str(config.get("docs_dir") or "docs"),
            lang=str(theme.get("language") or "en"),
            directory_urls=bool(config.get("use_directory_urls", True)),
        )
    except Exception as e:  # Zensical's internals changed: fall back to the key lookup
        log.debug("kubecapture: cannot read Zensical's page context: %s", e)
        return None


def _find_by_snippets(
    captures_dir: Path, snippets: list[Snippet], choices: list[pageoptions.PageOptions]
) -> tuple[PageCapture | None, str]:
    """(capture, page key) for a page whose path is unknown: the capture made for these
    snippets under one of the option `choices` (its page key, for the page it names), else
    the one sharing most of them."""
    captures = [c for c in map(_load_cached, all_capture_files(captures_dir)) if c]
    for options in choices:
        for capture in captures:
            if capture.key == page_key(snippets, options.key_options(capture.page)):
                return capture, capture.key
    key = page_key(snippets, choices[0].key_options("(page)"))
    wanted = [(s.key, n) for s, n in with_occurrence(snippets)]
    ids = {s.id for s in snippets if s.id}

    def score(capture: PageCapture) -> tuple[int, int]:
        shared = sum(1 for k, n in wanted if capture.find(k, n) is not None)
        return shared, len(ids & {s.id for s in capture.snippets if s.id})

    scored = [(score(c), c) for c in captures]
    best = max((s for s, _ in scored), default=(0, 0))
    if best[0] == 0:
        return None, key
    tied = [c for s, c in scored if s == best]
    if len(tied) > 1:
        log.info(
            "kubecapture: snippets found in %s alike; showing placeholders",
            ", ".join(c.page for c in tied),
        )
        return None, key
    return tied[0], key


def _front_matter_of(meta: dict) -> str:
    """Front matter holding the page's kubecapture options, for plan_page."""
    if not isinstance(meta.get("kubecapture"), dict):
        return ""
    try:
        return "---\n" + yaml.safe_dump({"kubecapture": meta["kubecapture"]}) + "---\n"
    except yaml.YAMLError:
        return ""


REPORT_MARKER = re.compile(r"^\s*<!--\s*kubecapture:\s*drift-report\s*-->\s*$")


ALLOWLIST_MARKER = re.compile(r"^\s*<!--\s*kubecapture:\s*allowlist\s*-->\s*$")


def _expand_report(
    lines: list[str],
    captures_dir: Path,
    lang: str,
    page: str,
    docs_dir: Path | None = None,
    directory_urls: bool = False,
) -> list[str]:
    """`<!-- kubecapture: drift-report -->` on a line of its own becomes the drift report
    (the page the plugin's `report_page` generates, which Zensical cannot generate).
    `page` is where the page lives, `docs_dir` and `directory_urls` (the site's
    use_directory_urls) where the pages it links to are, for the report's links."""
    return _expand(
        lines,
        REPORT_MARKER,
        lambda: page_markdown(captures_dir, lang, page, docs_dir, directory_urls),
    )


def _expand_allowlist(lines: list[str], lang: str) -> list[str]:
    """`<!-- kubecapture: allowlist -->` becomes the table of what snippets may run,
    rendered from the package's allowlist data (allowlist.markdown_table)."""
    return _expand(lines, ALLOWLIST_MARKER, lambda: allowlist.markdown_table(lang=lang))


def _expand(lines: list[str], marker: re.Pattern, text) -> list[str]:
    marked = [i for i, line in enumerate(lines) if marker.match(line)]
    if not marked:
        return lines
    fenced = set()  # a marker shown in a code block (as in a guide) stays as it is
    for _lang, _info, _indent, opening, body in find_fences("\n".join(lines)):
        fenced.update(range(opening - 1, opening + len(body) + 1))
    marked = [i for i in marked if i not in fenced]
    if not marked:
        return lines
    expanded = text().rstrip("\n").split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        out += expanded if i in marked else [line]
    return out


def expand_report(
    markdown: str,
    captures_dir: Path,
    lang: str,
    page: str,
    docs_dir: Path,
    directory_urls: bool,
) -> str:
    """The page's report markers expanded (the MkDocs plugin, before Markdown runs)."""
    if "kubecapture: drift-report" not in markdown:
        return markdown
    lines = markdown.split("\n")
    return "\n".join(_expand_report(lines, captures_dir, lang, page, docs_dir, directory_urls))


class _PagePreprocessor(Preprocessor):
    """Finds the page's capture before superfences renders its fences."""

    def __init__(self, md, extension: KubeCaptureExtension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines):
        self.md.kubecapture_page = None
        ext = self.extension
        host = _zensical_page(self.md)
        lang = ext.getConfig("lang") or (host.lang if host else "en")
        root = host.root if host else Path.cwd()
        settings = planning.Settings.from_options(ext.options(host), root, "replay")
        captures_dir = settings.captures_dir
        # Without a path (MkDocs), the report page is taken to be in the docs root.
        if host:
            lines = _expand_report(
                lines, captures_dir, lang, host.path, host.docs_dir, host.directory_urls
            )
        else:
            lines = _expand_report(lines, captures_dir, lang, "report.md", root / "docs")
        lines = _expand_allowlist(lines, lang)
        if current_page() is not None:
            return lines  # the MkDocs plugin already supplied the page
        source = host.source() if host else None
        page_capture = None
        # A snippet error (SnippetError, naming page and line) stops the build, as under
        # the plugin.
        if host is not None:
            if source is None:  # no file (a generated page): what Zensical gave us
                source = _front_matter_of(host.meta) + "\n".join(lines)
            page = planning.plan_page(host.path, source, settings)
            snippets, key, name = page.snippets, page.key, host.path
            if snippets:
                page_capture = _load_cached(page.capture_file, settings.cache_dir, strict=True)
        else:
            text = "\n".join(lines)
            snippets = parse_page(text, "(page)", transcripts=settings.transcripts)
            options = pageoptions.read(text, "(page)", settings.sandbox)
            choices = [options]
            # MkDocs strips front matter before Markdown sees it; plain Markdown keeps it.
            if not pageoptions.front_matter(text)[1]:
                choices.append(pageoptions.read("", "(page)", not settings.sandbox))
            key, name = page_key(snippets, options.key_options("(page)")), "(page)"
            if snippets:
                page_capture, key = _find_by_snippets(captures_dir, snippets, choices)
                name = page_capture.page if page_capture else name
        context = PageContext(
            page=name,
            snippets=snippets,
            capture=page_capture,
            key=key,
            lang=lang,
            fold=int(ext.options(host)["fold"]),
        )
        self.md.kubecapture_page = context
        if snippets:
            log_replay_state(context, SimpleNamespace(page=name, snippets=snippets), "replay")
        return lines


class _AssetsPostprocessor(Postprocessor):
    """Without the plugin nobody adds kubecapture.css/.js to the site: a page that shows
    snippets carries them inline (the search indexes of Material and Zensical skip
    <style> and <script>)."""

    def run(self, text):
        if self.md.kubecapture_page is None or '<div class="kubecapture ' not in text:
            return text
        return inline_assets() + text


def inline_assets() -> str:
    css = (ASSETS / "kubecapture.css").read_text(encoding="utf-8")
    js = (ASSETS / "kubecapture.js").read_text(encoding="utf-8").replace("</", "<\\/")
    return f"<style data-kubecapture>{css}</style>\n<script data-kubecapture>{js}</script>\n"


class KubeCaptureExtension(Extension):
    """The plugin's options (captures_dir, fold, transcripts, sandbox, ...) come from the
    plugin's entry in the site's mkdocs.yml under Zensical (read as MkDocs reads it), with
    the plugin's defaults; given here, they win. `lang` and `assets` are the extension's."""

    def __init__(self, **kwargs):
        self.config = {
            "lang": [
                "",
                "language of the plugin's own strings (ja, en); "
                "default: Zensical's theme.language, else en",
            ],
            "assets": [
                True,
                "put kubecapture.css/.js inline in pages with snippets "
                "(false: the site lists them in extra_css/extra_javascript)",
            ],
        }
        self.given = {k: kwargs.pop(k) for k in list(kwargs) if k in config.OPTION_NAMES}
        super().__init__(**kwargs)

    def options(self, host: _Host | None):
        """The plugin's options for this page's site (validated by the plugin's schema)."""
        site = config.options_beside(host.root) if host else None
        return _options(json.dumps([dict(site or {}), self.given], sort_keys=True, default=str))

    def extendMarkdown(self, md):
        md.kubecapture_page = None
        md.preprocessors.register(_PagePreprocessor(md, self), "kubecapture", 40)
        if self.getConfig("assets"):
            md.postprocessors.register(_AssetsPostprocessor(md), "kubecapture_assets", 5)


@functools.cache
def _options(key: str):
    site, given = json.loads(key)
    return config.validated({**site, **given}, "kubecapture.fence options")


def makeExtension(**kwargs):
    return KubeCaptureExtension(**kwargs)
