"""HTTP front end of the stand-in: routing, content negotiation, watch streams. The
``StandIn`` object tests drive (start, stop, kubeconfig, scenario knobs) is harness.py.

One request's path through routing, negotiation and streaming reads top to bottom here."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from . import protobuf, recorded, tables
from .resources import ApiError, Res, method_not_allowed, version_info

if TYPE_CHECKING:  # the handler serves the StandIn that started it
    from .harness import StandIn

JSON = "application/json"
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


class _NotFoundPage(Exception):
    """The mux's plain-text 404 (unknown path or resource)."""


def _q(query: dict, key: str, default=None):
    v = query.get(key)
    return v[0] if v else default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two sends; without TCP_NODELAY a kept-alive client waits
    # ~40 ms (delayed ACK) per request. A real API server (Go) sets it too.
    disable_nagle_algorithm = True
    server_version = "standin"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - quiet, tests read .requests
        pass

    # --- plumbing --------------------------------------------------------------------------

    @property
    def si(self) -> StandIn:
        return self.server.standin  # type: ignore[attr-defined]

    def _send(self, code: int, body: bytes, ctype: str | None = JSON, headers: dict | None = None):
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, code: int, obj) -> None:
        self._send(code, json.dumps(obj, separators=(",", ":")).encode())

    def do_GET(self):  # noqa: N802
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET  # noqa: N815

    def _dispatch(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.si.requests.append((self.command, url.path, url.query))
        if self.si.hang:
            self.si._stopped.wait()
            self.close_connection = True
            return
        if (self.command, url.path) in self.si.forbidden:
            resource = url.path.rstrip("/").rsplit("/", 1)[-1]
            self._send_json(
                403,
                ApiError(
                    403,
                    "Forbidden",
                    f'{resource} is forbidden: User "minikube-user" cannot list resource '
                    f'"{resource}" in API group "" at the cluster scope',
                    {"kind": resource},
                ).status(),
            )
            return
        try:
            self._route(url.path, parse_qs(url.query, keep_blank_values=True), body)
        except ApiError as e:
            self._send_json(e.code, e.status())
        except _NotFoundPage:
            self._send(
                404,
                b"404 page not found\n",
                "text/plain; charset=utf-8",
                {"X-Content-Type-Options": "nosniff"},
            )
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - surface as a 500 like the real server
            import traceback

            traceback.print_exc()
            with contextlib.suppress(OSError):
                self._send_json(
                    500,
                    ApiError(500, "InternalError", f"Internal error occurred: {e}", {}).status(),
                )

    # --- routing ---------------------------------------------------------------------------

    def _route(self, path: str, query: dict, body: bytes):
        path = path.rstrip("/") or "/"
        if path == "/version":
            return self._send_json(200, version_info(self.si.server_version))
        if path in ("/healthz", "/livez", "/readyz"):
            return self._send(200, b"ok", "text/plain; charset=utf-8")
        if path.startswith("/openapi/"):
            return self._openapi(path, query)
        disc = recorded.discovery()
        if path in disc:
            if self.command != "GET":
                raise method_not_allowed()
            return self._send(200, disc[path])
        segs = path.strip("/").split("/")
        if segs[0] == "apis" and len(segs) == 2:
            return self._group_doc(segs[1])
        if segs[0] == "api" and len(segs) >= 2:
            group, version, rest = "", segs[1], segs[2:]
        elif segs[0] == "apis" and len(segs) >= 3:
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            raise _NotFoundPage()
        gv = f"{group}/{version}" if group else version
        if gv not in recorded.resource_lists() or not rest:
            raise _NotFoundPage()
        cluster = self.si.cluster
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            r = cluster.resource(group, version, rest[2])
            if r is not None and r.namespaced:
                ns, rest = rest[1], rest[2:]
        res = cluster.resource(group, version, rest[0])
        if res is None or len(rest) > 3:
            raise _NotFoundPage()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if res.namespaced and ns is None and name is not None:
            raise _NotFoundPage()
        if not res.namespaced and ns is not None:
            raise _NotFoundPage()
        if sub is not None and sub not in res.subresources:
            raise _NotFoundPage()
        self._resource(res, ns, name, sub, query, body)

    def _group_doc(self, group: str):
        # hand-written: no recording (built from the recorded /apis group list)
        doc = json.loads(recorded.discovery()["/apis"])
        for g in doc["groups"]:
            if g["name"] == group:
                return self._send_json(200, {"kind": "APIGroup", "apiVersion": "v1", **g})
        raise _NotFoundPage()

    def _openapi(self, path: str, query: dict):
        docs = recorded.openapi_docs()
        if path == "/openapi/v3":
            body, ctype = docs[path]
            return self._send(200, body, ctype)
        if path in docs:
            body, ctype = docs[path]
            etag = '"' + hashlib.sha512(body).hexdigest().upper() + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", None, {"Etag": etag})
            headers = {"Etag": etag, "Vary": "Accept"}
            if path.startswith("/openapi/v3/") and _q(query, "hash"):
                headers["Cache-Control"] = "public, immutable"
                headers["Expires"] = time.strftime(
                    "%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 365 * 86400)
                )
            if path == "/openapi/v2":
                ctype = "application/octet-stream"
            return self._send(200, body, ctype, headers)
        # hand-written: no recording of this OpenAPI v3 group document. The real server
        # would serve it; kubectl then falls back to the OpenAPI v2 document.
        raise _NotFoundPage()

    # --- resources -------------------------------------------------------------------------

    def _decode_body(self, body: bytes, res: Res):
        ctype = (self.headers.get("Content-Type") or JSON).split(";")[0].strip()
        if ctype == "application/vnd.kubernetes.protobuf":
            try:
                return protobuf.decode(body, res.kind)
            except protobuf.Unsupported:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted "
                    "media types include: application/json, application/yaml",
                    {},
                ) from None
        try:
            text = body.decode() or "{}"
            if ctype.endswith("yaml"):
                import yaml

                return yaml.safe_load(text)
            return json.loads(text)
        except (ValueError, UnicodeDecodeError) as e:
            raise ApiError(
                400, "BadRequest", f"the object provided is unrecognized ({e})", {}
            ) from None

    def _manager(self, query) -> str | None:
        m = _q(query, "fieldManager")
        if m:
            return m
        ua = self.headers.get("User-Agent") or ""
        return ua.split("/")[0] or None

    def _resource(self, res: Res, ns, name, sub, query, body):
        cluster = self.si.cluster
        method = self.command
        dry = "All" in (query.get("dryRun") or [])
        accept = self.headers.get("Accept") or ""
        as_table = "as=Table" in accept
        if sub == "log":  # hand-written: no recording; no container runtime, so no output
            cluster.get(res, ns, name)
            return self._send(200, b"", "text/plain")
        if sub in ("exec", "attach", "portforward", "proxy"):
            raise ApiError(400, "BadRequest", "Upgrade request required", {})
        if sub == "eviction" and method == "POST":
            cluster.delete(res, ns, name, {})
            return self._send_json(
                201,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "code": 201,
                },
            )
        if method in ("GET", "HEAD"):
            if _q(query, "watch") in ("true", "1"):
                return self._watch(res, ns, query, as_table, name)
            if name is None:
                if "list" not in res.verbs:
                    raise method_not_allowed()
                items, rv = cluster.list(
                    res, ns, _q(query, "labelSelector"), _q(query, "fieldSelector")
                )
                if as_table:
                    return self._send_json(
                        200,
                        tables.table(res.plural, items, rv, _q(query, "includeObject", "Metadata")),
                    )
                for it in items:
                    it.pop("kind", None)
                    it.pop("apiVersion", None)
                return self._send_json(
                    200,
                    {
                        "kind": f"{res.kind}List",
                        "apiVersion": res.api_version,
                        "metadata": {"resourceVersion": rv},
                        "items": items,
                    },
                )
            obj = cluster.get(res, ns, name)
            if sub == "scale":
                with cluster.lock:
                    return self._send_json(
                        200, cluster.scale_of(res, cluster.get_obj(res.store_key, ns or "", name))
                    )
            if as_table and sub is None:
                return self._send_json(
                    200,
                    tables.table(
                        res.plural,
                        [obj],
                        obj["metadata"]["resourceVersion"],
                        _q(query, "includeObject", "Metadata"),
                    ),
                )
            return self._send_json(200, obj)
        if method == "POST":
            if name is not None:
                raise method_not_allowed()
            obj = self._decode_body(body, res)
            out = cluster.create(res, ns or "", obj, manager=self._manager(query), dry_run=dry)
            return self._send_json(201, out)
        if method == "PUT":
            if name is None:
                raise method_not_allowed()
            obj = self._decode_body(body, res)
            out = cluster.update(
                res, ns or "", name, obj, subresource=sub, manager=self._manager(query), dry_run=dry
            )
            return self._send_json(200, out)
        if method == "PATCH":
            if name is None:
                raise method_not_allowed()
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            ptype = PATCH_TYPES.get(ctype)
            if ptype is None:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted "
                    f"media types include: {', '.join(PATCH_TYPES)}",
                    {},
                )
            patch = (
                self._decode_body(body, res)
                if ptype == "apply"
                else json.loads(body.decode() or "{}")
            )
            manager = self._manager(query)
            out = cluster.patch(
                res, ns or "", name, ptype, patch, subresource=sub, manager=manager, dry_run=dry
            )
            return self._send_json(200, out)
        if method == "DELETE":
            if name is None:
                raise method_not_allowed()
            opts = {}
            if body:
                with contextlib.suppress(ValueError):
                    opts = json.loads(body.decode() or "{}") or {}
            if _q(query, "propagationPolicy"):
                opts["propagationPolicy"] = _q(query, "propagationPolicy")
            dry = dry or "All" in (opts.get("dryRun") or [])
            out = cluster.delete(res, ns or "", name, opts, dry_run=dry)
            return self._send_json(200, out)
        raise method_not_allowed()

    # --- watch -----------------------------------------------------------------------------

    def _watch(self, res: Res, ns, query, as_table: bool, name: str | None):
        cluster = self.si.cluster
        if "watch" not in res.verbs:
            raise method_not_allowed()
        rv = _q(query, "resourceVersion")
        rvm = _q(query, "resourceVersionMatch")
        if rvm is not None:
            causes = [
                {
                    "reason": "FieldValueForbidden",
                    "message": "Forbidden: resourceVersionMatch is forbidden for watch",
                    "field": "resourceVersionMatch",
                }
            ]
            if not rv:
                causes.append(
                    {
                        "reason": "FieldValueForbidden",
                        "message": "Forbidden: resourceVersionMatch is forbidden unless "
                        "resourceVersion is provided",
                        "field": "resourceVersionMatch",
                    }
                )
            msgs = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
            if len(causes) > 1:
                msgs = f"[{msgs}]"
            raise ApiError(
                422,
                "Invalid",
                f'ListOptions.meta.k8s.io "" is invalid: {msgs}',
                {"group": "meta.k8s.io", "kind": "ListOptions", "causes": causes},
            )
        fsel = _q(query, "fieldSelector")
        if name is not None:
            fsel = ",".join(x for x in (fsel, f"metadata.name={name}") if x)
        match = cluster.matcher(res, ns, _q(query, "labelSelector"), fsel)
        timeout = float(_q(query, "timeoutSeconds") or 1800)
        deadline = time.monotonic() + timeout
        include = _q(query, "includeObject", "Metadata")
        skey = res.store_key
        with cluster.lock:
            if rv in (None, "", "0"):
                initial = [o for o in cluster.objects(skey, ns) if match(o)]
                pos = cluster.log_base + len(cluster.log)
            else:
                try:
                    want = int(rv)
                except ValueError:
                    raise ApiError(400, "BadRequest", f"invalid resource version: {rv}") from None
                initial = []
                if cluster.log and want < cluster.log[0][0] - 1:
                    raise ApiError(
                        410,
                        "Expired",
                        f"too old resource version: {rv} ({cluster.log[0][0] - 1})",
                        {},
                    )
                pos = cluster.log_base + len(cluster.log)
                for i in range(len(cluster.log) - 1, -1, -1):
                    if cluster.log[i][0] <= want:
                        break
                    pos = cluster.log_base + i
            initial = [cluster.output(res, o) for o in initial]
        self.send_response(200)
        self.send_header("Content-Type", JSON)
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first = [True]

        def emit(etype: str, obj: dict):
            if as_table:
                obj = tables.table(
                    res.plural,
                    [obj],
                    obj["metadata"]["resourceVersion"],
                    include,
                    with_columns=first[0],
                )
                first[0] = False
            data = json.dumps({"type": etype, "object": obj}, separators=(",", ":")).encode()
            data += b"\n"
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        try:
            for o in initial:
                emit("ADDED", o)
            while True:
                with cluster.lock:
                    while (
                        cluster.log_base + len(cluster.log) <= pos
                        and not cluster.closed
                        and not self.si._stopped.is_set()
                    ):
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        cluster.cond.wait(min(left, 0.5))
                    if cluster.closed or self.si._stopped.is_set():
                        break
                    if time.monotonic() >= deadline and cluster.log_base + len(cluster.log) <= pos:
                        break
                    start = max(0, pos - cluster.log_base)
                    batch = cluster.log[start:]
                    pos = cluster.log_base + len(cluster.log)
                    events = []
                    for _rv, etype, key, obj, old in batch:
                        if key != skey:
                            continue
                        now_in = match(obj)
                        if etype == "DELETED":
                            if now_in:
                                events.append(("DELETED", obj))
                            continue
                        was_in = match(old) if old is not None else False
                        if now_in and was_in:
                            events.append(("MODIFIED", obj))
                        elif now_in:
                            events.append(("ADDED", obj))
                        elif was_in:
                            events.append(("DELETED", obj))
                    events = [(t, cluster.output(res, o)) for t, o in events]
                for etype, obj in events:
                    emit(etype, obj)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        self.close_connection = True


class Server(ThreadingHTTPServer):
    """The HTTP server; `standin` (set by harness.StandIn) is what the handler serves."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
