"""The live suite against a real cluster (marker `cluster`), skipped unless KUBECONFIG is set.

    KUBECONFIG=~/.kube/config .venv/bin/python -m pytest -m cluster

CI runs it against the project's own cluster (tests/cluster: upstream Kubernetes on a real
node); it also runs against any cluster, e.g. a user's minikube. Everything
here runs in sandbox namespaces or only reads, and leaves the cluster as it was. The
upgrade tests start a second cluster of tests/cluster beside it (two releases built).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from kubecapture.captures import store
from kubecapture.drift import driftreport
from sites import build, kubecapture, make_site, page_html

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[1]

READS = """# Reads

```kubectl id="nodes"
kubectl get node
```

```kubectl id="missing" returncode="1"
kubectl get pod does-not-exist
```

```kubectl id="namespaces"
kubectl get namespace -o name
```
"""

SANDBOX = """---
kubecapture:
  sandbox: kc-live-test
---
# Sandbox

```kubectl id="empty"
kubectl get pod
```

```kubectl id="apply"
kubectl apply -f snippets/manifests/app.yaml
```

```kubectl id="get"
kubectl get deploy,secret
```

```kubectl id="secret"
kubectl get secret live-test -o jsonpath={.data.password}
```

```kubectl id="secret-yaml"
kubectl get secret live-test -o yaml
```

```kubectl id="scale-get"
kubectl scale deployment web --replicas=3
kubectl get deployment web
```
"""

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27  # on tests/cluster a local image; elsewhere pulled
---
apiVersion: v1
kind: Secret
metadata:
  name: live-test
stringData:
  password: kc-live-s3cret
"""

SECRET, SECRET_B64 = "kc-live-s3cret", "a2MtbGl2ZS1zM2NyZXQ="


