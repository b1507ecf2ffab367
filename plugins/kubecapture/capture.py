"""Plan which pages need a live run, run them, store the captures.

The one code path shared by the MkDocs plugin and the `kubecapture` CLI: it takes
page sources and settings, never MkDocs objects.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import cluster as kube
from . import guard, history, redact, runner
from .snippets import Snippet, SnippetError, one_line, page_key, parse_page
from .store import (
    CommandResult,
    PageCapture,
    Provenance,
    SnippetCapture,
    capture_path,
    covers_digest,
)
from .store import load as load_capture
from .store import save as save_capture

log = logging.getLogger("mkdocs.plugins.kubecapture")


# Go runtime settings for the kubectl processes, unless the environment sets them. Pages
# run side by side, so a short-lived kubectl needs one OS thread and no garbage collection
# below a generous heap: ~20% less CPU per process on a 2-core machine, same output.
KUBECTL_GO_RUNTIME = {"GOMAXPROCS": "1", "GOGC": "off", "GOMEMLIMIT": "256MiB"}


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
    keep_versions: int = 5  # live outputs kept per snippet (0: all); imported ones stay
    context_notes: dict[str, str] = field(default_factory=dict)  # context -> description
    write: bool = True  # False: `kubecapture diff` runs live but keeps the files

    @property
    def workers(self) -> int:
        return self.jobs or min(8, 2 * (os.cpu_count() or 1))

    @classmethod
    def from_options(cls, options, root: Path, mode: str) -> Settings:
        """From the plugin's options in mkdocs.yml (validated by MkDocs, or read as plain
        YAML by the CLI); paths are relative to `root`, the folder of mkdocs.yml."""

        def get(key: str, default):
            value = options.get(key)
            return default if value is None else value

        return cls(
            captures_dir=root / get("captures_dir", "snippets/captures"),
            workdir=root,
            mode=mode,
            context=options.get("context"),
            allow_contexts=tuple(get("allow_contexts", kube.DEFAULT_ALLOWED_CONTEXTS)),
            kubectl=options.get("kubectl"),
            timeout=float(get("timeout", cls.timeout)),
            connect_timeout=float(get("connect_timeout", cls.connect_timeout)),
            jobs=int(get("jobs", cls.jobs)),
            transcripts=bool(get("transcripts", cls.transcripts)),
            sandbox=bool(get("sandbox", cls.sandbox)),
            keep_sandbox=bool(get("keep_sandbox", cls.keep_sandbox)),
            settle_timeout=float(get("settle_timeout", cls.settle_timeout)),
            keep_versions=int(get("keep_versions", cls.keep_versions)),
            context_notes=dict(get("context_notes", {})),
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


class Interrupted(Exception):
    """The build was interrupted (Ctrl-C): the page stops, its sandbox is deleted, its old
    capture is kept."""


def plan_page(page: str, markdown: str, settings: Settings) -> PagePlan:
    """Parse a page's snippets. Raises SnippetError naming page and line."""
    meta, body_offset = _front_matter(markdown)
    snippets = parse_page(markdown, page, transcripts=settings.transcripts)
    options = meta.get("kubecapture") if isinstance(meta.get("kubecapture"), dict) else {}
    guard.check_page_options(options, page, markdown)
    namespace = _sandbox_option(options, page, markdown, settings.sandbox)
    permits = guard.check_page(
        page,
        snippets,
        sandbox=namespace,
        allow_destructive=guard.front_matter_flag(options, "allow_destructive", page, markdown),
        workdir=settings.workdir,
    )
    page_options: dict = {"sandbox": namespace is not None}
    if namespace is not None and namespace != sandbox_name(page):
        page_options["namespace"] = namespace  # a chosen name changes the outputs
    return PagePlan(
        page=page,
        snippets=snippets,
        key=page_key(snippets, page_options),
        sandbox=namespace is not None,
        capture_file=capture_path(settings.captures_dir, page),
        permits=permits,
        namespace=namespace,
    )


