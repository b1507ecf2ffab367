"""Per-kind API server behaviour: defaulting and admission of built-in types, the way a
v1.24 kube-apiserver does it (shapes taken from the recorded responses); validation is
validation.py. Also the small helpers every part of the stand-in uses: generated names,
uids, timestamps, ages."""

from __future__ import annotations

import base64
import calendar
import copy
import json
import random
import time
import uuid


def in_order(d: dict, order: list[str]) -> dict:
    """D with ORDER's keys first, in that order, then the rest as they were: the key order a
    real API server writes (kubectl's -o yaml/json shows it)."""
    out = {k: d[k] for k in order if k in d}
    out.update({k: v for k, v in d.items() if k not in out})
    return out


SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand

# kinds whose metadata.generation the server maintains
GENERATION_KINDS = {
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "Ingress",
    "NetworkPolicy",
    "CustomResourceDefinition",
}
# kinds whose names are DNS-1123 labels rather than subdomains

METADATA_ORDER = [
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
]


def rand_suffix(n: int = 5) -> str:
    return "".join(random.choice(SUFFIX_ALPHABET) for _ in range(n))


def new_uid() -> str:
    return str(uuid.uuid4())


def ts(t: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def parse_ts(s: str | None) -> float | None:
    if not s:
        return None
    s = s.rstrip("Z").split(".")[0]
    return float(calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%S")))


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return f"{minutes}m" if sec == 0 else f"{minutes}m{sec}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def order_metadata(md: dict) -> dict:
    out = {k: md[k] for k in METADATA_ORDER if k in md}
    out.update({k: v for k, v in md.items() if k not in out})
    return out


# --- defaulting -------------------------------------------------------------------------


def _default_container(c: dict) -> dict:
    out = {"name": c.get("name")}
    out.update({k: v for k, v in c.items() if k != "name"})
    for p in out.get("ports") or []:
        p.setdefault("protocol", "TCP")
    out.setdefault("resources", {})
    out.setdefault("terminationMessagePath", "/dev/termination-log")
    out.setdefault("terminationMessagePolicy", "File")
    image = out.get("image") or ""
    tag = image.rsplit("/", 1)[-1]
    if "pullPolicy" not in out and "imagePullPolicy" not in out:
        latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
        out["imagePullPolicy"] = "Always" if latest else "IfNotPresent"
    return out


def default_pod_spec(spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    spec["containers"] = [_default_container(c) for c in spec.get("containers") or []]
    if spec.get("initContainers"):
        spec["initContainers"] = [_default_container(c) for c in spec["initContainers"]]
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for v in spec.get("volumes") or []:
        if "configMap" in v:
            v["configMap"].setdefault("defaultMode", 420)
        if "secret" in v:
            v["secret"].setdefault("defaultMode", 420)
        if "emptyDir" in v and v["emptyDir"] is None:
            v["emptyDir"] = {}
    order = [
        "volumes",
        "initContainers",
        "containers",
        "restartPolicy",
        "terminationGracePeriodSeconds",
        "activeDeadlineSeconds",
        "dnsPolicy",
        "nodeSelector",
        "serviceAccountName",
        "serviceAccount",
        "nodeName",
        "hostNetwork",
        "securityContext",
        "imagePullSecrets",
        "hostname",
        "subdomain",
        "affinity",
        "schedulerName",
        "tolerations",
        "priorityClassName",
        "priority",
        "enableServiceLinks",
        "preemptionPolicy",
    ]
    return in_order(spec, order)


def _template(tmpl: dict) -> dict:
    tmpl = copy.deepcopy(tmpl or {})
    md = tmpl.get("metadata") or {}
    md = {"creationTimestamp": None, **md}
    return {"metadata": md, "spec": default_pod_spec(tmpl.get("spec") or {})}


def qos_class(spec: dict) -> str:
    reqs, lims, any_set = [], [], False
    for c in spec.get("containers") or []:
        r = c.get("resources") or {}
        req, lim = r.get("requests") or {}, r.get("limits") or {}
        if req or lim:
            any_set = True
        reqs.append(req)
        lims.append(lim)
    if not any_set:
        return "BestEffort"
    for req, lim in zip(reqs, lims, strict=True):
        for res in ("cpu", "memory"):
            if res not in lim or req.get(res, lim[res]) != lim[res]:
                return "Burstable"
    return "Guaranteed"


def admit_pod(pod: dict) -> dict:
    """Defaults plus the ServiceAccount and DefaultTolerationSeconds admission plugins."""
    spec = pod.get("spec") or {}
    sa = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = sa
    spec["serviceAccount"] = sa
    spec = default_pod_spec(spec)
    if spec.get("automountServiceAccountToken", True):
        vol = f"kube-api-access-{rand_suffix(5)}"
        spec.setdefault("volumes", [])
        spec["volumes"].append(
            {
                "name": vol,
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {
                            "configMap": {
                                "name": "kube-root-ca.crt",
                                "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            }
                        },
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {
                                            "apiVersion": "v1",
                                            "fieldPath": "metadata.namespace",
                                        },
                                    }
                                ]
                            }
                        },
                    ],
                    "defaultMode": 420,
                },
            }
        )
        for c in spec["containers"]:
            mounts = c.setdefault("volumeMounts", [])
            mounts.append(
                {
                    "name": vol,
                    "readOnly": True,
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                }
            )
    tolerations = spec.setdefault("tolerations", [])
    for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
        if not any(t.get("key") == key for t in tolerations):
            tolerations.append(
                {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            )
    spec.setdefault("priority", 0)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    pod["spec"] = default_pod_spec(spec)
    pod["spec"]["containers"] = [_reorder_container(c) for c in pod["spec"]["containers"]]
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod["spec"])}
    return pod


