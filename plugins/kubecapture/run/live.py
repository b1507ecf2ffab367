"""Run planned pages live against the cluster and store their captures.

A `Session` is one build's live runs: a pinned cluster, a pool of workers, sandbox
bookkeeping, Ctrl-C and SIGTERM cleanup. `run_pages` is the one sequence the plugin and
the CLI share: run, log each page, summarize, save the drift report.
"""

from __future__ import annotations

import shutil
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ..base import log
from ..base.snippets import one_line
from ..captures.store import (
    CaptureFileError,
    CommandResult,
    PageCapture,
    Provenance,
    SnippetCapture,
)
from ..captures.store import load as load_capture
from ..captures.store import save as save_capture
from ..drift import history, report
from ..trust import manifests, redact
from . import cluster as kube
from . import runner, sandbox, secrets
from .planning import (
    PagePlan,
    RunOrder,
    Settings,
    needs_settle,
    settles_after,
    side_by_side,
    unexpected_exit,
)

KUBECTL_GO_RUNTIME = kube.KUBECTL_GO_RUNTIME  # every kubectl runs with it: kube.sealed_env


@dataclass
class PageRun:
    """What a live run of one page produced."""

    plan: PagePlan
    old: PageCapture | None
    new: PageCapture | None = None  # None when the run failed
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


# The time one page's live run may take, commands and settling together (at least the
# `timeout` option, one command's).
PAGE_SECONDS = 900


class PageRunError(Exception):
    pass


class Interrupted(Exception):
    """The build was interrupted (Ctrl-C): the page stops, its sandbox is deleted, its old
    capture is kept."""


