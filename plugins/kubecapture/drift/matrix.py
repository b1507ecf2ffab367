"""The version matrix: every snippet against every cluster setup it was captured on.

One row per snippet, one column per cluster setup (context, server version, node
versions; the original notes' pasted outputs are a setup of their own). Each cell
compares that setup's output with the snippet's newest output, as drift does (run-to-run
values do not count): the same, changed (with the normalized diff), failed (an exit code
that differs from the newest output's and is not 0), only names that changed with the
cluster (as the change page says of the same two outputs: driftreport.entry classifies
both), the command changed, or not captured on that setup. Pure functions over store's
dataclasses, and an autoescaping template for the page: every string from a capture
reaches HTML escaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

import jinja2

from ..base import plainjson
from ..base.snippets import one_line
from ..base.strings import matrix_strings, report_strings
from ..captures.store import PageCapture, Provenance, SnippetCapture
from . import driftreport, history
from .reportpage import diff_lines, esc

Status = Literal["newest", "same", "changed", "renamed", "failed", "command", "missing"]


@dataclass(frozen=True)
class Setup:
    """A column: one cluster setup."""

    context: str
    server_version: str
    nodes: str
    source: str  # "live", or where an imported output came from
    cluster: str = field(default="", compare=False)  # the author's description (context_notes)
    last: str = field(default="", compare=False)  # newest captured_at seen for it

    @classmethod
    def of(cls, p: Provenance) -> Setup:
        source = "live" if not p.imported else p.source
        return cls(p.context, p.server_version, p.nodes, source, p.cluster, p.captured_at)

    @property
    def label(self) -> str:
        """`v1.37.2 @kubecapture-v1.37`, with the nodes' version when it differs."""
        version = self.server_version or "?"
        if self.nodes and not version.startswith(self.nodes):
            version += f" (node {self.nodes})"
        return f"{version} @{self.context or '?'}"


@dataclass
class Cell:
    status: Status
    diff: list[str] = field(default_factory=list)


@dataclass
class Row:
    page: str  # docs-relative Markdown path
    ref: str | int  # the snippet's id, or its 1-based position on the page
    commands: list[str]
    cells: list[Cell]
    title: str = ""  # the snippet's title on its page, when known

    @property
    def differs(self) -> bool:
        """Some setup gave another output than the newest (not captured is no difference)."""
        return any(c.status in ("changed", "failed", "command") for c in self.cells)


@dataclass
class Matrix:
    setups: list[Setup]
    rows: list[Row]

    def differing(self) -> Matrix:
        return Matrix(self.setups, [r for r in self.rows if r.differs])

    def to_json(self) -> str:
        data = {
            "setups": [{**asdict(s), "label": s.label} for s in self.setups],
            "rows": [asdict(r) for r in self.rows],
        }
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def build(
    pages: Iterable[PageCapture],
    known: Mapping[str, Cell] | None = None,
    titles: Mapping[tuple[str, str], str] | None = None,
) -> Matrix:
    """The matrix of these pages' captures, pages and snippets in the order given. `known`:
    cells saved by an earlier run (`load_cells`), used where they were made from the same
    two outputs under the same drift rules. `titles`: (page, snippet key) -> its title."""
    pages = list(pages)
    setups = _setups(pages)
    cells = _compared(pages, known or {})
    rows = []
    for page in pages:
        for position, snippet in enumerate(page.snippets, start=1):
            row = _row(page.page, snippet, position, setups, cells)
            row.title = (titles or {}).get((page.page, snippet.key), "")
            rows.append(row)
    return Matrix(setups, rows)


