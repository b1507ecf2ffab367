"""Read and write captures: one YAML file per page under `snippets/captures/`.

Knows nothing of kubectl. Files are deterministic (stable key order, block
scalars for multi-line text) so `git diff` shows only real changes, and are
replaced atomically so a crash never leaves half a file (`write_atomic`, which every
file kubecapture keeps goes through: captures, the report, the read cache's entries,
the sandbox record).

Every reader (the plugin, the CLI, the `kubecapture.fence` extension) loads captures
through `load`, and so through one read cache: in this process, the parsed data of each
file by the digest of its bytes; between builds, readcache.py's entries.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

import yaml

from ..base import plainyaml
from ..base.atomic import write_atomic
from . import readcache

# 2 adds `history` (earlier outputs of a snippet) and optional provenance fields; files of
# format 1 are the same without them and load as they are.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

# A capture file bigger than this is refused unread: a page's outputs with their history
# are tens of KiB (the notes' biggest is 31 KiB); the cap keeps a hostile file from
# exhausting memory. store.save refuses to write one that big too.
MAX_FILE_BYTES = 16 * 1024 * 1024
# Nesting a capture file needs is 6 levels (file, snippets, history, results, ...).
_MAX_DEPTH = 16


class YamlRefused(plainyaml.YamlRefused):
    """YAML that a capture file may not hold (the message says where and what)."""


def plain_yaml(text: str):
    """The YAML document in `text` as plain data (plainyaml.load): anchors, aliases, merge
    keys, duplicate keys, non-scalar keys, tags beyond YAML's core scalars, nesting deeper
    than a capture file has and a second document are refused. Otherwise the same values
    as yaml.safe_load."""
    try:
        return plainyaml.load(text, max_depth=_MAX_DEPTH)
    except plainyaml.YamlRefused as e:
        raise YamlRefused(str(e)) from None


def _parse(raw: bytes):
    """A capture file's bytes, checked against the schema, as plain data (what the read
    cache keeps)."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlRefused(f"{len(raw)} bytes, more than a capture file may hold")
    data = plain_yaml(raw.decode("utf-8"))
    check_schema(data)
    return data


class CaptureFileError(ValueError):
    """A capture file that cannot be read; the message names the file."""


@dataclass
class Provenance:
    context: str
    server_version: str
    kubectl_version: str
    captured_at: str  # ISO 8601, UTC, seconds
    source: str = "live"  # or e.g. "the original notes" for imported outputs
    # Optional (written only when known): the nodes' kubelet versions ("v1.25.0", or
    # several joined by ", "), the author's description of the cluster (the plugin's
    # `context_notes`), and the namespace the commands ran in.
    nodes: str = ""
    cluster: str = ""
    namespace: str = ""
    # What answered, as the nodes themselves report it: their container runtimes
    # ("containerd://1.6.20"; "simulated://none" for the project's simulated node), and
    # which local images stood in for public ones (the node's kubecapture.dev/stand-in-images).
    runtime: str = ""
    images: str = ""

    @property
    def date(self) -> str:
        return self.captured_at[:10]

    @property
    def imported(self) -> bool:
        """Recorded elsewhere (e.g. pasted in the original notes), not by a live run."""
        return self.source != "live"

    def same_cluster(self, other: Provenance) -> bool:
        """Same context, server version and node versions: a refresh replaces, not adds."""
        return (self.context, self.server_version, self.nodes, self.runtime) == (
            other.context,
            other.server_version,
            other.nodes,
            other.runtime,
        )


_OPTIONAL_PROVENANCE = ("nodes", "cluster", "namespace", "runtime", "images")


@dataclass
class CommandResult:
    command: str  # as written on the page
    exit_code: int
    stdout: str
    stderr: str = ""


@dataclass
class Change:
    """An output's change marker, saved: how it compares with the next older output of its
    snippet (drift's status and normalized diff). `of` is a digest of both outputs and of
    drift's rules (history.change_digest): a build shows a saved marker only while `of`
    matches, and compares again otherwise (a hand edit, other rules)."""

    of: str
    status: str
    diff: list[str] = field(default_factory=list)


