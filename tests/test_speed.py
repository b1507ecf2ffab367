"""What keeps builds fast, checked functionally (timings live in benchmarks/, not here):

- read-only pages run in parallel, pages that change shared state keep nav order;
- planning tells a valid, complete capture from its header alone;
- a prose-only edit runs zero kubectl processes, in `mkdocs build` and in `mkdocs serve`;
  an edit to one page's snippet re-runs that page only.
"""

from __future__ import annotations

import os
import queue
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from kubecapture.captures import store
from kubecapture.run import cluster as kube
from kubecapture.run import live, planning, runner, secrets
from kubecapture.trust import kubectl_args, pageoptions
from sites import build, make_site

# --- the grouping rule ----------------------------------------------------------------


def reads(command: str) -> bool:
    """Read-only as planning asks it of a parsed command (one kubectl cannot read: no)."""
    try:
        return kubectl_args.parse(command.split(), allowed_only=False).effect == "read"
    except kubectl_args.Refused:
        return False


def plan(page: str, *commands: str, sandbox: bool = False) -> planning.PagePlan:
    body = "".join(f"```kubectl\n{c}\n```\n\n" for c in commands)
    settings = planning.Settings(captures_dir=Path("/nonexistent"), workdir=Path("."))
    front = "---\nkubecapture:\n  allow_destructive: true\n---\n"  # past the command guard
    p = planning.plan_page(page, f"{front}# {page}\n\n{body}", settings)
    p.sandbox = sandbox
    p.namespace = pageoptions.sandbox_name(page) if sandbox else None
    return p


@pytest.mark.parametrize(
    "command",
    [
        "kubectl get node",
        "kubectl get pod -n kube-system -o wide",
        "kubectl -n kube-system get pod",
        "kubectl --context minikube describe node",
        "kubectl api-resources --namespaced=true",
        "kubectl version",
        "kubectl config current-context",
        "kubectl config view --minify",
        "kubectl explain pod.spec",
        "kubectl logs deploy/web",
        "kubectl wait --for=condition=Ready pod/web",
        "kubectl rollout status deployment/web",
        "kubectl rollout history deployment/web",
        "kubectl top node",
        "kubectl auth can-i create pods",
        "kubectl create deployment web --image=nginx --dry-run=client -o yaml",
    ],
)
def test_read_only_commands(command):
    assert reads(command)


@pytest.mark.parametrize(
    "command",
    [
        "kubectl apply -f manifests/pod.yaml",
        "kubectl create namespace my-namespace",
        "kubectl delete namespace my-namespace",
        "kubectl -n get apply -f x.yaml",  # `get` is the namespace here, `apply` the verb
        "kubectl scale deployment web --replicas=3",
        "kubectl set image deployment/web web=nginx:1.25",
        "kubectl rollout undo deployment/web",
        "kubectl rollout restart deployment/web",
        "kubectl label node minikube tier=gold",
        "kubectl config use-context other",
        "kubectl config set-context --current --namespace=x",
        "kubectl exec web -- touch /tmp/x",
        "kubectl create deployment web --image=nginx --dry-run=none",
        "kubectl some-plugin do-things",  # unknown verbs count as changes
    ],
)
def test_commands_that_may_change_state(command):
    assert not reads(command)


def test_read_pages_share_a_phase_and_a_changing_page_stands_alone():
    pages = [
        plan("a.md", "kubectl get node"),
        plan("b.md", "kubectl get namespace", "kubectl describe node"),
        plan("c.md", "kubectl create namespace x", "kubectl get namespace x"),
        plan("d.md", "kubectl get namespace x"),
        plan("e.md", "kubectl get pod -n x"),
        plan("f.md", "kubectl delete namespace x"),
        plan("g.md", "kubectl apply -f snippets/y.yaml"),
        plan("h.md", "kubectl get node"),
    ]
    phases = planning.shared_phases(pages)
    assert [[p.page for p in phase] for phase in phases] == [
        ["a.md", "b.md"],
        ["c.md"],
        ["d.md", "e.md"],
        ["f.md"],
        ["g.md"],
        ["h.md"],
    ]


