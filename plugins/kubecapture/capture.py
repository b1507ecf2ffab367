"""Plan which pages need a live run, run them, store the captures.

The one code path shared by the MkDocs plugin and the `kubecapture` CLI: it takes
page sources and settings, never MkDocs objects.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import cluster as kube
from . import redact, runner
from .snippets import Snippet, SnippetError, page_key, parse_page
from .store import (
    CommandResult,
    PageCapture,
    Provenance,
    SnippetCapture,
    capture_path,
)
from .store import load as load_capture
from .store import save as save_capture

log = logging.getLogger("mkdocs.plugins.kubecapture")


@dataclass
class Settings:
    captures_dir: Path
    workdir: Path  # commands run here (the repository root)
    mode: str = "auto"
    context: str | None = None
    allow_contexts: tuple[str, ...] = kube.DEFAULT_ALLOWED_CONTEXTS
    kubectl: str | None = None
    timeout: float = 60
    connect_timeout: float = 3
    jobs: int = 0
    transcripts: bool = False
    sandbox: bool = False
    keep_sandbox: bool = False
    settle_timeout: float = 120
    write: bool = True  # False: `kubecapture diff` runs live but keeps the files

    @property
    def workers(self) -> int:
        return self.jobs or min(8, 2 * (os.cpu_count() or 1))


@dataclass
class PagePlan:
    page: str  # path relative to docs_dir, forward slashes
    snippets: list[Snippet]
    key: str
    sandbox: bool
    capture_file: Path

    @property
    def first_line(self) -> int:
        return self.snippets[0].line if self.snippets else 1


@dataclass
class PageRun:
    """What a live run of one page produced."""

    plan: PagePlan
    old: PageCapture | None
    new: PageCapture | None = None  # None when the run failed
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    written: bool = False


class PageRunError(Exception):
    pass


def plan_page(page: str, markdown: str, settings: Settings) -> PagePlan:
    """Parse a page's snippets. Raises SnippetError naming page and line."""
    meta, body_offset = _front_matter(markdown)
    snippets = parse_page(markdown, page, transcripts=settings.transcripts)
    options = meta.get("kubecapture") if isinstance(meta.get("kubecapture"), dict) else {}
    sandbox = bool(options.get("sandbox", settings.sandbox))
    return PagePlan(
        page=page,
        snippets=snippets,
        key=page_key(snippets, {"sandbox": sandbox}),
        sandbox=sandbox,
        capture_file=capture_path(settings.captures_dir, page),
    )


def _front_matter(markdown: str) -> tuple[dict, int]:
    import yaml

    m = re.match(r"^---[ \t]*\n(.*?\n)---[ \t]*\n", markdown, re.S)
    if not m:
        return {}, 0
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}, 0  # MkDocs reports broken front matter itself
    return (data if isinstance(data, dict) else {}), m.end()


_HEADER = re.compile(r"^key: (?P<key>\S+)$", re.M)


def stored_key(path: Path) -> str | None:
    """The page key a capture file was made for, read from its header without parsing
    the whole file (planning a big site stays cheap)."""
    try:
        with path.open(encoding="utf-8") as f:
            head = f.read(512)
    except FileNotFoundError:
        return None
    m = _HEADER.search(head)
    return m["key"] if m else None


def needs_run(plan: PagePlan, mode: str) -> bool:
    if not plan.snippets or mode == "replay":
        return False
    if mode == "refresh":
        return True
    if stored_key(plan.capture_file) != plan.key:
        return True
    capture = load_capture(plan.capture_file)
    return capture is None or not is_complete(capture, plan)


def is_complete(capture: PageCapture, plan: PagePlan) -> bool:
    """Every snippet of the page has a capture (an imported page may cover only some)."""
    return len(capture.snippets) == len(plan.snippets) and all(
        capture.find(s.key, n) is not None for s, n in with_occurrence(plan.snippets)
    )


def with_occurrence(snippets: list[Snippet]):
    """(snippet, n): n counts earlier snippets with the same key on the page."""
    seen: dict[str, int] = {}
    for s in snippets:
        n = seen.get(s.key, 0)
        seen[s.key] = n + 1
        yield s, n


