"""The adversarial corpus: hostile pages captured against the API stand-in.

Each case of tests/adversarial/hostile.yaml is a page a pull request could add. The test
captures it the way the plugin and `kubecapture refresh` do (plan every page, then
`live.run_pages`; a page the guard refuses stops the run before anything starts), with
kubectl wrapped so that every argv that really ran is logged, and then checks what must
hold whatever the guard decided: the dangerous argv never ran, the victims are intact,
the marker is in no file, the listener heard nothing, allowed pages were captured.

`test_the_checks_can_fail` runs some dangerous argvs past the guard, to show that each
kind of check notices the harm it looks for.
"""

from __future__ import annotations

import re
import shlex
import socket
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from kubecapture.base.snippets import SnippetError
from kubecapture.captures import store
from kubecapture.run import cluster as kube
from kubecapture.run import live, planning

CASES = yaml.safe_load((Path(__file__).parent / "adversarial" / "hostile.yaml").read_text())
MARKER = "kc-adversarial-marker-5b7e1c"
BENIGN = "```kubectl\nkubectl get namespace default -o name\n```\n"


class Listener:
    """A local TCP port that counts who connects (credentials sent elsewhere)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@dataclass
class World:
    root: Path  # the site: mkdocs.yml, docs/, snippets/
    outside: Path  # files of the machine that are not the notes
    home: Path
    log: Path  # the wrapper's log of every kubectl argv
    kubectl: Path  # the logging wrapper
    listener: Listener
    standin: object
    env: dict[str, str]
    created: set[Path] = field(default_factory=set)

    def fill(self, text: str) -> str:
        return (
            text.replace("{outside}", str(self.outside))
            .replace("{home}", str(self.home))
            .replace("{listener}", f"http://127.0.0.1:{self.listener.port}")
            .replace("{port}", str(self.listener.port + 1))
            .replace("{marker}", MARKER)
        )

    def argvs(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        records = self.log.read_text(encoding="utf-8").split("\x1e")
        return [r.split("\x1f") for r in records if r]


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def world(standin, kube_env, kubectl_bin, tmp_path, monkeypatch) -> World:
    root, outside = tmp_path / "site", tmp_path / "outside"
    for d in (root / "docs", root / "snippets" / "manifests", outside):
        d.mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: adversarial\n")
    (root / "outside.txt").write_text(f"root file {MARKER}\n")
    (outside / "secret.txt").write_text(f"secret {MARKER}\n")
    (outside / "kuberc").write_text(
        "apiVersion: kubectl.config.k8s.io/v1beta1\nkind: Preference\n"
        "aliases:\n- name: get\n  command: delete\n  appendArgs: [configmap, keep, -n, victim]\n"
    )
    home = Path(kube_env["HOME"])
    with (home / ".kube" / "config").open("a") as f:
        f.write(f"# {MARKER}\n")
    log = tmp_path / "argv.log"
    wrapper = tmp_path / "wrap" / "kubectl"
    _executable(
        wrapper,
        "#!/bin/sh\n"
        f"{{ printf kubectl; for a in \"$@\"; do printf '\\037%s' \"$a\"; done; printf '\\036'; }}"
        f" >> {shlex.quote(str(log))}\n"
        f'exec {shlex.quote(str(kubectl_bin))} "$@"\n',
    )
    ran = f"#!/bin/sh\ntouch {shlex.quote(str(outside / 'plugin-ran'))}\n"
    for name in ("kubectl-create-foo", "kubectl-foo"):
        _executable(tmp_path / "plugins" / name, ran)
    _executable(tmp_path / "plugins" / "evil-diff", ran)
    import subprocess

    def k(*args):
        subprocess.run([str(kubectl_bin), *args], env=kube_env, check=True, capture_output=True)

    k("create", "namespace", "victim")
    k("create", "configmap", "keep", "-n", "victim", "--from-literal=a=kept")
    k("create", "namespace", "other")
    k("create", "secret", "generic", "hidden", "-n", "other", f"--from-literal=word={MARKER}")
    env = dict(
        kube_env,
        PATH=f"{tmp_path / 'plugins'}:{kube_env['PATH']}",
        KC_MARKER=MARKER,
        KUBECTL_EXTERNAL_DIFF=str(tmp_path / "plugins" / "evil-diff"),
    )
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    listener = Listener()
    try:
        yield World(root, outside, home, log, wrapper, listener, standin, env)
    finally:
        listener.close()
        kube.close_clients()


# --- one case --------------------------------------------------------------------------------


def page_markdown(world: World, case: dict) -> str:
    front = f"---\nkubecapture: {case['front']}\n---\n\n" if case.get("front") else ""
    if case.get("front_matter"):  # the whole front matter, as written
        front = f"---\n{case['front_matter']}---\n\n"
    codes = case.get("returncodes") or [0] * len(case["commands"])
    blocks = []
    for i, (command, code) in enumerate(zip(case["commands"], codes, strict=True)):
        opts = f'id="c{i}"' + (f' returncode="{code}"' if code else "")
        opts += f" {case['fence']}" if case.get("fence") else ""
        blocks.append(f"```kubectl {opts}\n{world.fill(command)}\n```\n")
    return f"{front}# {case['id']}\n\n" + "\n".join(blocks)


def prepare(world: World, case: dict) -> None:
    for name, text in (case.get("files") or {}).items():
        path = world.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(world.fill(text))
    for name, target in (case.get("links") or {}).items():
        path = world.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(world.fill(target))


@dataclass
class Outcome:
    refused: str | None
    captured: dict[str, store.PageCapture | None]


def capture(world: World, pages: dict[str, str]) -> Outcome:
    """Plan every page, then run them live, as the plugin and the CLI do."""
    settings = planning.Settings(
        captures_dir=world.root / "snippets" / "captures",
        workdir=world.root,
        mode="refresh",
        kubectl=str(world.kubectl),
        settle_timeout=10,
        jobs=2,
    )
    for name, text in pages.items():
        (world.root / "docs" / name).write_text(text)
    plans, errors = [], []
    for name, text in pages.items():
        try:
            plans.append(planning.plan_page(name, text, settings))
        except SnippetError as e:
            errors.append(str(e))
    if errors:  # the plugin stops the build: nothing runs
        return Outcome("; ".join(errors), {})
    live.run_pages(settings, plans)
    return Outcome(
        None,
        {p.page: store.load(p.capture_file) for p in plans},
    )


def snapshot(world: World) -> dict:
    cluster = world.standin.cluster
    with cluster.lock:
        return {
            "pods": {
                ns: sorted(p["metadata"]["uid"] for p in cluster.objects(("", "pods"), ns))
                for ns in ("kube-system",)
            },
            "uids": {
                (kind, ns, name): (cluster.get_obj(("", kind), ns, name) or {})
                .get("metadata", {})
                .get("uid")
                for kind, ns, name in (
                    ("namespaces", "", "victim"),
                    ("configmaps", "victim", "keep"),
                )
            },
            "files": {
                p: p.read_bytes()
                for p in world.root.rglob("*")
                if p.is_file() and not p.is_symlink()
            },
        }


def _plain_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]


def violations(world: World, case: dict, before: dict, outcome: Outcome | None) -> list[str]:
    """What went wrong, checked as properties of the world, not of messages."""
    found = []
    ran = [" ".join(argv) for argv in world.argvs()]
    for pattern in case.get("never", []):
        found += [f"ran: {line}" for line in ran if re.search(world.fill(pattern), line)]
    cluster = world.standin.cluster
    for victim in case.get("victims", []):
        kind, _, what = world.fill(victim).partition(" ")
        with cluster.lock:
            if kind == "namespace":
                obj = cluster.get_obj(("", "namespaces"), "", what)
                alive = obj and not obj["metadata"].get("deletionTimestamp")
                if not alive or obj["metadata"]["uid"] != before["uids"][("namespaces", "", what)]:
                    found.append(f"namespace {what} deleted or replaced")
            elif kind == "configmap":
                ns, name = what.split("/")
                obj = cluster.get_obj(("", "configmaps"), ns, name)
                if not obj or obj["metadata"]["uid"] != before["uids"][("configmaps", ns, name)]:
                    found.append(f"configmap {what} deleted or replaced")
            elif kind == "pods":
                uids = sorted(p["metadata"]["uid"] for p in cluster.objects(("", "pods"), what))
                if uids != before["pods"][what]:
                    found.append(f"pods of {what} deleted or replaced")
            elif kind == "node":
                node = cluster.get_obj(("", "nodes"), "", what.split()[0])
                if not node or node["spec"].get("unschedulable"):
                    found.append(f"node {what} cordoned or gone")
            elif kind == "absent":
                group, resource, ns, name = what.split()
                group = "" if group == "core" else group
                if cluster.get_obj((group, resource), "" if ns == "-" else ns, name):
                    found.append(f"{resource} {ns}/{name} was created")
            elif kind == "node-label":
                node, key = what.split()
                labels = (cluster.get_obj(("", "nodes"), "", node) or {}).get("metadata", {})
                if key in (labels.get("labels") or {}):
                    found.append(f"node {node} was labelled {key}")
            elif kind == "ns-label":
                ns, key = what.split()
                meta = (cluster.get_obj(("", "namespaces"), "", ns) or {}).get("metadata", {})
                marks = {**(meta.get("labels") or {}), **(meta.get("annotations") or {})}
                if key in marks or meta.get("finalizers"):
                    found.append(f"namespace {ns} was changed: {meta}")
            elif kind == "unlabelled":
                obj = cluster.get_obj(("", "namespaces"), "", what) or {}
                meta = obj.get("metadata", {})
                marks = {**(meta.get("labels") or {}), **(meta.get("annotations") or {})}
                if any("kubecapture" in f"{k}={v}" for k, v in marks.items()):
                    found.append(f"namespace {what} carries kubecapture's label: {marks}")
        if kind == "file":
            path = world.root / what
            if path.read_bytes() != before["files"].get(path):
                found.append(f"{what} was changed")
        elif kind == "no-file":
            path = Path(what) if Path(what).is_absolute() else world.root / what
            if path.exists():
                found.append(f"{what} was created")
        elif kind == "quiet" and world.listener.connections:
            found.append(f"the listener got {world.listener.connections} connection(s)")
    if case.get("leak"):
        for path in (world.root / "snippets").rglob("*"):
            if path.is_file() and not path.is_symlink() and path not in before["files"]:
                data = path.read_bytes()
                if MARKER.encode() in data or _b64(MARKER) in data:
                    found.append(f"the marker is in {path.relative_to(world.root)}")
    if case.get("runs"):
        if outcome is None or outcome.refused:
            found.append(f"refused, but it should run: {outcome.refused if outcome else ''}")
        else:
            capture = outcome.captured.get("hostile.md")
            if capture is None or len(capture.snippets) != len(case["commands"]):
                found.append("the page was not captured")
    if outcome is not None and not outcome.refused:
        benign = outcome.captured.get("benign.md")
        if benign is None or benign.snippets[0].results[0].stdout != "namespace/default\n":
            found.append("the benign page beside it was not captured")
    return found


def _b64(text: str) -> bytes:
    import base64

    return base64.b64encode(text.encode())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_a_hostile_page_does_no_harm(case, world):
    prepare(world, case)
    before = snapshot(world)
    pages = {"hostile.md": page_markdown(world, case), "benign.md": f"# benign\n\n{BENIGN}"}
    start = time.monotonic()
    outcome = capture(world, pages)
    seconds = time.monotonic() - start
    assert violations(world, case, before, outcome) == []
    # work on hostile input is bounded: the pages are done well within this
    assert seconds < case.get("seconds", 60), seconds
    if not case.get("runs") and outcome.refused is None:
        # allowed to run: the guard must then have stopped it at run time
        assert outcome.captured.get("hostile.md") is None or case.get("returncodes")
    if outcome.refused:
        assert world.argvs() == []  # a refused page stops the run before anything starts
        assert outcome.refused.startswith("hostile.md:")


def test_the_corpus_covers_every_class():
    classes = {c["class"] for c in CASES}
    assert {
        "deletes outside the sandbox",
        "changes outside the sandbox",
        "sandbox hijack",
        "credentials leave the machine",
        "host files published",
        "host files written",
        "other programs run",
        "redaction coverage",
        "invisible permission",
        "other namespaces' secrets",
        "rights granted",
        "unbounded work",
        "benign twin",
    } <= classes
    assert len({c["id"] for c in CASES}) == len(CASES)


# --- the checks can fail ------------------------------------------------------------------------

CONTROLS = [
    "all-namespaces-as-1",
    "apply-a-cluster-role-binding",
    "label-a-node",
    "delete-after-dash-dash",
    "label-a-namespace-as-a-sandbox",
    "proxy-url",
    "profile-output-over-mkdocs-yml",
    "plugin-as-create-subcommand",
    "from-file-outside",
]


@pytest.mark.parametrize("name", CONTROLS)
def test_the_checks_can_fail(name, world):
    """The dangerous argv run past the guard (its output saved under snippets/, as a
    capture would be): the case's checks must notice."""
    import subprocess

    case = next(c for c in CASES if c["id"] == name)
    prepare(world, case)
    before = snapshot(world)
    (command,) = case["commands"]
    argv = shlex.split(world.fill(command))
    try:
        done = subprocess.run(
            [str(world.kubectl), *argv[1:]],
            cwd=world.root,
            env=world.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired:  # kubectl retrying a proxy that hangs up
        output = ""
    out = world.root / "snippets" / "captures" / "control.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(output)
    assert violations(world, case, before, None) != [], output