def test_the_run_order_waits_for_each_phase_then_runs_sandboxes_one_per_name():
    """RunOrder alone (no threads): a phase's pages together, the next phase only after
    all of it finished, sandboxed pages after every shared one, never two of one name."""
    a, b = plan("a.md", "kubectl get node"), plan("b.md", "kubectl get namespace")
    c = plan("c.md", "kubectl create namespace x")
    s1, s2 = (
        plan("s1.md", "kubectl get pod", sandbox=True),
        plan("s2.md", "kubectl get pod", sandbox=True),
    )
    s3 = plan("s3.md", "kubectl get pod", sandbox=True)
    s3.namespace = s1.namespace  # two pages may name one sandbox
    order = planning.RunOrder([a, b, c, s1, s3, s2])

    def starts():
        found = []
        while (p := order.next()) is not None:
            found.append(p.page)
        return found

    assert starts() == ["a.md", "b.md"]  # one phase, side by side
    order.finished(a)
    assert starts() == []  # c waits for all of the phase
    order.finished(b)
    assert starts() == ["c.md"]
    order.finished(c)
    assert starts() == ["s1.md", "s2.md"]  # s3 shares s1's sandbox name
    order.finished(s2)
    assert starts() == []
    order.finished(s1)
    assert starts() == ["s3.md"]
    order.finished(s3)
    assert starts() == []


def test_session_keeps_phase_order_and_runs_read_pages_together(monkeypatch, tmp_path):
    """Session.run with a fake page runner: read pages of a phase overlap, a changing
    page overlaps with no shared page, sandboxed pages run after every shared page (so
    no sandbox shows up in a shared page's `kubectl get namespace`), side by side."""
    settings = planning.Settings(captures_dir=tmp_path, workdir=tmp_path, jobs=4)
    session = live.Session(settings)
    monkeypatch.setattr(session, "cluster", lambda: None)
    monkeypatch.setattr(session, "_wait_for_deletions", lambda cluster: None)
    lock = threading.Lock()
    spans: dict[str, list[float]] = {}

    def fake_run_page(plan, cluster):
        start = time.monotonic()
        time.sleep(0.3)
        with lock:
            spans[plan.page] = [start, time.monotonic()]
        return live.PageRun(plan=plan, old=None)

    monkeypatch.setattr(session, "_run_page", fake_run_page)
    pages = [
        plan("r1.md", "kubectl get node"),
        plan("r2.md", "kubectl get namespace"),
        plan("r3.md", "kubectl get pod"),
        plan("w.md", "kubectl apply -f snippets/x.yaml"),
        plan("r4.md", "kubectl get pod"),
        plan("r5.md", "kubectl get node"),
        plan("s.md", "kubectl apply -f snippets/y.yaml", sandbox=True),
        plan("t.md", "kubectl apply -f snippets/z.yaml", sandbox=True),
    ]
    runs = session.run(pages)
    session.close()
    assert [r.plan.page for r in runs] == [p.page for p in pages]

    def overlap(a, b):
        return spans[a][0] < spans[b][1] and spans[b][0] < spans[a][1]

    assert overlap("r1.md", "r2.md") and overlap("r2.md", "r3.md")
    assert overlap("r4.md", "r5.md")
    for read in ("r1.md", "r2.md", "r3.md"):
        assert spans[read][1] <= spans["w.md"][0]
    for read in ("r4.md", "r5.md"):
        assert spans["w.md"][1] <= spans[read][0]
    for shared in ("r1.md", "r2.md", "r3.md", "w.md", "r4.md", "r5.md"):
        assert spans[shared][1] <= spans["s.md"][0]
    assert overlap("s.md", "t.md")


