"""In-memory API server state: resource registry, object store with resourceVersions and a
watch log, API verbs with the real server's errors, and the simulated control plane
(scheduler, kubelet, ReplicaSet/Deployment/endpoints/namespace controllers, garbage
collector)."""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field

from . import kinds, recorded
from .initial import ensure_kubernetes_service
from .kinds import Invalid, new_uid, rand_suffix, ts
from .patch import PatchError, json_patch, merge_patch, strategic_merge
from .selectors import SelectorError, parse_field_selector, parse_label_selector, selector_matches

NODE = "minikube"
NODE_IP = "192.168.49.2"


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


def _resolve_int_or_percent(v, total: int, round_up: bool) -> int:
    if isinstance(v, int):
        return v
    s = str(v)
    if s.endswith("%"):
        pct = int(s[:-1])
        val = pct * total / 100
        return int(-(-val // 1)) if round_up else int(val // 1)
    return int(s)


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def pod_template_hash(template: dict, collision_count: int = 0) -> str:
    """Same shape as controller.ComputeHash: fnv32a, then rand.SafeEncodeString."""
    data = json.dumps(template, sort_keys=True).encode()
    if collision_count:
        data += str(collision_count).encode()
    return "".join(kinds.SUFFIX_ALPHABET[ord(ch) % 27] for ch in str(_fnv32a(data)))


def _strip_hash(tmpl: dict) -> dict:
    t = copy.deepcopy(tmpl)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop("pod-template-hash", None)
    return t


REVIEW_KINDS = {
    "SelfSubjectAccessReview",
    "SubjectAccessReview",
    "LocalSubjectAccessReview",
    "SelfSubjectRulesReview",
    "TokenReview",
}

RS_ANNOTATIONS_SKIP = {
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
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
        # simulated control plane bookkeeping
        self._ip_counter = itertools.count(20)
        self._cluster_ips: set[str] = set()
        self._node_ports: set[int] = set()
        self._kubelet_seen: set[str] = set()
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
        self._garbage_collect(obj)
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
                    self.after(self.namespace_delete_delay, lambda: self._finalize_ns(name))
                    return self.output(res, out)
                return self.output(res, cur)
            policy = options.get("propagationPolicy") or "Background"
            if options.get("orphanDependents") is True:
                policy = "Orphan"
            final = copy.deepcopy(cur)
            if policy == "Orphan":
                self._orphan_dependents(cur["metadata"]["uid"])
            out = self.remove(res.store_key, ns_key, name)
            self.reconcile()
            return self.output(res, out or final)

    # --- namespace lifecycle / garbage collection ---------------------------------------

    def _finalize_ns(self, name: str):
        ns = self.get_obj(("", "namespaces"), "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        for (group, plural), bucket in list(self.data.items()):
            for ons, oname in list(bucket):
                if ons == name:
                    self.remove((group, plural), ons, oname)
        self.remove(("", "namespaces"), "", name)

    def _orphan_dependents(self, uid: str):
        for skey, bucket in self.data.items():
            for obj in list(bucket.values()):
                refs = obj["metadata"].get("ownerReferences") or []
                if any(r.get("uid") == uid for r in refs):
                    new = copy.deepcopy(obj)
                    new["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                    if not new["metadata"]["ownerReferences"]:
                        del new["metadata"]["ownerReferences"]
                    self.put(skey, new)

    def _garbage_collect(self, owner: dict):
        uid = owner["metadata"].get("uid")
        for skey, bucket in list(self.data.items()):
            for (ons, oname), obj in list(bucket.items()):
                refs = obj["metadata"].get("ownerReferences") or []
                if any(r.get("uid") == uid for r in refs):
                    self.remove(skey, ons, oname)

    # --- the simulated control plane -----------------------------------------------------

    def reconcile(self):
        """Run every controller until nothing changes (called with the lock held)."""
        for _ in range(50):
            before = self.rv
            ensure_kubernetes_service(self)
            self._namespace_controller()
            self._scheduler()
            self._kubelet()
            self._deployment_controller()
            self._replicaset_controller()
            self._statefulset_controller()
            self._daemonset_controller()
            self._job_controller()
            self._endpoints_controller()
            if self.rv == before:
                return

    def _namespace_controller(self):
        for ns in self.objects(("", "namespaces")):
            name = ns["metadata"]["name"]
            if ns["metadata"].get("deletionTimestamp"):
                continue
            if self.get_obj(("", "serviceaccounts"), name, "default") is None:
                self.system_create(
                    self.res_for_kind("", "ServiceAccount"),
                    {"metadata": {"name": "default", "namespace": name}},
                    manager=None,
                )
            if self.get_obj(("", "configmaps"), name, "kube-root-ca.crt") is None:
                # hand-written: no recording (content of the cluster CA bundle)
                self.system_create(
                    self.res_for_kind("", "ConfigMap"),
                    {
                        "metadata": {
                            "name": "kube-root-ca.crt",
                            "namespace": name,
                            "annotations": {
                                "kubernetes.io/description": (
                                    "Contains a CA bundle that can be used to verify the "
                                    "kube-apiserver when using internal endpoints such as the "
                                    "internal service IP or kubernetes.default.svc. No other "
                                    "usage is guaranteed across distributions of Kubernetes "
                                    "clusters."
                                )
                            },
                        },
                        "data": {"ca.crt": STANDIN_CA},
                    },
                    manager="kube-controller-manager",
                )

    def _scheduler(self):
        for pod in self.objects(("", "pods")):
            if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
                continue
            new = copy.deepcopy(pod)
            new["spec"]["nodeName"] = NODE
            new["status"]["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": ts(),
                }
            ]
            stored = self.put(("", "pods"), new)
            md = stored["metadata"]
            self.event(
                stored,
                "Scheduled",
                f"Successfully assigned {md['namespace']}/{md['name']} to {NODE}",
                "default-scheduler",
                new_api=True,
            )

    def _kubelet(self):
        for pod in self.objects(("", "pods")):
            uid = pod["metadata"]["uid"]
            if pod["spec"].get("nodeName") != NODE or uid in self._kubelet_seen:
                continue
            self._kubelet_seen.add(uid)
            images = [c.get("image") for c in pod["spec"].get("containers") or []]
            stuck = any(i in self.stuck_images for i in images)
            if self.ready_delay <= 0 and not stuck:
                self._start_pod(pod["metadata"].get("namespace"), pod["metadata"]["name"], uid)
                continue
            # hand-written: no recording (the recorded node started containers at once);
            # what a kubelet reports while it pulls the image and creates the container
            new = copy.deepcopy(pod)
            now = ts()
            cs = [
                {
                    "name": c["name"],
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                    "lastState": {},
                    "ready": False,
                    "restartCount": 0,
                    "image": c["image"],
                    "imageID": "",
                    "started": False,
                }
                for c in pod["spec"]["containers"]
            ]
            not_ready = (
                "containers with unready status: ["
                + " ".join(c["name"] for c in pod["spec"]["containers"])
                + "]"
            )
            new["status"] = {
                "phase": "Pending",
                "conditions": [
                    {
                        "type": "Initialized",
                        "status": "True",
                        "lastProbeTime": None,
                        "lastTransitionTime": now,
                    },
                    {
                        "type": "Ready",
                        "status": "False",
                        "lastProbeTime": None,
                        "lastTransitionTime": now,
                        "reason": "ContainersNotReady",
                        "message": not_ready,
                    },
                    {
                        "type": "ContainersReady",
                        "status": "False",
                        "lastProbeTime": None,
                        "lastTransitionTime": now,
                        "reason": "ContainersNotReady",
                        "message": not_ready,
                    },
                    {
                        "type": "PodScheduled",
                        "status": "True",
                        "lastProbeTime": None,
                        "lastTransitionTime": now,
                    },
                ],
                "hostIP": NODE_IP,
                "startTime": now,
                "containerStatuses": cs,
                "qosClass": pod["status"].get("qosClass", "BestEffort"),
            }
            self.put(("", "pods"), new)
            if not stuck:
                ns_, name_ = pod["metadata"].get("namespace"), pod["metadata"]["name"]
                self.after(
                    self.ready_delay,
                    lambda ns_=ns_, name_=name_, uid=uid: self._start_pod(ns_, name_, uid),
                )

    def _start_pod(self, ns: str, name: str, uid: str):
        pod = self.get_obj(("", "pods"), ns, name)
        if pod is None or pod["metadata"]["uid"] != uid or pod["metadata"].get("deletionTimestamp"):
            return
        new = copy.deepcopy(pod)
        now = ts()
        ip = f"10.244.0.{next(self._ip_counter) % 254 + 1}"
        conds = [
            {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
            for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ]
        new["status"] = {
            "phase": "Running",
            "conditions": conds,
            "hostIP": NODE_IP,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": (pod.get("status") or {}).get("startTime", now),
            "containerStatuses": [
                {
                    "name": c["name"],
                    "state": {"running": {"startedAt": now}},
                    "lastState": {},
                    "ready": True,
                    "restartCount": 0,
                    "image": c["image"],
                    "imageID": f"docker.io/library/{c['image']}@sha256:" + "0" * 64,
                    "containerID": "containerd://" + "0" * 64,
                    "started": True,
                }
                for c in pod["spec"]["containers"]
            ],
            "qosClass": (pod.get("status") or {}).get("qosClass", "BestEffort"),
        }
        self.put(("", "pods"), new)
        if pod["spec"].get("restartPolicy") in ("Never", "OnFailure"):
            if self.job_duration <= 0:
                self._complete_pod(ns, name, uid)
            else:
                self.after(self.job_duration, lambda: self._complete_pod(ns, name, uid))

    def _complete_pod(self, ns: str, name: str, uid: str):
        """A run-to-completion container exits 0 (the simulated runtime runs no code)."""
        # hand-written: no recording (kubelet's status of a pod whose containers exited 0)
        pod = self.get_obj(("", "pods"), ns, name)
        if pod is None or pod["metadata"]["uid"] != uid or pod["status"].get("phase") != "Running":
            return
        new = copy.deepcopy(pod)
        now = ts()
        st = new["status"]
        st["phase"] = "Succeeded"
        for c in st["conditions"]:
            if c["type"] in ("Ready", "ContainersReady"):
                c.update(status="False", lastTransitionTime=now, reason="PodCompleted")
        for cs in st["containerStatuses"]:
            started = cs["state"]["running"]["startedAt"]
            cs["state"] = {
                "terminated": {
                    "exitCode": 0,
                    "reason": "Completed",
                    "startedAt": started,
                    "finishedAt": now,
                    "containerID": cs["containerID"],
                }
            }
            cs["ready"] = False
            cs["started"] = False
        self.put(("", "pods"), new)

    def _create_owned_pod(
        self,
        owner: dict,
        tmpl: dict,
        name: str | None = None,
        extra_labels: dict | None = None,
        spec_extra: dict | None = None,
    ):
        md = owner["metadata"]
        tmd = tmpl.get("metadata") or {}
        pmd = {"namespace": md["namespace"]}
        if name:
            pmd["name"] = name
        else:
            pmd["generateName"] = md["name"] + "-"
        labels = {**(tmd.get("labels") or {}), **(extra_labels or {})}
        if labels:
            pmd["labels"] = labels
        if tmd.get("annotations"):
            pmd["annotations"] = copy.deepcopy(tmd["annotations"])
        pmd["ownerReferences"] = [_owner_ref(owner)]
        spec = copy.deepcopy(tmpl.get("spec") or {})
        spec.update(spec_extra or {})
        pod = self.system_create(self.res_for_kind("", "Pod"), {"metadata": pmd, "spec": spec})
        self.event(
            owner,
            "SuccessfulCreate",
            f"create Pod {pod['metadata']['name']} in {owner['kind']} {md['name']} successful"
            if owner["kind"] == "StatefulSet"
            else f"Created pod: {pod['metadata']['name']}",
            {
                "StatefulSet": "statefulset-controller",
                "DaemonSet": "daemonset-controller",
                "Job": "job-controller",
            }[owner["kind"]],
        )
        return pod

    def _set_status(self, skey, obj: dict, status: dict):
        cur = self.get_obj(skey, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if cur is not None and cur.get("status") != status:
            new = copy.deepcopy(cur)
            new["status"] = status
            self.put(skey, new)

    # hand-written: no recording. The StatefulSet, DaemonSet and Job controllers below follow
    # pkg/controller/* of Kubernetes v1.24 (pod names, labels, status fields), simplified.
    def _statefulset_controller(self):
        for sts in self.objects(("apps", "statefulsets")):
            md, spec = sts["metadata"], sts["spec"]
            ns = md["namespace"]
            want = spec.get("replicas", 1)
            rev = f"{md['name']}-{pod_template_hash(spec.get('template') or {})}"
            pods = {p["metadata"]["name"]: p for p in self._owned(("", "pods"), ns, md["uid"])}
            parallel = spec.get("podManagementPolicy") == "Parallel"
            for i in range(want):
                name = f"{md['name']}-{i}"
                if name in pods:
                    if not parallel and not self.pod_ready(pods[name]):
                        break
                    continue
                self._create_owned_pod(
                    sts,
                    spec.get("template") or {},
                    name,
                    {"controller-revision-hash": rev, "statefulset.kubernetes.io/pod-name": name},
                    {
                        "hostname": name,
                        **({"subdomain": spec["serviceName"]} if spec.get("serviceName") else {}),
                    },
                )
                if not parallel:
                    break
            for name in sorted(pods, key=lambda n: int(n.rsplit("-", 1)[1]), reverse=True):
                if int(name.rsplit("-", 1)[1]) >= want:
                    self.remove(("", "pods"), ns, name)
                    break
            else:
                # rolling update: replace the highest-ordinal pod of an older revision
                stale = [
                    n
                    for n, p in pods.items()
                    if (p["metadata"].get("labels") or {}).get("controller-revision-hash") != rev
                    and int(n.rsplit("-", 1)[1]) < want
                ]
                if stale and all(self.pod_ready(p) for p in pods.values()):
                    self.remove(
                        ("", "pods"), ns, max(stale, key=lambda n: int(n.rsplit("-", 1)[1]))
                    )
            pods = self._owned(("", "pods"), ns, md["uid"])
            ready = sum(1 for p in pods if self.pod_ready(p))
            updated = sum(
                1
                for p in pods
                if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == rev
            )
            status = {"observedGeneration": md.get("generation", 1), "replicas": len(pods)}
            if ready:
                status["readyReplicas"] = ready
            status.update(
                {
                    "currentReplicas": updated,
                    "updatedReplicas": updated,
                    "currentRevision": rev,
                    "updateRevision": rev,
                    "collisionCount": 0,
                    "availableReplicas": ready,
                }
            )
            self._set_status(("apps", "statefulsets"), sts, status)

    def _daemonset_controller(self):
        for ds in self.objects(("apps", "daemonsets")):
            md, spec = ds["metadata"], ds["spec"]
            ns = md["namespace"]
            tmpl = spec.get("template") or {}
            node_sel = (tmpl.get("spec") or {}).get("nodeSelector") or {}
            node_labels = (self.get_obj(("", "nodes"), "", NODE) or {}).get("metadata", {}).get(
                "labels"
            ) or {}
            fits = all(node_labels.get(k) == v for k, v in node_sel.items())
            pods = self._owned(("", "pods"), ns, md["uid"])
            if fits and not pods:
                pods = [
                    self._create_owned_pod(
                        ds,
                        tmpl,
                        None,
                        {
                            "controller-revision-hash": pod_template_hash(tmpl),
                            "pod-template-generation": str(md.get("generation", 1)),
                        },
                        {"nodeName": NODE},
                    )
                ]
            ready = sum(1 for p in pods if self.pod_ready(p))
            n = 1 if fits else 0
            self._set_status(
                ("apps", "daemonsets"),
                ds,
                {
                    "currentNumberScheduled": len(pods),
                    "numberMisscheduled": 0,
                    "desiredNumberScheduled": n,
                    "numberReady": ready,
                    "observedGeneration": md.get("generation", 1),
                    "updatedNumberScheduled": len(pods),
                    "numberAvailable": ready,
                    **({"numberUnavailable": n - ready} if n - ready > 0 else {}),
                },
            )

    def _job_controller(self):
        for job in self.objects(("batch", "jobs")):
            md, spec = job["metadata"], job["spec"]
            ns = md["namespace"]
            st = copy.deepcopy(job.get("status") or {})
            if any(c.get("type") == "Complete" for c in st.get("conditions") or []):
                continue
            pods = self._owned(("", "pods"), ns, md["uid"])
            succeeded = sum(1 for p in pods if p["status"].get("phase") == "Succeeded")
            failed = sum(1 for p in pods if p["status"].get("phase") == "Failed")
            active = [p for p in pods if p["status"].get("phase") not in ("Succeeded", "Failed")]
            completions = spec.get("completions", 1)
            parallelism = spec.get("parallelism", 1)
            if not spec.get("suspend"):
                for _ in range(max(0, min(parallelism, completions - succeeded) - len(active))):
                    active.append(
                        self._create_owned_pod(
                            job,
                            spec.get("template") or {},
                            None,
                            {"controller-uid": md["uid"], "job-name": md["name"]},
                        )
                    )
            status = {}
            status["startTime"] = st.get("startTime") or ts()
            if succeeded >= completions:
                now = ts()
                status["completionTime"] = now
                status["conditions"] = [
                    {
                        "type": "Complete",
                        "status": "True",
                        "lastProbeTime": now,
                        "lastTransitionTime": now,
                    }
                ]
                self.event(job, "Completed", "Job completed", "job-controller")
            if active and succeeded < completions:
                status["active"] = len(active)
            if succeeded:
                status["succeeded"] = succeeded
            if failed:
                status["failed"] = failed
            status["uncountedTerminatedPods"] = {}
            status["ready"] = sum(1 for p in active if self.pod_ready(p))
            self._set_status(("batch", "jobs"), job, status)

    @staticmethod
    def pod_ready(pod: dict) -> bool:
        if pod["metadata"].get("deletionTimestamp"):
            return False
        return any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        )

    def _owned(self, skey, ns: str, owner_uid: str) -> list[dict]:
        return [
            o
            for o in self.objects(skey, ns)
            if any(
                r.get("uid") == owner_uid and r.get("controller")
                for r in o["metadata"].get("ownerReferences") or []
            )
        ]

    def _replicaset_controller(self):
        pod_res = self.res_for_kind("", "Pod")
        for rs in self.objects(("apps", "replicasets")):
            md = rs["metadata"]
            ns, uid = md["namespace"], md["uid"]
            sel = rs["spec"].get("selector")
            # adopt matching orphans
            for pod in self.objects(("", "pods"), ns):
                pmd = pod["metadata"]
                if pmd.get("ownerReferences") or pmd.get("deletionTimestamp"):
                    continue
                if selector_matches(sel, pmd.get("labels")):
                    new = copy.deepcopy(pod)
                    new["metadata"]["ownerReferences"] = [_owner_ref(rs)]
                    self.put(("", "pods"), new)
            pods = [
                p
                for p in self._owned(("", "pods"), ns, uid)
                if not p["metadata"].get("deletionTimestamp")
            ]
            want = rs["spec"].get("replicas", 1)
            if len(pods) < want:
                tmpl = rs["spec"].get("template") or {}
                tmd = tmpl.get("metadata") or {}
                for _ in range(want - len(pods)):
                    pmd = {"generateName": md["name"] + "-", "namespace": ns}
                    if tmd.get("labels"):
                        pmd["labels"] = copy.deepcopy(tmd["labels"])
                    if tmd.get("annotations"):
                        pmd["annotations"] = copy.deepcopy(tmd["annotations"])
                    pmd["ownerReferences"] = [_owner_ref(rs)]
                    pod = self.system_create(
                        pod_res, {"metadata": pmd, "spec": copy.deepcopy(tmpl.get("spec") or {})}
                    )
                    pods.append(pod)
                    self.event(
                        rs,
                        "SuccessfulCreate",
                        f"Created pod: {pod['metadata']['name']}",
                        "replicaset-controller",
                    )
            elif len(pods) > want:
                # delete unscheduled / not ready / newest first, like the real controller
                ranked = sorted(
                    pods,
                    key=lambda p: (
                        self.pod_ready(p),
                        -(kinds.parse_ts(p["metadata"]["creationTimestamp"]) or 0),
                    ),
                )
                for pod in ranked[: len(pods) - want]:
                    self.remove(("", "pods"), ns, pod["metadata"]["name"])
                    self.event(
                        rs,
                        "SuccessfulDelete",
                        f"Deleted pod: {pod['metadata']['name']}",
                        "replicaset-controller",
                    )
                pods = ranked[len(pods) - want :]
            ready = sum(1 for p in pods if self.pod_ready(p))
            status = {"replicas": len(pods)}
            if pods:
                status["fullyLabeledReplicas"] = len(pods)
            if ready:
                status["readyReplicas"] = ready
                status["availableReplicas"] = ready
            status["observedGeneration"] = md.get("generation", 1)
            cur = self.get_obj(("apps", "replicasets"), ns, md["name"])
            if cur is not None and cur.get("status") != status:
                new = copy.deepcopy(cur)
                new["status"] = status
                self.put(("apps", "replicasets"), new)

    def _deployment_controller(self):
        rs_res = self.res_for_kind("apps", "ReplicaSet")
        for dep in self.objects(("apps", "deployments")):
            md = dep["metadata"]
            if md.get("deletionTimestamp"):
                continue
            ns, uid = md["namespace"], md["uid"]
            spec = dep["spec"]
            desired = spec.get("replicas", 1)
            all_rs = self._owned(("apps", "replicasets"), ns, uid)
            # adopt orphaned ReplicaSets matching the selector
            for rs in self.objects(("apps", "replicasets"), ns):
                if not rs["metadata"].get("ownerReferences") and selector_matches(
                    spec.get("selector"),
                    (rs["spec"].get("template") or {}).get("metadata", {}).get("labels"),
                ):
                    new = copy.deepcopy(rs)
                    new["metadata"]["ownerReferences"] = [_owner_ref(dep)]
                    all_rs.append(self.put(("apps", "replicasets"), new))
            tmpl = _strip_hash(spec["template"])
            new_rs = next((r for r in all_rs if _strip_hash(r["spec"]["template"]) == tmpl), None)
            revs = [
                int(
                    (r["metadata"].get("annotations") or {}).get(
                        "deployment.kubernetes.io/revision", "0"
                    )
                )
                for r in all_rs
            ]
            max_rev = max(revs, default=0)
            strategy = spec.get("strategy") or {}
            ru = strategy.get("rollingUpdate") or {}
            surge = _resolve_int_or_percent(ru.get("maxSurge", "25%"), desired, True)
            unavail = _resolve_int_or_percent(ru.get("maxUnavailable", "25%"), desired, False)
            if surge == 0 and unavail == 0:
                unavail = 1
            if strategy.get("type") == "Recreate":
                surge, unavail = 0, desired
            old_rs = [
                r
                for r in all_rs
                if new_rs is None or r["metadata"]["uid"] != new_rs["metadata"]["uid"]
            ]
            created_new = False
            if spec.get("paused"):
                pass
            elif new_rs is None:
                h = pod_template_hash(tmpl)
                rs_tmpl = copy.deepcopy(spec["template"])
                rs_tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
                sel = copy.deepcopy(spec.get("selector") or {})
                sel.setdefault("matchLabels", {})["pod-template-hash"] = h
                total = sum(r["spec"].get("replicas", 0) for r in old_rs)
                if strategy.get("type") == "Recreate":
                    start = 0 if any(r["spec"].get("replicas") for r in old_rs) else desired
                else:
                    start = desired if not old_rs else max(0, min(desired, desired + surge - total))
                ann = {
                    k: v
                    for k, v in (md.get("annotations") or {}).items()
                    if k not in RS_ANNOTATIONS_SKIP
                }
                ann.update(
                    {
                        "deployment.kubernetes.io/desired-replicas": str(desired),
                        "deployment.kubernetes.io/max-replicas": str(desired + surge),
                        "deployment.kubernetes.io/revision": str(max_rev + 1),
                    }
                )
                rs_md = {
                    "name": f"{md['name']}-{h}",
                    "namespace": ns,
                    "labels": copy.deepcopy(rs_tmpl["metadata"]["labels"]),
                    "annotations": ann,
                    "ownerReferences": [_owner_ref(dep)],
                }
                new_rs = self.system_create(
                    rs_res,
                    {
                        "metadata": rs_md,
                        "spec": {"replicas": start, "selector": sel, "template": rs_tmpl},
                        "status": {"replicas": 0},
                    },
                )
                created_new = True
                if start:
                    self.event(
                        dep,
                        "ScalingReplicaSet",
                        f"Scaled up replica set {rs_md['name']} to {start}",
                        "deployment-controller",
                    )
            else:
                ann = new_rs["metadata"].get("annotations") or {}
                rev = int(ann.get("deployment.kubernetes.io/revision", "0"))
                if rev < max_rev:
                    new = copy.deepcopy(new_rs)
                    a = new["metadata"].setdefault("annotations", {})
                    hist = [
                        x
                        for x in a.get("deployment.kubernetes.io/revision-history", "").split(",")
                        if x
                    ]
                    a["deployment.kubernetes.io/revision-history"] = ",".join(hist + [str(rev)])
                    a["deployment.kubernetes.io/revision"] = str(max_rev + 1)
                    new_rs = self.put(("apps", "replicasets"), new)
                # scale the new ReplicaSet up / to the desired size
                cur_n = new_rs["spec"].get("replicas", 0)
                total = sum(r["spec"].get("replicas", 0) for r in all_rs)
                if strategy.get("type") == "Recreate":
                    target = (
                        desired
                        if not any(
                            r["spec"].get("replicas") or r.get("status", {}).get("replicas")
                            for r in old_rs
                        )
                        else 0
                    )
                elif cur_n < desired:
                    target = min(desired, cur_n + max(0, desired + surge - total))
                else:
                    target = desired
                if target != cur_n:
                    new_rs = self._scale_rs(dep, new_rs, target)
            # scale old ReplicaSets down without going under minAvailable
            if not spec.get("paused") and new_rs is not None:
                fresh = [
                    self.get_obj(("apps", "replicasets"), ns, r["metadata"]["name"]) for r in all_rs
                ]
                fresh = [r for r in fresh if r is not None]
                new_fresh = self.get_obj(("apps", "replicasets"), ns, new_rs["metadata"]["name"])
                olds = [r for r in fresh if r["metadata"]["uid"] != new_rs["metadata"]["uid"]]
                available = sum(
                    r.get("status", {}).get("availableReplicas", 0)
                    for r in fresh + ([new_fresh] if created_new and new_fresh else [])
                )
                can_remove = available - (desired - unavail)
                for r in sorted(olds, key=lambda r: r["metadata"]["creationTimestamp"]):
                    n = r["spec"].get("replicas", 0)
                    if not n:
                        continue
                    unhealthy = n - r.get("status", {}).get("availableReplicas", 0)
                    if strategy.get("type") == "Recreate":
                        drop = n
                    else:
                        drop = min(n, max(0, unhealthy) + max(0, can_remove))
                        can_remove -= max(0, drop - max(0, unhealthy))
                    if drop > 0:
                        self._scale_rs(dep, r, n - drop)
                self._cleanup_history(dep, olds)
            self._deployment_status(dep, new_rs, unavail, created_new)

    def _scale_rs(self, dep, rs, n):
        cur = self.get_obj(
            ("apps", "replicasets"), rs["metadata"]["namespace"], rs["metadata"]["name"]
        )
        old_n = cur["spec"].get("replicas", 0)
        new = copy.deepcopy(cur)
        new["spec"]["replicas"] = n
        new["metadata"]["generation"] = cur["metadata"].get("generation", 1) + 1
        a = new["metadata"].setdefault("annotations", {})
        a["deployment.kubernetes.io/desired-replicas"] = str(dep["spec"].get("replicas", 1))
        out = self.put(("apps", "replicasets"), new)
        verb = "up" if n > old_n else "down"
        self.event(
            dep,
            "ScalingReplicaSet",
            f"Scaled {verb} replica set {rs['metadata']['name']} to {n}",
            "deployment-controller",
        )
        return out

    def _cleanup_history(self, dep, olds):
        limit = dep["spec"].get("revisionHistoryLimit", 10)
        idle = [
            r
            for r in olds
            if not r["spec"].get("replicas") and not r.get("status", {}).get("replicas")
        ]
        idle.sort(
            key=lambda r: int(
                (r["metadata"].get("annotations") or {}).get(
                    "deployment.kubernetes.io/revision", "0"
                )
            )
        )
        for r in idle[: max(0, len(idle) - limit)]:
            self.remove(("apps", "replicasets"), r["metadata"]["namespace"], r["metadata"]["name"])

    def _deployment_status(self, dep, new_rs, unavail, created_new):
        md = dep["metadata"]
        ns = md["namespace"]
        cur = self.get_obj(("apps", "deployments"), ns, md["name"])
        all_rs = self._owned(("apps", "replicasets"), ns, md["uid"])
        desired = cur["spec"].get("replicas", 1)
        new_fresh = None
        if new_rs is not None:
            new_fresh = self.get_obj(("apps", "replicasets"), ns, new_rs["metadata"]["name"])
        st_all = [r.get("status") or {} for r in all_rs]
        replicas = sum(s.get("replicas", 0) for s in st_all)
        ready = sum(s.get("readyReplicas", 0) for s in st_all)
        available = sum(s.get("availableReplicas", 0) for s in st_all)
        updated = (new_fresh or {}).get("status", {}).get("replicas", 0) if new_fresh else 0
        old_status = cur.get("status") or {}
        status = {"observedGeneration": md.get("generation", 1)}
        if replicas:
            status["replicas"] = replicas
        if updated:
            status["updatedReplicas"] = updated
        if ready:
            status["readyReplicas"] = ready
        if available:
            status["availableReplicas"] = available
        if desired - available > 0:
            status["unavailableReplicas"] = desired - available
        now = ts()
        old_conds = {c["type"]: c for c in old_status.get("conditions") or []}

        def cond(ctype, cstatus, reason, message):
            prev = old_conds.get(ctype)
            c = {
                "type": ctype,
                "status": cstatus,
                "lastUpdateTime": now,
                "lastTransitionTime": now,
                "reason": reason,
                "message": message,
            }
            if prev is not None:
                if prev["status"] == cstatus:
                    c["lastTransitionTime"] = prev["lastTransitionTime"]
                if (prev["status"], prev["reason"], prev["message"]) == (cstatus, reason, message):
                    c["lastUpdateTime"] = prev["lastUpdateTime"]
            return c

        conds = []
        if available >= desired - unavail:
            conds.append(
                cond(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                )
            )
        else:
            conds.append(
                cond(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                )
            )
        rs_name = new_rs["metadata"]["name"] if new_rs is not None else ""
        complete = updated == desired and replicas == desired and available == desired
        prev_p = old_conds.get("Progressing")
        if cur["spec"].get("paused"):
            conds.append(cond("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"))
        elif complete and new_rs is not None:
            conds.append(
                cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{rs_name}" has successfully progressed.',
                )
            )
        elif (
            prev_p is not None
            and prev_p["reason"] == "ProgressDeadlineExceeded"
            and (prev_p["message"] == f'ReplicaSet "{rs_name}" has timed out progressing.')
        ):
            conds.append(prev_p)
        elif created_new:
            conds.append(
                cond(
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    f'Created new replica set "{rs_name}"',
                )
            )
        else:
            c = cond(
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                f'ReplicaSet "{rs_name}" is progressing.',
            )
            if prev_p is not None and prev_p["reason"] == "NewReplicaSetCreated":
                c["lastUpdateTime"] = prev_p["lastUpdateTime"]
            deadline = cur["spec"].get("progressDeadlineSeconds", 600)
            started = kinds.parse_ts(c["lastUpdateTime"]) or time.time()
            if time.time() - started >= deadline:
                c = cond(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                )
            elif (prev_p or {}).get("message") != c["message"] or not prev_p:
                name_ = md["name"]
                self.after(
                    deadline - (time.time() - started) + 0.05,
                    lambda: self._touch_deployment(ns, name_),
                )
            conds.append(c)
        status["conditions"] = conds
        if status != old_status:
            new = copy.deepcopy(cur)
            new["status"] = status
            if new_rs is not None:
                rev = (
                    (new_fresh or new_rs)["metadata"]
                    .get("annotations", {})
                    .get("deployment.kubernetes.io/revision")
                )
                if rev:
                    new["metadata"].setdefault("annotations", {})[
                        "deployment.kubernetes.io/revision"
                    ] = rev
            self.put(("apps", "deployments"), new)
        elif new_rs is not None:
            rev = (
                (new_fresh or new_rs)["metadata"]
                .get("annotations", {})
                .get("deployment.kubernetes.io/revision")
            )
            if (
                rev
                and (md.get("annotations") or {}).get("deployment.kubernetes.io/revision") != rev
            ):
                new = copy.deepcopy(cur)
                new["metadata"].setdefault("annotations", {})[
                    "deployment.kubernetes.io/revision"
                ] = rev
                self.put(("apps", "deployments"), new)

    def _touch_deployment(self, ns, name):
        pass  # the reconcile that follows every timer re-evaluates the progress deadline

    def _endpoints_controller(self):
        for svc in self.objects(("", "services")):
            md = svc["metadata"]
            sel = svc["spec"].get("selector")
            if not sel or md.get("deletionTimestamp"):
                continue
            ns = md["namespace"]
            pods = [
                p
                for p in self.objects(("", "pods"), ns)
                if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())
                and (p.get("status") or {}).get("podIP")
                and not p["metadata"].get("deletionTimestamp")
            ]
            ready = sorted(
                (p for p in pods if self.pod_ready(p)), key=lambda p: p["status"]["podIP"]
            )
            not_ready = sorted(
                (p for p in pods if not self.pod_ready(p)), key=lambda p: p["status"]["podIP"]
            )

            def addr(p, ns=ns):
                return {
                    "ip": p["status"]["podIP"],
                    "nodeName": p["spec"].get("nodeName"),
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": ns,
                        "name": p["metadata"]["name"],
                        "uid": p["metadata"]["uid"],
                    },
                }

            ports = []
            for sp in svc["spec"].get("ports") or []:
                port = {"port": self._target_port(sp, pods), "protocol": sp.get("protocol", "TCP")}
                if sp.get("name"):
                    port = {"name": sp["name"], **port}
                ports.append(port)
            subsets = []
            if ready or not_ready:
                ss = {}
                if ready:
                    ss["addresses"] = [addr(p) for p in ready]
                if not_ready:
                    ss["notReadyAddresses"] = [addr(p) for p in not_ready]
                ss["ports"] = ports
                subsets = [ss]
            ep = self.get_obj(("", "endpoints"), ns, md["name"])
            if ep is None:
                body = {"metadata": {"name": md["name"], "namespace": ns}}
                if md.get("labels"):
                    body["metadata"]["labels"] = copy.deepcopy(md["labels"])
                if subsets:
                    body["subsets"] = subsets
                self.system_create(self.res_for_kind("", "Endpoints"), body)
            elif (ep.get("subsets") or []) != subsets:
                new = copy.deepcopy(ep)
                new["metadata"].setdefault("annotations", {})[
                    "endpoints.kubernetes.io/last-change-trigger-time"
                ] = ts()
                if subsets:
                    new["subsets"] = subsets
                else:
                    new.pop("subsets", None)
                self.put(("", "endpoints"), new)
            self._endpoint_slice(svc, ready, not_ready, ports)

    def _endpoint_slice(self, svc, ready, not_ready, ports):
        md = svc["metadata"]
        ns = md["namespace"]
        eps = []
        for p, ok in [(p, True) for p in ready] + [(p, False) for p in not_ready]:
            eps.append(
                {
                    "addresses": [p["status"]["podIP"]],
                    "conditions": {"ready": ok, "serving": ok, "terminating": False},
                    "targetRef": {
                        "kind": "Pod",
                        "namespace": ns,
                        "name": p["metadata"]["name"],
                        "uid": p["metadata"]["uid"],
                    },
                    "nodeName": p["spec"].get("nodeName"),
                }
            )
        slice_ports = [
            {"name": pt.get("name", ""), "protocol": pt["protocol"], "port": pt["port"]}
            for pt in ports
        ]
        existing = [
            s
            for s in self.objects(("discovery.k8s.io", "endpointslices"), ns)
            if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == md["name"]
        ]
        if not existing:
            self.system_create(
                self.res_for_kind("discovery.k8s.io", "EndpointSlice"),
                {
                    "metadata": {
                        "generateName": md["name"] + "-",
                        "namespace": ns,
                        "labels": {
                            "endpointslice.kubernetes.io/managed-by": (
                                "endpointslice-controller.k8s.io"
                            ),
                            "kubernetes.io/service-name": md["name"],
                        },
                        "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": ts()},
                        "ownerReferences": [_owner_ref(svc)],
                    },
                    "addressType": "IPv4",
                    "endpoints": eps,
                    "ports": slice_ports,
                },
            )
            return
        cur = existing[0]
        if cur.get("endpoints") != eps or cur.get("ports") != slice_ports:
            new = copy.deepcopy(cur)
            new["endpoints"] = eps
            new["ports"] = slice_ports
            new["metadata"]["generation"] = cur["metadata"].get("generation", 1) + 1
            self.put(("discovery.k8s.io", "endpointslices"), new)

    @staticmethod
    def _target_port(sp: dict, pods: list[dict]) -> int:
        tp = sp.get("targetPort", sp.get("port"))
        if isinstance(tp, int):
            return tp
        for p in pods:
            for c in p["spec"].get("containers") or []:
                for cp in c.get("ports") or []:
                    if cp.get("name") == tp:
                        return cp["containerPort"]
        return sp.get("port")

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


def _owner_ref(owner: dict) -> dict:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


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


# hand-written: no recording. A syntactically valid, self-signed stand-in CA certificate.
STANDIN_CA = """-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrOHMtc3Rh
bmRpbi1jYUAxNzk1NjUyNzc4MB4XDTI2MTEyNjAwMjYxOFoXDTM2MTEyMzAwMjYx
OFowIzEhMB8GA1UEAwwYazhzLXN0YW5kaW4tY2FAMTc5NTY1Mjc3ODBZMBMGByqG
SM49AgEGCCqGSM49AwEHA0IABHN0YW5kaW4tY2Etbm90LWEtcmVhbC1rZXktMDAw
MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwo0IwQDAO
BgNVHQ8BAf8EBAMCAqQwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUc3RhbmRp
bi1jYS1za2lkLTAwMDAwCgYIKoZIzj0EAwIDSAAwRQIgc3RhbmRpbi1zaWduYXR1
cmUtMDAwMDAwMDAwMDAwAiEAc3RhbmRpbi1zaWduYXR1cmUtMDAwMDAwMDAwMDAw
-----END CERTIFICATE-----
"""
