"""Compare two kubectl outputs: the same, different only in volatile content (normalize.py
masks it), or changed in substance, with a normalized diff and short summaries (pure)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from ..base.snippets import one_line
from ..captures.store import CommandResult
from .normalize import Block, Table, indent_of, output_blocks, parse_text, rendered

Status = Literal["unchanged", "volatile", "changed"]

# The version of the rules (normalize.py's masks, the comparison below): a saved change
# marker (history.change) counts only for the rules it was made with. Bump it with any
# change to what `compare` says; tests/test_drift.py holds a fingerprint of the rules'
# results that tells when.
RULES = 4
_RANK = {"unchanged": 0, "volatile": 1, "changed": 2}

# ---------------------------------------------------------------------------------------
# Comparing


# One change in substance, as data: the report page words it in the reader's language
# (strings.py), the terminal and the JSON report in English (str()).
DIFFERENCE_KINDS = {
    "line_removed": "line removed: {subject}",
    "line_added": "line added: {subject}",
    "value": "{subject}: {before} → {after}",  # `key: value` line whose value changed
    "row_removed": "row removed: {subject}",
    "row_added": "row added: {subject}",
    # an event recorded once more, the same as one already listed (e.g. after a restart)
    "row_repeated": "recorded again: {subject} ({before} → {after} times)",
    "cell": "{subject}: {before} → {after} ({row})",  # subject: the column
    "column_added": "column added: {subject}",
    "column_removed": "column removed: {subject}",
    "table_removed": "table removed: {subject}",
    "table_added": "table added: {subject}",
    "command_removed": "command removed: {subject}",
    "command_added": "command added: {subject}",
    "exit_code": "exit code: {before} → {after}",
    "output": "output changed (see the diff)",
}


@dataclass(frozen=True)
class Difference:
    kind: str  # a key of DIFFERENCE_KINDS
    subject: str = ""  # the line, row label, column, table, command or key
    before: str = ""
    after: str = ""
    row: str = ""  # a changed cell: its row's label
    section: str = ""  # a describe table: its section (`Events`)
    stderr: bool = False  # found in stderr
    command: str = ""  # the command, when the snippet has several

    def __str__(self) -> str:
        before, after = self.before, self.after
        if self.kind == "cell":
            before, after = before or "(empty)", after or "(empty)"
        text = DIFFERENCE_KINDS[self.kind].format(
            subject=self.subject, before=before, after=after, row=self.row
        )
        text = f"{self.section}: {text}" if self.section else text
        text = f"stderr: {text}" if self.stderr else text
        return f"{self.command}: {text}" if self.command else text


@dataclass
class Comparison:
    status: Status
    diff: list[str] = field(default_factory=list)  # unified diff of the normalized texts
    differences: list[Difference] = field(default_factory=list)

    @property
    def changes(self) -> list[str]:
        """Short summaries in English, e.g. `VERSION: a → b (node)`."""
        return [str(d) for d in self.differences]


def compare(command: str, old: str, new: str) -> Comparison:
    """Compare two outputs of `command`: identical, different only in volatile content, or
    changed in substance."""
    if old == new:
        return Comparison("unchanged")
    a, b = output_blocks(command, old), output_blocks(command, new)
    la, lb = rendered(a), rendered(b)
    if la == lb:
        return Comparison("volatile")
    return Comparison("changed", _unified(la, lb, "before", "after"), _changes(a, b))


def compare_results(old: Sequence[CommandResult], new: Sequence[CommandResult]) -> Comparison:
    """Compare a snippet's command results: stdout as `compare` does, plus exit codes and
    stderr; a different list of commands is a change."""
    if list(old) == list(new):
        return Comparison("unchanged")
    status: Status = "unchanged"
    diff: list[str] = []
    found: list[Difference] = []
    old_cmds, new_cmds = [r.command for r in old], [r.command for r in new]
    pairs: list[tuple[CommandResult, CommandResult]] = []
    matcher = difflib.SequenceMatcher(None, old_cmds, new_cmds, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(old[i1:i2], new[j1:j2], strict=True))
            continue
        status = "changed"
        found += [Difference("command_removed", one_line(c)) for c in old_cmds[i1:i2]]
        found += [Difference("command_added", one_line(c)) for c in new_cmds[j1:j2]]
    several = len(new_cmds) > 1
    for o, n in pairs:
        c = _compare_result(o, n)
        if _RANK[c.status] > _RANK[status]:
            status = c.status
        command = one_line(n.command) if several else ""
        found += [replace(d, command=command) for d in c.differences]
        diff += c.diff
    return Comparison(status, diff, found)


def _compare_result(old: CommandResult, new: CommandResult) -> Comparison:
    if old == new:
        return Comparison("unchanged")
    a, b = output_blocks(old.command, old.stdout), output_blocks(new.command, new.stdout)
    ea, eb = parse_text(old.stderr), parse_text(new.stderr)
    la, lb = _result_lines(a, ea, old.exit_code), _result_lines(b, eb, new.exit_code)
    if la == lb:
        return Comparison("volatile")
    found = []
    if old.exit_code != new.exit_code:
        found.append(Difference("exit_code", before=str(old.exit_code), after=str(new.exit_code)))
    if rendered(a) != rendered(b):
        found += _changes(a, b)
    if rendered(ea) != rendered(eb):
        found += [replace(d, stderr=True) for d in _changes(ea, eb)]
    command = one_line(new.command)
    return Comparison("changed", _unified(la, lb, f"before: {command}", f"after: {command}"), found)


def _result_lines(stdout: list[Block], stderr: list[Block], exit_code: int) -> list[str]:
    lines = rendered(stdout) + [f"[stderr] {x}" for x in rendered(stderr)]
    return lines + ([f"[exit code {exit_code}]"] if exit_code else [])


def _unified(a: list[str], b: list[str], before: str, after: str) -> list[str]:
    return list(difflib.unified_diff(a, b, before, after, n=2, lineterm=""))


def _changes(a: list[Block], b: list[Block]) -> list[Difference]:
    found = _text_changes(
        [x for x in a if isinstance(x, str)], [x for x in b if isinstance(x, str)]
    )
    found += _table_changes(
        [x for x in a if isinstance(x, Table)], [x for x in b if isinstance(x, Table)]
    )
    return found or [Difference("output")]


# The value may be empty: `Container ID:` of a container not started yet is the same line as
# `Container ID:  containerd://…` once it runs (a value that came, not a line removed).
_KEY_VALUE = re.compile(r'^\s*(?:- )?"?([^":\s][^":]*?)"?:(?:\s+(.*?))?,?$')


def _text_changes(a: list[str], b: list[str]) -> list[Difference]:
    """`Image: nginx:1.26 → nginx:1.27` for a changed `key: value` line, else lines
    added or removed."""
    out: list[Difference] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        added = [x for x in b[j1:j2] if x.strip()]
        for line in (x for x in a[i1:i2] if x.strip()):
            twin = next((x for x in added if _same_key(line, x)), None)
            if twin is None:
                out.append(Difference("line_removed", _show(line)))
                continue
            added.remove(twin)
            (key, before), (_, after) = _key_value(line), _key_value(twin)
            if before == after:  # JSON's comma after a value that is no longer last
                continue
            out.append(Difference("value", key, _short(before), _short(after)))
        out += [Difference("line_added", _show(x)) for x in added]
    return out


def _key_value(line: str) -> tuple[str, str]:
    """(key, value) of `Key:  value`, `key: value` or `"key": "value",`; ("", line) if none."""
    m = _KEY_VALUE.match(line)
    return (m[1], _unquote(m[2] or "")) if m else ("", line.strip())


def _same_key(a: str, b: str) -> bool:
    key = _key_value(a)[0]
    return bool(key) and key == _key_value(b)[0] and indent_of(a) == indent_of(b)


def _show(line: str) -> str:
    key, value = _key_value(line)
    return _short(f"{key}: {value}" if key else value)


def _table_changes(a: list[Table], b: list[Table]) -> list[Difference]:
    out: list[Difference] = []
    matcher = difflib.SequenceMatcher(None, [t.key for t in a], [t.key for t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for old, new in zip(a[i1:i2], b[j1:j2], strict=True):
                out += _diff_table(old, new)
            continue
        out += [Difference("table_removed", _table_name(t)) for t in a[i1:i2]]
        out += [Difference("table_added", _table_name(t)) for t in b[j1:j2]]
    return out


def _table_name(t: Table) -> str:
    return t.title or "  ".join(t.header)


def _diff_table(old: Table, new: Table) -> list[Difference]:
    """Cell-level summaries: columns added/removed, rows added/removed (by NAME, or REASON
    for events), and `COLUMN: old → new (row)` for changed cells."""
    section = old.title if old.indent and old.title else ""  # describe: `Events: …`
    out = [Difference("column_added", h) for h in new.header if h not in old.header]
    out += [Difference("column_removed", h) for h in old.header if h not in new.header]
    common = [h for h in new.header if h in old.header]
    for label, (removed, added, pairs) in _match_rows(old, new, common).items():
        if new.events and added and not (removed or pairs) and old.header == new.header:
            olds, news = ([r for r in t.rows if r[t.label_column] == label] for t in (old, new))
            if olds and all(row in olds for row in news):  # the same event, more often
                out.append(Difference("row_repeated", label, str(len(olds)), str(len(news))))
                continue
        out += [Difference("row_removed", label)] * removed
        for ro, rn in pairs:
            out += [
                Difference("cell", h, _short(ro[h]), _short(rn[h]), row=label)
                for h in common
                if ro[h] != rn[h]
            ]
        out += [Difference("row_added", label)] * added
    return [replace(d, section=section) for d in out]


RowMatch = tuple[int, int, list[tuple[dict[str, str], dict[str, str]]]]


def _match_rows(old: Table, new: Table, common: list[str]) -> dict[str, RowMatch]:
    """label -> (rows removed, rows added, changed pairs). Rows sharing a label (three
    `web-rs-<id>`) pair up identical ones first, then the rest in order."""
    groups: dict[str, tuple[list[dict[str, str]], list[dict[str, str]]]] = {}
    for table, side in ((old, 0), (new, 1)):
        for row in table.rows:
            label = row[table.label_column] or "(empty)"
            groups.setdefault(label, ([], []))[side].append(
                dict(zip(table.header, row, strict=True))
            )
    result: dict[str, RowMatch] = {}
    for label, (olds, news) in groups.items():
        news = list(news)
        rest = []
        for ro in olds:
            twin = next((rn for rn in news if all(ro[h] == rn[h] for h in common)), None)
            if twin is None:
                rest.append(ro)
            else:
                news.remove(twin)
        pairs = list(zip(rest, news, strict=False))
        removed, added = len(rest) - len(pairs), len(news) - len(pairs)
        if pairs or removed or added:
            result[label] = (removed, added, pairs)
    return result


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def row_labels(command: str, text: str) -> list[str]:
    """The row names (NAME column, else the first) of every table in `command`'s output,
    normalized as compare sees them: e.g. the node names of `kubectl get node`."""
    return [
        row[block.label_column]
        for block in output_blocks(command, text)
        if isinstance(block, Table)
        for row in block.rows
    ]
