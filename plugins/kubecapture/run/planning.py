"""Plan a page: its snippets, options and sandbox, and whether it needs a live run.

No threads, no cluster, no MkDocs objects: the plugin, the CLI and the Zensical fence
extension all plan pages here. A capture file's header (its first 512 bytes) tells
whether a page needs to run; the rest of the file is read only when rendering.
"""

from __future__ import annotations

import os
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from ..base import config
from ..base.snippets import (
    Command,
    Snippet,
    keys_digest,
    one_line,
    page_key,
    parse_page,
    with_occurrence,
)
from ..captures.store import CommandResult, PageCapture, capture_path, covers_digest
from ..captures.store import load as load_capture
from ..trust import files, guard, pageoptions

_CONVERT: dict = {}  # option -> the type its Settings field holds (from_options)


def _option(name: str, convert=None):
    """A Settings field's default: the plugin schema's (config.py), so it is stated once;
    `from_options` reads the field from the option of that name, through `convert`."""
    value = config.default(name)
    if isinstance(value, dict):
        _CONVERT[name] = dict
        return field(default_factory=lambda: config.default(name))
    _CONVERT[name] = convert or (lambda v: v)
    return convert(value) if convert else value


@dataclass
class Settings:
    """The options a run needs, as `from_options` makes them from the plugin's; built
    directly (tests, benchmarks), each field not given is the schema's default."""

    captures_dir: Path
    workdir: Path  # commands run here (the repository root)
    mode: str = _option("mode")
    context: str | None = _option("context")
    allow_contexts: tuple[str, ...] = _option("allow_contexts", tuple)
    kubectl: str | None = _option("kubectl")
    timeout: float = _option("timeout", float)
    connect_timeout: float = _option("connect_timeout", float)
    jobs: int = _option("jobs", int)
    transcripts: bool = _option("transcripts", bool)
    sandbox: bool = _option("sandbox", bool)
    keep_sandbox: bool = _option("keep_sandbox", bool)
    settle_timeout: float = _option("settle_timeout", float)
    keep_versions: int = _option("keep_versions", int)  # outputs kept per snippet; 0: all
    context_notes: dict[str, str] = _option("context_notes")  # context -> description
    write: bool = True  # False: `kubecapture diff` runs live but keeps the files
    # Parsed capture files kept between builds (readcache.py); None: no cache. From the
    # options `cache` and `cache_dir` (relative to the site), so not defaulted here.
    cache_dir: Path | None = None
    # the folders kubectl may read files from (-f, --from-file); () is docs/ and snippets/
    content_dirs: tuple[Path, ...] = ()

    @property
    def workers(self) -> int:
        return self.jobs or min(8, 2 * (os.cpu_count() or 1))

    @classmethod
    def from_options(cls, options, root: Path, mode: str) -> Settings:
        """From the plugin's options, validated by its schema (config.py); paths are
        relative to `root`, the folder of mkdocs.yml."""
        given = {name: convert(options[name]) for name, convert in _CONVERT.items()}
        return cls(
            **given | {"mode": mode},
            captures_dir=root / options["captures_dir"],
            workdir=root,
            cache_dir=root / options["cache_dir"] if options["cache"] else None,
        )


@dataclass
class PagePlan:
    page: str  # path relative to docs_dir, forward slashes
    snippets: list[Snippet]
    key: str
    sandbox: bool
    capture_file: Path
    namespace: str | None = None  # the sandbox namespace (None without a sandbox)
    # destructive commands allowed because the page created their targets (by line)
    permits: dict[int, guard.Permit] = field(default_factory=dict)
    page_options: dict = field(default_factory=dict)  # what of its options is in `key`
    parsed: dict = field(default_factory=dict)  # line -> the command as the guard parsed it

    @property
    def first_line(self) -> int:
        return self.snippets[0].line if self.snippets else 1


def plan_page(page: str, markdown: str, settings: Settings) -> PagePlan:
    """Parse a page's snippets and options. Raises SnippetError naming page and line."""
    snippets = parse_page(markdown, page, transcripts=settings.transcripts)
    options = pageoptions.read(markdown, page, settings.sandbox)
    namespace = options.namespace(page)
    permits, parsed = guard.check_page(
        page,
        snippets,
        sandbox=namespace,
        allow_destructive=options.allow_destructive,
        workdir=settings.workdir,
        allow=options.allow,
        content_dirs=settings.content_dirs,
        allow_rbac=options.allow_rbac,
        allow_other_secrets=options.allow_other_secrets,
    )
    return PagePlan(
        page=page,
        snippets=snippets,
        key=page_key(snippets, options.key_options(page)),
        page_options=options.key_options(page),
        sandbox=namespace is not None,
        capture_file=capture_path(settings.captures_dir, page),
        permits=permits,
        parsed=parsed,
        namespace=namespace,
    )