def _compared(pages: list[PageCapture], known: Mapping[str, Cell]) -> dict[int, Cell]:
    """The cell of every earlier output against its snippet's newest, by the earlier
    output's id(): saved ones where they match, the others compared as the change page
    compares (names that changed with the cluster found over all pairs of a step)."""
    pairs = [
        driftreport.SnippetPair(page.page, snippet.id or 0, newest.commands, entry, newest)
        for page in pages
        for snippet in page.snippets
        for newest in snippet.entries[:1]
        for entry in snippet.entries[1:]
    ]
    renames: dict | None = None  # only when some cell is not saved
    cells = {}
    for pair in pairs:
        saved = known.get(history.change_digest(pair.new, pair.old)) if known else None
        if saved is None:
            if renames is None:
                renames = driftreport.rename_candidates(pairs)
            saved = _cell(pair, renames)
        cells[id(pair.old)] = saved
    return cells


def _setups(pages: list[PageCapture]) -> list[Setup]:
    """Every setup any output was captured on: live ones newest first, then imported."""
    seen: dict[Setup, Setup] = {}
    for page in pages:
        for snippet in page.snippets:
            for entry in snippet.entries:
                setup = Setup.of(entry.provenance)
                known = seen.get(setup)
                if known is None or setup.last > known.last:
                    seen[setup] = setup
    live = sorted((s for s in seen if s.source == "live"), key=lambda s: s.last, reverse=True)
    imported = [s for s in seen if s.source != "live"]
    return live + imported


def _row(page, snippet: SnippetCapture, position: int, setups: list[Setup], cells) -> Row:
    newest = snippet.entries[0]
    by_setup = {Setup.of(e.provenance): e for e in reversed(snippet.entries)}
    row = []
    for setup in setups:
        entry = by_setup.get(setup)
        if entry is None:
            row.append(Cell("missing"))
        elif entry is newest:
            row.append(Cell("newest"))
        else:
            row.append(cells[id(entry)])
    return Row(page, snippet.id or position, newest.commands, row)


def _cell(pair: driftreport.SnippetPair, renames: dict) -> Cell:
    entry, newest = pair.old, pair.new
    if entry.commands != newest.commands:
        return Cell("command")
    compared = driftreport.entry(pair, renames)
    codes = [r.exit_code for r in entry.results]
    if codes != [r.exit_code for r in newest.results] and any(codes):
        return Cell("failed", compared.diff)
    if compared.status in ("changed", "renamed"):
        return Cell(compared.status, compared.diff)
    return Cell("same")


# ---------------------------------------------------------------------------------------
# Saved cells: comparing every output of a long history with the newest on every build
# was most of a replay build's extra time; refresh and prune save them beside the report.

CELLS_FILE = "version-matrix.json"
_SAVED = ("same", "changed", "renamed", "failed", "command")


