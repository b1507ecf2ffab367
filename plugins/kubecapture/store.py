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

FORMAT_VERSION = 1

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


class CaptureFileError(ValueError):
    """A capture file that cannot be read; the message names the file."""


@dataclass
class Provenance:
    context: str
    server_version: str
    kubectl_version: str
    captured_at: str  # ISO 8601, UTC, seconds
    source: str = "live"  # or e.g. "the original notes" for imported outputs

    @property
    def date(self) -> str:
        return self.captured_at[:10]


@dataclass
class CommandResult:
    command: str  # as written on the page
    exit_code: int
    stdout: str
    stderr: str = ""


@dataclass
class SnippetCapture:
    key: str  # Snippet.key of the snippet that produced it
    results: list[CommandResult]
    provenance: Provenance
    id: str | None = None


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


def load(path: Path) -> PageCapture | None:
    """The capture at `path`, or None if there is none. Raises CaptureFileError if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = _safe_load(text)
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ValueError(f"not a kubecapture file of format version {FORMAT_VERSION}")
        return PageCapture(
            page=data["page"],
            key=data["key"],
            snippets=[_snippet_from(s) for s in data.get("snippets") or []],
        )
    except (yaml.YAMLError, ValueError, KeyError, TypeError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        if isinstance(e, KeyError):
            reason = f"missing field {e}"
        raise CaptureFileError(
            f"{path}: malformed capture file ({reason}); fix it or delete it to capture again"
        ) from None


def _snippet_from(data: dict) -> SnippetCapture:
    return SnippetCapture(
        key=data["key"],
        id=data.get("id"),
        provenance=Provenance(**data["provenance"]),
        results=[CommandResult(**r) for r in data["results"]],
    )


def dumps(capture: PageCapture) -> str:
    data = {
        "version": FORMAT_VERSION,
        "page": capture.page,
        "key": capture.key,
        # Derived from the snippets below, never read back into PageCapture; see covers_digest.
        "covers": covers_digest(s.key for s in capture.snippets),
        "snippets": [_snippet_dict(s) for s in capture.snippets],
    }
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000)


def _snippet_dict(s: SnippetCapture) -> dict:
    out: dict = {"key": s.key}
    if s.id:
        out["id"] = s.id
    out["provenance"] = asdict(s.provenance)
    out["results"] = [asdict(r) for r in s.results]
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
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def all_capture_files(captures_dir: Path) -> list[Path]:
    return sorted(p for p in captures_dir.rglob("*.yaml") if not p.name.startswith("."))


class _Dumper(yaml.SafeDumper):
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


_Dumper.add_representer(str, _str)
