"""Drift on real outputs (tests/data/real-upgrade): a node upgrade changes only what
shows the node's version."""

from __future__ import annotations

from pathlib import Path

from kubecapture import driftreport, store

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
