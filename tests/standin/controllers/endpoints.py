"""The endpoints controllers: a selector Service's Endpoints and its EndpointSlice follow
the pods it selects (ready and not-ready addresses, named target ports)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..kinds import ts
from .common import owner_ref, pod_ready

if TYPE_CHECKING:
    from ..cluster import Cluster


def endpoints_controller(cluster: Cluster):
    for svc in cluster.objects(("", "services")):
        md = svc["metadata"]
        sel = svc["spec"].get("selector")
        if not sel or md.get("deletionTimestamp"):
            continue
        ns = md["namespace"]
        pods = [
            p
            for p in cluster.objects(("", "pods"), ns)
            if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())
            and (p.get("status") or {}).get("podIP")
            and not p["metadata"].get("deletionTimestamp")
        ]
        ready = sorted((p for p in pods if pod_ready(p)), key=lambda p: p["status"]["podIP"])
        not_ready = sorted(
            (p for p in pods if not pod_ready(p)), key=lambda p: p["status"]["podIP"]
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
            port = {"port": _target_port(sp, pods), "protocol": sp.get("protocol", "TCP")}
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
        ep = cluster.get_obj(("", "endpoints"), ns, md["name"])
        if ep is None:
            body = {"metadata": {"name": md["name"], "namespace": ns}}
            if md.get("labels"):
                body["metadata"]["labels"] = copy.deepcopy(md["labels"])
            if subsets:
                body["subsets"] = subsets
            cluster.system_create(cluster.res_for_kind("", "Endpoints"), body)
        elif (ep.get("subsets") or []) != subsets:
            new = copy.deepcopy(ep)
            new["metadata"].setdefault("annotations", {})[
                "endpoints.kubernetes.io/last-change-trigger-time"
            ] = ts()
            if subsets:
                new["subsets"] = subsets
            else:
                new.pop("subsets", None)
            cluster.put(("", "endpoints"), new)
        _endpoint_slice(cluster, svc, ready, not_ready, ports)


def _endpoint_slice(cluster: Cluster, svc, ready, not_ready, ports):
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
        {"name": pt.get("name", ""), "protocol": pt["protocol"], "port": pt["port"]} for pt in ports
    ]
    existing = [
        s
        for s in cluster.objects(("discovery.k8s.io", "endpointslices"), ns)
        if (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name") == md["name"]
    ]
    if not existing:
        cluster.system_create(
            cluster.res_for_kind("discovery.k8s.io", "EndpointSlice"),
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
                    "ownerReferences": [owner_ref(svc)],
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
        cluster.put(("discovery.k8s.io", "endpointslices"), new)


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
