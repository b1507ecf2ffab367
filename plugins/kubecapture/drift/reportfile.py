"""A saved drift report (drift-report.json) read back: every field typed, since a report
file may come from anyone."""

from __future__ import annotations

from dataclasses import fields

from ..base import plainjson
from ..captures.store import Provenance
from .drift import DIFFERENCE_KINDS, RULES, Difference
from .driftreport import NOTES, STATUSES, DriftEntry, DriftReport


class OtherVersion(ValueError):
    """A report of another version (or none): made again, not an error."""


def load(text: str) -> DriftReport:
    """Reload a saved report, its types checked (it may come from anyone). Raises
    ValueError, one sentence, when it is not a report of this version."""
    try:
        data = plainjson.loads(text)
    except ValueError as e:
        raise ValueError(f"not JSON ({e})") from None
    if not isinstance(data, dict) or data.get("version") != DriftReport.VERSION:
        raise OtherVersion(f"not a drift report of version {DriftReport.VERSION}")
    if data.get("rules") != RULES:  # what it says was said by other rules
        raise OtherVersion(f"made with other drift rules than this kubecapture's ({RULES})")
    _check(data, "the report", _REPORT_KEYS, required={"version", "entries"})
    return DriftReport([_entry_from(e, f"entry {i + 1}") for i, e in enumerate(data["entries"])])


_REPORT_KEYS = {
    "version": int,
    "rules": int,
    "counts": dict,
    "before": list,
    "after": list,
    "entries": list,
}
_ENTRY_KEYS = {
    "page": str,
    "ref": (str, int),
    "label": str,
    "status": str,
    "after": dict,
    "before": (dict, type(None)),
    "changes": list,
    "diff": list,
    "note": str,
    "differences": list,
    "renamed": dict,
    "title": str,
}
_PROVENANCE_KEYS = dict.fromkeys((f.name for f in fields(Provenance)), str)
_DIFFERENCE_KEYS = {
    "kind": str,
    "subject": str,
    "before": str,
    "after": str,
    "row": str,
    "section": str,
    "stderr": bool,
    "command": str,
}


def _check(data: object, where: str, types: dict, required: set[str]) -> dict:
    """`data` as an object with only `types`' keys, each of its type, `required` present."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} is {_a(type(data))}, not an object")
    for key, value in data.items():
        if key not in types:
            raise ValueError(f"{where} has an unknown field {str(key)[:40]!r}")
        wanted = types[key] if isinstance(types[key], tuple) else (types[key],)
        # A boolean is an int to Python, not to whoever reads the file.
        if type(value) not in wanted:
            expected = " or ".join(_a(t) for t in wanted)
            raise ValueError(f"{where}: {key!r} is {_a(type(value))}, not {expected}")
    missing = sorted(required - set(data))
    if missing:
        raise ValueError(f"{where} has no {missing[0]!r}")
    return data


def _a(kind: type) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }
    return names.get(kind, kind.__name__)


def _strings(values: list, where: str) -> list[str]:
    for value in values:
        if type(value) is not str:
            raise ValueError(f"{where} holds {_a(type(value))}, not only strings")
    return list(values)


def _provenance(data: object, where: str) -> Provenance:
    fields = _check(
        data,
        where,
        _PROVENANCE_KEYS,
        {"context", "server_version", "kubectl_version", "captured_at"},
    )
    return Provenance(**fields)


def _entry_from(data: object, where: str) -> DriftEntry:
    d = _check(data, where, _ENTRY_KEYS, {"page", "ref", "label", "status", "after"})
    if d["status"] not in STATUSES:
        raise ValueError(
            f"{where}: status {d['status'][:40]!r} is not one of {', '.join(STATUSES)}"
        )
    if d.get("note", "") not in NOTES:
        raise ValueError(f"{where}: note {d['note'][:40]!r} is not one of {NOTES}")
    differences = []
    for i, item in enumerate(d.get("differences") or []):
        there = f"{where}, difference {i + 1}"
        fields = _check(item, there, _DIFFERENCE_KEYS, {"kind"})
        if fields["kind"] not in DIFFERENCE_KINDS:
            raise ValueError(f"{there}: kind {fields['kind'][:40]!r} is unknown")
        differences.append(Difference(**fields))
    renamed = d.get("renamed") or {}
    _strings(list(renamed.values()), f"{where}: 'renamed'")
    before = d.get("before")
    return DriftEntry(
        page=d["page"],
        ref=d["ref"],
        label=d["label"],
        status=d["status"],
        after=_provenance(d["after"], f"{where}: 'after'"),
        before=_provenance(before, f"{where}: 'before'") if before is not None else None,
        changes=_strings(d.get("changes") or [], f"{where}: 'changes'"),
        diff=_strings(d.get("diff") or [], f"{where}: 'diff'"),
        note=d.get("note", ""),
        differences=differences,
        renamed=dict(renamed),
        title=d.get("title", ""),
    )