_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def _sandbox_option(options: dict, page: str, markdown: str, default: bool) -> str | None:
    """Front matter `sandbox: true` (a namespace named after the page), `sandbox: NAME`
    (a namespace of that name), or false: the sandbox namespace, or None."""
    value = options.get("sandbox", default)
    if isinstance(value, str):
        if not _DNS_LABEL.match(value) or value.startswith("kube-") or value == "default":
            line = next((i for i, t in enumerate(markdown.splitlines(), 1) if "sandbox" in t), 1)
            raise SnippetError(
                page,
                line,
                f'front matter kubecapture.sandbox "{value}" is not a usable namespace name '
                "(lower-case letters, digits and '-', at most 63, not default or kube-*)",
            )
        return value
    flag = guard.front_matter_flag(options, "sandbox", page, markdown, default)
    return sandbox_name(page) if flag else None


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


def stored_key(path: Path) -> str | None:
    """The page key a capture file was made for (see stored_header)."""
    return stored_header(path).get("key")


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
        self._cancel = threading.Event()  # set on Ctrl-C: workers stop and clean up

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
        """Run pages live, up to `workers` at a time, snippets of a page in order.

        Pages that share the cluster's state run first, in the phases of `shared_phases`
        (nav order kept; a phase starts when the one before it has finished), while no
        sandbox exists: `kubectl get namespace` on them shows the cluster's namespaces, not
        this build's sandboxes. Then the sandboxed pages, independent, side by side."""
        with _sigterm_as_interrupt():
            return self._run(plans, on_done)

    def _run(self, plans: list[PagePlan], on_done) -> list[PageRun]:
        cluster = self.cluster()
        results: dict[str, PageRun] = {}

        def run_one(plan: PagePlan) -> None:
            page_run = self._run_page(plan, cluster)
            results[plan.page] = page_run
            if on_done:
                on_done(page_run)

        phases = deque(shared_phases([p for p in plans if not p.sandbox]))
        isolated = deque(p for p in plans if p.sandbox)
        phase: deque[PagePlan] = deque()
        running: set[Future] = set()
        running_phase: set[Future] = set()
        sandboxes: dict[Future, str] = {}  # two pages may map to one name: never at once
        workers = max(1, self.settings.workers)
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            try:
                while True:
                    if not phase and not running_phase and phases:
                        phase = deque(phases.popleft())
                    shared_done = not (phase or phases or running_phase)
                    while len(running) < workers and (phase or (isolated and shared_done)):
                        if phase:
                            future = pool.submit(run_one, phase.popleft())
                            running_phase.add(future)
                        else:
                            busy = {sandboxes[f] for f in running if f in sandboxes}
                            plan = next((p for p in isolated if p.namespace not in busy), None)
                            if plan is None:
                                break
                            isolated.remove(plan)
                            future = pool.submit(run_one, plan)
                            sandboxes[future] = plan.namespace
                        running.add(future)
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()  # an unexpected error stops the run
                    running -= done
                    running_phase -= done
            except BaseException as e:
                # Ctrl-C: kill running kubectl, stop settling; each page deletes its sandbox
                self._cancel.set()
                if isinstance(e, KeyboardInterrupt):
                    log.warning(
                        "interrupted: stopping kubectl and deleting sandbox namespaces; "
                        "unfinished pages keep their previous captures"
                    )
                raise
            finally:
                _join(pool)
        except BaseException:
            self.close()  # then remove any sandbox still alive before leaving
            raise
        return [results[p.page] for p in plans if p.page in results]

    def _run_page(self, plan: PagePlan, cluster: kube.Cluster) -> PageRun:
        start = time.monotonic()
        page_run = PageRun(plan=plan, old=None)
        try:
            # A malformed old file stops the build (CaptureFileError): it may hold the
            # author's hand edits, so it is never replaced.
            page_run.old = load_capture(plan.capture_file)
            fresh = self._execute(plan, cluster, page_run.warnings)
            page_run.new = history.merge_page(
                page_run.old, fresh, plan.snippets, self.settings.keep_versions
            )
            if self.settings.write:
                page_run.written = save_capture(plan.capture_file, page_run.new)
        except PageRunError as e:
            page_run.error = str(e)
        page_run.seconds = time.monotonic() - start
        return page_run

    def _execute(self, plan: PagePlan, cluster: kube.Cluster, warnings: list[str]) -> PageCapture:
        namespace = plan.namespace or cluster.namespace
        touched = guard.touched_namespaces(plan.snippets, namespace, self.settings.workdir)
        secrets = kube.credential_values(cluster)
        provenance = Provenance(
            context=cluster.context,
            server_version=cluster.server_version,
            kubectl_version=cluster.kubectl_version,
            captured_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            nodes=cluster.nodes,
            cluster=self.settings.context_notes.get(cluster.context, ""),
            namespace=namespace,
        )
        try:
            kubeconfig = cluster.kubeconfig
            if plan.sandbox:
                self._create_sandbox(cluster, namespace, plan)
                kubeconfig = kube.with_namespace(
                    cluster.kubeconfig, namespace, self.workdir, f"kubeconfig-{namespace}"
                )
            # KUBERC=off: the author's kubectl preferences (aliases, default flags) must not
            # change what runs or what it prints.
            env = {
                **KUBECTL_GO_RUNTIME,
                **os.environ,
                "KUBECONFIG": str(kubeconfig),
                "KUBERC": "off",
            }
            outputs: list[list[CommandResult]] = []
            exits: dict[int, int] = {}  # command line -> exit code
            for i, snippet in enumerate(plan.snippets):
                results = []
                for command in snippet.commands:
                    self._check_permit(plan, command, exits)
                    result = self._run_command(plan, snippet, command, cluster, env)
                    exits[command.line] = result.exit_code
                    results.append(result)
                    # after every command: a Secret shown now may be deleted by the next one
                    secrets |= self._secret_values(plan, command, cluster, touched)
                outputs.append(results)
                if i + 1 < len(plan.snippets) and needs_settle(plan, snippet):
                    self._settle(plan, snippet, cluster, namespace)
        finally:
            with self._lock:
                ours = plan.sandbox and namespace in self._sandboxes
            if ours and not self.settings.keep_sandbox:
                self._delete_sandbox(cluster, namespace)
            elif ours:
                log.info("keep_sandbox: sandbox namespace %s of %s kept", namespace, plan.page)
        # Redact once every value the page's commands could have shown is known.
        redactor = redact.Redactor(secrets)
        captures = []
        for snippet, results in zip(plan.snippets, outputs, strict=True):
            if snippet.options.get("redact") != "off":
                results = [redact.redact_result(r, redactor) for r in results]
            else:
                warnings.append(
                    f'{plan.page}:{snippet.line}: redact="off": '
                    "secret values are not masked in this snippet"
                )
            warnings.extend(unexpected_exit(plan.page, snippet, results))
            captures.append(SnippetCapture(snippet.key, results, provenance, snippet.id))
        return PageCapture(page=plan.page, key=plan.key, snippets=captures)

    def _run_command(self, plan, snippet, command, cluster, env) -> CommandResult:
        if self._cancel.is_set():
            raise Interrupted()
        timeout = snippet.timeout or self.settings.timeout
        argv = [cluster.kubectl, *command.argv[1:]]
        try:
            done = runner.run(
                argv, env=env, cwd=self.settings.workdir, timeout=timeout, cancel=self._cancel
            )
        except runner.CommandTimeout as e:
            raise PageRunError(
                f"{plan.page}:{command.line}: `{one_line(command.text)}` {e}"
            ) from None
        except runner.CommandNotFound:
            raise PageRunError(
                f"{plan.page}:{command.line}: kubectl not found at {cluster.kubectl}"
            ) from None
        except runner.CommandCancelled:
            raise Interrupted() from None
        return CommandResult(command.text, done.exit_code, done.stdout, done.stderr)

    def _check_permit(self, plan: PagePlan, command, exits: dict[int, int]) -> None:
        """A delete allowed because the page created its target runs only if it did."""
        permit = plan.permits.get(command.line)
        failed = [n for n in permit.creator_lines if exits.get(n) != 0] if permit else []
        if failed:
            raise PageRunError(
                f"{plan.page}:{command.line}: refusing to run `{one_line(command.text)}`: "
                f"{permit.targets} may not be this page's own, since the command at line "
                f"{failed[0]} that creates it failed; add `allow_destructive: true` under "
                "`kubecapture:` in the page's front matter to allow it anyway"
            )

    def _settle(self, plan: PagePlan, snippet: Snippet, cluster, namespace: str) -> None:
        problem = kube.settle(cluster, namespace, self.settings.settle_timeout, self._cancel)
        if self._cancel.is_set():
            raise Interrupted()
        if problem:
            raise PageRunError(f"{plan.page}:{snippet.line}: after this snippet, {problem}")

    def _secret_values(self, plan: PagePlan, command, cluster, touched) -> set[str]:
        try:
            return kube.secret_values(cluster, touched)
        except kube.ClusterUnavailable as e:
            raise PageRunError(
                f"{plan.page}:{command.line}: {e}, so the page's outputs are not stored"
            ) from None

    def _create_sandbox(self, cluster: kube.Cluster, namespace: str, plan: PagePlan) -> None:
        with self._lock:
            self._sandboxes.add(namespace)
        try:
            kube.create_namespace(
                cluster, namespace, timeout=self.settings.settle_timeout, cancel=self._cancel
            )
        except kube.ClusterUnavailable as e:
            if isinstance(e, kube.NamespaceTaken):  # not ours: never delete it
                with self._lock:
                    self._sandboxes.discard(namespace)
            if self._cancel.is_set():
                raise Interrupted() from None
            raise PageRunError(f"{plan.page}:{plan.first_line}: {e}") from None

    def _delete_sandbox(self, cluster: kube.Cluster, namespace: str) -> None:
        try:
            kube.delete_namespace(cluster, namespace)
        except kube.ClusterUnavailable as e:
            log.warning("%s; delete it with `kubectl delete namespace %s`", e, namespace)
            return  # stays in _sandboxes: close() tries once more
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
        kube.close_clients()
        import shutil

        shutil.rmtree(self.workdir, ignore_errors=True)


