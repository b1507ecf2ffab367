"""The drift report: which snippets changed between two outputs, as data and as JSON.

The pairs compared are a live run's old and new capture of a page (`page_pairs`: what the
terminal says after a refresh) or each two consecutive outputs in the capture history
(`history_pairs`: the saved report and the site's page). Entries are grouped in steps,
one per two cluster setups compared (`steps`), and a step says what differs between its
setups (cluster, versions, kubectl): a change of output is put down to the version only
when the cluster stayed the same. Where the cluster changed, names that changed with it
(context, node) are replaced before comparing, so that a node's row pairs with its
namesake and a changed cell shows as one. The page is made in reportpage.py, the saved
JSON read back in reportfile.py. Pure functions: no I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import ClassVar, NamedTuple

from ..base.snippets import Snippet, one_line, with_occurrence
from ..base.strings import PASTED_SOURCE
from ..captures.store import CommandResult, PageCapture, Provenance, SnippetCapture
from .drift import RULES, Difference, compare_results, row_labels


class SnippetPair(NamedTuple):
    page: str
    ref: str | int  # the snippet's id, or its 0-based position on the page
    commands: Sequence[str]  # the snippet's command texts, as written
    old: SnippetCapture | None  # None: never captured before
    new: SnippetCapture
    note: str = ""  # see DriftEntry.note
    title: str = ""  # the snippet's title, as the page shows it


@dataclass
class DriftEntry:
    page: str
    ref: str | int  # the snippet's id, or its 0-based position on the page
    label: str  # the id, or `#n` (1-based) and the first command
    # "new", "unchanged", "volatile", "renamed" (only names that changed with the cluster
    # differ), "changed" or "command" (the command changed: outputs not compared)
    status: str
    after: Provenance
    before: Provenance | None = None
    changes: list[str] = field(default_factory=list)  # the differences, in English
    diff: list[str] = field(default_factory=list)  # of the outputs as they are
    # What the evidence says of a change's cause: "settle" for a snippet with
    # settle="off", whose output shows the cluster mid-way and so depends on timing;
    # "client" for commands that kubectl answers without the cluster (`kubectl options`,
    # `kubectl config …`): neither the cluster nor its version made such a change.
    note: str = ""
    differences: list[Difference] = field(default_factory=list)
    # Names that changed with the cluster (old -> new), replaced in the old output before
    # comparing: `differences` are what differs beyond them.
    renamed: dict[str, str] = field(default_factory=dict)
    title: str = ""  # the snippet's title on its page ("" when it has none or is unknown)


@dataclass
class ProvenanceGroup:
    """Snippets captured from one cluster setup (one column of a step's table)."""

    source: str
    context: str
    server_version: str
    nodes: str
    kubectl_version: str
    cluster: str  # the author's description of the cluster (context_notes)
    first: str  # earliest captured_at ("" when unknown)
    last: str
    snippets: int


STATUSES = ("changed", "renamed", "command", "volatile", "unchanged", "new")
NOTES = ("", "settle", "client")


@dataclass
class DriftReport:
    entries: list[DriftEntry] = field(default_factory=list)

    # 2: entries of every step of the capture history; 3: differences as data, names that
    # changed with the cluster, the cluster's description in the setups; 4: snippet titles,
    # the "client" note, events recorded again
    VERSION: ClassVar[int] = 4

    @classmethod
    def empty(cls) -> DriftReport:
        return cls([])

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for e in self.entries if e.status == s) for s in STATUSES}

    def before(self) -> list[ProvenanceGroup]:
        """Distinct clusters of the old captures (a page may mix imported and live ones)."""
        return _groups(e.before for e in self.entries if e.before is not None)

    def after(self) -> list[ProvenanceGroup]:
        return _groups(e.after for e in self.entries)

    def steps(self) -> list[Step]:
        """The entries grouped by the two cluster setups they compare, newest first."""
        grouped: dict[tuple, list[DriftEntry]] = {}
        for e in self.entries:
            grouped.setdefault((setup(e.before), setup(e.after)), []).append(e)
        steps = [Step(es[0].before, es[0].after, DriftReport(es)) for es in grouped.values()]
        return sorted(
            steps, key=lambda s: max(e.after.captured_at for e in s.report.entries), reverse=True
        )

    def summary_lines(self) -> list[str]:
        """A few ASCII-friendly lines for the terminal."""
        c = self.counts()
        lines = [
            f"drift: {c['changed']} changed, {c['volatile']} volatile only, "
            f"{c['unchanged']} unchanged, {c['new']} new ({len(self.entries)} snippets)"
            + (f", {c['renamed']} with only names of the cluster changed" if c["renamed"] else "")
            + (f", {c['command']} with a changed command" if c["command"] else "")
        ]
        for word, groups in (("before", self.before()), ("after", self.after())):
            if groups:
                lines.append(f"  {word}: " + "; ".join(_group_text(g) for g in groups))
        for step in self.steps():
            if step.kind == "cluster" and step.version_changed:
                lines.append(
                    f"  {_group_text(step.report.after()[0])}: another cluster and another "
                    "version at once: the changes below cannot be put down to the version"
                )
        for e in self.entries:
            if e.status == "changed":
                first = e.changes[0] if e.changes else "output changed"
                why = " (settle=off: timing-dependent by design)" if e.note == "settle" else ""
                lines.append(f"  changed: {e.page} > {e.label}{why}: {first}")
        return [x.replace("→", "->").replace("…", "...") for x in lines]

    def to_json(self) -> str:
        data = {
            "version": self.VERSION,
            "rules": RULES,
            "counts": self.counts(),
            "before": [asdict(g) for g in self.before()],
            "after": [asdict(g) for g in self.after()],
            "entries": [asdict(e) for e in self.entries],
        }
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def setup(p: Provenance | None) -> tuple[str, ...]:
    """What makes a cluster setup: where the output came from, the cluster, its versions."""
    if p is None:
        return ()
    return (p.source, p.context, p.cluster, p.server_version, p.nodes, p.kubectl_version, p.runtime)


