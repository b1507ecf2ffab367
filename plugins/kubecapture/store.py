"""Read and write captures: one YAML file per page under `snippets/captures/`.

Knows nothing of kubectl. Files are deterministic (stable key order, block
scalars for multi-line text) so `git diff` shows only real changes, and are
replaced atomically so a crash never leaves half a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from . import readcache

# 2 adds `history` (earlier outputs of a snippet) and optional provenance fields; files of
# format 1 are the same without them and load as they are.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)

# libyaml's loader when PyYAML has it: ~10x faster than the pure-Python one, which is
# most of what a replay build of a big site would otherwise spend on captures.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map"))


def _safe_load(text: str):
    """yaml.safe_load, a third faster on capture files: the loader composes the nodes
    (tags resolved as usual), strings, lists and string-keyed maps are built directly,
    and every other node (ints, nulls, merge keys, ...) by the loader's own constructor."""

    def build(node):
        if node.tag == _STR:
            return node.value
        if node.tag == _SEQ:
            return [build(item) for item in node.value]
        if node.tag == _MAP and all(key.tag == _STR for key, _ in node.value):
            return {key.value: build(value) for key, value in node.value}
        return loader.construct_object(node, deep=True)

    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else build(node)
    except RecursionError:  # a self-referencing anchor: let the constructor handle it
        return yaml.load(text, Loader=_Loader)
    finally:
        loader.dispose()


def _parse(raw: bytes):
    return _safe_load(raw.decode("utf-8"))


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

    @property
    def date(self) -> str:
        return self.captured_at[:10]

    @property
    def imported(self) -> bool:
        """Recorded elsewhere (e.g. pasted in the original notes), not by a live run."""
        return self.source != "live"

    def same_cluster(self, other: Provenance) -> bool:
        """Same context, server version and node versions: a refresh replaces, not adds."""
        return (self.context, self.server_version, self.nodes) == (
            other.context,
            other.server_version,
            other.nodes,
        )


_OPTIONAL_PROVENANCE = ("nodes", "cluster", "namespace")


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


def load(path: Path, cache_dir: Path | None = None) -> PageCapture | None:
    """The capture at `path`, or None if there is none. Raises CaptureFileError if unreadable.
    With a `cache_dir`, a file unchanged since an earlier build is not parsed again."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = readcache.parsed(raw, path, cache_dir, _parse)
        if not isinstance(data, dict) or data.get("version") not in READABLE_VERSIONS:
            raise ValueError(f"not a kubecapture file of format version {FORMAT_VERSION}")
        page, key = data["page"], data["key"]
    except (yaml.YAMLError, ValueError, KeyError, TypeError) as e:
        raise CaptureFileError(
            f"{path}: malformed capture file ({_reason(e)}); fix it or delete it to capture again"
        ) from None
    snippets = []
    for i, item in enumerate(data.get("snippets") or []):
        where = f"snippet {i + 1}"
        try:
            where += f" ({item['id']})" if isinstance(item, dict) and item.get("id") else ""
            history = []
            for j, old in enumerate(item.get("history") or []):
                try:
                    history.append(_snippet_from(old, item.get("id")))
                except (ValueError, KeyError, TypeError) as e:
                    where += f", history entry {j + 1}"
                    raise e from None
            snippets.append(_snippet_from(item, item.get("id"), history))
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise CaptureFileError(
                f"{path}: malformed capture file ({where}: {_reason(e)}); fix it or delete "
                "it to capture again"
            ) from None
    return PageCapture(page=page, key=key, snippets=snippets)


def _reason(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing field {e}"
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def _snippet_from(data: dict, id: str | None, history: list | None = None) -> SnippetCapture:
    return SnippetCapture(
        key=data["key"],
        id=id,
        provenance=Provenance(**data["provenance"]),
        results=[CommandResult(**r) for r in data["results"]],
        history=history or [],
        change=_change_from(data.get("change")),
    )


def _change_from(data) -> Change | None:
    """A saved change marker; one that does not read as such is ignored (it is derived:
    the build compares again)."""
    if not isinstance(data, dict):
        return None
    of, status, diff = data.get("of"), data.get("status"), data.get("diff", "")
    if not (isinstance(of, str) and isinstance(status, str) and isinstance(diff, str)):
        return None
    return Change(of, status, diff.split("\n") if diff else [])


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
    """Write a capture atomically. False if the file already held exactly this."""
    text = dumps(capture)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except FileNotFoundError:
        pass
    write_text_atomic(path, text)
    return True


def write_text_atomic(path: Path, text: str) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old or the new file,
    never half of one, even if the process is killed mid-write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a capture is a file of the repo
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
