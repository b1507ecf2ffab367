"""In-memory API server state: resource registry, object store with resourceVersions and a
watch log, and the API verbs with the real server's errors. The simulated control plane
(scheduler, kubelet, controllers, garbage collector) is in controllers/."""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field

from . import controllers, kinds, recorded
from .controllers.lifecycle import finalize_namespace, garbage_collect, orphan_dependents
from .controllers.nodes import NODE
from .kinds import Invalid, new_uid, rand_suffix, ts
from .patch import PatchError, json_patch, merge_patch, strategic_merge
from .selectors import SelectorError, parse_field_selector, parse_label_selector


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict:
        out = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details is not None:
            out["details"] = self.details
        out["code"] = self.code
        return out


@dataclass(frozen=True)
class Res:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple
    subresources: frozenset = field(default_factory=frozenset)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:  # "deployments.apps", "pods"
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def store_key(self) -> tuple[str, str]:
        if self.plural == "events" and self.group == "events.k8s.io":
            return ("", "events")
        return (self.group, self.plural)


def _object_error(code: int, reason: str, res: Res, name: str, what: str) -> ApiError:
    """A Status about one object, its details keyed as the API server orders them."""
    details = {"name": name}
    if res.group:
        details["group"] = res.group
    details["kind"] = res.plural
    return ApiError(code, reason, f'{res.qualified} "{name}" {what}', details)


def not_found(res: Res, name: str) -> ApiError:
    return _object_error(404, "NotFound", res, name, "not found")


def already_exists(res: Res, name: str) -> ApiError:
    return _object_error(409, "AlreadyExists", res, name, "already exists")


def invalid(err: Invalid) -> ApiError:
    causes = [{"reason": r, "message": m, "field": f} for r, m, f in err.causes]
    msg = ", ".join(f"{f}: {m}" for _, m, f in err.causes)
    if len(causes) > 1:
        msg = "[" + msg + "]"
    details = {"name": err.name}
    if err.group:
        details["group"] = err.group
    details["kind"] = err.kind
    details["causes"] = causes
    return ApiError(
        422,
        "Invalid",
        f'{err.kind}{"." + err.group if err.group else ""} "{err.name}" is invalid: {msg}',
        details,
    )


def build_registry() -> dict[tuple[str, str, str], Res]:
    reg: dict[tuple[str, str, str], Res] = {}
    for gv, doc in recorded.resource_lists().items():
        group, _, version = gv.rpartition("/")
        subs: dict[str, set] = {}
        for r in doc["resources"]:
            if "/" in r["name"]:
                base, sub = r["name"].split("/", 1)
                subs.setdefault(base, set()).add(sub)
        for r in doc["resources"]:
            if "/" in r["name"]:
                continue
            reg[(group, version, r["name"])] = Res(
                group,
                version,
                r["name"],
                r["kind"],
                r["namespaced"],
                tuple(r.get("verbs") or ()),
                frozenset(subs.get(r["name"], ())),
            )
    return reg


def _preferred_versions() -> dict[str, str]:
    doc = json.loads(recorded.discovery()["/apis"])
    out = {"": "v1"}
    for g in doc["groups"]:
        out[g["name"]] = g["preferredVersion"]["version"]
    return out


KNOWN_VERSIONS = {
    # hand-written: no recording (values of the official release builds)
    "v1.24.0": ("4ce5a8954017644c5420bae81d72b09b735c21f0", "2022-05-03T13:38:19Z", "go1.18.1"),
    "v1.31.0": ("9edcffcde5595e8a5b1a35f88c421764e575afce", "2024-08-13T07:28:49Z", "go1.22.5"),
}


