"""Capture history: outputs kept across cluster versions, on disk, on the page, in the report.

Pure parts here (merge, prune, labels, the file format, rendering, the history report);
refreshes that build a history through real kubectl runs are in test_upgrade.py (on
the stand-in, whose server version changes, and on a real control plane) and
test_live_cluster.py (the real control plane: node versions).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from kubecapture.base.snippets import page_key, parse_page
from kubecapture.captures import store
from kubecapture.captures.store import CommandResult, PageCapture, Provenance, SnippetCapture
from kubecapture.drift import drift, driftreport, history, reportpage
from kubecapture.site import render
from kubecapture.site.render import View
from sites import kubecapture, make_site, offline_env

ORIGINAL = Provenance("minikube", "v1.22.2", "", "", "the original notes")
V124 = Provenance("litekube", "v1.24.0+0", "v1.37.1", "2026-11-29T10:00:00Z", nodes="v1.24.0")
V124_LATER = Provenance("litekube", "v1.24.0+0", "v1.37.1", "2026-11-30T10:00:00Z", nodes="v1.24.0")
V125_NODE = Provenance("litekube", "v1.24.0+0", "v1.37.1", "2026-12-01T10:00:00Z", nodes="v1.25.0")


def snip(output: str, provenance: Provenance, command="kubectl get node", id="nodes", key="k"):
    return SnippetCapture(key, [CommandResult(command, 0, output)], provenance, id)


# --- merging a refresh into the history ---------------------------------------------------


def test_another_cluster_version_adds_an_entry_and_keeps_the_original():
    stored = snip("minikube  v1.22.2\n", ORIGINAL)
    merged = history.merge(stored, snip("litekube  v1.24.0\n", V124), keep=5)
    assert [e.provenance for e in merged.entries] == [V124, ORIGINAL]
    assert merged.history[0].results[0].stdout == "minikube  v1.22.2\n"


def test_a_refresh_on_the_same_cluster_replaces_the_newest_live_entry():
    stored = history.merge(snip("minikube\n", ORIGINAL), snip("a\n", V124), keep=5)
    again = history.merge(stored, snip("b\n", V124_LATER), keep=5)
    assert [e.provenance for e in again.entries] == [V124_LATER, ORIGINAL]
    assert again.results[0].stdout == "b\n"


def test_a_refresh_on_a_setup_already_in_the_history_replaces_that_output():
    """One output per cluster setup: refreshing three versions in turn again (a weekly CI
    run) keeps three outputs, each the latest of its setup, the last one run newest."""
    v125 = Provenance("litekube", "v1.25.0", "v1.37.1", "2026-12-01T10:00:00Z", nodes="v1.25.0")
    later = Provenance("litekube", "v1.25.0", "v1.37.1", "2026-12-08T10:00:00Z", nodes="v1.25.0")
    stored = history.merge(snip("minikube\n", ORIGINAL), snip("a\n", V124), keep=5)
    stored = history.merge(stored, snip("b\n", v125), keep=5)
    stored = history.merge(stored, snip("c\n", V124_LATER), keep=5)
    assert [e.provenance for e in stored.entries] == [V124_LATER, v125, ORIGINAL]
    stored = history.merge(stored, snip("d\n", later), keep=5)
    assert [e.provenance for e in stored.entries] == [later, V124_LATER, ORIGINAL]
    assert [e.results[0].stdout for e in stored.entries] == ["d\n", "c\n", "minikube\n"]


def test_imported_outputs_are_never_replaced_even_on_the_same_version():
    same_version = Provenance("minikube", "v1.22.2", "v1.37.1", "2026-11-29T10:00:00Z")
    merged = history.merge(snip("x\n", ORIGINAL), snip("y\n", same_version), keep=5)
    assert [e.provenance for e in merged.entries] == [same_version, ORIGINAL]


def test_a_node_upgrade_is_another_version():
    stored = history.merge(snip("minikube\n", ORIGINAL), snip("a\n", V124), keep=5)
    merged = history.merge(stored, snip("b\n", V125_NODE), keep=5)
    assert [e.provenance.nodes for e in merged.entries] == ["v1.25.0", "v1.24.0", ""]


def test_prune_keeps_n_live_entries_and_every_imported_one():
    capture = snip("o\n", ORIGINAL)
    for i in range(6):
        p = Provenance("kind-k", f"v1.{30 + i}.0", "v1.37.1", f"2026-12-0{i + 1}T00:00:00Z")
        capture = history.merge(capture, snip(f"{i}\n", p), keep=3)
    assert [e.provenance.server_version for e in capture.entries] == [
        "v1.35.0",
        "v1.34.0",
        "v1.33.0",
        "v1.22.2",
    ]
    assert [e.provenance.server_version for e in history.prune(capture, 1).entries] == [
        "v1.35.0",
        "v1.22.2",
    ]
    dropped = history.prune(capture, 0, imported=True)
    assert [e.provenance.imported for e in dropped.entries] == [False, False, False]


def test_history_follows_the_id_across_a_command_edit_and_not_without_one():
    page = "p.md"
    text = (
        '```kubectl id="nodes"\nkubectl get node -o wide\n```\n\n```kubectl\nkubectl get ns\n```\n'
    )
    snippets = parse_page(text, page)
    old = PageCapture(
        page,
        "old",
        [
            snip("old wide\n", ORIGINAL, command="kubectl get node", key="old-key"),
            snip("old ns\n", ORIGINAL, command="kubectl get namespace", id=None, key="ns-old"),
        ],
    )
    fresh = PageCapture(
        page,
        "new",
        [
            snip("new wide\n", V124, command="kubectl get node -o wide", key=snippets[0].key),
            snip("new ns\n", V124, command="kubectl get ns", id=None, key=snippets[1].key),
        ],
    )
    merged = history.merge_page(old, fresh, snippets, keep=5)
    with_id, without_id = merged.snippets
    assert [e.commands for e in with_id.entries] == [
        ["kubectl get node -o wide"],
        ["kubectl get node"],
    ]
    assert without_id.history == []  # its command changed and it has no id: a new snippet


def test_labels_are_unique_where_versions_are_not():
    same_server = Provenance("minikube", "v1.22.2", "v1.37.1", "2026-11-29T10:00:00Z")
    capture = history.merge(snip("a\n", ORIGINAL), snip("b\n", same_server), keep=5)
    capture = history.merge(capture, snip("c\n", V124), keep=5)
    capture = history.merge(capture, snip("d\n", V125_NODE), keep=5)
    labels = history.labels(capture)
    assert labels == [
        "v1.24.0+0/node-v1.25.0@litekube:2026-12-01",
        "v1.24.0+0@litekube:2026-11-29",
        "v1.22.2@minikube:2026-11-29",
        "v1.22.2@minikube:original",
    ]
    assert len(set(labels)) == len(labels)


# --- the file format ------------------------------------------------------------------------


def test_history_round_trips_and_old_format_files_load_as_they_are(tmp_path):
    path = tmp_path / "p.yaml"
    capture = history.merge(snip("minikube\n", ORIGINAL), snip("litekube\n", V124), keep=5)
    page = PageCapture("p.md", "key", [capture])
    assert store.save(path, page)
    text = path.read_text()
    assert text.startswith("version: 2\n")
    assert "  history:\n  - key: k\n    provenance:\n      context: minikube\n" in text
    assert "nodes:" in text and text.count("nodes:") == 1  # absent where unknown
    assert store.load(path) == page
    # a file of format 1, as the first version wrote it: no history, no optional fields
    v1 = text.split("  history:")[0].replace("version: 2", "version: 1")
    v1 = v1.replace("    nodes: v1.24.0\n", "")
    path.write_text(v1)
    loaded = store.load(path)
    assert loaded.snippets[0].history == [] and loaded.snippets[0].provenance.nodes == ""


def test_a_corrupt_history_entry_names_the_file_snippet_and_entry(tmp_path):
    path = tmp_path / "p.yaml"
    capture = history.merge(snip("minikube\n", ORIGINAL), snip("litekube\n", V124), keep=5)
    store.save(path, PageCapture("p.md", "key", [capture]))
    broken = path.read_text().replace("    results:\n    - command: kubectl get node\n", "")
    path.write_text(broken)
    with pytest.raises(store.CaptureFileError) as e:
        store.load(path)
    message = str(e.value)
    assert message.startswith(f"{path}: malformed capture file (snippet 1 (nodes), history entry")
    assert message.endswith("fix it or delete it to capture again") and "\n" not in message


def test_the_shipped_section_4_keeps_the_five_original_outputs():
    root = Path(__file__).resolve().parents[1]
    page = store.load(root / "snippets/captures/course/04-kubectl.yaml")
    originals = {
        s.id: e
        for s in page.snippets
        for e in s.entries
        if e.provenance.source == "the original notes"
    }
    assert sorted(originals) == [
        "current-context",
        "get-namespace",
        "get-node",
        "get-node-wide",
        "get-pod-kube-system",
    ]
    assert all(e.provenance.server_version == "v1.22.2" for e in originals.values())
    assert "minikube   Ready    control-plane,master   7m21s   v1.22.2" in (
        originals["get-node"].results[0].stdout
    )
    # the newest output of every snippet is a live capture, all on one cluster
    assert not [s.id for s in page.snippets if s.provenance.imported]
    assert len({s.provenance.context for s in page.snippets}) == 1


def test_change_markers_are_saved_and_shown_while_they_match(tmp_path, monkeypatch):
    """Each output but the oldest carries its change marker, made with the history; a
    build shows the saved one, and compares again when an output or drift's rules no
    longer match it."""
    v123 = Provenance("minikube", "v1.23.4", "v1.37.1", "2026-11-28T10:00:00Z")
    capture = snip("NAME  VERSION\nm  v1.22.2\n", ORIGINAL)
    capture = history.merge(capture, snip("NAME  VERSION\nm  v1.23.4\n", v123), keep=5)
    capture = history.merge(capture, snip("NAME  VERSION\nm  v1.23.4\n", V124), keep=5)
    assert [e.change.status if e.change else None for e in capture.entries] == [
        "unchanged",
        "changed",
        None,
    ]
    path = tmp_path / "p.yaml"
    store.save(path, PageCapture("p.md", "key", [capture]))
    assert "    change:\n      of: " in path.read_text() and "diff: |" in path.read_text()
    loaded = store.load(path).snippets[0]
    assert [e.change for e in loaded.entries] == [e.change for e in capture.entries]

    compared = []

    def counting(old, new):
        compared.append(new[0].stdout)
        return real(old, new)

    real = drift.compare_results
    monkeypatch.setattr(drift, "compare_results", counting)
    html = render.render(View(["kubectl get node"], loaded, lang="en"))
    assert compared == []  # both markers saved and still valid
    assert "kc-change-unchanged" in html and "kc-change-changed" in html
    # a hand edit of the oldest output: the marker against it is compared again
    path.write_text(path.read_text().replace("m  v1.22.2\n", "m  v1.22.3\n"))
    edited = store.load(path).snippets[0]
    render.render(View(["kubectl get node"], edited, lang="en"))
    assert compared == ["NAME  VERSION\nm  v1.23.4\n"]
    monkeypatch.setattr(drift, "RULES", drift.RULES + 1)  # other rules: both again
    render.render(View(["kubectl get node"], loaded, lang="en"))
    assert len(compared) == 3


def test_a_malformed_saved_marker_is_refused_like_any_other_field(tmp_path):
    """A marker is derived, but typed all the same: a file is what the schema says or an
    error, never half read."""
    capture = history.merge(snip("a\n", ORIGINAL), snip("b\n", V124), keep=5)
    path = tmp_path / "p.yaml"
    store.save(path, PageCapture("p.md", "key", [capture]))
    text = path.read_text()
    for broken in (
        text.replace("  change:\n    of: ", "  change:\n    off: "),
        text.replace("    status: changed", "    status: <b>changed</b>"),
        text.replace("    status: changed", "    status: [changed]"),
    ):
        path.write_text(broken)
        with pytest.raises(store.CaptureFileError):
            store.load(path)


# --- on the page ------------------------------------------------------------------------------


def tabs_of(html: str) -> list[str]:
    """Each tab's text (the version and the date are spans of their own)."""
    labels = re.findall(r'<label for="__kc_[^"]+">(.*?)</label>', html)
    return [re.sub(r"<[^>]+>", "", label) for label in labels]