_HEADER = re.compile(r"^(?P<field>key|covers): (?P<value>\S+)$", re.M)


def stored_header(path: Path) -> dict[str, str]:
    """`key` (the page key a capture file was made for) and `covers` (digest of the snippet
    keys it holds), read from the file's first 512 bytes without parsing the rest, so
    planning a big site stays cheap. Empty when there is no file."""
    try:
        with path.open(encoding="utf-8") as f:
            head = f.read(512)
    except FileNotFoundError:
        return {}
    header: dict[str, str] = {}
    for m in _HEADER.finditer(head):
        header.setdefault(m["field"], m["value"])
    return header


def needs_run(plan: PagePlan, mode: str) -> bool:
    if not plan.snippets or mode == "replay":
        return False
    if mode == "refresh":
        return True
    header = stored_header(plan.capture_file)
    if header.get("key") != plan.key:
        return True
    if "covers" in header:  # store.save derives it from the captures in the file
        return header["covers"] != covers_digest(s.key for s in plan.snippets)
    capture = load_capture(plan.capture_file)  # a file from before `covers`: read it all
    return capture is None or not is_complete(capture, plan)


def is_complete(capture: PageCapture, plan: PagePlan) -> bool:
    """Every snippet of the page has a capture (an imported page may cover only some)."""
    return len(capture.snippets) == len(plan.snippets) and all(
        capture.find(s.key, n) is not None for s, n in with_occurrence(plan.snippets)
    )


def stale_snippets(
    capture: PageCapture | None, snippets: list[Snippet], page_options: dict
) -> set[tuple[str, int]]:
    """The snippets (key, occurrence) whose capture is stale. A snippet's capture stays
    current while the snippets before it on the page are the ones that ran before it when
    it was captured (with the same page options): a snippet added after it, or one of its
    own changed, leaves it as it was; one added, removed or changed before it may change
    what it prints. A capture whose run order cannot be told (the page's options changed,
    an imported page) is stale throughout. Snippets with no capture are not in the set
    (they are missing, not stale)."""
    if capture is None or capture.key == page_key(snippets, page_options):
        return set()
    captured = [s.key for s in capture.snippets]
    pairs = list(with_occurrence(snippets))
    if keys_digest(captured, page_options) != capture.key:
        return {(s.key, n) for s, n in pairs if capture.find(s.key, n) is not None}
    stale = set()
    for i, (snippet, n) in enumerate(pairs):
        at = [j for j, key in enumerate(captured) if key == snippet.key]
        if n >= len(at):
            continue  # never captured: a placeholder
        if [s.key for s in snippets[:i]] != captured[: at[n]]:
            stale.add((snippet.key, n))
    return stale


def leftover_captures(capture: PageCapture | None, snippets: list[Snippet]) -> int:
    """How many captures of the file belong to no snippet of the page now (a snippet
    changed or removed since it was captured)."""
    if capture is None:
        return 0
    wanted = Counter(s.key for s in snippets)
    have = Counter(s.key for s in capture.snippets)
    return sum((have - wanted).values())


def settles_after(plan: PagePlan, snippet: Snippet, command: Command) -> bool:
    """Wait for the sandbox to settle after this command (before the next command of the
    snippet, or the next snippet)? After every command that may change it: a fence that
    applies and then reads shows the settled state, as two fences would, not whatever the
    controllers had done by then (`settle="off"` shows that on purpose)."""
    if not plan.sandbox or snippet.options.get("settle") == "off":
        return False
    p = plan.parsed.get(command.line)
    return p is None or p.effect != "read"


def needs_settle(plan: PagePlan, snippet: Snippet) -> bool:
    """Wait for the sandbox to settle after this snippet (before the next one)? After its
    last command may have changed it (the earlier ones were settled after already)."""
    return settles_after(plan, snippet, snippet.commands[-1])


def unexpected_exit(page: str, snippet: Snippet, results: list[CommandResult]) -> list[str]:
    """Warnings for exit codes the author did not expect: every command but the last must
    succeed; the last must exit with `returncode` (default 0)."""
    out = []
    for i, (command, result) in enumerate(zip(snippet.commands, results, strict=True)):
        expected = snippet.returncode if i == len(results) - 1 else 0
        if result.exit_code != expected:
            err = one_line(result.stderr.strip()) or "no error output"
            out.append(
                f"{page}:{command.line}: `{one_line(command.text)}` exited with "
                f"{result.exit_code} (expected {expected}): {err}"
            )
    return out


