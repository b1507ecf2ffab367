"""MkDocs hooks only: wire planning, live runs and replay together; no logic of its own."""

from __future__ import annotations

import functools
import json
import logging
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File

from ..base.config import KubeCaptureConfig, effective_mode
from ..base.snippets import SnippetError
from ..base.terminal import printable, printable_handlers
from ..captures import rendercache
from ..captures.store import CaptureFileError, PageCapture, capture_path
from ..captures.store import forget_loaded as forget_loaded_captures
from ..captures.store import load as load_capture
from ..run import planning
from ..trust.files import written_through_links
from . import ASSETS, asides, console, fence, log, markers, offline, search_rank, templates

FENCE = {
    "name": "kubectl",
    "class": "kubectl",
    "validator": fence.validator,
    "format": fence.formatter,
}
CONSOLE_FENCE = {  # pasted transcripts (`transcripts: true`); plain console blocks otherwise
    "name": "console",
    "class": "console",
    "validator": console.validator,
    "format": console.formatter,
}


SNIPPET_ANCHOR = re.compile(r'<div [^>]*\bid="(kc-[^"]+)"')


class KubeCapturePlugin(BasePlugin[KubeCaptureConfig]):
    supports_multiple_instances = False

    def __init__(self):
        self.settings: planning.Settings | None = None
        self.plans: dict[str, planning.PagePlan] = {}  # until each page is rendered
        self.capture_files: dict[str, Path] = {}  # every planned page's (version matrix)
        self.snippet_titles: dict[tuple[str, str], str] = {}  # (page, key): the matrix's
        self.fresh: dict[str, PageCapture] = {}  # captured during this build
        self.lang = "en"
        self.tabs = True
        self.offline = False  # Material's offline plugin is on: serve its shim ourselves
        self.search_rank = False  # the Japanese search script in the site
        self.parts: asides.Asides | None = None  # what search skips, until the page is written
        self._compact = None  # (page, its content with placeholders) while it is written
        self.nav_order: dict[str, int] = {}  # page -> its place in the nav
        # Pages refused (a snippet error, a malformed capture file): each said so in one
        # sentence; they keep their captures, the other pages go on, and the build fails
        # at its end. Page -> its capture file (None: not even that can be read).
        self.refused: dict[str, Path | None] = {}
        self.errors = 0

    # -- configuration -----------------------------------------------------------------

    def on_config(self, config):
        printable_handlers(logging.getLogger("mkdocs"))  # MkDocs' own lines too
        if not self.config.enabled:
            return config
        try:
            mode = effective_mode(self.config.mode)
        except ValueError as e:
            raise PluginError(str(e)) from None
        root = Path(config.config_file_path or ".").resolve().parent
        self.settings = planning.Settings.from_options(self.config, root, mode)
        # MkDocs empties the site folder before it builds: a `site` link in a pull request
        # would have it empty the folder the link leads to.
        link = written_through_links(root, (Path(config.site_dir),))
        if link:
            raise PluginError(
                printable(
                    f"kubecapture: {link[0]} is a link to {link[1]}; MkDocs would empty "
                    "and write that folder as the site; nothing is built"
                )
            )
        self.lang = str(config.theme.get("language") or "en")
        self.tabs = config.theme.name == "material"  # content tabs are Material's
        _register_fence(config)
        self.offline = offline.use_local_shim(config)
        self.search_rank = self.config.search_rank and search_rank.use(config)  # after the shim
        config.extra_css.append("assets/kubecapture.css")
        config.extra_javascript.append("assets/kubecapture.js")
        return config

    # -- planning and live runs ----------------------------------------------------------

    @event_priority(-50)  # after other plugins have added their files
    def on_files(self, files, config):
        if not self.settings:
            return files
        self.plans, self.fresh, self.refused, self.errors = {}, {}, {}, 0
        self.capture_files = {}
        self.snippet_titles = {}
        self.parts = asides.Asides()
        links = planning.links_out(self.settings, Path(config.docs_dir))
        if links:  # before anything runs or is written
            raise PluginError(printable(f"kubecapture: {links}"))
        for file in files.documentation_pages():
            try:
                page = planning.plan_page(file.src_uri, file.content_string, self.settings)
            except SnippetError as e:
                # That page is not run; it shows what its capture file holds, if anything.
                self._error(f"{e}; that page is not run and keeps its captures")
                self.refused[file.src_uri] = capture_path(self.settings.captures_dir, file.src_uri)
                continue
            if page.snippets:
                self.plans[file.src_uri] = page
                self.capture_files[file.src_uri] = page.capture_file
                for s in page.snippets:
                    if s.options.get("title"):
                        self.snippet_titles[(file.src_uri, s.key)] = s.options["title"]
        self._run_live(list(self.plans.values()))
        for name in ("kubecapture.css", "kubecapture.js"):
            files.append(File.generated(config, f"assets/{name}", abs_src_path=str(ASSETS / name)))
        for file in offline.shim_files(config) if self.offline else []:
            files.append(file)
        for file in (
            search_rank.files(config, files, self.config.search_last) if self.search_rank else []
        ):
            files.append(file)
        # A page the site wrote itself (the marker page Zensical also understands) wins.
        if self.config.report_page and not files.get_file_from_path(self.config.report_page):
            files.append(
                File.generated(
                    config,
                    self.config.report_page,
                    content=markers.report_markdown(
                        self.settings.captures_dir,
                        self.lang,
                        self.config.report_page,
                        Path(config.docs_dir),
                        config.use_directory_urls,
                    ),
                )
            )
        return files

    def _run_live(self, plans: list[planning.PagePlan]) -> None:
        due = [p for p in plans if self._due(p)]
        if not due:
            return
        # Imported when something runs: a build from captures (most builds, and every one
        # without a cluster) needs none of the cluster's modules.
        from ..run import live
        from ..run.cluster import ClusterUnavailable

        try:
            runs, _ = live.run_pages(self.settings, due, plans)
        except CaptureFileError as e:  # the drift report could not read a capture file
            self._error(str(e))
            return
        except ClusterUnavailable as e:
            log.warning(
                "live runs skipped: %s; %d page(s) keep their old captures or show placeholders",
                e,
                len(due),
            )
            return
        for run in runs:
            if run.new is not None:
                self.fresh[run.plan.page] = run.new

    def _due(self, plan: planning.PagePlan) -> bool:
        try:
            return planning.needs_run(plan, self.settings.mode)
        except CaptureFileError:
            return True  # its live run refuses it (the file is kept) and says why

    # -- rendering -----------------------------------------------------------------------

    def on_nav(self, nav, config, files):
        # The nav's order of pages, for the version matrix's rows.
        self.nav_order = {p.file.src_uri: i for i, p in enumerate(nav.pages)}
        return nav

    def on_page_markdown(self, markdown, page, config, files):
        if not self.settings:
            return markdown
        # The report's marker, expanded here: the plugin knows where pages go (links).
        markdown = markers.expand_report(
            markdown,
            self.settings.captures_dir,
            self.lang,
            page.file.src_uri,
            Path(config.docs_dir),
            config.use_directory_urls,
        )
        if markers.VERSION_MATRIX.search(markdown):
            markdown = markers.expand_matrix(
                markdown, self._matrix_html(page, files, Path(config.docs_dir))
            )
        if page.file.src_uri in self.refused:
            fence.set_page(self._refused_page(page.file.src_uri))
            return markdown
        # A page is rendered once a build: its plan goes with its render (on big sites the
        # plans are megabytes, and the build's peak comes later).
        planned = self.plans.pop(page.file.src_uri, None)
        if not planned:
            fence.set_page(None)
            return markdown
        fresh = self.fresh.get(planned.page)
        context = fence.PageContext(
            page=planned.page,
            snippets=planned.snippets,
            capture=fresh,
            key=planned.key,
            lang=self.lang,
            fold=self.config.fold,
            warn=fresh is None,  # a live run already warned
            tabs=self.tabs,
            aside=self.parts,
            page_options=planned.page_options,
        )
        if fresh is None:  # read when a fence needs it: kept renders may make it needless
            context.load = functools.partial(self._load, planned)
            context.renders = self._kept_renders(planned, context)
        fence.log_replay_state(context, self.settings.mode)
        fence.set_page(context)
        return markdown

    def _load(self, planned: planning.PagePlan) -> PageCapture | None:
        try:
            return load_capture(planned.capture_file, self.settings.cache_dir)
        except CaptureFileError as e:
            self._error(f"{planned.page}: {e}")  # its snippets show placeholders
            return None

    def _kept_renders(self, planned, context) -> rendercache.PageRenders | None:
        """The page's snippets as an earlier build rendered them from the same inputs
        (rendercache.py); None without the cache or without a capture file."""
        if self.settings.cache_dir is None:
            return None
        try:
            raw = planned.capture_file.read_bytes()
        except OSError:
            return None
        lines = [[s.line, [c.line for c in s.commands]] for s in planned.snippets]
        shape = [planned.key, lines, context.lang, context.fold, context.tabs]
        inputs = json.dumps(shape).encode() + b"\0" + raw
        return rendercache.PageRenders(self.settings.cache_dir, planned.capture_file, inputs)

    def _matrix_html(self, page, files, docs_dir: Path) -> str:
        """The version matrix of every planned page's captures, linked from `page`."""
        from ..drift import matrix, report
        from ..drift.links import titles_of

        captures = []
        links = {}
        titles = titles_of(docs_dir, self.capture_files)
        pages = sorted(self.capture_files, key=lambda p: self.nav_order.get(p, len(self.nav_order)))
        for planned in pages:
            try:
                capture = self.fresh.get(planned) or load_capture(
                    self.capture_files[planned], self.settings.cache_dir
                )
            except CaptureFileError as e:
                raise PluginError(printable(str(e))) from None
            if capture is not None:
                captures.append(capture)
            file = files.get_file_from_path(planned)
            if file is not None:
                title = titles.get(planned, planned)
                links[planned] = (title, file.url_relative_to(page.file))
        known = report.saved_matrix_cells(self.settings.captures_dir)
        table = matrix.build(captures, known, self.snippet_titles)
        return matrix.to_html(table, links, self.lang)

    def on_env(self, env, config, files):
        # `mkdocs serve` makes a new template environment for every rebuild; compiling the
        # theme again was half of a small site's rebuild (save to browser reload).
        if env.bytecode_cache is None:
            env.bytecode_cache = templates.COMPILED_TEMPLATES.bucket(env)
        return env

    def on_page_content(self, html, page, config, files):
        context = fence.current_page()
        # Kept only from a capture file that loaded: a hit says the file parses, and one
        # that does not is read (and its error said) on every build.
        if context is not None and context.renders is not None and context.capture is not None:
            context.renders.save()
        fence.set_page(None)
        # MkDocs checks links to anchors against the ids it saw in the Markdown; a snippet's
        # id (`page.md#kc-get-node`) is in the HTML the fence made, which it does not see.
        if page.present_anchor_ids is not None:
            page.present_anchor_ids.update(SNIPPET_ANCHOR.findall(html))
        if self.parts:
            self.parts.seal()
        return html

    @event_priority(100)  # before search indexes the page
    def on_page_context(self, context, page, config, nav):
        # The page's outputs back in its content as search indexes them, until the page is
        # written (on_post_page): it gets them as captured, its content is compact again.
        if self.parts and page.content:
            self._compact = (page, page.content)
            page.content = self.parts.for_search(page.content)
        return context

    @event_priority(100)  # before any plugin that rewrites or minifies the finished page
    def on_post_page(self, output, page, config):
        if self._compact and self._compact[0] is page:
            page.content = self._compact[1]
        self._compact = None
        return self.parts.restore(output) if self.parts else output

    def on_post_template(self, output_content, template_name, config):
        # 404.html links from the site's root: relative, so it opens from disk (offline.py).
        if self.offline and template_name == "404.html":
            return offline.relative_to_root(output_content)
        return output_content

    @event_priority(100)  # every page is written: free what it needed before search's index
    def on_post_build(self, config):
        # Nor does any page need its plan or capture now: search's index is built next, the
        # build's largest moment (the next build plans again).
        self.parts, self.plans, self.fresh, self.capture_files = None, {}, {}, {}
        self.snippet_titles = {}
        forget_loaded_captures()
        if self.errors:
            raise PluginError(
                f"kubecapture: {self.errors} error(s) in pages or capture files (see above); "
                "the other pages were built"
            )

    def _error(self, message: str) -> None:
        """One sentence for the author; the build goes on and fails at its end."""
        log.error(message)
        self.errors += 1

    def _refused_page(self, src_uri: str) -> fence.PageContext:
        """A page whose snippets could not be planned: each fence shows the output its
        capture file holds for it, flagged stale, else a placeholder; nothing runs."""
        capture_file = self.refused[src_uri]
        try:
            page_capture = load_capture(capture_file, self.settings.cache_dir)
        except CaptureFileError as e:
            self._error(f"{src_uri}: {e}")
            page_capture = None
        return fence.PageContext(
            page=src_uri,
            snippets=[],
            capture=page_capture,
            key="",  # matches no capture: what is shown is flagged stale
            lang=self.lang,
            fold=self.config.fold,
            warn=False,
            tabs=self.tabs,
            aside=self.parts,
        )


def _register_fence(config) -> None:
    """Make sure superfences knows the `kubectl` fence (unless the site configured it)."""
    extensions = config.markdown_extensions
    if "pymdownx.superfences" not in extensions:
        extensions.append("pymdownx.superfences")
    options = config.mdx_configs.setdefault("pymdownx.superfences", {})
    fences = options.setdefault("custom_fences", [])
    for custom in (FENCE, CONSOLE_FENCE):
        if not any(f.get("name") == custom["name"] for f in fences):
            fences.append(custom)
