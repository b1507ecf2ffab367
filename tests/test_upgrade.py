"""Rebuild after a cluster upgrade: the drift report names what really changed."""

from __future__ import annotations

import json
import re
import time

from kubecapture.captures import store
from kubecapture.drift import history
from sites import build, kubecapture, make_site, page_html

NODES = """# Nodes

```kubectl id="nodes"
kubectl get node
```

```kubectl id="nodes-wide"
kubectl get node -o wide
```
"""

SYSTEM = """# System

```kubectl id="namespaces"
kubectl get namespace
```

```kubectl id="system-pods"
kubectl get pod --namespace kube-system
```

```kubectl id="describe-ns"
kubectl describe namespace kube-system
```
"""


def report_of(site) -> dict:
    return json.loads((site.parent / "captures" / "drift-report.json").read_text())


def by_label(report: dict) -> dict[str, dict]:
    return {f"{e['page']} {e['label'].split()[0]}": e for e in report["entries"]}


def test_upgrade_report_names_exactly_the_changed_snippets(tmp_path, standin, kube_env):
    site = make_site(
        tmp_path / "site",
        {"nodes.md": NODES, "system.md": SYSTEM},
        report_page="cluster-changes.md",
    )
    first = kubecapture(site, kube_env, "refresh")
    assert first.returncode == 0, first.log
    assert report_of(site)["entries"] == []  # one output per snippet: nothing to compare
    assert "drift: 0 changed, 0 volatile only, 0 unchanged, 5 new" in first.log

    time.sleep(1.1)  # AGE cells move on: the next run must still not call them changes
    same = kubecapture(site, kube_env, "refresh")
    assert same.returncode == 0, same.log
    assert "drift: 0 changed" in same.log, same.log
    assert report_of(site)["entries"] == []  # same cluster: replaced, not added

    standin.set_server_version("v1.31.0")
    upgraded = kubecapture(site, kube_env, "refresh")
    assert upgraded.returncode == 0, upgraded.log
    entries = by_label(report_of(site))
    changed = {k for k, e in entries.items() if e["status"] == "changed"}
    assert changed == {"nodes.md nodes", "nodes.md nodes-wide"}, entries
    assert any(
        "VERSION: v1.24.0" in c and "v1.31.0" in c for c in entries["nodes.md nodes"]["changes"]
    )
    # The terminal summary says it in a line a person reads.
    assert any("nodes.md" in line and "VERSION" in line for line in upgraded.log.splitlines())

    # The site's report page shows the cluster before and after, from the saved JSON,
    # on a machine with no cluster.
    standin.stop()
    built = build(site, kube_env, "--strict", mode="replay")
    assert built.returncode == 0, built.log
    html = page_html(site, "cluster-changes/index.html")
    assert "クラスター更新による変化" in html
    assert "v1.24.0" in html and "v1.31.0" in html
    assert "nodes-wide" in html


def test_history_through_an_upgrade_tabs_cli_and_prune(tmp_path, target):
    """On the stand-in (the server's version changes) and on the real control plane (the
    node's version changes): a second output per snippet, tabs, history, compare, prune."""
    site = make_site(tmp_path / "site", {"nodes.md": NODES}, **target.options)
    first = kubecapture(site, target.env, "refresh")
    assert first.returncode == 0, first.log
    target.upgrade()
    second = kubecapture(site, target.env, "refresh")
    assert second.returncode == 0, second.log

    capture = store.load(site.parent / "captures" / "nodes.yaml")
    nodes = capture.snippets[0]
    old, new = nodes.history[0].provenance, nodes.provenance
    assert len(nodes.entries) == 2 and not old.same_cluster(new)
    labels = history.labels(nodes)
    listed = kubecapture(site, target.env, "history")
    assert listed.returncode == 0, listed.log
    lines = [line.strip() for line in listed.stdout.splitlines()]
    assert f"[0] {labels[0]}  (changed since [1])" in lines and f"[1] {labels[1]}" in lines

    compared = kubecapture(site, target.env, "compare", "nodes.md", "nodes")
    assert compared.returncode == 1, compared.log
    version = re.search(r"VERSION: (\S+) → (\S+)", compared.stdout)
    assert version and version[1] != version[2]
    same = kubecapture(site, target.env, "compare", "nodes.md", "nodes", labels[1], labels[1])
    assert same.returncode == 0 and same.stdout.startswith("unchanged")
    wrong = kubecapture(site, target.env, "compare", "nodes.md", "nodes", "v9")
    assert wrong.returncode == 2 and "no stored output v9" in wrong.stderr

    built = build(site, target.env, "--strict", mode="replay")
    assert built.returncode == 0, built.log
    html = page_html(site, "nodes/index.html")
    labels = re.findall(r'<label for="__kc_1_\d">(.*?)</label>', html)
    assert [re.sub(r"<[^>]+>", "", label) for label in labels] == [
        history.tab_label(e, "日付不明") for e in nodes.entries
    ]

    pruned = kubecapture(site, target.env, "prune", "--keep", "1")
    assert pruned.returncode == 0 and "2 stored output(s) dropped" in pruned.stdout
    capture = store.load(site.parent / "captures" / "nodes.yaml")
    assert [len(s.entries) for s in capture.snippets] == [1, 1]
    assert capture.snippets[0].provenance == new


def test_diff_reports_without_writing(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"nodes.md": NODES})
    assert kubecapture(site, kube_env, "refresh").returncode == 0
    capture_file = site.parent / "captures" / "nodes.yaml"
    before = capture_file.read_text()
    report_before = (site.parent / "captures" / "drift-report.json").read_text()

    standin.set_server_version("v1.31.0")
    diff = kubecapture(site, kube_env, "diff")
    assert diff.returncode == 0, diff.log
    assert "VERSION" in diff.stdout and "v1.31.0" in diff.stdout
    assert capture_file.read_text() == before
    assert (site.parent / "captures" / "drift-report.json").read_text() == report_before
