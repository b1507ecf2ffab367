"""The initial cluster: the recorded minikube-like cluster, with every timestamp moved so
that ages read as they did in the recording (node 16m old, namespaces 17m, ...)."""

from __future__ import annotations

import copy
import json
import re
import time

from . import kinds, recorded
from .controllers.nodes import running_status

_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _shift(value, offset: float):
    if isinstance(value, dict):
        return {k: _shift(v, offset) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, offset) for v in value]
    if isinstance(value, str) and _STAMP.match(value):
        frac = value[19:-1]
        t = kinds.parse_ts(value) + offset
        return kinds.ts(t)[:-1] + frac + "Z"
    return value


def load_initial_state(cluster) -> None:
    offset = time.time() - recorded.recording_reference_time()
    sh = lambda o: _shift(copy.deepcopy(o), offset)  # noqa: E731

    namespaces = None
    # the first JSON NamespaceList in the recording (not a Table)
    for ex in recorded.exchanges():
        if (
            ex["path"] == "/api/v1/namespaces"
            and ex["accept"] == "application/json"
            and (ex["method"] == "GET" and "watch" not in (ex["query"] or ""))
        ):
            namespaces = json.loads(ex["response_body"])
            break
    # creation order as the recorded server lists it: default came first
    for item in sorted(namespaces["items"], key=lambda i: i["metadata"]["creationTimestamp"]):
        obj = {"kind": "Namespace", "apiVersion": "v1", **sh(item)}
        cluster.put(("", "namespaces"), obj)

    nodes = None
    for ex in recorded.exchanges():
        if ex["path"] == "/api/v1/nodes" and ex["accept"] == "application/json":
            nodes = json.loads(ex["response_body"])
            break
    for item in nodes["items"]:
        cluster.put(("", "nodes"), {"kind": "Node", "apiVersion": "v1", **sh(item)})

    # hand-written: no recording in JSON (values decoded from the recorded protobuf Lease)
    cluster.put(
        ("coordination.k8s.io", "leases"),
        sh(
            {
                "kind": "Lease",
                "apiVersion": "coordination.k8s.io/v1",
                "metadata": {
                    "name": "minikube",
                    "namespace": "kube-node-lease",
                    "uid": "07bc1a6a-ae58-419e-ae02-72a037243e05",
                    "creationTimestamp": "2026-11-26T00:26:19Z",
                    "managedFields": [
                        {
                            "manager": "OpenAPI-Generator",
                            "operation": "Update",
                            "apiVersion": "coordination.k8s.io/v1",
                            "time": "2026-11-26T00:26:19Z",
                            "fieldsType": "FieldsV1",
                            "fieldsV1": {
                                "f:spec": {
                                    "f:holderIdentity": {},
                                    "f:leaseDurationSeconds": {},
                                    "f:renewTime": {},
                                }
                            },
                        }
                    ],
                },
                "spec": {
                    "holderIdentity": "minikube",
                    "leaseDurationSeconds": 40,
                    "renewTime": "2026-11-26T00:42:44.732670Z",
                },
            }
        ),
    )
    # hand-written: no recording in JSON (values decoded from the recorded protobuf EventList)
    cluster.put(
        ("", "events"),
        sh(
            {
                "kind": "Event",
                "apiVersion": "v1",
                "metadata": {
                    "name": "minikube.18eb70b13a905ab5",
                    "namespace": "default",
                    "uid": "37e24a15-4d42-4d9c-95b0-74739d753e62",
                    "creationTimestamp": "2026-11-26T00:26:22Z",
                },
                "involvedObject": {
                    "kind": "Node",
                    "name": "minikube",
                    "uid": nodes["items"][0]["metadata"]["uid"],
                    "apiVersion": "v1",
                },
                "reason": "RegisteredNode",
                "message": "Node minikube event: Registered Node minikube in Controller",
                "source": {"component": "node-controller"},
                "firstTimestamp": "2026-11-26T00:26:22Z",
                "lastTimestamp": "2026-11-26T00:26:22Z",
                "count": 1,
                "type": "Normal",
                "eventTime": None,
                "reportingComponent": "",
                "reportingInstance": "",
            }
        ),
    )

    # kube-system pods: metadata as recorded (Table rows), spec/status as the API server's
    # defaulting and the simulated node made them (the recorded pods were made the same way)
    table = None
    for ex in recorded.exchanges():
        if (
            ex["path"] == "/api/v1/namespaces/kube-system/pods"
            and "Table" in (ex.get("response_body") or "")[:20]
        ):
            table = json.loads(ex["response_body"])
            break
    for row in table["rows"]:
        md = sh(row["object"]["metadata"])
        last = (md.get("annotations") or {}).get("kubectl.kubernetes.io/last-applied-configuration")
        applied = json.loads(last)
        pod = kinds.admit_pod(
            {
                "kind": "Pod",
                "apiVersion": "v1",
                "metadata": {k: md[k] for k in ("name", "namespace")},
                "spec": applied["spec"],
            }
        )
        ip = row["cells"][5]
        t = md["creationTimestamp"]
        started = kinds.ts(kinds.parse_ts(t) + 1)
        pod["metadata"] = md
        pod["status"] = running_status(pod, ip, started, started, "BestEffort")
        cluster.kubelet_seen.add(md["uid"])
        cluster.put(("", "pods"), pod)

    # hand-written: no recording. Objects every cluster has: the `kubernetes` Service and
    # its Endpoints, and per namespace the `default` ServiceAccount and `kube-root-ca.crt`.
    ns_created = kinds.ts(
        kinds.parse_ts(namespaces["items"][-1]["metadata"]["creationTimestamp"]) + offset
    )
    t0 = kinds.parse_ts(ns_created)
    for ns in cluster.objects(("", "namespaces")):
        name = ns["metadata"]["name"]
        cluster.system_create(
            cluster.res_for_kind("", "ServiceAccount"),
            {"metadata": {"name": "default", "namespace": name}},
            manager=None,
            t=t0 + 13,
        )
    ensure_kubernetes_service(cluster, t0)
    cluster.reconcile()