def cells_json(pages: Iterable[PageCapture]) -> str:
    """Every comparison cell of these pages, keyed by the digest of its two outputs and
    drift's rules (history.change_digest)."""
    pages = list(pages)
    compared = _compared(pages, {})
    cells = {}
    for page in pages:
        for snippet in page.snippets:
            newest = snippet.entries[0]
            for entry in snippet.entries[1:]:
                cells[history.change_digest(newest, entry)] = asdict(compared[id(entry)])
    return json.dumps({"cells": cells}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def load_cells(text: str) -> dict[str, Cell]:
    """Saved cells, typed on load: anything not exactly a cell is left out (the cell is
    then compared anew)."""
    try:
        data = plainjson.loads(text)
    except ValueError:
        return {}
    cells = data.get("cells") if isinstance(data, dict) else None
    out = {}
    for key, cell in (cells if isinstance(cells, dict) else {}).items():
        if not (isinstance(cell, dict) and set(cell) == {"status", "diff"}):
            continue
        status, diff = cell["status"], cell["diff"]
        if status in _SAVED and isinstance(diff, list) and all(isinstance(x, str) for x in diff):
            out[key] = Cell(status, diff)
    return out


# ---------------------------------------------------------------------------------------
# Showing it


_SYMBOLS = {
    "newest": "●",
    "same": "=",
    "changed": "≠",
    "renamed": "≈",
    "failed": "✗",
    "command": "~",
    "missing": "-",
}


def to_text(matrix: Matrix, lang: str = "en") -> str:
    """The matrix for a terminal: a legend of the setups, then one line per snippet."""
    t = matrix_strings(lang)
    lines = [f"[{i + 1}] {s.label}" for i, s in enumerate(matrix.setups)]
    lines.append("    " + "  ".join(f"{k}={t[v]}" for v, k in _SYMBOLS.items()))
    head = " ".join(f"[{i + 1}]" for i in range(len(matrix.setups)))
    lines.append(f"{head}  {t['snippet']}")
    for row in matrix.rows:
        marks = " ".join(
            _SYMBOLS[c.status].center(len(f"[{i + 1}]")) for i, c in enumerate(row.cells)
        )
        lines.append(f"{marks}  {row.page} {_ref(row)}  {one_line(row.commands[0])}")
    return "\n".join(lines) + "\n"


def _ref(row: Row) -> str:
    return f"#{row.ref}" if isinstance(row.ref, int) else row.ref


# The matrix goes into the page's Markdown before its preprocessors run (superfences,
# --8<--), as the change page does: every value escaped and inert there (reportpage.esc),
# so no text of a capture or of version-matrix.json starts a fence or an include.
_ENV = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, finalize=esc)
_PAGE = _ENV.from_string(
    """\
<div class="kc-matrix">
<p class="kc-matrix-filter"><label>
<input type="checkbox" class="kc-matrix-only"> {{ t.only }}</label>
 <span class="kc-matrix-count">{{ t.count.format(differ=differ, total=rows|length) }}</span></p>
<div class="md-typeset__scrollwrap"><div class="md-typeset__table"><table>
<thead><tr><th>{{ t.snippet }}</th>
{% for s in setups %}<th title="{{ s.cluster }}">{{ s.label }}</th>
{% endfor %}
</tr></thead>
<tbody>
{% for row in rows %}
<tr class="{{ 'kc-matrix-differs' if row.differs else 'kc-matrix-same' }}">
<td>
{%- if row.href %}<a href="{{ row.href }}">{{ row.title }}</a>{% else %}{{ row.title }}{% endif %}
 <code>{{ row.command }}</code></td>
{% for c in row.cells %}
<td class="kc-matrix-{{ c.status }}" data-label="{{ setups[loop.index0].label }}">
{%- if c.diff %}<details class="kc-matrix-diff"><summary>{{ t[c.status] }}</summary>
<div class="highlight"><pre><code>
{%- for css, text in c.diff %}<span class="{{ css }}">{{ text or "\u200b" }}</span>
{% endfor %}</code></pre></div></details>
{%- else %}{{ t[c.status] }}{% endif %}</td>
{% endfor %}
</tr>
{% endfor %}
</tbody></table></div></div>
</div>
"""
)


def to_html(matrix: Matrix, links: Mapping[str, tuple[str, str]], lang: str) -> str:
    """The matrix as one raw HTML block. `links`: page path -> (title, URL relative to the
    matrix page); MkDocs does not rewrite links inside raw HTML, so the caller resolves
    them. A page without one shows its path, unlinked."""
    t = matrix_strings(lang)
    words = report_strings(lang)
    setups = [
        {
            "label": s.label + (f" ({t['imported']})" if s.source != "live" else ""),
            "cluster": s.cluster,
        }
        for s in matrix.setups
    ]
    rows = []
    for row in matrix.rows:
        title, url = links.get(row.page, (row.page, ""))
        anchor = f"#kc-{row.ref}" if url and isinstance(row.ref, str) else ""
        sides = (t["diff_this"], t["diff_newest"])  # not 更新前/更新後: maybe another cluster
        rows.append(
            {
                "href": url + anchor,
                "title": f"{title} › {row.title}" if row.title else f"{title} {_ref(row)}",
                "command": one_line(row.commands[0]) if row.commands else "",
                "cells": [
                    {"status": c.status, "diff": diff_lines(c.diff, words, *sides)}
                    for c in row.cells
                ],
                "differs": row.differs,
            }
        )
    return _PAGE.render(
        t=t,
        setups=setups,
        rows=rows,
        differ=sum(1 for r in matrix.rows if r.differs),
    )
