"""Parsed capture files kept between builds (the `cache` option).

The YAML capture files are the source of truth, and parsing them is most of what a replay
build spends on captures (a site with capture history stores three outputs per snippet).
A file whose bytes did not change is read back from `marshal` instead, about ten times
faster. One cache entry per capture file, holding the digest of the bytes it was parsed
from: an edit, a checkout or a merge is a miss, and a missing, stale or unreadable entry
is a miss too, never an error. Nothing in the cache is needed: delete it at any time.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

# What the parsed data depends on besides the file's bytes: this layout, Python's marshal.
_STAMP = f"kubecapture-readcache 1 marshal {marshal.version} py{sys.version_info[:2]}".encode()
_DIGEST = 16  # bytes


def parsed(raw: bytes, path: Path, cache_dir: Path | None, parse: Callable[[bytes], object]):
    """`parse(raw)`, or what it returned for these same bytes in an earlier build. Only
    plain data (dicts, lists, strings, numbers) can be cached; `parse` errors propagate and
    leave the cache as it was."""
    if cache_dir is None:
        return parse(raw)
    hasher = hashlib.blake2b(_STAMP, digest_size=_DIGEST)
    hasher.update(raw)
    digest = hasher.digest()
    entry = cache_dir / (hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest())
    try:
        stored = entry.read_bytes()
        if stored[:_DIGEST] == digest:
            return marshal.loads(stored[_DIGEST:])
    except (OSError, ValueError, EOFError, TypeError):
        pass  # no entry yet, or one that cannot be read: parse
    value = parse(raw)
    try:
        _write(entry, digest + marshal.dumps(value))
    except (OSError, ValueError):
        pass  # a read-only checkout, a full disk: the build goes on without the cache
    return value


def _write(entry: Path, data: bytes) -> None:
    """Temp file and rename: a build that reads the entry meanwhile sees all of it or none."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{entry.name}.", dir=entry.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, entry)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
