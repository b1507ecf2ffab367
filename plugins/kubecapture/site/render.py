"""Capture -> HTML for Material for MkDocs. Knows nothing of clusters.

One snippet renders as a terminal: each command after a `$ ` prompt, its output
beneath, in the markup Material gives a highlighted `console` block (so titles,
colours, the copy button and dark mode come from Material). The wrapper's
`data-copy` holds just the commands, one per line (a `\\` continuation stays as
written, which is what a shell needs pasted): Material's copy button copies that
attribute instead of the block's text, so never a prompt, never output.

Four states, each visibly different:

- captured: real output, and a quiet provenance line under it (details on click);
- stale: the same, flagged, when the page's snippets changed since the capture;
- missing: a `kubectl` fence never captured: only the commands, and a placeholder;
- pasted: a `console` transcript never captured: the output as the author pasted it,
  marked as pasted (it has no provenance), never presented as a capture.

A captured snippet with a history (outputs of earlier cluster versions, the original
notes) shows the newest output first and the earlier ones one click away: as Material
content tabs (`tabs`), else as a plain list under the output. Each tab has its own
`data-copy`, a marker saying whether the output changed in substance since the entry
before it (drift's normalization decides), and only the newest is searchable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields

from ..base import config
from ..base.markup import EMPTY, HTML, escape, fmt, join
from ..base.snippets import TranscriptPart
from ..base.strings import strings
from ..captures.store import CommandResult, Provenance, SnippetCapture
from ..drift import history


@dataclass
class View:
    """Everything one snippet needs to render."""

    commands: list[str]  # as written on the page
    capture: SnippetCapture | None
    stale: bool = False
    title: str | None = None
    fold: int = config.default("fold")  # fold output longer than this; 0 never folds
    lang: str = "en"
    anchor: str | None = None
    # A console transcript: its parts in order (commands that re-run and text kept as is).
    parts: list[TranscriptPart] | None = None
    tabs: bool = True  # earlier outputs as Material content tabs (else a plain list)
    tab_set: str = "1"  # unique on the page: names the tabs' radio inputs
    # Given by the MkDocs plugin: takes a part that search skips (data-search-exclude) and
    # returns what stands for it in the page's content until the finished page gets it
    # back (asides.Asides). None: every part in place.
    aside: Callable[[HTML], HTML] | None = None

    @property
    def state(self) -> str:
        if self.capture is None:
            return "pasted" if self.parts is not None else "missing"
        return "stale" if self.stale else "captured"


def render(view: View) -> str:
    """The snippet's HTML. Built of `HTML` fragments (markup.py): every string from the
    page, the capture or the cluster is escaped on the way in. A plain `str` goes out, for
    Markdown to place."""
    return str(_render(view))


def _render(view: View) -> HTML:
    t = strings(view.lang)
    state = view.state
    classes = ["kubecapture", f"kc-{state}"]
    if view.parts is not None:
        classes.append("kc-transcript")
    if view.capture is not None and view.capture.provenance.imported:
        classes.append("kc-imported")  # recorded elsewhere (e.g. the original notes)
    if view.capture is not None and view.capture.history and view.parts is None:
        return _with_history(view, t, classes)
    attrs = {
        "class": " ".join(classes),
        "data-copy": copy_text(view),
    }
    if view.anchor:
        attrs["id"] = view.anchor
    if view.parts is not None:
        body = _transcript(view, t)
    elif view.capture is not None:
        body = _terminal(view.capture, view, t)
    else:
        body = join(_prompt(c) for c in view.commands)
    return fmt(
        "<div %s>%s%s</div>",
        _attrs(attrs),
        _terminal_block(view.title, _hold(view, body)),
        _footer(view, t, state),
    )


def _terminal_block(title: str | None, body: HTML, pre_id: str | None = None) -> HTML:
    heading = fmt('<span class="filename">%s</span>', title) if title else EMPTY
    return fmt(
        '<div class="language-console highlight kc-terminal">%s'
        "%s<span></span><code>%s</code></pre></div>",
        heading,
        _pre(pre_id),
        body,
    )


def _pre(pre_id: str | None) -> HTML:
    return fmt('<pre id="%s">', pre_id) if pre_id else HTML("<pre>")


def _pre_id(view: View, i: int, part: str) -> str | None:
    """An id of its own for each code block of a history: Material names a block's copy
    target after the closest id, and the snippet's anchor would be shared by them all."""
    return f"{view.anchor}-{i + 1}-{part}" if view.anchor else None


