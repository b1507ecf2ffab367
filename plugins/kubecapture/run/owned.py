"""The sandbox namespaces kubecapture created on this machine and has not deleted yet, by
UID, in the user's cache dir (outside the project: a pull request cannot add to it).

A sandbox is normally deleted at the end of its page's run and never needs this; the
record is for the ones that outlive their build (`keep_sandbox`, a build killed before its
cleanup), so that the next build may delete them by UID instead of trusting a label that
any page can set. Several builds may run at once (`mkdocs serve` and `make capture`): every
change is made under a lock and written atomically.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

from ..base import plainjson
from ..base.atomic import write_atomic

KEEP_DAYS = 30  # a record older than this is of a cluster long gone: dropped


def record_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kubecapture" / "sandboxes.json"


def remember(uid: str, name: str) -> None:
    with _locked() as entries:
        entries[uid] = {"name": name, "created": int(time.time())}


def forget(uid: str) -> None:
    with _locked() as entries:
        entries.pop(uid, None)


def is_ours(uid: object) -> bool:
    return isinstance(uid, str) and bool(uid) and uid in _read(record_file())


@contextlib.contextmanager
def _locked():
    """The record's entries, to change; written back when the block ends."""
    path = record_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        entries = _read(path)
        before = dict(entries)
        yield entries
        oldest = time.time() - KEEP_DAYS * 86400
        entries = {uid: e for uid, e in entries.items() if e.get("created", 0) >= oldest}
        if entries != before:
            _write(path, entries)


def _read(path: Path) -> dict[str, dict]:
    """The entries; none when the file is missing or not what this module writes (then no
    leftover is deleted: the safe side)."""
    try:
        data = plainjson.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {uid: e for uid, e in data.items() if _is_entry(e)}


def _is_entry(e: object) -> bool:
    return isinstance(e, dict) and isinstance(e.get("name"), str) and type(e.get("created")) is int


def _write(path: Path, entries: dict[str, dict]) -> None:
    data = json.dumps(entries, indent=1, sort_keys=True).encode("utf-8")
    write_atomic(path, data, mode=0o600)  # the user's own record
