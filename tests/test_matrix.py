"""The version matrix: each snippet against each cluster setup, in the CLI and on a page."""

from __future__ import annotations

import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from kubecapture.captures import store
from kubecapture.captures.store import CommandResult, PageCapture, Provenance, SnippetCapture
from kubecapture.drift import history, matrix
from sites import build, kubecapture, make_site, offline_env

ROOT = Path(__file__).resolve().parents[1]
ORIGINAL = Provenance("minikube", "v1.22.2", "", "", "the original notes")
V136 = Provenance("kubecapture-v1.36", "v1.36.3", "v1.37.1", "2026-12-01T10:00:00Z")
V137 = Provenance("kubecapture-v1.37", "v1.37.2", "v1.37.1", "2026-12-02T10:00:00Z")

NODE = (
    "NAME   STATUS   ROLES           AGE   VERSION\nnode   Ready    control-plane   {age}   {v}\n"
)


def snippet(id: str, *outputs: tuple[Provenance, str, int], command="kubectl get node"):
    """A snippet whose history holds `outputs`, newest first."""
    entries = [
        SnippetCapture("k-" + id, [CommandResult(command, code, out)], p, id)
        for p, out, code in outputs
    ]
    return history.with_changes(replace(entries[0], history=entries[1:]))


def test_cells_compare_each_setup_with_the_newest_output():
    page = PageCapture(
        "course/a.md",
        "pk",
        [
            # Only AGE differs: the same output.
            snippet(
                "same",
                (V137, NODE.format(age="5s", v="v1.37.2"), 0),
                (V136, NODE.format(age="9m", v="v1.37.2"), 0),
            ),
            snippet(
                "changed",
                (V137, NODE.format(age="5s", v="v1.37.2"), 0),
                (V136, NODE.format(age="5s", v="v1.36.3"), 0),
                (ORIGINAL, NODE.format(age="3d", v="v1.22.2"), 0),
            ),
            snippet(
                "failed",
                (V137, "ok\n", 0),
                (V136, 'error: the server doesn\'t have a resource type "x"\n', 1),
            ),
            snippet("only-newest", (V137, "ok\n", 0)),
        ],
    )
    table = matrix.build([page])
    assert [s.server_version for s in table.setups] == ["v1.37.2", "v1.36.3", "v1.22.2"]
    cells = {row.ref: [c.status for c in row.cells] for row in table.rows}
    assert cells == {
        "same": ["newest", "same", "missing"],
        "changed": ["newest", "changed", "changed"],
        "failed": ["newest", "failed", "missing"],
        "only-newest": ["newest", "missing", "missing"],
    }
    changed = next(r for r in table.rows if r.ref == "changed")
    assert any("v1.36.3" in line for line in changed.cells[1].diff)
    assert [r.ref for r in table.differing().rows] == ["changed", "failed"]


def test_a_setup_is_context_server_and_nodes_not_the_date():
    later = replace(V137, captured_at="2026-12-03T10:00:00Z")
    node_upgrade = replace(V137, nodes="v1.38.0")
    page = PageCapture(
        "a.md",
        "pk",
        [
            snippet("a", (later, "x\n", 0), (V136, "x\n", 0)),
            snippet("b", (V137, "x\n", 0), (node_upgrade, "y\n", 0)),
        ],
    )
    setups = matrix.build([page]).setups
    assert len(setups) == 3  # V137 and `later` are one setup; the node upgrade is another
    assert sum(1 for s in setups if s.nodes == "v1.38.0") == 1


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_strings_from_captures_reach_the_page_escaped():
    hostile = '<img src=x onerror="alert(1)">'
    evil = replace(V137, context=hostile, nodes=hostile, cluster=hostile)
    page = PageCapture(
        "a.md",
        "pk",
        [
            snippet(
                "x",
                (evil, f"{hostile}\n", 0),
                (V136, "other\n", 0),
                command=f"kubectl get node {hostile}",
            )
        ],
    )
    html = matrix.to_html(matrix.build([page]), {"a.md": (hostile, "a.html")}, "ja")
    parser = _Elements()
    parser.feed(html)
    assert not [t for t, _ in parser.tags if t in ("img", "script")]
    assert not [a for _, a in parser.tags if any(k.startswith("on") for k in a)]
    assert "&lt;img" in html