def _with_history(view: View, t: dict[str, str], classes: list[str]) -> HTML:
    """The newest output and the earlier ones: tabs (Material) or a list (other themes).
    Each output is a block of its own with its own `data-copy` (its commands may differ);
    only the newest is searchable."""
    entries = view.capture.entries
    terminals, notes = [], []  # per output: its terminal; its provenance and change marker
    for i, entry in enumerate(entries):
        older = entries[i + 1] if i + 1 < len(entries) else None
        one = View(
            commands=entry.commands,
            capture=entry,
            stale=view.stale and i == 0,
            title=view.title,
            fold=view.fold,
            lang=view.lang,
        )
        body = _terminal(entry, one, t)
        if i == 0:  # the earlier outputs go aside whole, with the notes around them
            body = _hold(view, body)
        terminals.append(_terminal_block(view.title, body, _pre_id(view, i, "output")))
        marker = _change_marker(entry, older, t, _pre_id(view, i, "diff")) if older else EMPTY
        notes.append(_footer(one, t, one.state) + marker)
    attrs = {"class": " ".join([*classes, "kc-history"])}
    if view.anchor:
        attrs["id"] = view.anchor
    labels = [history.tab_label(e, t["unknown_date"]) for e in entries]
    if view.tabs:
        inner = _tabs(view, entries, terminals, notes, labels, t)
    else:
        inner = _list(view, entries, terminals, notes, t)
    return fmt("<div %s>%s</div>", _attrs(attrs), inner)


def _aside(view: View, html: HTML) -> HTML:
    """A part search skips, through the view's `aside` when it has one."""
    return view.aside(html) if view.aside else html


def _hold(view: View, html: HTML) -> HTML:
    """A terminal's body (prompts and output, which search indexes): through the aside's
    `hold` when it has one (plugin: kept compressed until search parses the page). The
    tags around it stay in place, so MkDocs still sees every id of the page."""
    hold = getattr(view.aside, "hold", None)
    return hold(html) if hold else html


def _entry_attrs(entry: SnippetCapture, newest: bool, extra: str) -> HTML:
    classes = " ".join(
        c for c in (extra, "kc-entry", "kc-imported" if entry.provenance.imported else "") if c
    )
    attrs = fmt('class="%s" data-copy="%s"', classes, "\n".join(entry.commands))
    return attrs if newest else attrs + HTML(" data-search-exclude")


def _tabs(view, entries, terminals, notes, labels, t) -> HTML:
    """pymdownx.tabbed's markup (alternate style), which Material styles and scripts. Search
    indexes the newest output alone, as without history: the labels are excluded, and all
    around the newest terminal (the tabs' frame, notes, earlier outputs) goes aside
    (`View.aside`) in two parts."""
    name = f"__kc_{view.tab_set}"
    inputs = join(
        fmt(
            '<input %sid="%s_%d" name="%s" type="radio" />',
            HTML("checked ") if i == 0 else EMPTY,
            name,
            i + 1,
            name,
        )
        for i in range(len(entries))
    )
    tab_labels = join(
        fmt('<label for="%s_%d">%s</label>', name, i + 1, _tab_label(label))
        for i, label in enumerate(labels)
    )
    head = fmt(
        '<div class="tabbed-set tabbed-alternate kc-versions" data-tabs="1:%d" '
        'aria-label="%s">%s'
        '<div class="tabbed-labels" data-search-exclude>%s</div>'
        '<div class="tabbed-content"><div %s>',
        len(entries),
        t["versions"],
        inputs,
        tab_labels,
        _entry_attrs(entries[0], True, "tabbed-block"),
    )
    earlier = join(
        fmt("<div %s>%s%s</div>", _entry_attrs(e, False, "tabbed-block"), terminal, note)
        for e, terminal, note in zip(entries[1:], terminals[1:], notes[1:], strict=True)
    )
    tail = fmt("%s</div>%s</div></div>", notes[0], earlier)
    return _aside(view, head) + terminals[0] + _aside(view, tail)


def _tab_label(label: str) -> HTML:
    """`v1.37.2 · 2026-12-03` as the version over a smaller date (kubecapture.css), so five
    versions fit a column; a phone shows the versions alone. The text stays the label."""
    version, sep, date = label.rpartition(" · ")
    if not sep:
        return fmt("%s", label)
    return fmt(
        '<span class="kc-tab-version">%s</span><span class="kc-tab-sep">%s</span>'
        '<span class="kc-tab-date">%s</span>',
        version,
        sep,
        date,
    )


