"""Drift on real outputs (tests/data/real-upgrade): a node upgrade changes only what
shows the node's version."""

from __future__ import annotations

from pathlib import Path

from kubecapture.captures import store
from kubecapture.drift import driftreport

DATA = Path(__file__).parent / "data" / "real-upgrade"
BY_DESIGN = {("how-it-works.md", "no-settle")}  # settle="off": mid-way on purpose


def steps() -> list[driftreport.DriftEntry]:
    pages = [(store.load(path), ()) for path in store.all_capture_files(DATA)]
    entries = driftreport.history_report(pages).entries
    return [e for e in entries if e.before.nodes == "v1.24.0" and e.after.nodes == "v1.25.0"]


def test_a_node_upgrade_changes_only_outputs_that_show_the_node_version():
    entries = steps()
    assert len(entries) == 47  # every snippet of the notes, captured twice
    shows_version = set()
    for path in store.all_capture_files(DATA):
        for s in store.load(path).snippets:
            if any("v1.25.0" in r.stdout for r in s.results):
                shows_version.add((store.load(path).page, s.id))
    changed = {(e.page, e.ref) for e in entries if e.status == "changed"}
    assert changed - BY_DESIGN == shows_version
    assert len(shows_version) == 7  # get node (plain, wide, json, yaml), describe node, ...
    for e in entries:
        if (e.page, e.ref) in shows_version:
            assert any("v1.24.0" in c and "v1.25.0" in c for c in e.changes), e


def test_the_noise_found_on_real_output_stays_away():
    entries = {(e.page, e.ref): e for e in steps()}
    # `rollout status` printed a different number of progress lines in the two runs
    for ref in ("set-image", "rollout-undo"):
        assert entries[("course/05-resources.md", ref)].status == "volatile"
    # a Secret's YAML with redacted values: its resourceVersion changed, nothing else
    assert entries[("course/05-resources.md", "get-secret-yaml")].status == "volatile"


# --- a real control-plane upgrade (tests/cluster: v1.36.3 -> v1.37.2 on the same storage)

UPGRADE = Path(__file__).parent / "data" / "real-control-plane-upgrade"


def upgrade_steps() -> dict[tuple[str, str], driftreport.DriftEntry]:
    pages = [(store.load(path), ()) for path in store.all_capture_files(UPGRADE)]
    entries = driftreport.history_report(pages).entries
    return {
        (e.page, e.ref): e
        for e in entries
        if e.before and e.before.server_version == "v1.36.3" and e.after.server_version == "v1.37.2"
    }


def test_a_real_upgrade_changes_what_shows_the_version_and_what_the_servers_serve():
    steps = upgrade_steps()
    assert len(steps) == 47  # every snippet of the notes, captured on both releases
    shows_version = set()
    for path in store.all_capture_files(UPGRADE):
        capture = store.load(path)
        for s in capture.snippets:
            if any("v1.37.2" in r.stdout for r in s.results):
                shows_version.add((capture.page, s.id))
    assert len(shows_version) == 7  # get node (plain, wide, json, yaml), describe node, ...
    served = {
        ("course/04-kubectl.md", "api-resources"): "clustertrustbundles",
        ("how-it-works.md", "api-resources"): "clustertrustbundles",
        ("course/05-resources.md", "api-resources-namespaced"): "podcertificaterequests",
    }
    changed = {k for k, e in steps.items() if e.status == "changed"}
    assert changed == shows_version | set(served), changed
    for key in shows_version:
        assert any("v1.36.3" in c and "v1.37.2" in c for c in steps[key].changes), steps[key]
    for key, resource in served.items():
        assert any("row added" in c and resource in c for c in steps[key].changes), steps[key]
    # the same cluster, upgraded: the context did not change, the versions did
    for e in steps.values():
        assert e.before.context == e.after.context == "kubecapture-v1.36"
        assert (e.before.nodes, e.after.nodes) == ("v1.36.3", "v1.37.2")