@dataclass
class SnippetCapture:
    key: str  # Snippet.key of the snippet that produced it
    results: list[CommandResult]
    provenance: Provenance
    id: str | None = None
    # Earlier outputs of the same snippet, newest first (each without a history of its
    # own): other cluster versions, imported originals. See history.py.
    history: list[SnippetCapture] = field(default_factory=list)
    # Against the next older output (None for the oldest); derived, so not compared.
    change: Change | None = field(default=None, compare=False)

    @property
    def entries(self) -> list[SnippetCapture]:
        """This output then the earlier ones: newest first."""
        return [self, *self.history]

    @property
    def commands(self) -> list[str]:
        return [r.command for r in self.results]


@dataclass
class PageCapture:
    page: str  # path relative to docs_dir, with forward slashes
    key: str  # snippets.page_key of the page when captured
    snippets: list[SnippetCapture] = field(default_factory=list)

    def find(self, snippet_key: str, occurrence: int = 0) -> SnippetCapture | None:
        """The n-th capture of a snippet with this key (a page may repeat a command)."""
        matches = [s for s in self.snippets if s.key == snippet_key]
        return matches[occurrence] if occurrence < len(matches) else None


def capture_path(captures_dir: Path, page: str) -> Path:
    """`guide/intro.md` -> `<captures_dir>/guide/intro.yaml`."""
    return captures_dir / Path(page).with_suffix(".yaml")


def covers_digest(snippet_keys) -> str:
    """Digest of a multiset of snippet keys, written to a capture's header as `covers`.

    Two lists of keys have the same digest exactly when they hold the same keys the same
    number of times, which is what "every snippet of the page has a capture" means; so
    planning can tell a complete capture from its header without parsing the file.
    """
    payload = "\n".join(sorted(snippet_keys))
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


# --- the schema -----------------------------------------------------------------------
#
# Every key a capture file may hold, with its type: str, int, a nested `_Map`, or a list
# of one shape ([shape]). Any other key is an error, as is a value of another type (a bool
# is not an int here, a number is not a string); only `optional` keys may be left out.


@dataclass(frozen=True)
class _Map:
    fields: dict
    optional: frozenset = frozenset()


_PROVENANCE_MAP = _Map(  # every field a string; those with a default optional
    dict.fromkeys((f.name for f in fields(Provenance)), str),
    frozenset(f.name for f in fields(Provenance) if f.default is not MISSING),
)
_RESULT_MAP = _Map(
    {"command": str, "exit_code": int, "stdout": str, "stderr": str}, frozenset({"stderr"})
)
_CHANGE_MAP = _Map({"of": str, "status": str, "diff": str}, frozenset({"diff"}))
_ENTRY_FIELDS = {
    "key": str,
    "provenance": _PROVENANCE_MAP,
    "results": [_RESULT_MAP],
    "change": _CHANGE_MAP,
}
_ENTRY_MAP = _Map(_ENTRY_FIELDS, frozenset({"change"}))  # a history entry
_SNIPPET_MAP = _Map(
    {**_ENTRY_FIELDS, "id": str, "history": [_ENTRY_MAP]}, frozenset({"change", "id", "history"})
)
_FILE_MAP = _Map(
    {"version": int, "page": str, "key": str, "covers": str, "snippets": [_SNIPPET_MAP]},
    frozenset({"covers", "snippets"}),
)
# Names the reader and the schema for the read cache: change it with either, so no entry
# made by another version counts.
SCHEMA = "plain_yaml, schema 1"
# What a change marker may say: drift's statuses, and a changed command.
CHANGE_STATUSES = ("unchanged", "volatile", "changed", "command")
_EXIT_CODES = range(-255, 256)  # a negative code: killed by that signal
_TYPE_NAMES = {str: "a string", int: "an integer", dict: "a mapping", list: "a list"}


class SchemaError(ValueError):
    """A value of a capture file that does not fit the schema; says where in the file."""


def check_schema(data) -> None:
    """Raise SchemaError unless `data` (a parsed capture file) fits the schema, types and
    values both (format version, exit codes, change statuses)."""
    _check(data, _FILE_MAP, "")
    if data["version"] not in READABLE_VERSIONS:
        raise SchemaError(f"format version {data['version']} is not one this kubecapture reads")
    for i, snippet in enumerate(data.get("snippets", ())):
        where = _item_name("snippets", i, snippet)
        _check_values(snippet, where)
        for j, entry in enumerate(snippet.get("history", ())):
            _check_values(entry, f"{where}, history entry {j + 1}")