def namespaces(kubectl, env) -> dict[str, str]:
    """name -> phase of every namespace."""
    out = subprocess.run(
        [str(kubectl), "get", "ns", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {i["metadata"]["name"]: i["status"]["phase"] for i in json.loads(out)["items"]}


def wait_gone(kubectl, env, name: str, seconds: float = 90) -> float:
    """Namespace deletion finishes in the background: poll until it is gone."""
    start = time.monotonic()
    while name in namespaces(kubectl, env):
        assert time.monotonic() - start < seconds, f"namespace {name} still there"
        time.sleep(0.5)
    return time.monotonic() - start


def live_site(tmp_path: Path, context: str, pages: dict[str, str], **options) -> Path:
    site = make_site(tmp_path / "site", pages, allow_contexts=[context], **options)
    # files a page applies are the notes' own: under snippets/ (or docs/)
    (site.parent / "snippets" / "manifests").mkdir(parents=True, exist_ok=True)
    (site.parent / "snippets" / "manifests" / "app.yaml").write_text(MANIFEST)
    return site


def test_round_trip_on_a_real_cluster(tmp_path, real_cluster_env, real_context, kubectl_bin):
    site = live_site(tmp_path, real_context, {"reads.md": READS, "sandbox.md": SANDBOX})
    before = namespaces(kubectl_bin, real_cluster_env)
    assert "kc-live-test" not in before

    live = build(site, real_cluster_env, "--strict", mode="refresh")
    assert live.returncode == 0, live.log
    sandbox = store.load(site.parent / "captures" / "sandbox.yaml")
    out = {s.id: s.results[0] for s in sandbox.snippets}
    # the page's chosen namespace, empty at first: the API server's own words
    assert out["empty"].stderr == "No resources found in kc-live-test namespace.\n"
    assert sandbox.snippets[0].provenance.namespace == "kc-live-test"
    # settle: the next snippet saw the Deployment at its replicas
    assert "deployment.apps/web   2/2" in out["get"].stdout
    # and so did the next command of the same snippet (it never shows UP-TO-DATE 0 or 2/3)
    scaled = next(s for s in sandbox.snippets if s.id == "scale-get").results
    assert scaled[1].stdout.splitlines()[1].split()[:4] == ["web", "3/3", "3", "3"], scaled
    # redaction of a real Secret, also inside last-applied-configuration
    assert "last-applied-configuration" in out["secret-yaml"].stdout
    text = (site.parent / "captures" / "sandbox.yaml").read_text()
    assert SECRET not in text and SECRET_B64 not in text
    html = page_html(site, "sandbox/index.html")
    assert SECRET not in html and SECRET_B64 not in html and "deployment.apps/web" in html
    # NotFound, as the author expected (returncode="1")
    reads = store.load(site.parent / "captures" / "reads.yaml")
    missing = reads.snippets[1].results[0]
    assert missing.exit_code == 1
    assert missing.stderr == 'Error from server (NotFound): pods "does-not-exist" not found\n'

    listed = reads.snippets[2].results[0].stdout
    assert "namespace/default" in listed and "kc-live-test" not in listed

    replay = build(site, real_cluster_env, "--strict", mode="replay")
    assert replay.returncode == 0, replay.log
    assert page_html(site, "sandbox/index.html") == html

    # Right after (the sandbox of the build may still be terminating): a second run waits
    # for it and reports no substantial change, replacing (not adding) the outputs.
    again = kubecapture(site, real_cluster_env, "refresh")
    assert again.returncode == 0, again.log
    assert "drift: 0 changed" in again.log, again.log
    assert all(
        len(s.entries) == 1 for s in store.load(site.parent / "captures/sandbox.yaml").snippets
    )
    reads = store.load(site.parent / "captures" / "reads.yaml")
    assert reads.snippets[2].results[0].stdout == listed

    # The sandbox is deleted; Kubernetes finishes that in the background.
    wait_gone(kubectl_bin, real_cluster_env, "kc-live-test")
    assert set(namespaces(kubectl_bin, real_cluster_env)) == set(before)


def test_context_guard_on_a_real_cluster(tmp_path, real_cluster_env, real_context, kubectl_bin):
    """A context not allowed: nothing is sent to the cluster, placeholders are shown."""
    site = live_site(tmp_path, real_context, {"sandbox.md": SANDBOX})
    site.write_text(site.read_text().replace(f"- {real_context}", "- some-other-context"))
    before = namespaces(kubectl_bin, real_cluster_env)
    built = build(site, real_cluster_env, mode="refresh")
    assert built.returncode == 0, built.log
    assert f'refusing to run snippets against kube context "{real_context}"' in built.log
    assert "kc-missing" in page_html(site, "sandbox/index.html")
    assert not (site.parent / "captures" / "sandbox.yaml").exists()
    assert namespaces(kubectl_bin, real_cluster_env) == before


HOST_POD = """apiVersion: v1
kind: Pod
metadata:
  name: host-reader
spec:
  containers:
    - name: c
      image: registry.k8s.io/pause:3.9
      volumeMounts: [{name: host, mountPath: /host}]
  volumes: [{name: host, hostPath: {path: /}}]
"""


def test_a_sandboxed_page_cannot_mount_the_node(tmp_path, real_cluster_env, real_context):
    """A sandbox's pods are held to Pod Security's baseline, enforced by the API server: a
    pod that mounts the node's root (what would read the node's files on minikube) is
    refused, and the page's capture says so."""
    page = (
        "---\nkubecapture:\n  sandbox: kc-live-host\n---\n# Host\n\n"
        '```kubectl id="host"\nkubectl apply -f snippets/manifests/host.yaml\n```\n'
    )
    site = live_site(tmp_path, real_context, {"host.md": page})
    (site.parent / "snippets" / "manifests" / "host.yaml").write_text(HOST_POD)
    build(site, real_cluster_env, mode="refresh")
    capture = yaml.safe_load((site.parent / "captures" / "host.yaml").read_text())
    [result] = capture["snippets"][0]["results"]
    assert result["exit_code"] != 0
    assert "violates PodSecurity" in result["stderr"] and "hostPath" in result["stderr"]


# Every kubectl snippet of the notes and the guide, as the committed captures hold them.
NOTES_SNIPPETS = sum(
    len(store.load(p).snippets) for p in store.all_capture_files(ROOT / "snippets" / "captures")
)


def notes_copy(tmp_path: Path, context: str) -> Path:
    """The notes site (docs, snippets, mkdocs.yml) in a scratch folder, `context` allowed."""
    root = tmp_path / "notes"
    for part in ("docs", "snippets"):
        shutil.copytree(ROOT / part, root / part)
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        config.replace("kubecapture-*]", f"kubecapture-*, {context}]"),
        encoding="utf-8",
    )
    return root / "mkdocs.yml"


def drift_steps(captures: Path, before: str, after: str) -> dict[tuple[str, str], dict]:
    """(page, snippet) -> the drift report's entry for the step from `before` to `after`
    (server versions)."""
    report = json.loads((captures / "drift-report.json").read_text())
    return {
        (e["page"], e["ref"]): e
        for e in report["entries"]
        if e["before"]
        and e["before"]["server_version"] == before
        and e["after"]["server_version"] == after
    }


# The whole notes on a real node, captured three times (a fresh cluster of the same
# release, then a real upgrade): minutes, not the suite's default bound per test. One test,
# so that the node is started for the notes once, not once per question.
@pytest.mark.timeout(1500)
def test_the_whole_notes_on_a_fresh_cluster_and_across_a_real_upgrade(
    tmp_path, notes_cluster, upgrade_versions, kubectl_bin
):
    """The whole notes on release A, twice on two clusters of A, then after `cluster
    upgrade B` on the same storage.

    Precision on real output: the second cluster of A (new UIDs, pod names, IPs, ages,
    resourceVersions) reports 0 changed; only the guide's settle="off" example may differ
    (timing, by design), and rows of a describe's Events (what happened at start-up).
    Across the upgrade: a history entry per snippet, and the drift report's changes are
    real differences between the two releases (the version where outputs show it, and
    more)."""
    before, after = upgrade_versions
    notes_cluster.start(before)
    site = notes_copy(tmp_path, notes_cluster.context)
    first = kubecapture(site, notes_cluster.env, "refresh")
    assert first.returncode == 0, first.log
    captures = site.parent / "snippets" / "captures"

    on_first = {p.page: p for p in map(store.load, store.all_capture_files(captures))}

    notes_cluster.stop()
    notes_cluster.start(before)
    again = kubecapture(site, notes_cluster.env, "refresh")
    assert again.returncode == 0, again.log
    # The same cluster setup: each output replaced, compared with the one it replaces.
    counts = re.search(
        r"drift: (\d+) changed, \d+ volatile only, \d+ unchanged, (\d+) new", again.log
    )
    assert counts, again.log
    changed = [line for line in again.log.splitlines() if "  changed: " in line]
    assert int(counts[1]) == len(changed) and int(counts[2]) == 0, again.log
    # Every difference of each snippet, compared as the report compares them.
    on_second = [store.load(p) for p in store.all_capture_files(captures)]
    pairs = [
        (page.page, s.id or i, [r.command for r in s.results], on_first[page.page].snippets[i], s)
        for page in on_second
        for i, s in enumerate(page.snippets)
    ]
    assert len(pairs) == NOTES_SNIPPETS
    for e in driftreport.build_report(pairs).entries:
        if e.status != "changed" or (e.page, e.ref) == ("how-it-works.md", "no-settle"):
            continue  # the guide's settle="off" example shows timing, by design
        # A describe's Events are what happened while the node started, which load can
        # change: with the CPU busy (1 start in 3), the controller-manager's node IPAM gives
        # the node a second pod CIDR before its cache has seen the first, the API server
        # refuses two IPv4 CIDRs, and a CIDRAssignmentFailed row is recorded (the node
        # keeps the first). Anything else is a fault of comparing.
        assert e.differences and all(d.section == "Events" for d in e.differences), (
            e.page,
            e.ref,
            e.changes,
        )
    pages = [store.load(p) for p in store.all_capture_files(captures)]
    assert sum(len(p.snippets) for p in pages) == NOTES_SNIPPETS
    assert all(s.provenance.server_version == before for p in pages for s in p.snippets)

    env = notes_cluster.env
    kept = kubectl_json(kubectl_bin, env, "create", "configmap", "kept-by-the-upgrade")
    notes_cluster.upgrade(after)
    # the same storage: the object made on A is there on B, the same object
    assert kubectl_json(kubectl_bin, env, "get", "configmap", "kept-by-the-upgrade") == kept
    upgraded = kubecapture(site, notes_cluster.env, "refresh")
    assert upgraded.returncode == 0, upgraded.log

    pages = [store.load(p) for p in store.all_capture_files(captures)]
    shows_version = set()
    for page in pages:
        for s in page.snippets:
            assert s.provenance.server_version == after and s.provenance.nodes == after
            older = s.history[0].provenance
            assert older.server_version == before and older.nodes == before
            assert older.context == s.provenance.context  # the same cluster, upgraded
            if any(after in r.stdout for r in s.results):
                shows_version.add((page.page, s.id))
    steps = drift_steps(captures, before, after)
    assert len(steps) == sum(len(p.snippets) for p in pages) == NOTES_SNIPPETS
    changed = {k for k, e in steps.items() if e["status"] == "changed"}
    # every output that shows the server's or the node's version changed, and says so
    assert shows_version and shows_version <= changed, (shows_version, changed)
    for key in shows_version:
        assert any(before in c and after in c for c in steps[key]["changes"]), steps[key]
    # nothing is "changed" without a change to show
    assert all(steps[k]["changes"] for k in changed)
    # the original notes of section 4 are still there, behind both live outputs
    section4 = store.load(captures / "course" / "04-kubectl.yaml")
    originals = [e for s in section4.snippets for e in s.entries if e.provenance.imported]
    assert len(originals) == 5


def kubectl_json(kubectl: Path, env: dict[str, str], *args: str) -> dict:
    """uid and creationTimestamp of the object `kubectl ARGS -o json` prints."""
    out = subprocess.run(
        [str(kubectl), *args, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    meta = json.loads(out)["metadata"]
    return {"uid": meta["uid"], "created": meta["creationTimestamp"]}
