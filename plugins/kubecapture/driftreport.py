"""The drift report: which snippets changed between two outputs, as JSON and as a page.

The pairs compared are a live run's old and new capture of a page (`page_pairs`: what the
terminal says after a refresh) or each two consecutive outputs in the capture history
(`history_pairs`: the saved report and the site's page, one section per step between
two cluster setups, newest first). Pure functions: no I/O.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import ClassVar, NamedTuple

from .drift import compare_results
from .render import diff_html
from .snippets import Snippet, one_line, with_occurrence
from .store import CommandResult, PageCapture, Provenance, SnippetCapture
from .strings import PASTED_SOURCE, report_strings


class SnippetPair(NamedTuple):
    page: str
    ref: str | int  # the snippet's id, or its 0-based position on the page
    commands: Sequence[str]  # the snippet's command texts, as written
    old: SnippetCapture | None  # None: never captured before
    new: SnippetCapture
    note: str = ""  # see DriftEntry.note


@dataclass
class DriftEntry:
    page: str
    ref: str | int
    label: str  # the id, or `#n` (1-based) and the first command
    status: str  # "new", "unchanged", "volatile", "changed" or "command" (it changed)
    after: Provenance
    before: Provenance | None = None
    changes: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)
    # Why a change may be by design: "settle" for a snippet with settle="off", whose output
    # shows the cluster mid-way and so depends on timing.
    note: str = ""


@dataclass
class ProvenanceGroup:
    """Snippets captured from one cluster setup (one row of the before/after table)."""

    source: str
    context: str
    server_version: str
    nodes: str
    kubectl_version: str
    first: str  # earliest captured_at ("" when unknown)
    last: str
    snippets: int


_STATUSES = ("changed", "command", "volatile", "unchanged", "new")


@dataclass
class DriftReport:
    entries: list[DriftEntry] = field(default_factory=list)

    VERSION: ClassVar[int] = 2  # 2: entries of every step of the capture history

    @classmethod
    def empty(cls) -> DriftReport:
        return cls([])

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for e in self.entries if e.status == s) for s in _STATUSES}

    def before(self) -> list[ProvenanceGroup]:
        """Distinct clusters of the old captures (a page may mix imported and live ones)."""
        return _groups(e.before for e in self.entries if e.before is not None)

    def after(self) -> list[ProvenanceGroup]:
        return _groups(e.after for e in self.entries)

    def summary_lines(self) -> list[str]:
        """A few ASCII-friendly lines for the terminal."""
        c = self.counts()
        lines = [
            f"drift: {c['changed']} changed, {c['volatile']} volatile only, "
            f"{c['unchanged']} unchanged, {c['new']} new ({len(self.entries)} snippets)"
            + (f", {c['command']} with a changed command" if c["command"] else "")
        ]
        for word, groups in (("before", self.before()), ("after", self.after())):
            if groups:
                lines.append(f"  {word}: " + "; ".join(_group_text(g) for g in groups))
        for e in self.entries:
            if e.status == "changed":
                first = e.changes[0] if e.changes else "output changed"
                why = " (settle=off: timing-dependent by design)" if e.note == "settle" else ""
                lines.append(f"  changed: {e.page} > {e.label}{why}: {first}")
        return [x.replace("→", "->").replace("…", "...") for x in lines]

    def to_json(self) -> str:
        data = {
            "version": self.VERSION,
            "counts": self.counts(),
            "before": [asdict(g) for g in self.before()],
            "after": [asdict(g) for g in self.after()],
            "entries": [asdict(e) for e in self.entries],
        }
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> DriftReport:
        """Reload a saved report. Raises ValueError when it is not one of this version."""
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or data.get("version") != cls.VERSION:
                raise ValueError(f"not a drift report of version {cls.VERSION}")
            return cls([_entry_from(e) for e in data["entries"]])
        except (KeyError, TypeError) as e:
            raise ValueError(f"malformed drift report ({type(e).__name__}: {e})") from None

    def to_markdown(self, lang: str = "ja", page: str = "cluster-changes.md") -> str:
        """The site page; `page` is where it lives in docs/, for relative links."""
        return _markdown(self, report_strings(lang), page)


def _entry_from(data: dict) -> DriftEntry:
    before = data.get("before")
    return DriftEntry(
        page=data["page"],
        ref=data["ref"],
        label=data["label"],
        status=data["status"],
        after=Provenance(**data["after"]),
        before=Provenance(**before) if before else None,
        changes=list(data.get("changes") or []),
        diff=list(data.get("diff") or []),
        note=data.get("note", ""),
    )


def _groups(provenances: Iterable[Provenance]) -> list[ProvenanceGroup]:
    """Group by cluster setup, not by time: every snippet has its own captured_at."""
    times: dict[tuple[str, str, str, str, str], list[str]] = {}
    for p in provenances:
        key = (p.source, p.context, p.server_version, p.nodes, p.kubectl_version)
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


def build_report(pairs: Iterable[SnippetPair | tuple]) -> DriftReport:
    """One entry per snippet; pages sorted, snippets in page order."""
    entries = [_entry(SnippetPair(*p)) for p in pairs]
    entries.sort(key=lambda e: e.page)  # stable: page order kept within a page
    return DriftReport(entries)


def _entry(pair: SnippetPair) -> DriftEntry:
    commands = list(pair.commands) or [r.command for r in pair.new.results]
    if isinstance(pair.ref, int):
        label = f"#{pair.ref + 1} {one_line(commands[0]) if commands else ''}".rstrip()
    else:
        label = pair.ref
    entry = DriftEntry(pair.page, pair.ref, label, "new", pair.new.provenance, note=pair.note)
    if pair.old is not None:
        c = compare_results(pair.old.results, pair.new.results)
        entry.status, entry.changes, entry.diff = c.status, c.changes, c.diff
        entry.before = pair.old.provenance
        if pair.old.commands != pair.new.commands:
            entry.status, entry.diff = "command", []  # not output drift
    return entry


def history_pairs(page: PageCapture, snippets: Sequence[Snippet] = ()) -> list[SnippetPair]:
    """Each two consecutive outputs in every snippet's history (older, newer), newest
    first; `snippets` (the page's, when known) tell which are settle="off"."""
    notes = {s.key: _note(s) for s in snippets}
    pairs = []
    for index, capture in enumerate(page.snippets):
        entries = capture.entries
        for newer, older in zip(entries, entries[1:], strict=False):
            ref = capture.id or index
            note = notes.get(capture.key, "")
            pairs.append(SnippetPair(page.page, ref, newer.commands, older, newer, note))
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
        note = _note(snippet)
        pairs.append(SnippetPair(new.page, snippet.id or index, commands, before, after, note))
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


# ---------------------------------------------------------------------------------------
# Markdown

_MAX_CHANGES = 12


def _markdown(report: DriftReport, t: dict[str, str], page: str) -> str:
    out = [f"# {t['title']}", ""]
    if not report.entries:
        return "\n".join([*out, t["empty"], ""])
    out += [t["intro"], ""]
    for entries in _steps(report.entries):
        out += [f"## {_step_title(entries, t)}", ""]
        out += _step(DriftReport(entries), t, page, "###")
    return "\n".join(out).rstrip("\n") + "\n"


def _setup(p: Provenance | None) -> tuple[str, ...]:
    return () if p is None else (p.source, p.context, p.server_version, p.nodes)


def _steps(entries: list[DriftEntry]) -> list[list[DriftEntry]]:
    """Entries grouped by the two cluster setups they compare, the newest step first."""
    steps: dict[tuple, list[DriftEntry]] = {}
    for e in entries:
        steps.setdefault((_setup(e.before), _setup(e.after)), []).append(e)
    return sorted(
        steps.values(),
        key=lambda es: max(e.after.captured_at for e in es),
        reverse=True,
    )


def _step_title(entries: list[DriftEntry], t: dict[str, str]) -> str:
    def setup(p: Provenance | None) -> str:
        if p is None:
            return t["new"]
        text = f"{p.context or t['unknown']} {p.server_version or t['unknown']}"
        if p.nodes and not p.server_version.startswith(p.nodes):
            text += f" ({t['nodes']} {p.nodes})"
        return text + (f" ({t.get(p.source, p.source)})" if p.imported else "")

    return f"{setup(entries[0].before)} → {setup(entries[0].after)}"


def _step(report: DriftReport, t: dict[str, str], page: str, level: str) -> list[str]:
    """One comparison of two cluster setups: their provenance, counts, then the snippets."""
    out = [*_provenance_table(report, t), ""]
    counts = report.counts()
    out += [
        " ・ ".join(
            f"**{t[s]}: {counts[s]}**" if s == "changed" else f"{t[s]}: {counts[s]}"
            for s in _STATUSES
            if counts[s] or s in ("changed", "volatile", "unchanged")
        ),
        "",
    ]
    changed = [e for e in report.entries if e.status == "changed"]
    out += [f"{level} {t['changed']}", ""]
    if not changed:
        out += [t["none_changed"], ""]
    for e in changed:
        out += _changed_section(e, t, page, level + "#")
    for status in ("command", "volatile", "unchanged", "new"):
        entries = [e for e in report.entries if e.status == status]
        out += _compact_list(entries, t[status], page, level)
    return out


def _provenance_table(report: DriftReport, t: dict[str, str]) -> list[str]:
    """Before and after side by side, one column per cluster setup (narrow: phones)."""
    groups = [("before", g) for g in report.before()] + [("after", g) for g in report.after()]

    def dates(g: ProvenanceGroup) -> str:
        return " – ".join(sorted({d[:10] for d in (g.first, g.last) if d})) or t["unknown"]

    rows = [
        ("source", lambda g: t.get(g.source, g.source)),
        ("context", lambda g: g.context or t["unknown"]),
        ("server", lambda g: g.server_version or t["unknown"]),
        ("nodes", lambda g: g.nodes or t["unknown"]),
        ("kubectl", lambda g: g.kubectl_version or t["unknown"]),
        ("captured_at", dates),
        ("snippets", lambda g: str(g.snippets)),
    ]
    lines = ["| | " + " | ".join(t[when] for when, _ in groups) + " |"]
    lines.append("| --- |" + " --- |" * len(groups))
    for name, cell in rows:
        cells = [t[name], *(cell(g) for _, g in groups)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def _changed_section(e: DriftEntry, t: dict[str, str], page: str, level: str) -> list[str]:
    out = [f"{level} {_page_link(e.page, page)} › {_label_md(e)}", ""]
    if e.note:
        out += [f"*{t[e.note]}*", ""]
    out += [f"- {_code(c)}" for c in e.changes[:_MAX_CHANGES]]
    if len(e.changes) > _MAX_CHANGES:
        out.append(f"- {t['more'].format(n=len(e.changes) - _MAX_CHANGES)}")
    out.append("")
    if e.diff:
        out += [diff_html(e.diff, t["diff"]), ""]
    return out


def _compact_list(entries: list[DriftEntry], title: str, page: str, level: str) -> list[str]:
    """One line per page: `- [page](link): #1 `kubectl get node`, `get-pods``."""
    if not entries:
        return []
    by_page: dict[str, list[str]] = {}
    for e in entries:
        by_page.setdefault(e.page, []).append(_label_md(e))
    out = [f"{level} {title} ({len(entries)})", ""]
    out += [f"- {_page_link(p, page)}: {', '.join(labels)}" for p, labels in by_page.items()]
    return [*out, ""]


def _label_md(e: DriftEntry) -> str:
    if isinstance(e.ref, int):
        number, _, command = e.label.partition(" ")
        return f"{number} {_code(command)}" if command else number
    return _code(e.label)


def _page_link(target: str, page: str) -> str:
    href = posixpath.relpath(target, posixpath.dirname(page) or ".")
    return f"[{target}]({href})"


def _code(text: str) -> str:
    ticks = "`" * (_longest_backticks(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _longest_backticks(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)