@pytest.mark.parametrize(
    ("commands", "together"),
    [
        (["kubectl get node", "kubectl get namespace", "kubectl api-resources"], True),
        (["kubectl get pod -n kube-system", "kubectl describe node"], True),
        (["kubectl get node"], False),  # nothing to overlap
        (["kubectl wait --for=condition=Ready pod/web", "kubectl get pod"], False),
        (["kubectl rollout status deployment/web", "kubectl get pod"], False),
        (["kubectl get pod -w", "kubectl get node"], False),
        (["kubectl get pod --watch", "kubectl get node"], False),
        (["kubectl logs -f web", "kubectl get pod"], False),
        (["kubectl get node", "kubectl label node minikube a=b"], False),
    ],
)
def test_a_page_that_only_reads_runs_its_commands_together(commands, together):
    """Commands that only read, none waiting for a change, see the same cluster in any
    order; a command that waits (or changes state) keeps the page in order."""
    assert planning.side_by_side(plan("p.md", *commands)) is together


def test_a_sandboxed_page_runs_in_order():
    p = plan("p.md", "kubectl get serviceaccount", "kubectl get configmap", sandbox=True)
    assert not planning.side_by_side(p)


def test_side_by_side_commands_overlap_within_the_workers_in_page_order(monkeypatch, tmp_path):
    """The commands of a read-only page run at once, never more than `workers` kubectl
    processes, each followed by its Secret listing; outputs keep the page's order."""
    settings = planning.Settings(captures_dir=tmp_path, workdir=tmp_path, jobs=2)
    session = live.Session(settings)
    lock = threading.Lock()
    running, most, listed = [0], [0], []

    def fake_run(argv, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2 if argv[-1] == "node" else 0.05)  # the first finishes last
        with lock:
            running[0] -= 1
        return runner.Completed(0, " ".join(argv[1:]) + "\n", "", 0.1)

    def fake_secrets(cluster, namespaces):
        listed.append(namespaces)
        return set()

    monkeypatch.setattr(runner, "run", fake_run)
    monkeypatch.setattr(secrets, "secret_values", fake_secrets)
    monkeypatch.setattr(secrets, "credential_values", lambda cluster: set())
    cluster = kube.Cluster("minikube", "v1.24.0", "kubectl", "v1.37.1", tmp_path / "kc", "default")
    monkeypatch.setattr(session, "cluster", lambda: cluster)
    monkeypatch.setattr(session, "_wait_for_deletions", lambda cluster: None)
    commands = ["kubectl get node", "kubectl get namespace", "kubectl get pod", "kubectl get svc"]
    p = plan("p.md", *commands)
    p.capture_file = tmp_path / "p.yaml"
    [page_run] = session.run([p])
    session.close()
    assert page_run.error is None
    outputs = [s.results[0].stdout for s in page_run.new.snippets]
    assert outputs == [c.removeprefix("kubectl ") + "\n" for c in commands]
    assert most[0] == 2  # together, within the 2 workers
    assert len(listed) == len(commands)  # a Secret listing after every command


# --- what search parses --------------------------------------------------------------


def test_asides_come_back_whole_in_the_finished_page():
    from kubecapture.base.markup import HTML
    from kubecapture.site.asides import Asides

    asides = Asides()  # takes markup, as render gives it
    first = asides(HTML("<details data-search-exclude>a</details>"))
    second = asides(HTML("<div>b\\1 &amp; <!--x--></div>"))
    asides.seal()
    third = asides(HTML("<p>c</p>"))
    text = f"<div>{first}</div>{second}<!--kc-aside-000000000000-0-0-->{third}"
    assert first != second and "<" not in first[4:-3]  # one HTML comment each
    assert asides.restore(text) == (
        "<div><details data-search-exclude>a</details></div><div>b\\1 &amp; <!--x--></div>"
        "<!--kc-aside-000000000000-0-0--><p>c</p>"  # another build's comment stays as it is
    )
    plain = "<p>no snippet here</p>"
    assert asides.restore(plain) is plain
    assert asides.for_search(plain) is plain


