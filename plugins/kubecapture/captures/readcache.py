"""Parsed capture files kept between builds (the `cache` option).

The YAML capture files are the source of truth, and parsing them is most of what a replay
build spends on captures (a site with capture history stores three outputs per snippet).
A file whose bytes did not change is read back from `marshal` instead, about ten times
faster. One cache entry per capture file (and one per page for rendercache.py, through
`get` and `put`); a missing, stale or unreadable entry is a miss, never an error. Nothing
in the cache is needed: delete it at any time.

An entry can never change what the YAML says. The cache folder sits in the checkout
(`.cache/plugin/kubecapture`), where a pull request can put files of its choosing, so an
entry counts only with a tag (keyed BLAKE2b) over the bytes of the YAML it was made from
and over its own content, made with a key of this machine's user kept outside every
checkout (`~/.cache/kubecapture/readcache.key`, 0600): a file from elsewhere, or an
entry whose content was changed, has no valid tag and is parsed again. `marshal` reads
only entries with a valid tag, so it never sees bytes this machine did not write.
"""

from __future__ import annotations

import hashlib
import hmac
import marshal
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

from ..base.atomic import write_atomic

# What the parsed data depends on besides the file's bytes: this layout, Python's marshal,
# the parser and schema (store.py's `SCHEMA` stamp, given by the caller).
_STAMP = f"kubecapture-readcache 2 marshal {marshal.version} py{sys.version_info[:2]}".encode()
_TAG = 32  # bytes of the keyed digest at the head of an entry
_KEY_FILE = "readcache.key"


def parsed(
    raw: bytes,
    path: Path,
    cache_dir: Path | None,
    parse: Callable[[bytes], object],
    schema: str = "",
):
    """`parse(raw)`, or what it returned for these same bytes in an earlier build on this
    machine. Only plain data (dicts, lists, strings, numbers) can be cached; `parse`
    errors propagate and leave the cache as it was. `schema` names what `parse` checks,
    so entries of another version of it are misses."""
    name = str(path.resolve())
    payload = get(cache_dir, name, raw, schema)
    if payload is not None:
        try:
            return marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            pass  # written by this machine, yet unreadable (another marshal): parse
    value = parse(raw)
    try:
        put(cache_dir, name, raw, schema, marshal.dumps(value))
    except ValueError:
        pass  # not plain data: not cached
    return value


def get(cache_dir: Path | None, name: str, source: bytes, schema: str) -> bytes | None:
    """The payload `put` stored under `name` for these `source` bytes and this `schema`,
    if this machine's user wrote it and it is whole; else None (a miss)."""
    key = _key() if cache_dir is not None else None
    if key is None:
        return None
    try:
        stored = _entry(cache_dir, name).read_bytes()
    except OSError:
        return None  # no entry yet
    payload = stored[_TAG:]
    if len(stored) > _TAG and hmac.compare_digest(
        stored[:_TAG], _tag(key, schema, source, payload)
    ):
        return payload
    return None


def put(cache_dir: Path | None, name: str, source: bytes, schema: str, payload: bytes) -> None:
    """Keep `payload` under `name` as derived from `source`; best effort: a read-only
    checkout or a full disk leaves the cache as it was."""
    key = _key() if cache_dir is not None else None
    if key is None:
        return
    try:
        # atomic: a build that reads the entry meanwhile sees all of it or none
        write_atomic(
            _entry(cache_dir, name),
            _tag(key, schema, source, payload) + payload,
            mode=0o600,
            durable=False,  # a torn entry has no valid tag: a miss
        )
    except OSError:
        pass


def _entry(cache_dir: Path, name: str) -> Path:
    return cache_dir / hashlib.blake2b(name.encode(), digest_size=12).hexdigest()


def _tag(key: bytes, schema: str, raw: bytes, payload: bytes) -> bytes:
    """Keyed digest of the YAML's bytes and the entry's content (length-prefixed, so no
    two pairs hash alike)."""
    h = hashlib.blake2b(key=key, digest_size=_TAG)
    for part in (_STAMP, schema.encode(), raw, payload):
        h.update(b"%d:" % len(part))
        h.update(part)
    return h.digest()


def key_dir() -> Path:
    """Where the key lives: the user's cache folder, outside any checkout."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kubecapture"


def _key() -> bytes | None:
    """This user's key for cache entries, made on first use; None (no cache) when it can
    be neither read nor made."""
    path = key_dir() / _KEY_FILE
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        key = _new_key(path)
    except OSError:
        return None
    return key if key is not None and len(key) == 32 else None


def _new_key(path: Path) -> bytes | None:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another build made it meanwhile
        try:
            return path.read_bytes()
        except OSError:
            return None
    except OSError:
        return None
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