def test_tabs_newest_first_labelled_with_version_and_date_each_with_its_commands():
    capture = history.merge(
        snip("minikube  v1.22.2\n", ORIGINAL, command="kubectl get node"),
        snip("litekube  v1.24.0\n", V124, command="kubectl get node"),
        keep=5,
    )
    html = render.render(View(["kubectl get node"], capture, lang="ja", tab_set="7"))
    assert tabs_of(html) == ["v1.24.0+0 · 2026-11-29", "v1.22.2 · 日付不明"]
    assert '<input checked id="__kc_7_1" name="__kc_7" type="radio" />' in html
    blocks = re.findall(
        r'<div class="tabbed-block kc-entry[^"]*" data-copy="([^"]*)"([^>]*)>', html
    )
    assert blocks == [("kubectl get node", ""), ("kubectl get node", " data-search-exclude")]
    # the change marker: the drift normalization decides, the diff is one click away
    marker = re.search(r'<div class="kc-change kc-change-(\w+)" data-search-exclude>', html)
    assert marker[1] == "changed" and "v1.22.2 · 日付不明 と比べて:" in html
    assert '<details class="kc-drift-diff">' in html


def test_only_volatile_differences_are_no_change_and_a_new_command_is_not_drift():
    volatile = history.merge(
        snip("NAME  AGE\nweb   3m\n", ORIGINAL), snip("NAME  AGE\nweb   9d\n", V124), keep=5
    )
    html = render.render(View(["kubectl get node"], volatile, lang="en"))
    assert "kc-change-volatile" in html and "kc-drift-diff" not in html
    edited = history.merge(
        snip("x\n", ORIGINAL, command="kubectl get node"),
        snip("y\n", V124, command="kubectl get node -o wide"),
        keep=5,
    )
    html = render.render(View(["kubectl get node -o wide"], edited, lang="en"))
    assert "kc-change-command" in html and "the command changed" in html
    assert re.findall(r'data-copy="([^"]*)"', html) == [
        "kubectl get node -o wide",
        "kubectl get node",
    ]