def _check(value, shape, where: str) -> None:
    """`where`: the path to `value` as a reader counts ("snippet 2, result 1, exit_code")."""
    if isinstance(shape, _Map):
        _check_type(value, dict, where or "the file")
        for key in value:
            if key not in shape.fields:
                raise SchemaError(f"{where or 'the file'}: unknown key {_short(key)}")
        missing = shape.fields.keys() - value.keys() - shape.optional
        if missing:
            raise SchemaError(f"{where or 'the file'}: missing key '{sorted(missing)[0]}'")
        prefix = f"{where}, " if where else ""
        for key, item in value.items():
            inner = shape.fields[key]
            if isinstance(inner, list):
                _check_type(item, list, prefix + key)
                for i, element in enumerate(item):
                    _check(element, inner[0], prefix + _item_name(key, i, element))
            else:
                _check(item, inner, prefix + key)
        return
    _check_type(value, shape, where)


_ITEM_NAMES = {"snippets": "snippet", "history": "history entry", "results": "result"}


def _item_name(key: str, i: int, item) -> str:
    """`snippet 2 (nodes)`: its number, and its id when it has one."""
    name = f"{_ITEM_NAMES[key]} {i + 1}"
    snippet_id = item.get("id") if isinstance(item, dict) else None
    return f"{name} ({_short(snippet_id)[1:-1]})" if isinstance(snippet_id, str) else name


def _check_type(value, expected: type, where: str) -> None:
    # type(), not isinstance: YAML's `true` is a bool, and a bool is no exit code
    if type(value) is not expected:
        found = "nothing" if value is None else f"{type(value).__name__} {_short(value)}"
        raise SchemaError(f"{where} must be {_TYPE_NAMES[expected]}, not {found}")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_values(entry: dict, where: str) -> None:
    for k, result in enumerate(entry["results"]):
        if result["exit_code"] not in _EXIT_CODES:
            code = result["exit_code"]
            raise SchemaError(f"{where}, result {k + 1}: exit_code {code} is no exit code")
    change = entry.get("change")
    if change is not None and change["status"] not in CHANGE_STATUSES:
        raise SchemaError(
            f"{where}, change: status {_short(change['status'])} is not one of "
            + ", ".join(CHANGE_STATUSES)
        )


def load(path: Path, cache_dir: Path | None = None) -> PageCapture | None:
    """The capture at `path`, or None if there is none. Raises CaptureFileError, one
    sentence naming the file, unless the file fits the schema (`check_schema`) as read
    by `plain_yaml`. With a `cache_dir`, a file unchanged since an earlier build is not
    parsed again (readcache.py: its entries are checked, so they say what the file says)."""
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            raw = f.read() if size <= MAX_FILE_BYTES else b""  # _parse checks the size again
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CaptureFileError(f"{path}: cannot read the capture file ({e.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise CaptureFileError(
            f"{path}: a capture file of {size // 2**20} MiB is more than the "
            f"{MAX_FILE_BYTES // 2**20} MiB one may hold; it is not read"
        )
    try:
        data = _parsed(raw, path, cache_dir)
    except (yaml.YAMLError, ValueError) as e:  # UnicodeDecodeError is a ValueError
        raise CaptureFileError(
            f"{path}: malformed capture file ({_reason(e)}); fix it or delete it to capture again"
        ) from None
    return PageCapture(
        page=data["page"],
        key=data["key"],
        snippets=[_snippet_from(s) for s in data.get("snippets", ())],
    )


_loaded_lock = threading.Lock()
# path -> (digest of its bytes, parsed data), the most recently used last. Bounded: a
# build reads most files once, and holding every page's parsed history to the end of a
# 1,000-page build raised its peak memory by half (102 -> 153 MB).
_loaded: OrderedDict[Path, tuple[bytes, dict]] = OrderedDict()
_LOADED_MAX = 32


def _parsed(raw: bytes, path: Path, cache_dir: Path | None) -> dict:
    """The file's data, parsed once while its bytes are the same and it is among the last
    files read (Zensical renders each page with a new extension; `mkdocs serve` rebuilds
    in one process), else through readcache.py. Keyed by the bytes, not the file's mtime:
    an edit that keeps size and mtime still shows. The data is never changed: `load`
    builds new objects."""
    digest = hashlib.blake2b(raw, digest_size=16).digest()
    with _loaded_lock:
        hit = _loaded.get(path)
        if hit is not None and hit[0] == digest:
            _loaded.move_to_end(path)
            return hit[1]
    data = readcache.parsed(raw, path, cache_dir, _parse, SCHEMA)
    with _loaded_lock:
        _loaded[path] = (digest, data)
        _loaded.move_to_end(path)
        while len(_loaded) > _LOADED_MAX:
            _loaded.popitem(last=False)
    return data