def _reorder_container(c: dict) -> dict:
    order = [
        "name",
        "image",
        "command",
        "args",
        "workingDir",
        "ports",
        "envFrom",
        "env",
        "resources",
        "volumeMounts",
        "volumeDevices",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "lifecycle",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "imagePullPolicy",
        "securityContext",
        "stdin",
        "stdinOnce",
        "tty",
    ]
    return in_order(c, order)


def apply_defaults(obj: dict) -> dict:
    """Defaulting done by the API server on create/update, per kind."""
    kind = obj.get("kind")
    spec = obj.get("spec")
    if kind == "Pod":
        obj["spec"] = default_pod_spec(spec or {})
        obj["spec"]["containers"] = [_reorder_container(c) for c in obj["spec"]["containers"]]
    elif kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"):
        spec = dict(spec or {})
        if kind != "DaemonSet":
            spec.setdefault("replicas", 1)
        if "template" in spec:
            spec["template"] = _template(spec["template"])
        if kind == "Deployment":
            strat = spec.setdefault("strategy", {})
            strat.setdefault("type", "RollingUpdate")
            if strat["type"] == "RollingUpdate":
                ru = strat.setdefault("rollingUpdate", {})
                ru.setdefault("maxUnavailable", "25%")
                ru.setdefault("maxSurge", "25%")
                strat["rollingUpdate"] = {
                    "maxUnavailable": ru["maxUnavailable"],
                    "maxSurge": ru["maxSurge"],
                }
            spec.setdefault("revisionHistoryLimit", 10)
            spec.setdefault("progressDeadlineSeconds", 600)
        elif kind == "StatefulSet":
            spec.setdefault("podManagementPolicy", "OrderedReady")
            us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            us.setdefault("type", "RollingUpdate")
            if us["type"] == "RollingUpdate" and us.get("rollingUpdate") is not None:
                us["rollingUpdate"].setdefault("partition", 0)
            spec.setdefault("revisionHistoryLimit", 10)
        elif kind == "DaemonSet":
            us = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            if us.get("type", "RollingUpdate") == "RollingUpdate":
                us.setdefault("type", "RollingUpdate")
                ru = us.setdefault("rollingUpdate", {})
                ru.setdefault("maxUnavailable", 1)
                ru.setdefault("maxSurge", 0)
            spec.setdefault("revisionHistoryLimit", 10)
        order = [
            "replicas",
            "selector",
            "template",
            "strategy",
            "minReadySeconds",
            "revisionHistoryLimit",
            "paused",
            "progressDeadlineSeconds",
        ]
        obj["spec"] = in_order(spec, order)
    elif kind == "Secret":
        data = dict(obj.get("data") or {})
        for k, v in (obj.pop("stringData", None) or {}).items():
            data[k] = base64.b64encode(v.encode()).decode()
        if data:
            obj["data"] = data
        obj.setdefault("type", "Opaque")
    elif kind == "Service":
        spec = dict(spec or {})
        spec.setdefault("type", "ClusterIP")
        for p in spec.get("ports") or []:
            p.setdefault("protocol", "TCP")
            p.setdefault("targetPort", p.get("port"))
        if spec["type"] != "ExternalName":
            spec.setdefault("sessionAffinity", "None")
        obj["spec"] = spec
    elif kind == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        obj.setdefault("status", {}).setdefault("phase", "Active")
        md = obj["metadata"]
        md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
    elif kind == "Job":
        obj["spec"] = _job_spec(spec or {}, obj["metadata"])
    elif kind == "CronJob":
        spec = dict(spec or {})
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        jt = spec.setdefault("jobTemplate", {})
        jspec = dict(jt.get("spec") or {})
        jspec.setdefault("backoffLimit", 6)
        if "template" in jspec:
            jspec["template"] = _template(jspec["template"])
        jt["spec"] = jspec
        jt.setdefault("metadata", {"creationTimestamp": None})
        obj["spec"] = spec
    return obj