@contextmanager
def _sigterm_as_interrupt():
    """SIGTERM (a killed `mkdocs serve`, a CI timeout) cleans up like Ctrl-C: kubectl
    killed, sandboxes deleted, old captures kept. Signal handlers belong to the main
    thread; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _join(pool: ThreadPoolExecutor) -> None:
    """Wait for the workers. A second Ctrl-C does not abandon them: they are stopping
    already, and each deletes its page's sandbox namespace on the way out."""
    while True:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
            return
        except KeyboardInterrupt:
            log.warning("stopping: waiting for kubectl to exit and sandboxes to be deleted")


def needs_settle(plan: PagePlan, snippet: Snippet) -> bool:
    """Wait for the sandbox to settle after this snippet (before the next one)?"""
    if not plan.sandbox or snippet.options.get("settle") == "off":
        return False
    return not all(guard.is_read_only(c.argv) for c in snippet.commands)


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


def reads_only(plan: PagePlan) -> bool:
    """A page whose every command is read-only."""
    return all(guard.is_read_only(c.argv) for s in plan.snippets for c in s.commands)


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


def sandbox_name(page: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", Path(page).with_suffix("").as_posix().lower()).strip("-")
    return f"kc-{slug}"[:63].rstrip("-")


__all__ = [
    "PagePlan",
    "PageRun",
    "Session",
    "shared_phases",
    "Settings",
    "SnippetError",
    "needs_run",
    "plan_page",
]
