"""Capture history: keep each snippet's outputs across cluster versions.

A refresh adds the new output as the newest and moves the earlier ones into the
snippet's history, newest first; an output of the same cluster setup (same context,
server version and node versions) is replaced, so each setup keeps one output, its
latest (a weekly refresh of three versions keeps three). Imported outputs
(the original notes) are never replaced and never pruned, unless asked. Each output but
the oldest carries its change marker (how it compares with the next older one), made
when the history is, so a build need not compare outputs again. Pure functions over
store's dataclasses: no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

from ..captures.store import Change, PageCapture, SnippetCapture
from . import drift


def merge_page(old: PageCapture | None, new: PageCapture, snippets: Sequence, keep: int):
    """`new` (a fresh run of the page's `snippets`) with each snippet's earlier outputs
    from `old` carried over. A snippet finds its earlier outputs by its `id`, else by its
    commands (same key, same occurrence on the page)."""
    if old is None:
        return new
    merged = []
    used: set[int] = set()
    for snippet, fresh in zip(snippets, new.snippets, strict=True):
        previous = _previous(old, snippet, used)
        merged.append(merge(previous, fresh, keep))
    return replace(new, snippets=merged)


def _previous(old: PageCapture, snippet, used: set[int]) -> SnippetCapture | None:
    """The stored capture of `snippet`, each stored capture used at most once."""
    candidates = [i for i, s in enumerate(old.snippets) if i not in used]
    match = None
    if snippet.id:
        match = next((i for i in candidates if old.snippets[i].id == snippet.id), None)
    if match is None:
        match = next(
            (i for i in candidates if old.snippets[i].key == snippet.key and not snippet.id),
            None,
        )
    if match is None:
        return None
    used.add(match)
    return old.snippets[match]


def merge(previous: SnippetCapture | None, fresh: SnippetCapture, keep: int) -> SnippetCapture:
    """`fresh` as the newest output, `previous`'s outputs behind it."""
    if previous is None:
        return fresh
    earlier = [
        _entry(e)
        for e in previous.entries
        # the same cluster setup: the new output replaces it (imported ones stay)
        if e.provenance.imported or not e.provenance.same_cluster(fresh.provenance)
    ]
    return prune(replace(fresh, history=earlier), keep)


def with_changes(capture: SnippetCapture) -> SnippetCapture:
    """`capture` with the change marker of each output against the next older one (saved
    ones reused while they match), none on the oldest."""
    entries = capture.entries
    marked = [
        replace(entry, history=[], change=change(entry, older))
        for entry, older in zip(entries, entries[1:], strict=False)
    ]
    marked.append(replace(entries[-1], history=[], change=None))
    return replace(marked[0], history=marked[1:])


def change(entry: SnippetCapture, older: SnippetCapture) -> Change:
    """The change marker of `entry` against `older`: the saved one while its digest
    matches both outputs and drift's rules, else compared now. A changed command is said
    so, never called output drift."""
    of = change_digest(entry, older)
    if entry.change is not None and entry.change.of == of:
        return entry.change
    if entry.commands != older.commands:
        return Change(of, "command")
    comparison = drift.compare_results(older.results, entry.results)
    return Change(of, comparison.status, comparison.diff)


def change_digest(entry: SnippetCapture, older: SnippetCapture) -> str:
    """Of both outputs' results and drift's rules: what a saved marker was made from."""
    h = hashlib.sha256(f"{drift.RULES}".encode())
    for e in (older, entry):
        for r in e.results:
            for text in (r.command, str(r.exit_code), r.stdout, r.stderr):
                data = text.encode()
                h.update(b"%d:" % len(data))  # length-prefixed: no two inputs hash alike
                h.update(data)
        h.update(b";")
    return h.hexdigest()[:16]


def prune(capture: SnippetCapture, keep: int, imported: bool = False) -> SnippetCapture:
    """At most `keep` live outputs (the newest included; 0 keeps all). Imported outputs
    stay unless `imported` is true."""
    live = 1 if not capture.provenance.imported else 0
    history = []
    for entry in capture.history:
        if entry.provenance.imported:
            if not imported:
                history.append(entry)
        elif not keep or live < keep:
            live += 1
            history.append(entry)
    return with_changes(replace(capture, history=history))


def _entry(capture: SnippetCapture) -> SnippetCapture:
    return replace(capture, history=[])


def labels(capture: SnippetCapture) -> list[str]:
    """A label per output, newest first, unique within the snippet: server version, node
    version when it differs, context, and date or source
    (`v1.24.0+0/node-v1.25.0@litekube:2026-11-29`)."""
    out: list[str] = []
    for entry in capture.entries:
        p = entry.provenance
        label = p.server_version or "unknown"
        if _nodes_differ(p):
            label += f"/node-{p.nodes.replace(', ', '+')}"
        label += f"@{p.context or 'unknown'}"
        label += ":" + (p.date or "original" if p.imported else p.date or "undated")
        base, n = label, 2
        while label in out:
            label, n = f"{base}#{n}", n + 1
        out.append(label)
    return out


def tab_label(entry: SnippetCapture, unknown_date: str) -> str:
    """What a reader sees on a tab: the versions and the date."""
    p = entry.provenance
    version = p.server_version or "?"
    if _nodes_differ(p):
        version += f" (node {p.nodes})"
    return f"{version} · {p.date or unknown_date}"


def _nodes_differ(p) -> bool:
    """The nodes' kubelets run another version than the API server (a node-only upgrade)."""
    return bool(p.nodes) and not p.server_version.startswith(p.nodes)
