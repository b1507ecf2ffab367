"""The change page (「クラスター更新による変化」): a drift report as a page of the site.

Everything it shows comes from someone else: provenance from the cluster (a node's
kubeletVersion is whatever its status says), labels and page paths from capture files,
the report from drift-report.json. So each step of the page is HTML from an autoescaping
Jinja template (page_templates/), never Markdown put together from those values. The
Markdown around the steps holds only text of strings.py and names or versions that match
a strict pattern (headings: Python-Markdown's table of contents puts their text into the
theme's navigation, which MkDocs' templates do not escape).

The page is expanded before Markdown's preprocessors run (superfences, snippets, a
macros plugin), so each HTML block is one line, and every value has the characters they
act on (``` ` ~ { } ``, newlines) as character references: no value can start a fence,
an include or a template tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup, escape

from ..base.strings import PASTED_SOURCE, report_strings
from ..captures.store import Provenance
from ..trust.redact import MASK
from .drift import Difference
from .driftreport import differs
from .links import Links

if TYPE_CHECKING:
    from .driftreport import DriftEntry, DriftReport, Step

TEMPLATES = Path(__file__).parent / "page_templates"
_MAX_CHANGES = 12
_SOURCES = ("live", "the original notes", PASTED_SOURCE)  # the ones strings.py words
_LISTED = ("renamed", "command", "volatile", "unchanged", "new")
_COUNTED = ("changed", "volatile", "unchanged")  # shown even when 0
# What a heading may show of a cluster's name or version (see the module's docstring).
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]{0,62}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Characters that a Markdown preprocessor or a template engine acts on at a line's start
# or anywhere, as character references (markupsafe escapes & < > ' " already).
_INERT = str.maketrans(
    {"`": "&#96;", "~": "&#126;", "{": "&#123;", "}": "&#125;", "\n": "&#10;", "\r": "&#13;"}
)


def esc(value: object) -> Markup:
    """`value` as HTML text, inert in Markdown too."""
    if isinstance(value, Markup):
        return value
    return Markup(str(escape(str(value))).translate(_INERT))


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=esc,  # every {{ value }} through esc: HTML-escaped and Markdown-inert
        undefined=jinja2.StrictUndefined,
    )


def _one_line(html: str) -> str:
    """The template's own newlines and indentation out (values have none left)."""
    return re.sub(r"\n[ \t]*", "", html).translate(_INERT)


def markdown(
    report: DriftReport,
    lang: str = "ja",
    page: str = "cluster-changes.md",
    titles: dict[str, str] | None = None,
    directory_urls: bool = False,
) -> str:
    """The report's page at `page` (in docs/): `titles` by page path; `directory_urls` as
    the site's use_directory_urls (links in raw HTML are not rewritten by MkDocs)."""
    t = report_strings(lang)
    out = [f"# {t['title']}", ""]
    if not report.entries:
        return "\n".join([*out, t["empty"], ""])
    out += [t["intro"], ""]
    links = Links(page, titles or {}, directory_urls)
    template = _environment().get_template("change-step.html")
    for step in report.steps():
        out += [f"## {heading(step, t)}", ""]
        out += [_one_line(template.render(_step_view(step, t, links))), ""]
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------
# Headings: strings.py text and tokens only


def heading(step: Step, t: dict[str, str]) -> str:
    """`クラスターの変更: minikube → litekube (元のノートから、2026-11-29)`: what kind of step,
    the names or versions that changed when they are plain tokens, and the date."""
    kind = step.kind
    text = t[f"step_{kind}"]
    b, a = step.before, step.after
    pair: tuple[str, str] | None = None
    if kind == "cluster" and b.context != a.context:
        pair = (b.context, a.context)
    elif kind in ("upgrade", "version"):
        pair = (b.server_version, a.server_version) if step.server_changed else (b.nodes, a.nodes)
    elif kind == "kubectl":
        pair = (b.kubectl_version, a.kubectl_version)
    if pair and all(_TOKEN.fullmatch(v) for v in pair):
        if kind in ("upgrade", "version") and not step.server_changed:
            text += ": " + t["step_node_versions"].format(before=pair[0], after=pair[1])
        else:
            text += f": {pair[0]} → {pair[1]}"
    notes = []
    if b is not None and b.imported and b.source in _SOURCES:
        notes.append(t["from_source"].format(source=t[b.source]))
    date = max(e.after.captured_at for e in step.report.entries)[:10]
    if _DATE.fullmatch(date):
        notes.append(date)
    return f"{text} ({t['list_separator'].join(notes)})" if notes else text


# ---------------------------------------------------------------------------------------
# One step: what the template gets


@dataclass
class _Row:
    name: str
    before: str
    after: str
    differs: bool


@dataclass
class _Count:
    label: str
    n: int
    strong: bool


@dataclass
class _Snippet:
    href: str | None
    number: str  # `#6` for a snippet without an id, else ""
    code: str  # the id, or the first command
    name: str = ""  # the snippet's title, shown instead of `number` and `code`