def side_by_side(plan: PagePlan) -> bool:
    """Run the page's commands at once rather than one by one? Only on a page that shares
    the cluster (its state settled by the pages before it) and whose every command reads
    without waiting for a change (`Parsed.waits`): none of them changes what another sees,
    so in any order they print what they print run in order. A sandboxed page is not: its
    namespace is still being filled in (service account, CA config map) as it starts."""
    commands = [c for s in plan.snippets for c in s.commands]
    return (
        not plan.sandbox
        and not plan.permits
        and len(commands) > 1
        and reads_only(plan)
        and not any(plan.parsed[c.line].waits for c in commands)
    )


def reads_only(plan: PagePlan) -> bool:
    """A page whose every command is read-only (as the guard parsed it)."""
    lines = (c.line for s in plan.snippets for c in s.commands)
    return all(line in plan.parsed and plan.parsed[line].effect == "read" for line in lines)


class RunOrder:
    """Which page may start next. Pages that share the cluster go phase by phase
    (`shared_phases`: a phase's pages side by side, the next phase once all of it has
    finished); then the sandboxed pages, never two with the same sandbox name at once
    (two pages may name one). No threads: the session asks `next()` while it has a free
    worker, and reports each page it saw finish."""

    def __init__(self, plans: list[PagePlan]):
        self._phases = deque(deque(p) for p in shared_phases([p for p in plans if not p.sandbox]))
        self._isolated = [p for p in plans if p.sandbox]
        self._shared_running = 0
        self._busy: set[str | None] = set()  # sandbox names of the sandboxed pages running

    def next(self) -> PagePlan | None:
        """A page that may start now; None: wait for one to finish (or nothing is left)."""
        while self._phases and not self._phases[0] and not self._shared_running:
            self._phases.popleft()  # that phase has finished
        if self._phases and self._phases[0]:
            self._shared_running += 1
            return self._phases[0].popleft()
        if self._phases or self._shared_running:
            return None  # sandboxed pages start after every shared one
        plan = next((p for p in self._isolated if p.namespace not in self._busy), None)
        if plan is not None:
            self._isolated.remove(plan)
            self._busy.add(plan.namespace)
        return plan

    def finished(self, plan: PagePlan) -> None:
        if plan.sandbox:
            self._busy.discard(plan.namespace)
        else:
            self._shared_running -= 1


def shared_phases(plans: list[PagePlan]) -> list[list[PagePlan]]:
    """Split pages that share the cluster (no sandbox), in nav order, into phases that run
    one after another; the pages of a phase run at the same time.

    Consecutive read-only pages make one phase: none of them changes what the others
    see. A page with a command that may change state (apply, create, delete, scale,
    `config use-context`, ...) is a phase of its own, so it starts after every page
    before it has finished and every page after it starts once it is done: each page
    sees the cluster as running the pages one by one in nav order would leave it.
    """
    phases: list[list[PagePlan]] = []
    for plan in plans:
        if reads_only(plan) and phases and reads_only(phases[-1][0]):
            phases[-1].append(plan)
        else:
            phases.append([plan])
    return phases


def links_out(settings: Settings, docs_dir: Path) -> str | None:
    """Why the site may not be built or captured (None: it may): a link in docs/, the
    folders kubectl reads or the captures folder leads outside them, or a folder the build
    writes (captures, cache) is reached through a link. A pull request can add one: MkDocs
    would copy what docs/leak.txt leads to into the site, --8<-- include
    snippets/link.txt, a capture of docs/evil/p.md go through snippets/captures/evil, and
    the cache through a `.cache` link."""
    written = files.written_through_links(
        settings.workdir, (settings.captures_dir, settings.cache_dir)
    )
    if written:
        return (
            f"{written[0]} is a link to {written[1]}, on the way to a folder the build writes "
            "(the captures, the cache); nothing is run or written"
        )
    roots = (*files.content_roots(settings.workdir, settings.content_dirs),)
    roots += tuple(r for r in map(files.resolved, (docs_dir, settings.captures_dir)) if r)
    found = files.links_leaving((docs_dir, settings.captures_dir, *roots), roots)
    if not found:
        return None
    link, target = found[0]
    return (
        f"{link} is a link to {target}, outside the notes' content and captures "
        f"({', '.join(str(r) for r in dict.fromkeys(roots))}); nothing is run or written "
        f"({len(found)} such link(s))"
    )