def _list(view, entries, terminals, notes, t) -> HTML:
    """Without Material: the newest output, then the earlier ones in a plain list."""
    newest = fmt(
        "<div %s>%s%s</div>",
        _entry_attrs(entries[0], True, ""),
        terminals[0],
        _aside(view, notes[0]),
    )
    items = join(
        fmt("<li><div %s>%s%s</div></li>", _entry_attrs(e, False, ""), terminal, note)
        for e, terminal, note in zip(entries[1:], terminals[1:], notes[1:], strict=True)
    )
    earlier = fmt(
        '<div class="kc-earlier" data-search-exclude>'
        '<p class="kc-earlier-title">%s</p><ul>%s</ul></div>',
        t["earlier"],
        items,
    )
    return newest + _aside(view, earlier)


def _change_marker(
    entry: SnippetCapture, older: SnippetCapture, t: dict[str, str], pre_id: str | None = None
) -> HTML:
    """Did the output change in substance since `older`? A changed command is said so,
    never called output drift."""
    since = t["since"].format(label=history.tab_label(older, t["unknown_date"]))
    change = history.change(entry, older)  # saved with the capture, else compared now
    status, diff = change.status, change.diff
    html = fmt(
        '<div class="kc-change kc-change-%s" data-search-exclude>%s <strong>%s</strong>',
        status,
        since,
        t[status],
    )
    if diff:
        html += diff_html(diff, t["diff"], pre_id)
    return html + HTML("</div>")


def copy_text(view: View) -> str:
    """What the copy button copies: every command of the block, one per line."""
    if view.parts is not None:
        return "\n".join(p.prompt for p in view.parts if p.prompt)
    return "\n".join(view.commands)


def _attrs(attrs: dict[str, str]) -> HTML:
    return join((fmt('%s="%s"', k, v) for k, v in attrs.items()), " ")


def _prompt(command: str) -> HTML:
    # Continuation lines keep their indentation; the prompt is not selectable text.
    return fmt('<span class="gp">$ </span><span class="kc-cmd">%s</span>\n', command)


def _terminal(capture: SnippetCapture, view: View, t: dict[str, str]) -> HTML:
    out = []
    for result in capture.results:
        out.append(_prompt(result.command))
        out.append(_result(result, view, t))
    return join(out)


def _result(result: CommandResult, view: View, t: dict[str, str]) -> HTML:
    html = _fold(_output(result.stdout, result.stderr), view.fold, t)
    if result.exit_code:
        html += fmt('<span class="kc-exit">%s %d</span>\n', t["exit"], result.exit_code)
    return html


def _transcript(view: View, t: dict[str, str]) -> HTML:
    results = list(view.capture.results) if view.capture else []
    out = []
    for part in view.parts:
        if part.prompt is not None:
            out.append(_prompt(part.prompt))
        if part.command is not None and results:
            out.append(_result(results.pop(0), view, t))
            continue
        text = _trim(part.output)
        if text:
            kind = "kc-pasted-output" if view.capture is None else "kc-as-written"
            out.append(_fold(fmt('<span class="go %s">%s</span>', kind, text), view.fold, t))
    return join(out)


def _trim(text: str) -> str:
    """Pasted text without the blank lines around it, ending in one newline."""
    text = text.strip("\n")
    return text + "\n" if text.strip() else ""


def _output(stdout: str, stderr: str) -> HTML:
    """stdout then stderr, as a terminal shows them when both are a tty."""
    html = EMPTY
    if stdout:
        html += fmt('<span class="go">%s</span>', _ensure_nl(stdout))
    if stderr:
        html += fmt('<span class="go kc-stderr">%s</span>', _ensure_nl(stderr))
    return html