def version_info(v: str) -> dict:
    parts = v.lstrip("v").split(".")
    commit, built, go = KNOWN_VERSIONS.get(
        v, ("0" * 40, "2024-01-01T00:00:00Z", "go1.22.0")
    )  # hand-written: no recording
    return {
        "major": parts[0],
        "minor": parts[1] if len(parts) > 1 else "0",
        "gitVersion": v,
        "gitCommit": commit,
        "gitTreeState": "clean",
        "buildDate": built,
        "goVersion": go,
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _runtime_for(v: str) -> str:
    # hand-written: no recording. The container runtime minikube ships with that release.
    try:
        minor = int(v.lstrip("v").split(".")[1])
    except (IndexError, ValueError):
        return "containerd://1.6.20"
    if minor >= 30:
        return "containerd://1.7.20"
    if minor >= 27:
        return "containerd://1.7.2"
    return "containerd://1.6.20"


REVIEW_KINDS = {
    "SelfSubjectAccessReview",
    "SubjectAccessReview",
    "LocalSubjectAccessReview",
    "SelfSubjectRulesReview",
    "TokenReview",
}


class Cluster:
    def __init__(self, server_version: str = "v1.24.0"):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.registry = build_registry()
        self.preferred = _preferred_versions()
        self.by_kind: dict[tuple[str, str], Res] = {}
        for (group, version, _), res in self.registry.items():
            if self.preferred.get(group) == version:
                self.by_kind.setdefault((group, res.kind), res)
        self.server_version = server_version
        self.rv = 1000
        self.data: dict[tuple[str, str], dict[tuple[str, str], dict]] = {}
        self.log: list[tuple[int, str, tuple[str, str], dict, dict | None]] = []
        self.log_base = 0  # absolute index of self.log[0]
        self.closed = False
        # scenario knobs (see StandIn)
        self.ready_delay = 0.3
        self.stuck_images: set[str] = set()
        self.namespace_delete_delay = 0.2
        self.job_duration = 0.5  # how long a run-to-completion container runs
        # Service allocators' bookkeeping
        self._cluster_ips: set[str] = set()
        self._node_ports: set[int] = set()
        # the kubelet's (controllers/nodes.py): pod IPs it hands out, pods it has taken on
        self.pod_ip_counter = itertools.count(20)
        self.kubelet_seen: set[str] = set()
        self._timers: list[tuple[float, int, object]] = []
        self._timer_seq = itertools.count()
        self._timer_wakeup = threading.Event()
        self._timer_thread = threading.Thread(
            target=self._timer_loop, daemon=True, name="standin-timers"
        )
        self._timer_thread.start()
        from .initial import load_initial_state

        with self.lock:
            load_initial_state(self)

    # --- registry -------------------------------------------------------------------------

    def resource(self, group: str, version: str, plural: str) -> Res | None:
        return self.registry.get((group, version, plural))

    def res_for_kind(self, group: str, kind: str) -> Res:
        return self.by_kind[(group, kind)]

    # --- low-level store ------------------------------------------------------------------

    def _bucket(self, key: tuple[str, str]) -> dict[tuple[str, str], dict]:
        return self.data.setdefault(key, {})

    def _next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def _record(self, etype: str, skey: tuple[str, str], obj: dict, old: dict | None):
        self.log.append((self.rv, etype, skey, obj, old))
        if len(self.log) > 20000:
            del self.log[:5000]
            self.log_base += 5000
        self.cond.notify_all()

    def put(self, skey: tuple[str, str], obj: dict, *, new: bool = False) -> dict:
        """Store ``obj`` (fully formed) with a fresh resourceVersion; returns a copy."""
        md = obj["metadata"]
        k = (md.get("namespace", ""), md["name"])
        bucket = self._bucket(skey)
        old = bucket.get(k)
        md["resourceVersion"] = self._next_rv()
        obj["metadata"] = kinds.order_metadata(md)
        bucket[k] = obj
        self._record("ADDED" if old is None or new else "MODIFIED", skey, obj, old)
        return copy.deepcopy(obj)

    def remove(self, skey: tuple[str, str], ns: str, name: str) -> dict | None:
        obj = self._bucket(skey).pop((ns, name), None)
        if obj is None:
            return None
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = self._next_rv()
        self._record("DELETED", skey, obj, None)
        garbage_collect(self, obj)
        return obj

    def get_obj(self, skey, ns, name) -> dict | None:
        return self._bucket(skey).get((ns or "", name))

    def objects(self, skey, ns: str | None = None) -> list[dict]:
        return [o for (ons, _), o in self._bucket(skey).items() if ns is None or ons == ns]

    # --- object construction ---------------------------------------------------------------

    def new_meta(
        self,
        md: dict,
        kind: str,
        manager: str | None,
        api_version: str,
        body_for_fields: dict | None = None,
        t: float | None = None,
    ) -> dict:
        md = dict(md)
        md["uid"] = new_uid()
        md["creationTimestamp"] = ts(t)
        if kind in kinds.GENERATION_KINDS:
            md["generation"] = 1
        if manager:
            md["managedFields"] = [
                self._managed_entry(manager, "Update", api_version, body_for_fields or {})
            ]
        return md

    def _managed_entry(self, manager, operation, api_version, body, subresource=None):
        entry = {
            "manager": manager,
            "operation": operation,
            "apiVersion": api_version,
            "time": ts(),
            "fieldsType": "FieldsV1",
            "fieldsV1": kinds.fields_v1(body),
        }
        if subresource:
            entry["subresource"] = subresource
        return entry

    def _touch_managed(self, obj, manager, api_version, body, subresource=None):
        if not manager:
            return
        mf = obj["metadata"].setdefault("managedFields", [])
        mf[:] = [
            m
            for m in mf
            if not (m.get("manager") == manager and m.get("subresource") == subresource)
        ]
        mf.append(self._managed_entry(manager, "Update", api_version, body, subresource))

    def system_create(
        self, res: Res, obj: dict, manager: str = "kube-controller-manager", t: float | None = None
    ) -> dict:
        """Create an object on behalf of a control-plane component (no admission errors)."""
        obj = copy.deepcopy(obj)
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        md = obj["metadata"]
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + rand_suffix()
        body = copy.deepcopy(obj)
        obj = kinds.apply_defaults(obj)
        if res.kind == "Pod":
            obj = kinds.admit_pod(obj)
        obj["metadata"] = self.new_meta(md, res.kind, manager, res.api_version, body, t)
        return self.put(res.store_key, self._ordered(obj))

    def _ordered(self, obj: dict) -> dict:
        order = ["kind", "apiVersion", "metadata", "spec", "status"]
        out = {k: obj[k] for k in order if k in obj}
        out.update({k: v for k, v in obj.items() if k not in out})
        return out

    def event(
        self,
        involved: dict,
        reason: str,
        message: str,
        component: str,
        etype: str = "Normal",
        new_api: bool = False,
        host: str = "",
    ):
        """Record an Event about ``involved`` the way the component would.

        The scheduler's events have the recorded shape (events.k8s.io recorder); the
        controllers' (core/v1 recorder, reason and message texts from the v1.24 sources) are
        hand-written: no recording."""
        md = involved["metadata"]
        ns = md.get("namespace") or "default"
        now = time.time()
        name = f"{md['name']}.{int(now * 1e9):x}"[:253]
        ref = {
            "kind": involved["kind"],
            "namespace": md.get("namespace", ""),
            "name": md["name"],
            "uid": md["uid"],
            "apiVersion": involved["apiVersion"],
            "resourceVersion": md.get("resourceVersion", ""),
        }
        if not md.get("namespace"):
            ref.pop("namespace")
        ev = {
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
        }
        if new_api:  # events.k8s.io/v1 recorder (scheduler): eventTime, no counts
            ev["source"] = {}
            ev["firstTimestamp"] = None
            ev["lastTimestamp"] = None
            ev["type"] = etype
            ev["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + (
                f".{int((now % 1) * 1e6):06d}Z"
            )
            ev["action"] = "Binding"
            ev["reportingComponent"] = component
            ev["reportingInstance"] = f"{component}-{NODE}"
        else:
            ev["source"] = {"component": component, **({"host": host} if host else {})}
            ev["firstTimestamp"] = ts(now)
            ev["lastTimestamp"] = ts(now)
            ev["count"] = 1
            ev["type"] = etype
            ev["eventTime"] = None
            ev["reportingComponent"] = ""
            ev["reportingInstance"] = ""
        self.system_create(self.res_for_kind("", "Event"), ev, manager=None)

    # --- timers --------------------------------------------------------------------------

    def after(self, delay: float, fn) -> None:
        """Run ``fn`` (under the lock, followed by reconcile) ``delay`` seconds from now."""
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_seq), fn))
        self._timer_wakeup.set()

    def _timer_loop(self):
        while not self.closed:
            with self.lock:
                due = []
                now = time.monotonic()
                while self._timers and self._timers[0][0] <= now:
                    due.append(heapq.heappop(self._timers)[2])
                wait = (self._timers[0][0] - now) if self._timers else 1.0
                for fn in due:
                    try:
                        fn()
                    except Exception:  # noqa: BLE001 - keep the control plane alive
                        import traceback

                        traceback.print_exc()
                if due:
                    self.reconcile()
            self._timer_wakeup.wait(max(0.0, min(wait, 1.0)))
            self._timer_wakeup.clear()

    def close(self):
        self.closed = True
        self._timer_wakeup.set()
        with self.lock:
            self.cond.notify_all()

    # --- API verbs -----------------------------------------------------------------------

    def check_namespace(self, ns: str, creating: Res | None = None, name: str = ""):
        nsobj = self.get_obj(("", "namespaces"), "", ns)
        if nsobj is None:
            raise ApiError(
                404, "NotFound", f'namespaces "{ns}" not found', {"name": ns, "kind": "namespaces"}
            )
        if creating is not None and nsobj["metadata"].get("deletionTimestamp"):
            details = {"name": name}
            if creating.group:
                details["group"] = creating.group
            details["kind"] = creating.plural
            details["causes"] = [
                {
                    "reason": "NamespaceTerminating",
                    "message": f"namespace {ns} is being terminated",
                    "field": "metadata.namespace",
                }
            ]
            raise ApiError(
                403,
                "Forbidden",
                f'{creating.qualified} "{name}" is forbidden: unable to create new '
                f"content in namespace {ns} because it is being terminated",
                details,
            )

    def output(self, res: Res, obj: dict) -> dict:
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = res.api_version
        if res.group == "events.k8s.io":
            obj = _core_event_to_new(obj, res.api_version)
        return obj

    def get(self, res: Res, ns: str, name: str) -> dict:
        with self.lock:
            obj = self.get_obj(res.store_key, ns if res.namespaced else "", name)
            if obj is None:
                raise not_found(res, name)
            return self.output(res, obj)

    def list(
        self,
        res: Res,
        ns: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[dict], str]:
        try:
            lmatch = parse_label_selector(label_selector)
            fmatch = parse_field_selector(field_selector, res.plural)
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e)) from None
        with self.lock:
            items = [
                self.output(res, o)
                for o in self.objects(res.store_key, ns)
                if lmatch((o.get("metadata") or {}).get("labels")) and fmatch(o)
            ]
            return items, str(self.rv)

    def matcher(self, res: Res, ns: str | None, label_selector, field_selector):
        try:
            lmatch = parse_label_selector(label_selector)
            fmatch = parse_field_selector(field_selector, res.plural)
        except SelectorError as e:
            raise ApiError(400, "BadRequest", str(e)) from None

        def match(obj):
            if obj is None:
                return False
            md = obj.get("metadata") or {}
            if ns is not None and md.get("namespace", "") != ns:
                return False
            return lmatch(md.get("labels")) and fmatch(obj)

        return match

    def _check_body(self, res: Res, ns: str, body: dict, name: str | None = None):
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the body of the request was in an unknown format")
        kind = body.get("kind")
        if kind and kind != res.kind:
            raise ApiError(
                400,
                "BadRequest",
                f"the API version in the data ({body.get('apiVersion')}) does not "
                f"match the expected API version ({res.api_version})"
                if body.get("apiVersion") != res.api_version
                else f"the kind in the data ({kind}) does not match the expected kind ({res.kind})",
            )
        md = body.setdefault("metadata", {})
        if res.namespaced:
            if md.get("namespace") and md["namespace"] != ns:
                raise ApiError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does "
                    "not match the namespace sent on the request",
                )
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        if name is not None and md.get("name") and md["name"] != name:
            raise ApiError(
                400,
                "BadRequest",
                "the name of the object "
                f"({md['name']}) does not match the name on the URL ({name})",
            )
        if name is not None:
            md["name"] = name

    def create(
        self, res: Res, ns: str, body: dict, *, manager: str | None = None, dry_run: bool = False
    ) -> dict:
        if "create" not in res.verbs:
            raise method_not_allowed()
        if res.kind in REVIEW_KINDS:
            return self._review(res, body)
        with self.lock:
            self._check_body(res, ns, body)
            body["apiVersion"], body["kind"] = res.api_version, res.kind
            md = body["metadata"]
            if not md.get("name") and md.get("generateName"):
                md["name"] = md["generateName"] + rand_suffix()
            try:
                kinds.validate(body)
            except Invalid as e:
                raise invalid(e) from None
            if res.namespaced:
                self.check_namespace(ns, creating=res, name=md["name"])
            if self.get_obj(res.store_key, ns if res.namespaced else "", md["name"]):
                raise already_exists(res, md["name"])
            for k in (
                "uid",
                "resourceVersion",
                "creationTimestamp",
                "deletionTimestamp",
                "generation",
                "managedFields",
                "selfLink",
            ):
                md.pop(k, None)
            applied = copy.deepcopy(body)
            obj = kinds.apply_defaults(copy.deepcopy(body))
            if res.kind == "Pod":
                obj = kinds.admit_pod(obj)
            elif res.kind == "Service":
                self._allocate_service(obj)
            elif res.kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"):
                obj["status"] = {"replicas": 0} if res.kind == "ReplicaSet" else {}
            obj["metadata"] = self.new_meta(
                obj["metadata"], res.kind, manager, res.api_version, applied
            )
            if res.kind == "Job":
                obj["spec"] = kinds._job_spec(obj["spec"], obj["metadata"])
                if not obj["metadata"].get("labels"):
                    obj["metadata"]["labels"] = dict(
                        obj["spec"]["template"]["metadata"].get("labels") or {}
                    )
            obj = self._ordered(obj)
            if dry_run:
                obj["metadata"].pop("uid", None)
                return self.output(res, obj)
            out = self.put(res.store_key, obj, new=True)
            self.reconcile()
            return self.output(res, out)

    def _review(self, res: Res, body: dict) -> dict:
        """Access reviews are answered, not stored. The recorded user is a cluster admin."""
        out = {
            "kind": res.kind,
            "apiVersion": res.api_version,
            "metadata": {"creationTimestamp": None},
            "spec": body.get("spec") or {},
        }
        if res.kind == "SelfSubjectRulesReview":
            # hand-written: no recording (what kube-apiserver answers a cluster-admin)
            out["status"] = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        elif res.kind == "TokenReview":
            out["status"] = {
                "authenticated": True,
                "user": {
                    "username": "minikube-user",
                    "groups": ["system:masters", "system:authenticated"],
                },
            }
        else:
            out["status"] = {"allowed": True, "reason": ""}  # hand-written: no recording
        return out

    def _allocate_service(self, svc: dict):
        spec = svc["spec"]
        typ = spec.get("type", "ClusterIP")
        if typ != "ExternalName" and not spec.get("clusterIP"):
            while True:
                ip = f"10.0.{random.randint(0, 255)}.{random.randint(2, 254)}"
                if ip not in self._cluster_ips:
                    break
            self._cluster_ips.add(ip)
            spec["clusterIP"] = ip
        if spec.get("clusterIP") and "clusterIPs" not in spec:
            spec["clusterIPs"] = [spec["clusterIP"]]
        if typ in ("NodePort", "LoadBalancer"):
            for p in spec.get("ports") or []:
                if not p.get("nodePort"):
                    while True:
                        np_ = random.randint(30000, 32767)
                        if np_ not in self._node_ports:
                            break
                    self._node_ports.add(np_)
                    p["nodePort"] = np_
            spec.setdefault("externalTrafficPolicy", "Cluster")
            if typ == "LoadBalancer":
                spec.setdefault("allocateLoadBalancerNodePorts", True)
        if typ != "ExternalName":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        order = [
            "ports",
            "selector",
            "clusterIP",
            "clusterIPs",
            "type",
            "externalIPs",
            "sessionAffinity",
            "externalName",
            "externalTrafficPolicy",
            "ipFamilies",
            "ipFamilyPolicy",
            "allocateLoadBalancerNodePorts",
            "internalTrafficPolicy",
        ]
        out = {k: spec[k] for k in order if k in spec}
        out.update({k: v for k, v in spec.items() if k not in out})
        svc["spec"] = out
        svc["status"] = {"loadBalancer": {}}

    def update(
        self,
        res: Res,
        ns: str,
        name: str,
        body: dict,
        *,
        subresource: str | None = None,
        manager: str | None = None,
        dry_run: bool = False,
        patch_body: dict | None = None,
    ) -> dict:
        with self.lock:
            ns_key = ns if res.namespaced else ""
            cur = self.get_obj(res.store_key, ns_key, name)
            if cur is None:
                raise not_found(res, name)
            if subresource == "scale":
                return self._update_scale(res, cur, body, manager)
            self._check_body(res, ns, body, name)
            rv = body["metadata"].get("resourceVersion")
            if rv and rv != cur["metadata"]["resourceVersion"]:
                raise ApiError(
                    409,
                    "Conflict",
                    f"Operation cannot be fulfilled on {res.qualified} "
                    f'"{name}": the object has been modified; please apply your '
                    "changes to the latest version and try again",
                    {
                        "name": name,
                        **({"group": res.group} if res.group else {}),
                        "kind": res.plural,
                    },
                )
            body["apiVersion"], body["kind"] = res.api_version, res.kind
            new = copy.deepcopy(body)
            if subresource == "status":
                new = copy.deepcopy(cur)
                new["status"] = copy.deepcopy(body.get("status"))
            else:
                if "status" in res.subresources:
                    if "status" in cur:
                        new["status"] = copy.deepcopy(cur["status"])
                    else:
                        new.pop("status", None)
                try:
                    kinds.validate(new)
                except Invalid as e:
                    raise invalid(e) from None
                new = kinds.apply_defaults(new)
                if res.kind == "Pod":
                    new["spec"] = self._merge_pod_spec(cur["spec"], new.get("spec") or {})
                if res.kind == "Service":
                    for k in (
                        "clusterIP",
                        "clusterIPs",
                        "ipFamilies",
                        "ipFamilyPolicy",
                        "internalTrafficPolicy",
                    ):
                        if k in cur.get("spec", {}) and k not in new.get("spec", {}):
                            new["spec"][k] = cur["spec"][k]
                    self._allocate_service(new)
                    new["status"] = cur.get("status", {"loadBalancer": {}})
            md, cmd = new["metadata"], cur["metadata"]
            for k in (
                "uid",
                "creationTimestamp",
                "generation",
                "deletionTimestamp",
                "managedFields",
                "ownerReferences" if "ownerReferences" not in md else "",
            ):
                if k and k in cmd:
                    md[k] = copy.deepcopy(cmd[k])
            if res.kind in kinds.GENERATION_KINDS and subresource is None:
                strip = ("metadata", "status")
                if {k: v for k, v in new.items() if k not in strip} != {
                    k: v for k, v in cur.items() if k not in strip
                }:
                    md["generation"] = cmd.get("generation", 1) + 1
            self._touch_managed(
                new,
                manager,
                res.api_version,
                patch_body if patch_body is not None else body,
                subresource,
            )
            if new == cur or _same_but_rv(new, cur):
                return self.output(res, cur)
            new = self._ordered(new)
            if dry_run:
                return self.output(res, new)
            out = self.put(res.store_key, new)
            self.reconcile()
            return self.output(res, out)

    def _merge_pod_spec(self, cur_spec: dict, new_spec: dict) -> dict:
        # Pod specs are immutable apart from images and a few fields; keep what admission set
        merged = copy.deepcopy(cur_spec)
        for i, c in enumerate(new_spec.get("containers") or []):
            if i < len(merged["containers"]) and c.get("image"):
                merged["containers"][i]["image"] = c["image"]
        for k in ("activeDeadlineSeconds", "tolerations"):
            if k in new_spec:
                merged[k] = new_spec[k]
        return merged

    def _update_scale(self, res: Res, cur: dict, scale: dict, manager: str | None) -> dict:
        new = copy.deepcopy(cur)
        new["spec"]["replicas"] = int((scale.get("spec") or {}).get("replicas", 0))
        if new["spec"] != cur["spec"]:
            new["metadata"]["generation"] = cur["metadata"].get("generation", 1) + 1
        self._touch_managed(new, manager, res.api_version, {"spec": {"replicas": 0}}, "scale")
        out = self.put(res.store_key, new)
        self.reconcile()
        return self.scale_of(res, out)

    def scale_of(self, res: Res, obj: dict) -> dict:
        md = obj["metadata"]
        sel = (obj.get("spec") or {}).get("selector") or {}
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": md["name"],
                "namespace": md.get("namespace"),
                "uid": md["uid"],
                "resourceVersion": md["resourceVersion"],
                "creationTimestamp": md["creationTimestamp"],
            },
            "spec": {"replicas": obj["spec"].get("replicas", 0)},
            "status": {
                "replicas": (obj.get("status") or {}).get("replicas", 0),
                "selector": ",".join(
                    f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())
                ),
            },
        }

    def patch(
        self,
        res: Res,
        ns: str,
        name: str,
        ptype: str,
        patch,
        *,
        subresource: str | None = None,
        manager: str | None = None,
        dry_run: bool = False,
    ) -> dict:
        if "patch" not in res.verbs:
            raise method_not_allowed()
        with self.lock:
            ns_key = ns if res.namespaced else ""
            cur = self.get_obj(res.store_key, ns_key, name)
            if ptype == "apply" and cur is None:
                body = patch
                body.setdefault("metadata", {})["name"] = name
                return self.create(res, ns, body, manager=manager, dry_run=dry_run)
            if cur is None:
                raise not_found(res, name)
            base = self.output(res, cur)
            if subresource == "scale":
                base = self.scale_of(res, cur)
            try:
                if ptype == "json":
                    new = json_patch(base, patch)
                elif ptype == "merge":
                    new = merge_patch(base, patch)
                elif ptype in ("strategic", "apply"):
                    new = strategic_merge(base, patch)
                else:
                    raise ApiError(415, "UnsupportedMediaType", f"unsupported patch type {ptype}")
            except PatchError as e:
                raise ApiError(
                    422 if ptype == "json" else 400,
                    "Invalid" if ptype == "json" else "BadRequest",
                    str(e),
                ) from None
            if not isinstance(new, dict):
                raise ApiError(400, "BadRequest", "invalid patch result")
            if "resourceVersion" not in (
                (patch if isinstance(patch, dict) else {}).get("metadata") or {}
            ):
                new.setdefault("metadata", {})["resourceVersion"] = cur["metadata"][
                    "resourceVersion"
                ]
            if ptype == "apply":
                manager = manager or "kubectl"
            return self.update(
                res,
                ns,
                name,
                new,
                subresource=subresource,
                manager=manager,
                dry_run=dry_run,
                patch_body=patch if isinstance(patch, dict) else {},
            )

    def delete(
        self, res: Res, ns: str, name: str, options: dict | None = None, dry_run: bool = False
    ) -> dict:
        if "delete" not in res.verbs:
            raise method_not_allowed()
        options = options or {}
        with self.lock:
            ns_key = ns if res.namespaced else ""
            cur = self.get_obj(res.store_key, ns_key, name)
            if cur is None:
                raise not_found(res, name)
            if dry_run:
                return self.output(res, cur)
            if res.kind == "Namespace":
                if not cur["metadata"].get("deletionTimestamp"):
                    new = copy.deepcopy(cur)
                    new["metadata"]["deletionTimestamp"] = ts()
                    new["status"]["phase"] = "Terminating"
                    out = self.put(res.store_key, new)
                    self.after(self.namespace_delete_delay, lambda: finalize_namespace(self, name))
                    return self.output(res, out)
                return self.output(res, cur)
            policy = options.get("propagationPolicy") or "Background"
            if options.get("orphanDependents") is True:
                policy = "Orphan"
            final = copy.deepcopy(cur)
            if policy == "Orphan":
                orphan_dependents(self, cur["metadata"]["uid"])
            out = self.remove(res.store_key, ns_key, name)
            self.reconcile()
            return self.output(res, out or final)

    # --- the simulated control plane (controllers/) -------------------------------------

    def reconcile(self):
        """Run every controller until nothing changes (called with the lock held)."""
        controllers.reconcile(self)

    # --- scenario controls ---------------------------------------------------------------

    def set_server_version(self, version: str):
        with self.lock:
            old = self.server_version
            self.server_version = version
            # the control-plane pods run images tagged with the cluster version
            for pod in self.objects(("", "pods"), "kube-system"):
                images = [c.get("image", "") for c in pod["spec"]["containers"]]
                if not any(i.endswith(":" + old) for i in images):
                    continue
                new = copy.deepcopy(pod)
                for c in new["spec"]["containers"] + new["status"].get("containerStatuses", []):
                    if c.get("image", "").endswith(":" + old):
                        c["image"] = c["image"][: -len(old)] + version
                    if c.get("imageID", "").startswith("docker.io/library/"):
                        c["imageID"] = f"docker.io/library/{c['image']}@sha256:" + "0" * 64
                self.put(("", "pods"), new)
            for node in self.objects(("", "nodes")):
                new = copy.deepcopy(node)
                info = new["status"]["nodeInfo"]
                info["kubeletVersion"] = version
                info["kubeProxyVersion"] = version
                info["containerRuntimeVersion"] = _runtime_for(version)
                self.put(("", "nodes"), new)