def forget_loaded() -> None:
    """Empty the in-process cache: at the end of a build (its last files are not needed
    while search writes its index), and in tests of readcache.py's entries."""
    with _loaded_lock:
        _loaded.clear()


def _reason(e: Exception) -> str:
    if isinstance(e, yaml.MarkedYAMLError) and e.problem_mark is not None:
        return f"line {e.problem_mark.line + 1}: {e.problem}"
    return " ".join(str(e).split()) if str(e) else type(e).__name__


def _snippet_from(data: dict) -> SnippetCapture:
    """A SnippetCapture from data that fits the schema."""
    return SnippetCapture(
        key=data["key"],
        id=data.get("id"),
        provenance=Provenance(**data["provenance"]),
        results=[CommandResult(**r) for r in data["results"]],
        history=[_entry_from(h, data.get("id")) for h in data.get("history", ())],
        change=_change_from(data.get("change")),
    )


def _entry_from(data: dict, id: str | None) -> SnippetCapture:
    """A history entry: it belongs to its snippet's id."""
    return SnippetCapture(
        key=data["key"],
        id=id,
        provenance=Provenance(**data["provenance"]),
        results=[CommandResult(**r) for r in data["results"]],
        change=_change_from(data.get("change")),
    )


def _change_from(data: dict | None) -> Change | None:
    if data is None:
        return None
    diff = data.get("diff", "")
    return Change(data["of"], data["status"], diff.split("\n") if diff else [])


def dumps(capture: PageCapture) -> str:
    data = {
        "version": FORMAT_VERSION,
        "page": capture.page,
        "key": capture.key,
        # Derived from the snippets below, never read back into PageCapture; see covers_digest.
        "covers": covers_digest(s.key for s in capture.snippets),
        "snippets": [_snippet_dict(s) for s in capture.snippets],
    }
    return yaml.dump(data, Dumper=BlockDumper, sort_keys=False, allow_unicode=True, width=1000)


def _snippet_dict(s: SnippetCapture, nested: bool = False) -> dict:
    out: dict = {"key": s.key}
    if s.id and not nested:  # a history entry belongs to its snippet's id
        out["id"] = s.id
    provenance = asdict(s.provenance)
    for name in _OPTIONAL_PROVENANCE:  # absent rather than empty: old files stay as they are
        if not provenance[name]:
            del provenance[name]
    out["provenance"] = provenance
    out["results"] = [asdict(r) for r in s.results]
    if s.change is not None:
        change = {"of": s.change.of, "status": s.change.status}
        if s.change.diff:
            change["diff"] = "\n".join(s.change.diff)
        out["change"] = change
    if s.history and not nested:
        out["history"] = [_snippet_dict(h, nested=True) for h in s.history]
    return out


def save(path: Path, capture: PageCapture) -> bool:
    """Write a capture atomically. False if the file already held exactly this. Raises
    CaptureFileError (the old file kept) for a capture too big to be read back."""
    text = dumps(capture)
    size = len(text.encode("utf-8"))
    if size > MAX_FILE_BYTES:
        raise CaptureFileError(
            f"{path}: the outputs make a capture file of {size // 2**20} MiB, more than the "
            f"{MAX_FILE_BYTES // 2**20} MiB a capture file may hold; not written"
        )
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, text.encode("utf-8"))
    return True


def all_capture_files(captures_dir: Path) -> list[Path]:
    return sorted(p for p in captures_dir.rglob("*.yaml") if not p.name.startswith("."))


class BlockDumper(yaml.SafeDumper):
    """Block scalars (|) for multi-line text, so outputs read as a terminal shows them."""


def _str(dumper: yaml.SafeDumper, value: str):
    if "\n" in value and _block_safe(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _block_safe(value: str) -> bool:
    # YAML block scalars cannot carry trailing spaces on a line reliably, tabs, or
    # leading-space first lines without an indicator; fall back to quoted style then.
    return not any(ch in value for ch in "\t\r\x0b\x0c") and not any(
        line != line.rstrip(" ") for line in value.split("\n")
    )


BlockDumper.add_representer(str, _str)