def _simulated(runtime: str) -> bool | None:
    """Whether the nodes were the project's simulated one; None when not recorded."""
    return runtime.startswith("simulated://") if runtime else None


@dataclass
class Step:
    """One comparison of two cluster setups, and what differs between them."""

    before: Provenance | None  # None: outputs captured for the first time
    after: Provenance
    report: DriftReport  # the entries comparing these two setups

    @property
    def cluster_changed(self) -> bool:
        """Another cluster: another context, the author describes it otherwise, or its
        nodes say they are of another kind (a simulated node instead of a real one, read
        from their runtime: a context name says nothing of it)."""
        b, a = self.before, self.after
        if b is None:
            return False
        kinds = {_simulated(b.runtime), _simulated(a.runtime)} - {None}
        return (b.context, b.cluster) != (a.context, a.cluster) or len(kinds) > 1

    def _differs(self, field: str) -> bool:
        b = self.before
        return b is not None and differs(getattr(b, field), getattr(self.after, field))

    server_changed = property(lambda self: self._differs("server_version"))
    nodes_changed = property(lambda self: self._differs("nodes"))
    kubectl_changed = property(lambda self: self._differs("kubectl_version"))
    version_changed = property(lambda self: self.server_changed or self.nodes_changed)

    @property
    def kind(self) -> str:
        """What the step is: `new`; `unknown` (a side's cluster is not recorded);
        `cluster` (another cluster, whatever else changed); `upgrade` or `version` (the
        same cluster, a newer or another version); `kubectl` (only kubectl changed);
        `same` (captured again on the same setup)."""
        b, a = self.before, self.after
        if b is None:
            return "new"
        if not b.context or not a.context:
            return "unknown"
        if self.cluster_changed:
            return "cluster"
        if self.version_changed:
            old, new = (
                (b.server_version, a.server_version) if self.server_changed else (b.nodes, a.nodes)
            )
            older, newer = _version_key(old), _version_key(new)
            return "upgrade" if older and newer and newer > older else "version"
        return "kubectl" if self.kubectl_changed else "same"

    @property
    def renamed(self) -> list[tuple[str, str]]:
        """(old, new) of every name that changed with the cluster, once each: one old name
        may have become two (minikube's context and node)."""
        return sorted({pair for e in self.report.entries for pair in e.renamed.items()})


def differs(a: str, b: str) -> bool:
    """Both known and not the same (an unknown version is not a change)."""
    return bool(a) and bool(b) and a != b


def _version_key(version: str) -> tuple[int, ...] | None:
    m = re.match(r"v?(\d+)\.(\d+)(?:\.(\d+))?", version)
    return tuple(int(x or 0) for x in m.groups()) if m else None