def _ensure_nl(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _fold(html: HTML, fold: int, t: dict[str, str]) -> HTML:
    """Long output: all of it in the page (so it shows without JS), folded by the script
    after `fold` lines behind a toggle. Folding away a handful of lines helps nobody."""
    lines = html.count("\n")
    if not html or not fold or lines <= fold + 5:
        return html
    label = f"{t['show_all']} ({lines} {t['lines']})"
    return fmt(
        '<span class="kc-fold" style="--kc-fold-lines:%d">%s</span>'
        '<button class="kc-fold-toggle" type="button" hidden aria-expanded="false" '
        'data-kc-show="%s" data-kc-hide="%s">%s</button>\n',
        fold,
        html,
        label,
        t["collapse"],
        label,
    )


def _footer(view: View, t: dict[str, str], state: str) -> HTML:
    if state in ("missing", "pasted"):
        kind = "kc-placeholder" if state == "missing" else "kc-pasted-note"
        return fmt(
            '<div class="%s" role="note"><strong>%s</strong> %s</div>',
            kind,
            t[state],
            t[state + "_help"],
        )
    kept = tuple(p.prompt for p in view.parts or [] if p.prompt and p.command is None)
    p = view.capture.provenance
    facts = tuple(getattr(p, f.name) for f in fields(Provenance))
    # Search indexes the output, not "captured on minikube …" under every snippet.
    return _aside(view, _provenance_html(facts, view.lang, view.stale, kept))


def _node_kind(runtime: str, t: dict[str, str]) -> str:
    """A real node or the project's simulated one, as the nodes reported their runtime."""
    if not runtime:
        return ""
    return t["node_simulated"] if runtime.startswith("simulated://") else t["node_real"]


@functools.lru_cache(maxsize=256)
def _provenance_html(facts: tuple, lang: str, stale: bool, kept: tuple[str, ...]) -> HTML:
    """The provenance line and its details. Memoized: on a page, and across the entries of
    a capture history, most outputs share their provenance."""
    t = strings(lang)
    p = Provenance(*facts)
    source = t.get(p.source, p.source)  # known sources in the page's language
    node = _node_kind(p.runtime, t)
    summary = " · ".join(
        x
        for x in (
            p.context,
            p.server_version,
            _date(p, t),
            source if p.imported else "",
            p.cluster,
            node if node != p.cluster else "",
        )
        if x
    )
    if stale:
        summary += f" · {t['stale']}"
    rows = [(t["cluster"], p.cluster)] if p.cluster else []
    rows += [
        (t["context"], p.context),
        (t["server"], p.server_version),
    ]
    if p.nodes:
        rows.append((t["nodes"], p.nodes))
    if p.runtime:
        rows.append((t["runtime"], f"{node} ({p.runtime})"))
    if p.images:
        rows.append((t["images"], p.images))
    rows += [
        (t["kubectl"], p.kubectl_version or t["unknown"]),
        (t["captured_at"], p.captured_at or t["unknown_date"]),
        (t["source"], source),
    ]
    if p.namespace:
        rows.append((t["namespace"], p.namespace))
    if kept:
        rows.append((t["as_written"], f"{' / '.join(kept)} ({t['as_written_help']})"))
    if stale:
        rows.append((t["stale"], t["stale_help"]))
    hover = "\n".join(f"{k}: {v}" for k, v in rows)
    details = join(fmt("<dt>%s</dt><dd>%s</dd>", k, v) for k, v in rows)
    return fmt(
        '<details class="kc-provenance" data-search-exclude>'
        '<summary title="%s"><span class="kc-label">%s</span> %s</summary><dl>%s</dl></details>',
        hover,
        t["captured"],
        summary,
        details,
    )


def _date(p: Provenance, t: dict[str, str]) -> str:
    return p.date if p.captured_at else t["unknown_date"]


_DIFF_CLASSES = (("+++", "gh"), ("---", "gh"), ("@@", "gu"), ("+", "gi"), ("-", "gd"))


def diff_html(diff: list[str], summary: str, pre_id: str | None = None) -> HTML:
    """A collapsed diff as raw HTML: it needs no Markdown extension, and Material's
    Pygments colours (.gi inserted, .gd deleted) apply. An `HTML` (Markup): every line
    escaped, safe to place in a page or an autoescaping template as it is. Its `data-copy`
    is the diff itself: Material's copy button copies the closest `data-copy`, which would
    otherwise be the commands of the output the diff sits under."""
    rows = []
    for line in diff:
        css = next((c for prefix, c in _DIFF_CLASSES if line.startswith(prefix)), "")
        text = escape(line) or HTML("&#8203;")  # no blank line inside a raw HTML block
        rows.append(fmt('<span class="%s">%s</span>', css, text) if css else text)
    # Newlines as character references: a blank line would end the raw HTML block.
    copy = HTML(str(escape("\n".join(diff))).replace("\n", "&#10;"))
    return fmt(
        '<details class="kc-drift-diff"><summary>%s</summary>'
        '<div class="highlight" data-copy="%s">%s<code>%s</code></pre></div></details>',
        summary,
        copy,
        _pre(pre_id),
        join(rows, "\n"),
    )