def test_held_outputs_come_back_before_search_and_asides_after():
    """An output search indexes is held like an aside, but comes back on its own (before
    search parses the page), its column padding squeezed, the asides around it staying
    placeholders; the finished page gets the output as it was rendered."""
    from kubecapture.base.markup import HTML
    from kubecapture.site.asides import Asides

    asides = Asides()
    skipped = asides(HTML("<details>provenance</details>"))
    table = '<span class="go">NAME     STATUS\nnode-1   Ready\n</span>'
    output = asides.hold(HTML(table))
    second = asides.hold(HTML('<span class="go">a  b</span>'))
    asides.seal()
    text = f"<pre><code>{output}</code></pre>{skipped}<pre><code>{second}</code></pre>"
    for_search = asides.for_search(text)
    parsed = re.sub(r"<!--.*?-->", "", for_search)  # what search's parser keeps
    assert parsed == (
        '<pre><code><span class="go">NAME STATUS\nnode-1 Ready\n</span></code></pre>'
        '<pre><code><span class="go">a b</span></code></pre>'
    )
    whole = (
        f"<pre><code>{table}</code></pre><details>provenance</details>"
        '<pre><code><span class="go">a  b</span></code></pre>'
    )
    assert asides.restore(for_search) == whole
    assert asides.restore(text) == whole  # a page nobody unheld gets everything back too


def test_search_parses_the_newest_output_and_the_page_gets_every_part_back(tmp_path):
    """The parts search skips (provenance, change markers, earlier outputs, the tabs'
    frame) are not in the content the search plugin parses; the written page has them
    all, as rendering them in place gives; the index holds the newest output only."""
    from kubecapture.drift import history
    from kubecapture.site import render

    page = '# Notes\n\nProse.\n\n```kubectl id="nodes"\nkubectl get node\n```\n'
    site = make_site(tmp_path / "site", {"index.md": page})
    config = yaml.safe_load(site.read_text())
    config["plugins"].insert(0, "search")
    site.write_text(yaml.safe_dump(config, allow_unicode=True))
    settings = planning.Settings(captures_dir=site.parent / "captures", workdir=site.parent)
    p = planning.plan_page("index.md", page, settings)
    [snippet] = p.snippets
    original = store.Provenance("minikube", "v1.22.2", "", "", "the original notes")
    live = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T01:00:00Z")
    older = store.SnippetCapture(
        snippet.key, [store.CommandResult("kubectl get node", 0, "old-node v1.22.2\n")], original
    )
    newest = store.SnippetCapture(
        snippet.key, [store.CommandResult("kubectl get node", 0, "new-node    v1.24.0\n")], live
    )
    newest.id = older.id = "nodes"
    merged = history.merge(older, newest, keep=5)
    store.save(p.capture_file, store.PageCapture(p.page, p.key, [merged]))
    built = build(site, dict(os.environ), "--strict", mode="replay")
    assert built.returncode == 0, built.log

    html = (site.parent / "site" / "index.html").read_text(encoding="utf-8")
    in_place = render.render(
        render.View(["kubectl get node"], merged, lang="ja", anchor="kc-nodes", tab_set="1")
    )
    assert in_place in html and "kc-aside" not in html
    index = (site.parent / "site" / "search" / "search_index.json").read_text()
    assert "new-node v1.24.0" in index  # the column padding squeezed (the page keeps it)
    assert "new-node    v1.24.0" in html and "new-node    v1" not in index
    assert "kc-shown" not in html and "kc-held" not in html
    assert "old-node" not in index and "2026-11-26" not in index and "minikube" not in index


# --- planning from the header ---------------------------------------------------------


def saved(tmp_path, p: planning.PagePlan, snippets=None) -> Path:
    prov = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T01:00:00Z")
    chosen = p.snippets if snippets is None else snippets
    caps = [
        store.SnippetCapture(
            s.key, [store.CommandResult(c.text, 0, "x\n") for c in s.commands], prov
        )
        for s in chosen
    ]
    path = tmp_path / "page.yaml"
    store.save(path, store.PageCapture(p.page, p.key, caps))
    p.capture_file = path
    return path


def test_complete_capture_is_known_from_its_header_alone(tmp_path):
    p = plan("page.md", "kubectl get node", "kubectl get node", "kubectl get namespace")
    path = saved(tmp_path, p)
    assert not planning.needs_run(p, "auto")
    # Break everything after the header: planning must not have parsed the rest.
    text = path.read_text()
    head, _, _ = text.partition("snippets:")
    path.write_text(head + "snippets: [ this is not yaml\n")
    assert not planning.needs_run(p, "auto")
    with pytest.raises(store.CaptureFileError):
        store.load(path)  # rendering the page still reports the broken file


