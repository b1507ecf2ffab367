"""JSON from anyone (`drift-report.json`, `version-matrix.json`, a patch a page gives),
read as plain data: nesting deeper than Python's decoder goes (a file of 100 000 `[`) is
a ValueError like any other JSON that cannot be read, one sentence where the caller says
it, not a RecursionError (a traceback in the build or the CLI)."""

from __future__ import annotations

import json


def loads(text: str | bytes):
    """`json.loads(text)`; ValueError also for nesting too deep to read."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply to read") from None