def _job_spec(spec: dict, md: dict) -> dict:
    spec = dict(spec)
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    if "template" in spec:
        spec["template"] = _template(spec["template"])
    if not spec.get("manualSelector") and md.get("uid"):
        spec["selector"] = {"matchLabels": {"controller-uid": md["uid"]}}
        labels = spec["template"]["metadata"].setdefault("labels", {})
        labels["controller-uid"] = md["uid"]
        labels["job-name"] = md["name"]
    order = [
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "selector",
        "manualSelector",
        "template",
        "ttlSecondsAfterFinished",
        "completionMode",
        "suspend",
    ]
    return in_order(spec, order)


def fields_v1(obj, keys_of=None) -> dict:
    """A FieldsV1 set describing the fields present in ``obj`` (for managedFields)."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in ("apiVersion", "kind", "status") and keys_of is None:
                continue
            if keys_of is None and k == "metadata":
                sub = {
                    kk: vv
                    for kk, vv in v.items()
                    if kk in ("labels", "annotations", "ownerReferences", "finalizers")
                }
                if sub:
                    out["f:metadata"] = fields_v1(sub, keys_of="metadata")
                continue
            child = fields_v1(v, keys_of=k)
            if isinstance(v, dict) and v:
                child = {".": {}, **child} if keys_of not in (None, "metadata") else child
            out[f"f:{k}"] = child
        return out
    if isinstance(obj, list):
        out = {}
        for item in obj:
            if isinstance(item, dict):
                key = next(
                    (
                        k
                        for k in ("name", "containerPort", "port", "type", "uid", "ip")
                        if k in item
                    ),
                    None,
                )
                if key is None:
                    continue
                kv = {key: item[key]}
                if key in ("containerPort", "port") and "protocol" in item:
                    kv["protocol"] = item["protocol"]
                label = "k:" + json.dumps(kv, separators=(",", ":"))
                out[label] = {".": {}, **fields_v1(item, keys_of="item")}
            else:
                out["v:" + json.dumps(item)] = {}
        return out
    return {}