def test_partial_capture_is_due(tmp_path):
    p = plan("page.md", "kubectl get node", "kubectl get node", "kubectl get namespace")
    saved(tmp_path, p, snippets=p.snippets[:2])  # an imported page may cover only some
    assert planning.needs_run(p, "auto")


def test_capture_without_covers_header_is_checked_in_full(tmp_path):
    p = plan("page.md", "kubectl get node", "kubectl get namespace")
    path = saved(tmp_path, p, snippets=p.snippets[:1])
    path.write_text(
        "".join(
            line for line in path.read_text().splitlines(True) if not line.startswith("covers:")
        )
    )
    assert planning.needs_run(p, "auto")
    saved(tmp_path, p)
    path.write_text(
        "".join(
            line for line in path.read_text().splitlines(True) if not line.startswith("covers:")
        )
    )
    assert not planning.needs_run(p, "auto")


# --- fast paths give the same results as the slow ones ---------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "kubectl get pod -n kube-system",
        "kubectl  get\tpod   -o wide ",
        "kubectl get pod -l app=web,tier!=db -o jsonpath={.items[*].metadata.name}",
        "kubectl get node　minikube",  # an ideographic space is not a shell word break
        "kubectl get pod -o 'custom-columns=NAME:.metadata.name'",
        'kubectl annotate pod web note="a b"',
        "kubectl get pod a\\ b",
    ],
)
def test_command_split_is_shlex_split(command):
    from kubecapture.base.snippets import _split

    assert _split(command) == shlex.split(command)


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\npage: a.md\nkey: k\ncovers: c\nsnippets: []\n",
        "a: [1, '2', null, ~, true, 0o17, 010, 1_000, 1.5]\nb: 1:30\n",
        "x: !!str 5\ny: 2001-12-14\nz: ''\nw: |\n  text\n",
        "- one\n- {k: v}\n",
        "",
    ],
)
def test_capture_loader_is_safe_load(text):
    """Without anchors, aliases and duplicate keys (refused: test_adversarial_files), the
    capture loader reads what yaml.safe_load reads."""
    assert repr(store.plain_yaml(text)) == repr(yaml.safe_load(text))


# --- zero kubectl processes on prose edits ----------------------------------------------

PAGE = '# Notes\n\nSome prose.\n\n```kubectl id="nodes"\nkubectl get node\n```\n'
OTHER = '# Other\n\nMore prose.\n\n```kubectl id="ns"\nkubectl get namespace\n```\n'