def _groups(provenances: Iterable[Provenance]) -> list[ProvenanceGroup]:
    """Group by cluster setup, not by time: every snippet has its own captured_at."""
    times: dict[tuple[str, ...], list[str]] = {}
    for p in provenances:
        key = (p.source, p.context, p.server_version, p.nodes, p.kubectl_version, p.cluster)
        times.setdefault(key, []).append(p.captured_at)
    groups = [
        ProvenanceGroup(*key, min((t for t in ts if t), default=""), max(ts), len(ts))
        for key, ts in times.items()
    ]
    return sorted(groups, key=lambda g: (g.first, g.source, g.server_version))


def _group_text(g: ProvenanceGroup) -> str:
    when = g.first[:10] or "date unknown"
    nodes = f" (nodes {g.nodes})" if g.nodes else ""
    return f"{g.server_version or '?'}{nodes} on {g.context or '?'} ({g.source}, {when})"


# ---------------------------------------------------------------------------------------
# Building a report


def build_report(pairs: Iterable[SnippetPair | tuple]) -> DriftReport:
    """One entry per snippet; pages sorted, snippets in page order."""
    pairs = [SnippetPair(*p) for p in pairs]
    renames = rename_candidates(pairs)
    entries = [entry(p, renames) for p in pairs]
    entries.sort(key=lambda e: e.page)  # stable: page order kept within a page
    return DriftReport(entries)


_GET_NODES = re.compile(r"^\s*kubectl\s+get\s+(?:nodes?|no)(?:\s|$)")


def rename_candidates(pairs: list[SnippetPair]) -> dict[tuple, list[dict[str, str]]]:
    """Per step where the cluster changed: its names that changed with it, as candidate
    mappings. The context's name, and the node's when `kubectl get node` lists one node on
    each side (minikube's node is `minikube`, kind's `kind-control-plane`). When one old
    name was both (minikube's context and node) and became two, each is a candidate."""
    nodes: dict[tuple, tuple[set[str], set[str]]] = {}
    for p in pairs:
        if p.old is None:
            continue
        old_nodes, new_nodes = nodes.setdefault(_step_key(p), (set(), set()))
        for results, names in ((p.old.results, old_nodes), (p.new.results, new_nodes)):
            for r in results:
                if _GET_NODES.match(r.command) and not r.exit_code:
                    names.update(row_labels(r.command, r.stdout))
    renames = {}
    for p in pairs:
        key = _step_key(p)
        if p.old is None or key in renames:
            continue
        b, a = p.old.provenance, p.new.provenance
        if not (b.context and a.context) or (b.context, b.cluster) == (a.context, a.cluster):
            continue
        contexts = {b.context: a.context} if b.context != a.context else {}
        old_nodes, new_nodes = nodes[key]
        node = {}
        if len(old_nodes) == 1 and len(new_nodes) == 1 and old_nodes != new_nodes:
            node = {next(iter(old_nodes)): next(iter(new_nodes))}
        if contexts.keys() & node.keys() and contexts != node:
            renames[key] = [contexts, node]
        else:
            renames[key] = [{**contexts, **node}]
    return renames


def _step_key(pair: SnippetPair) -> tuple:
    return (setup(pair.old.provenance if pair.old else None), setup(pair.new.provenance))