@dataclass
class _Changed(_Snippet):
    title: str = ""  # the page's
    notes: list[str] = field(default_factory=list)  # what the evidence says of the cause
    differences: list[Markup] = field(default_factory=list)
    more: str = ""
    diff: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Page:
    href: str | None
    title: str
    snippets: list[_Snippet]


@dataclass
class _List:
    title: str
    count: int
    pages: list[_Page]


def _step_view(step: Step, t: dict[str, str], links: Links) -> dict:
    counts = step.report.counts()
    entries = step.report.entries
    # 更新前/更新後 for an upgrade; a cluster swap, a downgrade or a re-capture is none.
    sides = ("before", "after") if step.kind == "upgrade" else ("before_other", "after_other")
    return {
        "t": t,
        "before": t[sides[0]],
        "after": t[sides[1]],
        "kind": step.kind,
        "summary": _summary(step, t),
        "has_before": step.before is not None,
        "rows": _rows(step, t),
        "counts": [
            _Count(t[s], counts[s], s == "changed")
            for s in ("changed", "renamed", "command", "volatile", "unchanged", "new")
            if counts[s] or s in _COUNTED
        ],
        "changed": [_changed(e, t, links, step) for e in entries if e.status == "changed"],
        "lists": [
            _list(t[status], [e for e in entries if e.status == status], links)
            for status in _LISTED
            if any(e.status == status for e in entries)
        ],
    }


def _fmt(template: str, **values: object) -> Markup:
    """A strings.py sentence with values put in, each escaped and inert."""
    return escape(template).format(**{k: esc(v) for k, v in values.items()})


def _code(value: str) -> Markup:
    return Markup("<code>{}</code>").format(esc(value))


def _arrow(before: str, after: str) -> Markup:
    return Markup("{} → {}").format(_code(before), _code(after))


def _summary(step: Step, t: dict[str, str]) -> list[Markup]:
    """What differs between the two setups, and what that allows to say about the
    changes: put down to the version only when the cluster stayed the same."""
    b, a, kind = step.before, step.after, step.kind
    if b is None or kind in ("same", "unknown"):
        return [_fmt(t[f"why_{kind}"])]
    sentences = []
    if kind == "cluster":
        names = (b.context, a.context) if b.context != a.context else (b.cluster, a.cluster)
        before, after = (_code(n) if n else esc(t["none"]) for n in names)
        if step.version_changed:
            sentences.append(
                _fmt(
                    t["why_cluster_and_version"],
                    before=before,
                    after=after,
                    versions=_versions(step, t),
                )
            )
        else:
            sentences.append(_fmt(t["why_cluster"], before=before, after=after))
    elif kind in ("upgrade", "version"):
        what = (
            "what_both"
            if step.server_changed and step.nodes_changed
            else "what_server"
            if step.server_changed
            else "what_nodes"
        )
        sentences.append(
            _fmt(
                t["why_upgrade"],
                context=_code(a.context),
                what=t[what],
                versions=_versions(step, t),
            )
        )
    elif kind == "kubectl":
        sentences.append(
            _fmt(t["why_kubectl"], before=_code(b.kubectl_version), after=_code(a.kubectl_version))
        )
    if step.kubectl_changed and kind != "kubectl":
        sentences.append(
            _fmt(t["also_kubectl"], before=_code(b.kubectl_version), after=_code(a.kubectl_version))
        )
    if step.renamed:
        sentences.append(_fmt(t["renamed_note"], names=_names(step.renamed, t)))
    return sentences


def _versions(step: Step, t: dict[str, str]) -> Markup:
    b, a = step.before, step.after
    parts = []
    if step.server_changed:
        parts.append(
            Markup("{} {}").format(esc(t["server"]), _arrow(b.server_version, a.server_version))
        )
    if step.nodes_changed:
        parts.append(Markup("{} {}").format(esc(t["nodes"]), _arrow(b.nodes, a.nodes)))
    return esc(t["list_separator"]).join(parts)


def _names(renamed: list[tuple[str, str]], t: dict[str, str]) -> Markup:
    return esc(t["list_separator"]).join(_arrow(old, new) for old, new in renamed)


def _rows(step: Step, t: dict[str, str]) -> list[_Row]:
    b, a = step.before, step.after
    unknown = t["unknown"]

    def source(p: Provenance) -> str:
        return t[p.source] if p.source in _SOURCES else p.source

    def dates(group) -> str:
        return " – ".join(sorted({d[:10] for d in (group.first, group.last) if d})) or unknown

    after_group = step.report.after()[0]
    before_group = step.report.before()[0] if b is not None else None
    # (name, value, compared: "" never differs from anything (not recorded))
    fields = [
        (t["source"], source, None),
        (t["context"], lambda p: p.context or unknown, lambda p: p.context),
        (t["cluster_note"], lambda p: p.cluster or t["none"], lambda p: p.cluster or "-"),
        (t["server"], lambda p: p.server_version or unknown, lambda p: p.server_version),
        (t["nodes"], lambda p: p.nodes or unknown, lambda p: p.nodes),
        (t["kubectl"], lambda p: p.kubectl_version or unknown, lambda p: p.kubectl_version),
    ]
    rows = []
    for name, value, compared in fields:
        changed = b is not None and compared is not None and differs(compared(b), compared(a))
        rows.append(_Row(name, value(b) if b is not None else "", value(a), changed))
    rows.append(
        _Row(
            t["captured_at"], dates(before_group) if before_group else "", dates(after_group), False
        )
    )
    return rows