def _same_but_rv(a: dict, b: dict) -> bool:
    a = copy.deepcopy(a)
    b = copy.deepcopy(b)
    for o in (a, b):
        o["metadata"].pop("resourceVersion", None)
        o["metadata"].pop("managedFields", None)
    return a == b


def method_not_allowed() -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


def _core_event_to_new(ev: dict, api_version: str) -> dict:
    """core/v1 Event -> events.k8s.io/v1 Event (the server converts on read)."""
    out = {
        "kind": "Event",
        "apiVersion": api_version,
        "metadata": ev["metadata"],
        "eventTime": ev.get("eventTime"),
        "reportingController": ev.get("reportingComponent")
        or (ev.get("source") or {}).get("component", ""),
        "reportingInstance": ev.get("reportingInstance")
        or (ev.get("source") or {}).get("host", ""),
        "action": ev.get("action", ""),
        "reason": ev.get("reason"),
        "regarding": ev.get("involvedObject"),
        "note": ev.get("message"),
        "type": ev.get("type"),
    }
    if ev.get("source", {}).get("component"):
        out["deprecatedSource"] = ev["source"]
    if ev.get("firstTimestamp"):
        out["deprecatedFirstTimestamp"] = ev["firstTimestamp"]
        out["deprecatedLastTimestamp"] = ev.get("lastTimestamp")
        out["deprecatedCount"] = ev.get("count", 1)
    return out
