"""The objects of the manifests `-f` names, and what a page's parsed commands touch
(redaction): the namespaces they may show, the notes' own files they read."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..base import plainyaml
from .files import URL, located
from .kubectl_args import Parsed


def touched_namespaces(parsed: Iterable[Parsed], default: str, workdir: Path) -> set[str] | None:
    """The namespaces whose objects a page's commands (as the guard parsed them) may read
    or change, and so print; None means any namespace (`-A`, a file that cannot be read,
    a command the model does not narrow down)."""
    out = {default}
    for p in parsed:
        if p.all_namespaces or p.path == ("cluster-info", "dump") or p.has("raw", "kustomize"):
            return None  # any namespace (`--raw` and `-k` are refused; counted all the same)
        out.add(p.namespace or default)
        if p.path == ("create", "namespace") and p.positionals:
            out.add(p.positionals[0])
        for value in (value for flag, value in p.files() if flag == "filename"):
            found = _manifest_namespaces(value, workdir)
            if found is None:
                return None
            out |= found
    return out


def files_shown(parsed: Iterable[Parsed], workdir: Path) -> list[str]:
    """The text of the notes' own files a page's commands read (`-f`, `--from-file`,
    `--from-env-file`): the repository publishes them, so no piece of them is a secret
    (a Secret's key `password` is a piece of its value `fake-password-for-notes`)."""
    texts = []
    for _, value in (file for p in parsed for file in p.files()):
        path = located(value, workdir)
        for q in sorted(path.rglob("*")) if path.is_dir() else [path]:
            try:
                texts.append(q.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                continue
    return texts


def _manifest_namespaces(name: str, workdir: Path) -> set[str] | None:
    # Redaction errs toward more namespaces: subdirectories are read even without -R (an
    # extra namespace only masks more); a file kubectl cannot read either touches nothing.
    out: set[str] = set()
    try:
        for obj in manifest_objects(name, workdir, recursive=True, skip_unreadable=True):
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            if meta.get("namespace"):
                out.add(str(meta["namespace"]))
            if obj.get("kind") == "Namespace" and meta.get("name"):
                out.add(str(meta["name"]))
    except ManifestUnknown:
        return None
    return out


_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")  # what kubectl reads in a directory


class ManifestUnknown(Exception):
    """The objects behind a `-f` argument cannot be known before kubectl runs: `remote` for
    stdin (`-`) or a URL, `missing` for a file that is not there (kubectl fails on it
    too), else a file that cannot be read or parsed as YAML here, which kubectl may still
    read (a stream of JSON objects, UTF-16, a broken last document after good ones)."""

    def __init__(self, name: str, *, remote: bool, missing: bool = False):
        super().__init__(name)
        self.name = name
        self.remote = remote
        self.missing = missing


def manifest_objects(
    name: str, workdir: Path, *, recursive: bool, skip_unreadable: bool = False
) -> Iterator[dict]:
    """The objects of the manifests `-f NAME` names, found as kubectl finds them: the file,
    or the .yaml/.yml/.json files of a directory, of its subdirectories too when
    `recursive` (kubectl's `-R`); an object with an `items` list gives its items (kubectl
    reads it as a list, whatever its kind). A relative NAME is under `workdir`.

    Raises ManifestUnknown, when the iteration reaches it, for stdin, a URL, or a file that
    cannot be read or parsed; with `skip_unreadable` such a file gives nothing instead.

    One reader, two uses that differ on purpose: the guard reads what kubectl will act on
    (`-R` as given) and refuses what it cannot read; redaction (`touched_namespaces`) errs
    toward more namespaces, so it always recurses and skips what kubectl cannot read either.
    """
    import yaml

    if name == "-" or URL.match(name):
        raise ManifestUnknown(name, remote=True)
    path = located(name, workdir)
    if path.is_dir():
        pattern = "**/*" if recursive else "*"
        paths = sorted(
            q for q in path.glob(pattern) if not q.is_dir() and q.suffix in _MANIFEST_SUFFIXES
        )
    else:
        paths = [path]
    for q in paths:
        try:
            info = q.stat()
            docs = _load_manifest(str(q), info.st_mtime_ns, info.st_size)
        except plainyaml.YamlRefused as e:
            if skip_unreadable:
                continue
            raise ManifestRefused(name, f"{q.name} {e}") from None
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            if skip_unreadable:
                continue
            missing = isinstance(e, FileNotFoundError)
            raise ManifestUnknown(name, remote=False, missing=missing) from None
        yield from _objects(docs)


# Manifests nest deeper than capture files (a CRD's schema); far below a recursion limit.
MANIFEST_DEPTH = 64


class ManifestRefused(ManifestUnknown):
    """A manifest kubectl reads but kubecapture will not decide on: not plain data
    (anchors, aliases, tags, duplicate keys) or nested too deep. `reason` says which."""

    def __init__(self, name: str, reason: str):
        super().__init__(name, remote=False)
        self.reason = reason


@functools.lru_cache(maxsize=512)
def _load_manifest(path: str, mtime_ns: int, size: int) -> tuple:
    """A manifest's documents, read once per version of the file (the guard and redaction
    both read it, on every build of `mkdocs serve`), as plain data (plainyaml.load): what
    the guard decides on is what kubectl sends, and an alias bomb costs nothing."""
    with open(path, encoding="utf-8") as f:
        return tuple(plainyaml.load(f.read(), max_depth=MANIFEST_DEPTH, documents=True))


def _objects(docs):
    # kubectl (apimachinery's unstructured decoder) reads any object with an `items`
    # list as a list of those items, whatever its kind: `kind: ConfigMap` with `items:
    # [Namespace ...]` deletes the namespaces. A stack, not recursion.
    stack = [iter(docs)]
    while stack:
        d = next(stack[-1], StopIteration)
        if d is StopIteration:
            stack.pop()
        elif isinstance(d, dict):
            if isinstance(d.get("items"), list):
                stack.append(iter(d["items"]))
            else:
                yield d
