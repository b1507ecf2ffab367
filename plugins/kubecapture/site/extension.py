"""The `kubecapture.fence` Markdown extension: the `kubectl` fence without the plugin.

Without the MkDocs plugin nobody tells the fence (fence.py) which page it renders, so
this extension finds out itself, in a preprocessor that runs before superfences (and
before pymdownx.snippets, so it sees the page as the plugin does):

- under Zensical, from Zensical's rendering context: the page's path (relative to
  docs_dir) and its front matter. The capture is then the page's own file, exactly as
  under the plugin: stale when its page key differs, placeholders when missing.
- elsewhere (MkDocs without the plugin, plain Python-Markdown) the path is unknown: the
  capture made for exactly these snippets (by page key), or else the one sharing most of
  them (shown as stale, like the plugin shows a stale page).

It also expands the report and allowlist markers (markers.py), and, as nobody else adds
them, puts kubecapture.css/.js inline in pages with snippets. Its options are the
plugin's (config.py), from the site's mkdocs.yml, with its own given ones winning.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from markdown import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor

from ..base import config
from ..base.snippets import Snippet, page_key, parse_page, with_occurrence
from ..captures.store import CaptureFileError, PageCapture, all_capture_files
from ..captures.store import load as load_capture
from ..run import planning
from ..trust import pageoptions
from . import ASSETS, log, markers
from .fence import PageContext, current_page, log_replay_state


def _load(path: Path, cache_dir: Path | None = None, strict: bool = False) -> PageCapture | None:
    """`store.load` (whose cache keeps each file parsed while its bytes are unchanged:
    Zensical builds a new Markdown instance, and so a new extension, for every page). A
    malformed file raises CaptureFileError when `strict` (the page's own capture: the
    plugin stops the build too), else it is skipped with a warning."""
    try:
        return load_capture(path, cache_dir)
    except CaptureFileError as e:
        if strict:
            raise
        log.warning(str(e))
        return None


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
    captures = [c for c in map(_load, all_capture_files(captures_dir)) if c]
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
            lines = markers.report_lines(
                lines, captures_dir, lang, host.path, host.docs_dir, host.directory_urls
            )
        else:
            lines = markers.report_lines(lines, captures_dir, lang, "report.md", root / "docs")
        lines = markers.allowlist_lines(lines, lang)
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
            page_options = page.page_options
            if snippets:
                page_capture = _load(page.capture_file, settings.cache_dir, strict=True)
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
            page_options = options.key_options(name)
        context = PageContext(
            page=name,
            snippets=snippets,
            capture=page_capture,
            key=key,
            lang=lang,
            fold=int(ext.options(host)["fold"]),
            page_options=page_options,
        )
        self.md.kubecapture_page = context
        if snippets:
            log_replay_state(context, "replay")
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
    """`kubecapture.fence` in `markdown_extensions` (kubecapture/fence.py names it)."""
    return KubeCaptureExtension(**kwargs)
