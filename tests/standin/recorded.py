"""Access to the real API server traffic recorded in ``tests/recordings/``.

Everything the stand-in can take verbatim from the recording (discovery documents,
OpenAPI documents, Table column definitions, the initial cluster objects) is read from
``traffic.jsonl.gz`` here, once per process.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
from pathlib import Path

RECORDINGS = Path(__file__).resolve().parent.parent / "recordings"
TRAFFIC = RECORDINGS / "traffic.jsonl.gz"


@functools.lru_cache(maxsize=1)
def exchanges() -> list[dict]:
    with gzip.open(TRAFFIC, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def body_bytes(ex: dict) -> bytes:
    if ex.get("response_body_b64"):
        return base64.b64decode(ex["response_body_b64"])
    return (ex.get("response_body") or "").encode()


def _first(method: str, path: str, *, status: int = 200, query_has: str = "", accept_has: str = ""):
    for ex in exchanges():
        if (
            ex["method"] == method
            and ex["path"] == path
            and ex["status"] == status
            and query_has in (ex["query"] or "")
            and accept_has in (ex["accept"] or "")
        ):
            return ex
    return None


@functools.lru_cache(maxsize=1)
def discovery() -> dict[str, bytes]:
    """path -> recorded JSON body for /api, /apis and every /api(s)/<group>/<version>."""
    out: dict[str, bytes] = {}
    for ex in exchanges():
        p = ex["path"]
        if ex["method"] != "GET" or ex["status"] != 200 or p in out:
            continue
        if p in ("/api", "/apis", "/api/v1") or (p.startswith("/apis/") and p.count("/") == 3):
            out[p] = body_bytes(ex)
    return out


@functools.lru_cache(maxsize=1)
def resource_lists() -> dict[str, dict]:
    """groupVersion -> parsed APIResourceList."""
    out = {}
    for path, body in discovery().items():
        if path in ("/api", "/apis"):
            continue
        doc = json.loads(body)
        out[doc["groupVersion"]] = doc
    return out


@functools.lru_cache(maxsize=1)
def openapi_docs() -> dict[str, tuple[bytes, str]]:
    """request path -> (body, content type) for the recorded OpenAPI documents."""
    out: dict[str, tuple[bytes, str]] = {}
    for ex in exchanges():
        p = ex["path"]
        if p.startswith("/openapi/") and ex["status"] == 200 and p not in out:
            out[p] = (body_bytes(ex), ex["response_content_type"])
    return out


@functools.lru_cache(maxsize=1)
def table_columns() -> dict[str, list[dict]]:
    """resource plural -> recorded Table columnDefinitions."""
    out: dict[str, list[dict]] = {}
    for ex in exchanges():
        body = ex.get("response_body") or ""
        if not body.startswith('{"kind":"Table"'):
            continue
        doc = json.loads(body)
        parts = ex["path"].split("/")
        # /api/v1/namespaces/<name> is a single namespace; /api/v1/namespaces/x/pods a list
        if ex["path"].startswith("/api/v1/namespaces/") and len(parts) == 5:
            resource = "namespaces"
        else:
            resource = parts[-1]
        out.setdefault(resource, doc["columnDefinitions"])
    return out


def json_response(method: str, path: str, **kw) -> dict | None:
    ex = _first(method, path, **kw)
    if ex is None or not ex.get("response_body"):
        return None
    return json.loads(ex["response_body"])


def recording_reference_time() -> float:
    """Unix time at which the recorded ``kubectl get node`` ran (ages are relative to it)."""
    ex = _first("GET", "/api/v1/nodes", accept_has="as=Table")
    return float(ex["t"])