class Session:
    """One build's live runs: a pinned cluster, a pool of workers, sandbox bookkeeping."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.workdir = kube.new_workdir()
        self._cluster: kube.Cluster | None = None
        self._unavailable: str | None = None
        self._sandboxes: dict[str, str] = {}  # name -> UID of the sandboxes this build made
        self._lock = threading.Lock()
        self._cancel = threading.Event()  # set on Ctrl-C: workers stop and clean up
        # At most `workers` kubectl processes at once, however pages and commands are
        # spread over threads (see side_by_side).
        self._slots = threading.BoundedSemaphore(max(1, settings.workers))
        self._commands: ThreadPoolExecutor | None = None  # for side_by_side pages
        self._deadlines: dict[str, float] = {}  # page -> when its run must have ended

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
        """Run pages live, up to `workers` at a time, snippets of a page in order (the
        commands of a page that only reads may run at once: see side_by_side).

        Pages that share the cluster's state run first, in the phases of `shared_phases`
        (nav order kept; a phase starts when the one before it has finished), while no
        sandbox exists (an earlier build's that is still terminating is waited for):
        `kubectl get namespace` on them shows the cluster's namespaces, not sandboxes.
        Then the sandboxed pages, independent, side by side."""
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

        if any(not p.sandbox for p in plans):
            self._wait_for_deletions(cluster)
        order = RunOrder(plans)
        running: dict[Future, PagePlan] = {}
        workers = max(1, self.settings.workers)
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            while True:
                while len(running) < workers and (plan := order.next()) is not None:
                    running[pool.submit(run_one, plan)] = plan
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    future.result()  # an unexpected error stops the run
                    order.finished(running.pop(future))
        except BaseException as e:
            # Ctrl-C: kill running kubectl, stop settling; each page deletes its sandbox,
            # then any sandbox still alive is removed before leaving
            self._cancel.set()
            if isinstance(e, KeyboardInterrupt):
                log.warning(
                    "interrupted: stopping kubectl and deleting sandbox namespaces; "
                    "unfinished pages keep their previous captures"
                )
            self._stop_workers(pool)
            self.close()
            raise
        self._stop_workers(pool)
        return [results[p.page] for p in plans if p.page in results]

    def _stop_workers(self, pool: ThreadPoolExecutor) -> None:
        _join(pool)
        if self._commands is not None:
            self._commands.shutdown(wait=True)
            self._commands = None

    def _wait_for_deletions(self, cluster: kube.Cluster) -> None:
        """Sandboxes of an earlier build may still be terminating: `kubectl get namespace`
        on a shared page would show them in one run and not in the next."""
        left = sandbox.wait_for_deletions(cluster, self.settings.settle_timeout, self._cancel)
        if left:
            log.warning(
                "sandbox namespaces still being deleted after %g s: %s; outputs that list "
                "namespaces may show them",
                self.settings.settle_timeout,
                ", ".join(left),
            )

    def _run_page(self, plan: PagePlan, cluster: kube.Cluster) -> PageRun:
        start = time.monotonic()
        self._deadlines[plan.page] = start + self.page_seconds
        page_run = PageRun(plan=plan, old=None)
        try:
            # A malformed old file fails the page before anything runs: it may hold the
            # author's hand edits, so it is never replaced. The other pages go on.
            page_run.old = load_capture(plan.capture_file, self.settings.cache_dir)
            fresh = self._execute(plan, cluster, page_run.warnings)
            page_run.new = history.merge_page(
                page_run.old, fresh, plan.snippets, self.settings.keep_versions
            )
            if self.settings.write:
                save_capture(plan.capture_file, page_run.new)
        except (PageRunError, CaptureFileError) as e:
            page_run.error, page_run.new = str(e), None
        page_run.seconds = time.monotonic() - start
        return page_run

    def _execute(self, plan: PagePlan, cluster: kube.Cluster, warnings: list[str]) -> PageCapture:
        namespace = plan.namespace or cluster.namespace
        touched = manifests.touched_namespaces(
            plan.parsed.values(), namespace, self.settings.workdir
        )
        masked = secrets.credential_values(cluster)
        provenance = Provenance(
            context=cluster.context,
            server_version=cluster.server_version,
            kubectl_version=cluster.kubectl_version,
            captured_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            nodes=cluster.nodes,
            cluster=kube.context_note(cluster.context, self.settings.context_notes),
            namespace=namespace,
            runtime=cluster.runtime,
            images=cluster.images,
        )
        try:
            kubeconfig = cluster.kubeconfig
            if plan.sandbox:
                self._create_sandbox(cluster, namespace, plan)
                kubeconfig = kube.with_namespace(
                    cluster.kubeconfig, namespace, self.workdir, f"kubeconfig-{namespace}"
                )
            # sealed: this kubeconfig, private HOME and PATH, nothing of the build's env
            env = kube.kubectl_env(self.workdir, kubeconfig)
            if side_by_side(plan):
                outputs = self._run_side_by_side(plan, cluster, env, touched, masked)
            else:
                outputs = self._run_in_order(plan, cluster, env, touched, masked, namespace)
        finally:
            with self._lock:
                ours = plan.sandbox and namespace in self._sandboxes
            if ours and not self.settings.keep_sandbox:
                self._delete_sandbox(cluster, namespace)
            elif ours:
                log.info("keep_sandbox: sandbox namespace %s of %s kept", namespace, plan.page)
        # Redact once every value the page's commands could have shown is known. What the
        # page shows itself (its commands, its namespace's name, the files they apply) is
        # no secret in pieces.
        public = [c.text for s in plan.snippets for c in s.commands] + [namespace]
        public += manifests.files_shown(plan.parsed.values(), self.settings.workdir)
        redactor = redact.Redactor(masked, public=public)
        captures = []
        home = kube.private_home(self.workdir)
        for snippet, results in zip(plan.snippets, outputs, strict=True):
            results = [home_as_tilde(r, home) for r in results]
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

    @property
    def page_seconds(self) -> float:
        """How long one page's commands and settling may take together: each has its own
        timeout, and a page of a hundred commands that each wait almost that long (and
        exit as the fence expects) must not hold the build for days."""
        return max(PAGE_SECONDS, self.settings.timeout)

    def _left(self, plan: PagePlan, line: int) -> float:
        """Seconds left of the page's time; a PageRunError when none is."""
        left = self._deadlines.get(plan.page, float("inf")) - time.monotonic()
        if left <= 0:
            raise PageRunError(
                f"{plan.page}:{line}: the page's commands ran for more than "
                f"{self.page_seconds:g} s together; the page is stopped and keeps its captures"
            )
        return left

    def _run_command(self, plan, snippet, command, cluster, env) -> CommandResult:
        if self._cancel.is_set():
            raise Interrupted()
        timeout = min(snippet.timeout or self.settings.timeout, self._left(plan, command.line))
        argv = [cluster.kubectl, *command.argv[1:]]
        while not self._slots.acquire(timeout=runner.CANCEL_POLL):
            if self._cancel.is_set():
                raise Interrupted()
        try:
            done = runner.run(
                argv, env=env, cwd=self.settings.workdir, timeout=timeout, cancel=self._cancel
            )
        except (runner.CommandTimeout, runner.OutputTooLarge) as e:
            raise PageRunError(
                f"{plan.page}:{command.line}: `{one_line(command.text)}` {e}"
            ) from None
        except runner.CommandNotFound:
            raise PageRunError(
                f"{plan.page}:{command.line}: kubectl not found at {cluster.kubectl}"
            ) from None
        except runner.CommandCancelled:
            raise Interrupted() from None
        finally:
            self._slots.release()
        return CommandResult(command.text, done.exit_code, done.stdout, done.stderr)

    def _run_in_order(
        self, plan, cluster, env, touched, masked: set[str], namespace: str
    ) -> list[list[CommandResult]]:
        outputs: list[list[CommandResult]] = []
        exits: dict[int, int] = {}  # command line -> exit code
        for i, snippet in enumerate(plan.snippets):
            results = []
            for j, command in enumerate(snippet.commands):
                self._check_permit(plan, command, exits)
                result = self._run_command(plan, snippet, command, cluster, env)
                exits[command.line] = result.exit_code
                results.append(result)
                # after every command: a Secret shown now may be deleted by the next one
                masked |= self._secret_values(plan, command, cluster, touched)
                if j + 1 < len(snippet.commands) and settles_after(plan, snippet, command):
                    self._settle(plan, cluster, namespace, f"{command.line}: after this command")
            outputs.append(results)
            if i + 1 < len(plan.snippets) and needs_settle(plan, snippet):
                self._settle(plan, cluster, namespace, f"{snippet.line}: after this snippet")
        return outputs

    def _run_side_by_side(
        self, plan, cluster, env, touched, masked: set[str]
    ) -> list[list[CommandResult]]:
        """Every command of a side_by_side page at once (within the `workers` slots), each
        followed by its Secret listing as when run in order; the outputs in page order.
        The page fails with its first failing command in page order."""
        with self._lock:
            if self._commands is None:
                self._commands = ThreadPoolExecutor(max_workers=max(1, self.settings.workers))
            pool = self._commands

        def one(snippet, command) -> tuple[CommandResult, set[str]]:
            result = self._run_command(plan, snippet, command, cluster, env)
            return result, self._secret_values(plan, command, cluster, touched)

        futures = [[pool.submit(one, s, c) for c in s.commands] for s in plan.snippets]
        wait([f for fs in futures for f in fs])
        outputs = []
        for fs in futures:
            results = []
            for future in fs:
                result, values = future.result()
                results.append(result)
                masked |= values
            outputs.append(results)
        return outputs

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

    def _settle(self, plan: PagePlan, cluster, namespace: str, where: str) -> None:
        """Wait for the sandbox to settle; `where` is "LINE: after this command/snippet"."""
        line = int(where.split(":", 1)[0])
        timeout = min(self.settings.settle_timeout, self._left(plan, line))
        problem = sandbox.settle(cluster, namespace, timeout, self._cancel)
        if self._cancel.is_set():
            raise Interrupted()
        if problem:
            raise PageRunError(f"{plan.page}:{where}, {problem}")

    def _secret_values(self, plan: PagePlan, command, cluster, touched) -> set[str]:
        try:
            return secrets.secret_values(cluster, touched)
        except kube.ClusterUnavailable as e:
            raise PageRunError(
                f"{plan.page}:{command.line}: {e}, so the page's outputs are not stored"
            ) from None

    def _create_sandbox(self, cluster: kube.Cluster, namespace: str, plan: PagePlan) -> None:
        try:
            uid = sandbox.create_namespace(
                cluster, namespace, timeout=self.settings.settle_timeout, cancel=self._cancel
            )
        except kube.ClusterUnavailable as e:
            if self._cancel.is_set():
                raise Interrupted() from None
            raise PageRunError(f"{plan.page}:{plan.first_line}: {e}") from None
        with self._lock:  # only now is it ours to delete (by this UID)
            self._sandboxes[namespace] = uid

    def _delete_sandbox(self, cluster: kube.Cluster, namespace: str) -> None:
        with self._lock:
            uid = self._sandboxes.get(namespace)
        if uid is None:
            return
        try:
            sandbox.delete_namespace(cluster, namespace, uid)
        except kube.ClusterUnavailable as e:
            log.warning("%s; delete it with `kubectl delete namespace %s`", e, namespace)
            return  # stays in _sandboxes: close() tries once more
        with self._lock:
            self._sandboxes.pop(namespace, None)

    def close(self) -> None:
        """Delete sandboxes still alive (after an interrupt) and the private work dir."""
        if self._cluster and not self.settings.keep_sandbox:
            for namespace in list(self._sandboxes):
                try:
                    self._delete_sandbox(self._cluster, namespace)
                except Exception as e:  # cleanup must go on for the others
                    log.warning("could not delete sandbox namespace %s: %s", namespace, e)
        kube.close_clients()
        shutil.rmtree(self.workdir, ignore_errors=True)


def home_as_tilde(result: CommandResult, home) -> CommandResult:
    """kubectl's HOME is private to the build (a new temporary folder each run), and
    some outputs name it (`kubectl options`: --cache-dir='<HOME>/.kube/cache'). It is
    shown as `~`, so the output is the same on every run and machine."""
    home = str(home)
    return replace(
        result, stdout=result.stdout.replace(home, "~"), stderr=result.stderr.replace(home, "~")
    )


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


def run_pages(settings: Settings, plans: list[PagePlan], site_plans=()):
    """Run `plans` live and tell the author: a line per page, a summary, what changed;
    with `settings.write`, also the drift report of the whole history (`site_plans`: the
    site's pages, for their snippets). Returns the runs and this run's drift report.
    Raises ClusterUnavailable when no page could run (no cluster, a refused context)."""
    session = Session(settings)
    start = time.monotonic()
    try:
        runs = session.run(plans, on_done=report.log_page_run)
    finally:
        session.close()
    report.log_live_summary(runs, time.monotonic() - start, settings.workers)
    captures_dir = settings.captures_dir if settings.write else None
    return runs, report.finish(runs, captures_dir, site_plans)