def test_without_material_earlier_outputs_are_a_plain_list():
    capture = history.merge(snip("a\n", ORIGINAL), snip("b\n", V124), keep=5)
    html = render.render(View(["kubectl get node"], capture, lang="ja", tabs=False))
    assert "tabbed-set" not in html and "<input" not in html
    assert (
        '<div class="kc-earlier" data-search-exclude><p class="kc-earlier-title">以前の出力' in html
    )
    assert html.index(">b\n<") < html.index(">a\n<")  # the newest first


def test_a_snippet_without_history_renders_as_before():
    html = render.render(View(["kubectl get node"], snip("a\n", V124), lang="ja"))
    assert "tabbed" not in html and "kc-change" not in html


# --- the drift page from history -----------------------------------------------------------


def test_history_report_has_one_step_per_pair_of_versions_newest_first():
    nodes = history.merge(snip("minikube  v1.22.2\n", ORIGINAL), snip("l  v1.24.0\n", V124), 5)
    nodes = history.merge(nodes, snip("l  v1.25.0\n", V125_NODE), keep=5)
    edited = history.merge(
        snip("x\n", ORIGINAL, command="kubectl get ns", id="ns"),
        snip("y\n", V124, command="kubectl get namespace", id="ns"),
        keep=5,
    )
    report = driftreport.history_report([(PageCapture("p.md", "k", [nodes, edited]), ())])
    statuses = [(e.ref, e.before.server_version, e.after.nodes, e.status) for e in report.entries]
    assert statuses == [
        ("nodes", "v1.24.0+0", "v1.25.0", "changed"),
        ("nodes", "v1.22.2", "v1.24.0", "changed"),
        ("ns", "v1.22.2", "v1.24.0", "command"),
    ]
    md = reportpage.markdown(report, "ja")
    assert re.findall(r"^## (.*)$", md, re.M) == [
        "バージョンアップ: ノード v1.24.0 → v1.25.0 (2026-12-01)",
        "クラスターの変更: minikube → litekube (元のノートから、2026-11-29)",
    ]
    assert "<h3>コマンドが変わったもの (1)</h3>" in md


