"""The API server's write verbs (create, update, patch, delete, the scale and status
subresources) over the object store, with the real server's admission, defaulting and
errors; `Cluster` is what the HTTP front end drives, scenario controls included. Access
reviews, Service allocation and delete preconditions are admission.py's; the per-kind
rules kinds.py's and validation.py's."""

from __future__ import annotations

import copy
import itertools

from . import kinds
from .admission import REVIEW_KINDS, allocate_service, check_preconditions, review
from .controllers.lifecycle import finalize_namespace, orphan_dependents
from .kinds import rand_suffix, ts
from .patch import PatchError, json_patch, merge_patch, strategic_merge
from .resources import (
    ApiError,
    Res,
    already_exists,
    invalid,
    method_not_allowed,
    not_found,
    runtime_for,
)
from .store import Store
from .validation import Invalid, validate


class Cluster(Store):
    def __init__(self, server_version: str = "v1.24.0"):
        super().__init__()
        self.server_version = server_version
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
        from .initial import load_initial_state

        with self.lock:
            load_initial_state(self)

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
            return review(res, body)
        with self.lock:
            self._check_body(res, ns, body)
            body["apiVersion"], body["kind"] = res.api_version, res.kind
            md = body["metadata"]
            if not md.get("name") and md.get("generateName"):
                md["name"] = md["generateName"] + rand_suffix()
            try:
                validate(body)
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
                allocate_service(obj, self._cluster_ips, self._node_ports)
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
                    validate(new)
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
                    allocate_service(new, self._cluster_ips, self._node_ports)
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
            check_preconditions(res, name, cur, options.get("preconditions") or {})
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
                info["containerRuntimeVersion"] = runtime_for(version)
                self.put(("", "nodes"), new)


def _same_but_rv(a: dict, b: dict) -> bool:
    a = copy.deepcopy(a)
    b = copy.deepcopy(b)
    for o in (a, b):
        o["metadata"].pop("resourceVersion", None)
        o["metadata"].pop("managedFields", None)
    return a == b