def _name_pattern(names: Iterable[str]) -> re.Pattern[str]:
    """The names as whole words of a name: `minikube` in `etcd-minikube`, not `minikubes`."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")


def _renamed(results: Sequence[CommandResult], names: dict[str, str]) -> list[CommandResult]:
    pattern = _name_pattern(names)

    def swap(text: str) -> str:
        return pattern.sub(lambda m: names[m.group()], text)

    return [CommandResult(r.command, r.exit_code, swap(r.stdout), swap(r.stderr)) for r in results]


def entry(pair: SnippetPair, renames: dict[tuple, list[dict[str, str]]]) -> DriftEntry:
    """The comparison of one pair, names that changed with the cluster (`renames`, from
    rename_candidates over every pair of the same steps) replaced first. The version
    matrix classifies its cells with this too, so both pages say the same of a pair."""
    commands = list(pair.commands) or [r.command for r in pair.new.results]
    if isinstance(pair.ref, int):
        label = f"#{pair.ref + 1} {one_line(commands[0]) if commands else ''}".rstrip()
    else:
        label = pair.ref
    out = DriftEntry(
        pair.page, pair.ref, label, "new", pair.new.provenance, note=pair.note, title=pair.title
    )
    if pair.old is None:
        return out
    out.before = pair.old.provenance
    if pair.old.commands != pair.new.commands:
        out.status = "command"  # not output drift
        return out
    c = compare_results(pair.old.results, pair.new.results)
    out.status, out.diff, out.differences = c.status, c.diff, c.differences
    olds = pair.old.results
    best = None  # (differences left, names used, comparison) of the best candidate
    for names in renames.get(_step_key(pair), ()) if c.status == "changed" else ():
        used = {
            old: new
            for old, new in names.items()
            if any(_name_pattern([old]).search(r.stdout + r.stderr) for r in olds)
        }
        if used:
            beyond = compare_results(_renamed(olds, used), pair.new.results)
            left = len(beyond.differences) if beyond.status == "changed" else 0
            if best is None or left < best[0]:
                best = (left, used, beyond)
    if best is not None:
        left, out.renamed, beyond = best
        if left:
            out.differences = beyond.differences
        else:
            out.status, out.differences = "renamed", []
    out.changes = [str(d) for d in out.differences]
    if out.status == "changed" and not out.note and all(map(client_only, commands)):
        out.note = "client"
    return out


# kubectl answers these itself, from its own code and files, without asking the cluster.
_CLIENT_ONLY = re.compile(
    r"^\s*kubectl\s+(?:options|config|completion|help|version\s+(?:.*\s)?--client)(?:\s|$)"
)


def client_only(command: str) -> bool:
    """A command whose output kubectl makes without the cluster."""
    return bool(_CLIENT_ONLY.match(command))


def history_pairs(page: PageCapture, snippets: Sequence[Snippet] = ()) -> list[SnippetPair]:
    """Each two consecutive outputs in every snippet's history (older, newer), newest
    first; `snippets` (the page's, when known) tell which are settle="off"."""
    notes = {s.key: _note(s) for s in snippets}
    titles = {s.key: s.options.get("title") or "" for s in snippets}
    pairs = []
    for index, capture in enumerate(page.snippets):
        entries = capture.entries
        for newer, older in zip(entries, entries[1:], strict=False):
            ref = capture.id or index
            note, title = notes.get(capture.key, ""), titles.get(capture.key, "")
            pairs.append(SnippetPair(page.page, ref, newer.commands, older, newer, note, title))
    return pairs


def history_report(pages: Iterable[tuple[PageCapture, Sequence[Snippet]]]) -> DriftReport:
    """What changed between consecutive outputs of every snippet, over the site's history."""
    return build_report(pair for page, snippets in pages for pair in history_pairs(page, snippets))


def page_pairs(
    old: PageCapture | None, new: PageCapture, snippets: Sequence[Snippet]
) -> list[SnippetPair]:
    """Pair each snippet's new capture with its old one (same key and occurrence, else the
    same id), or with the output pasted in a console transcript when never captured."""
    pairs = []
    for index, (snippet, n) in enumerate(with_occurrence(snippets)):
        after = new.find(snippet.key, n)
        if after is None:
            continue  # not run (the page failed part way)
        before = old.find(snippet.key, n) if old else None
        if before is None and old and snippet.id:
            before = next((s for s in old.snippets if s.id == snippet.id), None)
        if before is None and snippet.pasted and any(p.strip() for p in snippet.pasted):
            before, after = _pasted_baseline(snippet.pasted, after)
        commands = [c.text for c in snippet.commands]
        note, title = _note(snippet), snippet.options.get("title") or ""
        ref = snippet.id or index
        pairs.append(SnippetPair(new.page, ref, commands, before, after, note, title))
    return pairs


def _note(snippet: Snippet) -> str:
    return "settle" if snippet.options.get("settle") == "off" else ""


def _pasted_baseline(
    pasted: Sequence[str], new: SnippetCapture
) -> tuple[SnippetCapture, SnippetCapture]:
    """A transcript shows stdout and stderr mixed and no exit code: compare like with like.
    A command with nothing pasted under it has no baseline: it counts as unchanged."""
    terminal = [CommandResult(r.command, r.exit_code, r.stdout + r.stderr) for r in new.results]
    texts = [*pasted, *[""] * (len(terminal) - len(pasted))]
    old = [
        CommandResult(r.command, r.exit_code, text if text.strip() else r.stdout)
        for r, text in zip(terminal, texts, strict=False)
    ]
    unknown = Provenance(
        context="", server_version="", kubectl_version="", captured_at="", source=PASTED_SOURCE
    )
    return (
        SnippetCapture(new.key, old, unknown, new.id),
        SnippetCapture(new.key, terminal, new.provenance, new.id),
    )


def compare_page(old: PageCapture | None, new: PageCapture, snippets: Sequence) -> list[DriftEntry]:
    """The drift entries of one page (for progress lines while a build runs)."""
    return build_report(page_pairs(old, new, snippets)).entries