def test_cli_and_page_show_every_snippet_of_a_site(tmp_path, standin, kube_env):
    site = make_site(
        tmp_path / "site",
        {
            "a.md": '# 手順 A\n\n```kubectl id="ns"\nkubectl get namespace\n```\n\n'
            '```kubectl id="nodes"\nkubectl get node\n```\n',
            "versions.md": "# 表\n\n<!-- kubecapture: version-matrix -->\n",
        },
    )
    assert kubecapture(site, kube_env, "refresh").returncode == 0
    # An older setup's outputs, as a refresh on another cluster would have left them.
    path = site.parent / "captures" / "a.yaml"
    page = store.load(path)
    older = []
    for s in page.snippets:
        out = s.results[0].stdout
        if s.id == "nodes":
            out = out.replace("Ready", "NotReady")
        old = replace(s, results=[replace(s.results[0], stdout=out)], provenance=V136)
        older.append(history.with_changes(replace(s, history=[old])))
    store.save(path, replace(page, snippets=older))

    shown = kubecapture(site, offline_env(), "matrix", "--json")
    assert shown.returncode == 0, shown.log
    data = json.loads(shown.stdout)
    assert [r["ref"] for r in data["rows"]] == ["ns", "nodes"]
    assert [c["status"] for c in data["rows"][1]["cells"]] == ["newest", "changed"]
    changed = kubecapture(site, offline_env(), "matrix", "--changed")
    assert changed.returncode == 1 and "nodes" in changed.stdout and " ns " not in changed.stdout

    built = build(site, offline_env(), "--strict", mode="replay")
    assert built.returncode == 0, built.log
    html = (site.parent / "site" / "versions" / "index.html").read_text(encoding="utf-8")
    assert html.count('<tr class="kc-matrix-') == 2
    assert 'href="../a/#kc-nodes"' in html
    assert html.count('class="kc-matrix-changed"') == 1


def test_the_notes_matrix_has_a_row_per_captured_snippet():
    pages = [store.load(p) for p in store.all_capture_files(ROOT / "snippets" / "captures")]
    table = matrix.build(p for p in pages if p)
    assert len(table.rows) == sum(len(p.snippets) for p in pages if p)
    text = matrix.to_text(table)
    assert all(s.label in text for s in table.setups)


def test_saved_cells_are_used_for_the_same_outputs_and_typed_on_load():
    """Refresh and prune save every cell keyed by its two outputs and drift's rules; a
    build uses a saved cell only for those outputs, and a cell that is not exactly a cell
    (a stranger's file) is compared anew."""
    changed = snippet(
        "changed",
        (V137, NODE.format(age="5s", v="v1.37.2"), 0),
        (V136, NODE.format(age="5s", v="v1.36.3"), 0),
    )
    page = PageCapture("course/a.md", "pk", [changed])
    saved = json.loads(matrix.cells_json([page]))["cells"]
    [(key, cell)] = saved.items()
    assert key == history.change_digest(changed, changed.history[0])
    assert cell["status"] == "changed"

    # the saved cell is what the build shows (here one that says otherwise)
    marked = {key: {"status": "same", "diff": []}}
    known = matrix.load_cells(json.dumps({"cells": marked}))
    assert [c.status for c in matrix.build([page], known).rows[0].cells] == ["newest", "same"]
    # another output (or other rules) has another digest: compared anew
    other = snippet(
        "changed",
        (V137, NODE.format(age="5s", v="v1.37.3"), 0),
        (V136, NODE.format(age="5s", v="v1.36.3"), 0),
    )
    again = matrix.build([PageCapture("course/a.md", "pk", [other])], known)
    assert [c.status for c in again.rows[0].cells] == ["newest", "changed"]

    bad_cells = [
        {"status": "newest", "diff": []},
        {"status": "same", "diff": [1]},
        {"status": "same", "diff": [], "html": "<b>"},
    ]
    hostile = ["[]", "{", '{"cells": []}', *(json.dumps({"cells": {key: c}}) for c in bad_cells)]
    for text in hostile:
        assert matrix.load_cells(text) == {}


def test_the_notes_saved_cells_are_the_cells_compared_now():
    """The committed cells file says what comparing says (refresh and prune keep it so)."""
    captures = ROOT / "snippets" / "captures"
    pages = [store.load(p) for p in store.all_capture_files(captures)]
    saved = matrix.load_cells((captures / matrix.CELLS_FILE).read_text(encoding="utf-8"))
    assert saved == matrix.load_cells(matrix.cells_json(pages))
    assert matrix.build(pages, saved) == matrix.build(pages)