def ensure_kubernetes_service(cluster, t: float | None = None) -> None:
    """The `kubernetes` Service the API server keeps in `default` (re-created if deleted)."""
    # hand-written: no recording
    if cluster.get_obj(("", "services"), "default", "kubernetes") is not None:
        return
    if cluster.get_obj(("", "namespaces"), "", "default") is None:
        return
    cluster.system_create(
        cluster.res_for_kind("", "Service"),
        {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"component": "apiserver", "provider": "kubernetes"},
            },
            "spec": {
                "ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 8443}],
                "clusterIP": "10.0.0.1",
                "clusterIPs": ["10.0.0.1"],
                "type": "ClusterIP",
                "sessionAffinity": "None",
                "ipFamilies": ["IPv4"],
                "ipFamilyPolicy": "SingleStack",
                "internalTrafficPolicy": "Cluster",
            },
            "status": {"loadBalancer": {}},
        },
        manager="kube-apiserver",
        t=t,
    )
    cluster._cluster_ips.add("10.0.0.1")
    if cluster.get_obj(("", "endpoints"), "default", "kubernetes") is not None:
        return
    cluster.system_create(
        cluster.res_for_kind("", "Endpoints"),
        {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": [
                {
                    "addresses": [{"ip": "192.168.49.2"}],
                    "ports": [{"name": "https", "port": 8443, "protocol": "TCP"}],
                }
            ],
        },
        manager="kube-apiserver",
        t=t,
    )
    cluster.system_create(
        cluster.res_for_kind("discovery.k8s.io", "EndpointSlice"),
        {
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "kubernetes"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["192.168.49.2"], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "protocol": "TCP", "port": 8443}],
        },
        manager="kube-apiserver",
        t=t,
    )