def test_prune_makes_markers_saved_under_other_rules_again(tmp_path):
    """After drift's rules change, `kubecapture prune` saves each output's marker anew
    (a replay build would otherwise compare those outputs on every build); run again, it
    has nothing to do."""
    markdown = '# A\n\n```kubectl id="nodes"\nkubectl get node\n```\n'
    site = make_site(tmp_path / "site", {"index.md": markdown})
    snippets = parse_page(markdown, "index.md")
    newest = snip("NAME   VERSION\nn1     v1.25.0\n", V125_NODE, key=snippets[0].key)
    older = snip("NAME   VERSION\nn1     v1.24.0\n", V124, key=snippets[0].key)
    stale = store.Change(of="0" * 16, status="unchanged")  # what older rules said
    capture = replace(newest, history=[older], change=stale)
    path = store.capture_path(site.parent / "captures", "index.md")
    store.save(path, PageCapture("index.md", page_key(snippets), [capture]))

    first = kubecapture(site, offline_env(), "prune")
    assert first.returncode == 0, first.log
    assert "index.md: change markers made again" in first.stdout
    marker = store.load(path).snippets[0].change
    assert marker.of == history.change_digest(newest, older) and marker.status == "changed"
    again = kubecapture(site, offline_env(), "prune")
    assert "made again" not in again.stdout