class Session:
    """One build's live runs: a pinned cluster, a pool of workers, sandbox bookkeeping."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.workdir = kube.new_workdir()
        self._cluster: kube.Cluster | None = None
        self._unavailable: str | None = None
        self._sandboxes: set[str] = set()
        self._lock = threading.Lock()

    def cluster(self) -> kube.Cluster:
        """Connect once per build; later calls reuse the answer (also a refusal)."""
        if self._unavailable:
            raise kube.ClusterUnavailable(self._unavailable)
        if self._cluster is None:
            try:
                self._cluster = kube.connect(
                    context=self.settings.context,
                    allow_contexts=self.settings.allow_contexts,
                    kubectl=self.settings.kubectl,
                    workdir=self.workdir,
                    connect_timeout=self.settings.connect_timeout,
                )
            except kube.ClusterUnavailable as e:
                self._unavailable = str(e)
                raise
        return self._cluster

    def run(self, plans: list[PagePlan], on_done=None) -> list[PageRun]:
        """Run pages live. Sandboxed pages run in parallel; the others share the cluster's
        state, so they run one after another in the given (nav) order."""
        cluster = self.cluster()
        shared = [p for p in plans if not p.sandbox]
        isolated = [p for p in plans if p.sandbox]
        results: dict[str, PageRun] = {}

        def run_chain(chain: list[PagePlan]) -> None:
            for plan in chain:
                page_run = self._run_page(plan, cluster)
                results[plan.page] = page_run
                if on_done:
                    on_done(page_run)

        chains = ([shared] if shared else []) + [[p] for p in isolated]
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.settings.workers)) as pool:
                for future in [pool.submit(run_chain, c) for c in chains]:
                    future.result()
        except BaseException:
            self.close()  # Ctrl-C: remove sandboxes before leaving
            raise
        return [results[p.page] for p in plans if p.page in results]

    def _run_page(self, plan: PagePlan, cluster: kube.Cluster) -> PageRun:
        start = time.monotonic()
        page_run = PageRun(plan=plan, old=None)
        try:
            # A malformed old file stops the build (CaptureFileError): it may hold the
            # author's hand edits, so it is never replaced.
            page_run.old = load_capture(plan.capture_file)
            page_run.new = self._execute(plan, cluster, page_run.warnings)
            if self.settings.write:
                page_run.written = save_capture(plan.capture_file, page_run.new)
        except PageRunError as e:
            page_run.error = str(e)
        page_run.seconds = time.monotonic() - start
        return page_run

    def _execute(self, plan: PagePlan, cluster: kube.Cluster, warnings: list[str]) -> PageCapture:
        namespace = cluster.namespace
        kubeconfig = cluster.kubeconfig
        if plan.sandbox:
            namespace = sandbox_name(plan.page)
            self._create_sandbox(cluster, namespace)
            kubeconfig = kube.with_namespace(
                cluster.kubeconfig, namespace, self.workdir, f"kubeconfig-{namespace}"
            )
        env = dict(os.environ, KUBECONFIG=str(kubeconfig))
        provenance = Provenance(
            context=cluster.context,
            server_version=cluster.server_version,
            kubectl_version=cluster.kubectl_version,
            captured_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        try:
            captures = []
            for snippet in plan.snippets:
                results = [
                    self._run_command(plan, snippet, command, cluster, env, namespace)
                    for command in snippet.commands
                ]
                warnings.extend(unexpected_exit(plan.page, snippet, results))
                if snippet.options.get("redact") != "off":
                    secrets = kube.secret_values(cluster, self._touched(plan, namespace))
                    results = [redact.redact_result(r, secrets) for r in results]
                else:
                    warnings.append(
                        f'{plan.page}:{snippet.line}: redact="off": '
                        "secret values are not masked in this snippet"
                    )
                captures.append(SnippetCapture(snippet.key, results, provenance, snippet.id))
        finally:
            if plan.sandbox and not self.settings.keep_sandbox:
                self._delete_sandbox(cluster, namespace)
        return PageCapture(page=plan.page, key=plan.key, snippets=captures)

    def _run_command(self, plan, snippet, command, cluster, env, namespace) -> CommandResult:
        timeout = snippet.timeout or self.settings.timeout
        argv = [cluster.kubectl, *command.argv[1:]]
        try:
            done = runner.run(argv, env=env, cwd=self.settings.workdir, timeout=timeout)
        except runner.CommandTimeout as e:
            raise PageRunError(
                f"{plan.page}:{command.line}: `{_one_line(command.text)}` {e}"
            ) from None
        except runner.CommandNotFound:
            raise PageRunError(
                f"{plan.page}:{command.line}: kubectl not found at {cluster.kubectl}"
            ) from None
        if plan.sandbox and snippet.options.get("settle") != "off" and is_mutating(command.argv):
            problem = kube.settle(cluster, namespace, self.settings.settle_timeout)
            if problem:
                raise PageRunError(
                    f"{plan.page}:{command.line}: after `{_one_line(command.text)}` {problem}"
                )
        return CommandResult(command.text, done.exit_code, done.stdout, done.stderr)

    def _touched(self, plan: PagePlan, namespace: str) -> set[str]:
        namespaces = {namespace}
        for s in plan.snippets:
            for c in s.commands:
                namespaces |= namespaces_in(c.argv)
        return namespaces

    def _create_sandbox(self, cluster: kube.Cluster, namespace: str) -> None:
        with self._lock:
            self._sandboxes.add(namespace)
        try:
            kube.create_namespace(cluster, namespace, timeout=self.settings.settle_timeout)
        except kube.ClusterUnavailable as e:
            raise PageRunError(f"sandbox namespace {namespace}: {e}") from None

    def _delete_sandbox(self, cluster: kube.Cluster, namespace: str) -> None:
        kube.delete_namespace(cluster, namespace)
        with self._lock:
            self._sandboxes.discard(namespace)

    def close(self) -> None:
        """Delete sandboxes still alive (after an interrupt) and the private work dir."""
        if self._cluster and not self.settings.keep_sandbox:
            for namespace in list(self._sandboxes):
                try:
                    self._delete_sandbox(self._cluster, namespace)
                except Exception as e:  # cleanup must go on for the others
                    log.warning("could not delete sandbox namespace %s: %s", namespace, e)
        import shutil

        shutil.rmtree(self.workdir, ignore_errors=True)


def unexpected_exit(page: str, snippet: Snippet, results: list[CommandResult]) -> list[str]:
    """Warnings for exit codes the author did not expect: every command but the last must
    succeed; the last must exit with `returncode` (default 0)."""
    out = []
    for i, (command, result) in enumerate(zip(snippet.commands, results, strict=True)):
        expected = snippet.returncode if i == len(results) - 1 else 0
        if result.exit_code != expected:
            err = _one_line(result.stderr.strip()) or "no error output"
            out.append(
                f"{page}:{command.line}: `{_one_line(command.text)}` exited with "
                f"{result.exit_code} (expected {expected}): {err}"
            )
    return out


MUTATING_VERBS = {
    "apply",
    "create",
    "run",
    "scale",
    "set",
    "expose",
    "delete",
    "patch",
    "replace",
    "label",
    "annotate",
    "autoscale",
    "edit",
}


def is_mutating(argv) -> bool:
    verbs = [a for a in argv[1:] if not a.startswith("-")][:2]
    if not verbs:
        return False
    return verbs[0] in MUTATING_VERBS or verbs[:2] in (["rollout", "undo"], ["rollout", "restart"])


def namespaces_in(argv) -> set[str]:
    out = set()
    for i, a in enumerate(argv):
        if a in ("-n", "--namespace") and i + 1 < len(argv):
            out.add(argv[i + 1])
        elif a.startswith("--namespace="):
            out.add(a.split("=", 1)[1])
        elif a.startswith("-n") and len(a) > 2 and not a.startswith("--"):
            out.add(a[2:])
    if "create" in argv and "namespace" in argv:  # `kubectl create namespace NAME`
        idx = argv.index("namespace")
        if idx + 1 < len(argv):
            out.add(argv[idx + 1])
    return out


def sandbox_name(page: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", Path(page).with_suffix("").as_posix().lower()).strip("-")
    return f"kc-{slug}"[:63].rstrip("-")


def _one_line(text: str) -> str:
    return " ".join(text.replace("\\\n", " ").split())


__all__ = [
    "PagePlan",
    "PageRun",
    "Session",
    "Settings",
    "SnippetError",
    "needs_run",
    "plan_page",
]