def _changed(e: DriftEntry, t: dict[str, str], links: Links, step: Step) -> _Changed:
    shown = e.differences[:_MAX_CHANGES]
    more = len(e.differences) - len(shown)
    notes = []
    if e.note == "settle":
        notes.append(t["settle"])
    elif e.note == "client":
        notes.append(t["client_kubectl" if step.kubectl_changed else "client"])
    if any(d.kind == "row_repeated" for d in e.differences):
        notes.append(t["repeated"])
    if any(MASK in d.before or MASK in d.after for d in e.differences):
        notes.append(t["masked"])
    upgrade = step.kind == "upgrade"
    return _Changed(
        href=links.snippet(e),
        number=_number(e),
        code=_code_text(e),
        name=e.title,
        title=links.title(e.page),
        notes=notes,
        differences=[difference(d, t) for d in shown],
        more=t["more"].format(n=more) if more > 0 else "",
        diff=diff_lines(
            e.diff, t, *(() if upgrade else (t["diff_before_other"], t["diff_after_other"]))
        ),
    )


def _number(e: DriftEntry) -> str:
    return f"#{e.ref + 1}" if isinstance(e.ref, int) else ""


def _code_text(e: DriftEntry) -> str:
    if isinstance(e.ref, int):
        return e.label.partition(" ")[2] or e.label
    return e.label


def _list(title: str, entries: list[DriftEntry], links: Links) -> _List:
    pages: dict[str, list[_Snippet]] = {}
    for e in entries:
        snippet = _Snippet(links.snippet(e), _number(e), _code_text(e), e.title)
        pages.setdefault(e.page, []).append(snippet)
    return _List(
        title,
        len(entries),
        [_Page(links.page(p), links.title(p), snippets) for p, snippets in pages.items()],
    )


# Change lines worded alike in every language (strings.py holds the others).
_NO_WORDS = {"change_value": "{subject}: {before} → {after}"}


def difference(d: Difference, t: dict[str, str]) -> Markup:
    """One change, worded in the page's language, its values as code."""
    values = {"subject": d.subject, "before": d.before, "after": d.after, "row": d.row}
    shown = {k: _code(v) if v else esc(t["change_empty"]) for k, v in values.items()}
    key = f"change_{d.kind}"
    text = _fmt(_NO_WORDS.get(key) or t[key], **shown)
    if d.section:
        text = _fmt("{section}: {text}", section=d.section, text=text)
    if d.stderr:
        text = _fmt(t["change_in_stderr"], text=text)
    if d.command:
        text = _fmt("{command}: {text}", command=_code(d.command), text=text)
    return text


_DIFF_CLASSES = (("@@", "gu"), ("+", "gi"), ("-", "gd"))
_EXIT = re.compile(r"\[exit code (-?\d+)\]")


def diff_lines(
    diff: list[str], t: dict[str, str], before: str = "", after: str = ""
) -> list[tuple[str, str]]:
    """(css class, text) per line of a unified diff, its headers and drift's markers
    (`[stderr]`, `[exit code 1]`) in the page's language; `before`, `after`: what the
    headers call the two sides (default: 更新前 / 更新後, for an upgrade)."""
    before, after = before or t["diff_before"], after or t["diff_after"]
    out = []
    i = 0
    while i < len(diff):
        line = diff[i]
        if line.startswith("--- ") and i + 1 < len(diff) and diff[i + 1].startswith("+++ "):
            out.append(("gh", "--- " + _side(line[4:], "before", before)))
            out.append(("gh", "+++ " + _side(diff[i + 1][4:], "after", after)))
            i += 2
            continue
        css = next((c for prefix, c in _DIFF_CLASSES if line.startswith(prefix)), "")
        if css != "gu" and line:
            mark, body = line[0], line[1:]
            exit_code = _EXIT.fullmatch(body)
            if body.startswith("[stderr] "):
                line = f"{mark}{t['diff_stderr']} {body[len('[stderr] ') :]}"
            elif exit_code:
                line = mark + t["diff_exit_code"].format(code=exit_code[1])
        out.append((css, line))
        i += 1
    return out


def _side(text: str, word: str, label: str) -> str:
    """`before: kubectl get node` -> `更新前: kubectl get node`."""
    if text == word:
        return label
    if text.startswith(word + ": "):
        return f"{label}: {text[len(word) + 2 :]}"
    return text


# ---------------------------------------------------------------------------------------
# Links: to the snippet's anchor, with the page's title