def counting_kubectl(tmp_path: Path, kubectl_bin: Path) -> tuple[Path, Path]:
    """A kubectl that records every process started through it, then runs the real one."""
    calls = tmp_path / "kubectl-calls.log"
    calls.touch()
    wrapper = tmp_path / "bin" / "kubectl"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    env_log = tmp_path / "kubectl-env.log"
    wrapper.write_text(
        f'#!/bin/sh\necho "$*" >> "{calls}"\n'
        f'echo "$GOMAXPROCS $GOGC $GOMEMLIMIT" >> "{env_log}"\n'
        f'exec "{kubectl_bin}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper, calls


def calls_of(calls: Path) -> list[str]:
    return calls.read_text().splitlines()


def test_prose_edit_starts_no_kubectl_process(tmp_path, standin, kube_env, kubectl_bin):
    wrapper, calls = counting_kubectl(tmp_path, kubectl_bin)
    site = make_site(tmp_path / "site", {"index.md": PAGE, "other.md": OTHER}, kubectl=str(wrapper))
    first = build(site, kube_env, "--strict")
    assert first.returncode == 0, first.log
    assert "get node" in calls_of(calls) and "get namespace" in calls_of(calls)
    # Snippets run with kubecapture's Go runtime settings (cheaper short-lived processes).
    go = " ".join(live.KUBECTL_GO_RUNTIME.values())
    assert go in (tmp_path / "kubectl-env.log").read_text().splitlines()

    calls.write_text("")
    standin.requests.clear()
    (site.parent / "docs" / "index.md").write_text(PAGE.replace("Some prose.", "New prose."))
    again = build(site, kube_env, "--strict")
    assert again.returncode == 0, again.log
    assert calls_of(calls) == []  # not one kubectl process, not even a version probe
    assert standin.requests == []
    assert "live:" not in again.log and "captured" not in again.log  # replay is quiet


# --- mkdocs serve ---------------------------------------------------------------------


class Serve:
    """`mkdocs serve` in a subprocess; its log lines arrive on a queue.

    A rebuild ends with "Reloading browsers": mkdocs drops a repeated "Documentation built
    in 0.21 seconds" line (a duplicate filter), so that one cannot be waited for."""

    def __init__(self, config_file: Path, env: dict[str, str]):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "serve",
                "-f",
                str(config_file),
                "-a",
                f"127.0.0.1:{port}",
            ],
            cwd=config_file.parent,
            env=dict(env, NO_MKDOCS_2_WARNING="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> list[str]:
        """Log lines up to and including the first one containing `text`."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(line)
            self.log.append(line)
            if text in line:
                return seen
        raise AssertionError(f"no {text!r} within {timeout} s; log:\n" + "\n".join(self.log))

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


def test_serve_reruns_nothing_on_prose_and_only_the_edited_page(
    tmp_path, standin, kube_env, kubectl_bin
):
    wrapper, calls = counting_kubectl(tmp_path, kubectl_bin)
    site = make_site(tmp_path / "site", {"index.md": PAGE, "other.md": OTHER}, kubectl=str(wrapper))
    assert build(site, kube_env).returncode == 0  # captures for both pages
    calls.write_text("")
    docs = site.parent / "docs"
    env = dict(kube_env)
    env.pop("KUBECAPTURE_MODE", None)
    serve = Serve(site, env)
    try:
        serve.wait_for("Serving on")
        assert calls_of(calls) == []  # the first build replays

        time.sleep(0.3)
        (docs / "index.md").write_text(PAGE.replace("Some prose.", "Edited prose."))
        rebuild = serve.wait_for("Reloading browsers")
        assert calls_of(calls) == [], rebuild
        assert not [line for line in rebuild if "captured" in line], rebuild

        (docs / "other.md").write_text(OTHER.replace("get namespace", "get namespaces"))
        rebuild = serve.wait_for("Reloading browsers")
        ran = [c for c in calls_of(calls) if not c.startswith(("version", "config"))]
        assert ran == ["get namespaces"], (calls_of(calls), rebuild)
        assert any("captured other.md" in line for line in rebuild), rebuild
        assert not any("captured index.md" in line for line in rebuild), rebuild
    finally:
        serve.stop()


def test_compiled_templates_are_reused_while_their_source_is_unchanged():
    """`mkdocs serve` makes a new template environment for every rebuild: the theme's
    templates compile once per process, again only when their source changes, and apart
    for environments that compile differently."""
    import jinja2
    from kubecapture.site.templates import CompiledTemplates

    kept = CompiledTemplates()
    sources = {"page.html": "<p>{{ x }}</p>"}
    compiled = []

    def env(**options) -> jinja2.Environment:
        e = jinja2.Environment(loader=jinja2.DictLoader(sources), **options)
        e.bytecode_cache = kept.bucket(e)
        compile_ = e.compile
        e.compile = lambda *a, **k: compiled.append(a[1]) or compile_(*a, **k)
        return e

    assert env().get_template("page.html").render(x=1) == "<p>1</p>"
    assert env().get_template("page.html").render(x=2) == "<p>2</p>"
    assert compiled == ["page.html"]  # the second environment reused the code
    sources["page.html"] = "<b>{{ x }}</b>"
    assert env().get_template("page.html").render(x=3) == "<b>3</b>"
    assert env(trim_blocks=True).get_template("page.html").render(x=4) == "<b>4</b>"
    assert compiled == ["page.html"] * 3
